//! Inbound webhooks of workflows. The secret is stored as given (defect 11, not fixed).

use entity::flow::{webhooks, workflows};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, opt_text};

/// HTTP methods a webhook may accept.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Input of [`create_webhook`].
#[derive(Clone, Debug, Default)]
pub struct NewWebhook {
    /// An existing `flow.workflows` id.
    pub workflow_id: String,
    pub name: String,
    /// Unique; no whitespace.
    pub url: String,
    /// Verification secret (stored in clear, see the module docs).
    pub secret: Option<String>,
    /// One of [`METHODS`] (any case); default `POST`.
    pub method: Option<String>,
}

/// Creates an active webhook. The workflow must exist (validation error otherwise: the
/// table has no foreign key); a taken url is a conflict.
pub async fn create_webhook<C: TransactionTrait>(
    db: &C,
    input: NewWebhook,
    actor: Option<Uuid>,
) -> Result<webhooks::Model> {
    let mut p = Problems::new();
    let workflow_id = p.take(non_empty("workflow_id", &input.workflow_id));
    let name = p.take(non_empty("name", &input.name));
    let url = p.take(non_empty("url", &input.url));
    if url
        .as_deref()
        .is_some_and(|u| u.contains(char::is_whitespace))
    {
        p.add("url", "must not contain whitespace");
    }
    let method = opt_text(input.method).map_or_else(|| "POST".to_owned(), |m| m.to_uppercase());
    if !METHODS.contains(&method.as_str()) {
        p.add("method", "is not a supported HTTP method");
    }
    p.finish()?;
    let workflow_id = workflow_id.unwrap_or_default();
    let txn = db.begin().await?;
    if workflows::Entity::find_by_id(workflow_id.clone())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(Error::invalid("workflow_id", "no such workflow"));
    }
    let webhook = webhooks::ActiveModel {
        workflow_id: Set(workflow_id),
        name: Set(name.unwrap_or_default()),
        url: Set(url.unwrap_or_default()),
        method: Set(method),
        secret: Set(opt_text(input.secret)),
        allowed_ips: Set(Vec::new()),
        is_active: Set(true),
        request_count: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "flow.webhooks",
        &webhook.id,
        json!({ "workflow_id": webhook.workflow_id, "url": webhook.url }),
    )
    .await?;
    txn.commit().await?;
    Ok(webhook)
}

/// The webhook with this url (trimmed, exact match), if any.
pub async fn get_webhook<C: ConnectionTrait>(db: &C, url: &str) -> Result<Option<webhooks::Model>> {
    Ok(webhooks::Entity::find()
        .filter(webhooks::Column::Url.eq(url.trim()))
        .one(db)
        .await?)
}

/// Counts a request: `request_count + 1`, `last_request_at = now` (one atomic statement).
pub async fn log_webhook_request<C: ConnectionTrait>(
    db: &C,
    webhook_id: &str,
) -> Result<webhooks::Model> {
    super::count_use(
        db,
        "webhook",
        (webhooks::Column::Id, webhook_id),
        webhooks::Column::RequestCount,
        webhooks::Column::LastRequestAt,
    )
    .await
}
