//! External integrations used by workflows. `config` holds credentials and is stored as
//! given (defect 11, not fixed); it never goes into the audit trail.

use entity::flow::integrations::{self, IntegrationStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::Result;
use crate::shared::audit;
use crate::validate::{Problems, limit, non_empty, opt_text};

/// Input of [`create_integration`].
#[derive(Clone, Debug)]
pub struct NewIntegration {
    /// e.g. `slack`, `email`, `http`, `database`.
    pub name: String,
    pub r#type: String,
    /// Connection details: a JSON object.
    pub config: Json,
    /// User id of the owner.
    pub owner: String,
}

/// Creates an `active` integration.
pub async fn create_integration<C: TransactionTrait>(
    db: &C,
    input: NewIntegration,
    actor: Option<Uuid>,
) -> Result<integrations::Model> {
    let mut p = Problems::new();
    let name = p.take(non_empty("name", &input.name));
    let kind = p.take(non_empty("type", &input.r#type));
    let owner = p.take(non_empty("owner", &input.owner));
    if !input.config.is_object() {
        p.add("config", "must be a JSON object");
    }
    p.finish()?;
    let txn = db.begin().await?;
    let integration = integrations::ActiveModel {
        name: Set(name.unwrap_or_default()),
        r#type: Set(kind.unwrap_or_default()),
        config: Set(input.config),
        owner: Set(owner.unwrap_or_default()),
        status: Set(IntegrationStatus::Active),
        usage_count: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "flow.integrations",
        &integration.id,
        json!({ "name": integration.name, "type": integration.r#type }),
    )
    .await?;
    txn.commit().await?;
    Ok(integration)
}

/// Filters of [`get_integrations`]; `None` (or blank text) means "any".
#[derive(Clone, Debug, Default)]
pub struct IntegrationFilter {
    pub owner: Option<String>,
    pub r#type: Option<String>,
    /// Page size: default 100, at most 1000.
    pub limit: Option<u64>,
}

/// Integrations matching `filter`, newest first.
pub async fn get_integrations<C: ConnectionTrait>(
    db: &C,
    filter: IntegrationFilter,
) -> Result<Vec<integrations::Model>> {
    let mut q = integrations::Entity::find();
    if let Some(o) = opt_text(filter.owner) {
        q = q.filter(integrations::Column::Owner.eq(o));
    }
    if let Some(t) = opt_text(filter.r#type) {
        q = q.filter(integrations::Column::Type.eq(t));
    }
    Ok(q.order_by_desc(integrations::Column::CreatedAt)
        .order_by_asc(integrations::Column::Id)
        .limit(limit(filter.limit, 100, 1000))
        .all(db)
        .await?)
}

/// Counts a use: `usage_count + 1`, `last_used_at = now` (one atomic statement).
pub async fn update_integration_usage<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<integrations::Model> {
    super::count_use(
        db,
        "integration",
        (integrations::Column::Id, id),
        integrations::Column::UsageCount,
        integrations::Column::LastUsedAt,
    )
    .await
}
