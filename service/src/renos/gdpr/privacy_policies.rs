//! `renos.privacy_policies`: versioned texts, at most one active. Activation runs in one
//! transaction under an advisory lock, so concurrent activations cannot leave two active.

use entity::renos::privacy_policies;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, QueryOrder, Statement, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::Problems;

/// Input of [`publish_policy`].
#[derive(Clone, Debug)]
pub struct NewPrivacyPolicy {
    /// Unique version label, e.g. `2.1`.
    pub version: String,
    pub content: String,
    /// Make it the active policy right away.
    pub activate: bool,
}

async fn lock_policies<C: ConnectionTrait>(txn: &C) -> Result<()> {
    txn.execute_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext('renos.privacy_policies'))",
    ))
    .await?;
    Ok(())
}

async fn activate_in<C: ConnectionTrait>(txn: &C, id: &str) -> Result<privacy_policies::Model> {
    lock_policies(txn).await?;
    let updated = privacy_policies::Entity::update_many()
        .col_expr(privacy_policies::Column::Active, Expr::value(true))
        .filter(privacy_policies::Column::Id.eq(id))
        .exec_with_returning(txn)
        .await?;
    let row = updated
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("privacy policy"))?;
    privacy_policies::Entity::update_many()
        .col_expr(privacy_policies::Column::Active, Expr::value(false))
        .filter(privacy_policies::Column::Active.eq(true))
        .filter(privacy_policies::Column::Id.ne(id))
        .exec(txn)
        .await?;
    Ok(row)
}

/// Publishes a new version (inactive unless `activate`; activating deactivates every other
/// version in the same transaction). A taken version is a conflict. Audited.
pub async fn publish_policy<C: TransactionTrait>(
    db: &C,
    input: NewPrivacyPolicy,
) -> Result<privacy_policies::Model> {
    let mut f = Problems::new();
    let version = f.text("version", &input.version);
    let content = f.text("content", &input.content);
    f.finish()?;
    let txn = db.begin().await?;
    let mut row = privacy_policies::ActiveModel {
        version: Set(version),
        content: Set(content),
        active: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if input.activate {
        row = activate_in(&txn, &row.id).await?;
    }
    audit::record_action(
        &txn,
        None,
        "publish_policy",
        "renos.privacy_policies",
        &row.id,
        json!({ "version": row.version, "active": row.active }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Makes this version the only active one. Audited.
pub async fn activate_policy<C: TransactionTrait>(
    db: &C,
    id: &str,
) -> Result<privacy_policies::Model> {
    let txn = db.begin().await?;
    let row = activate_in(&txn, id).await?;
    audit::record_action(
        &txn,
        None,
        "activate_policy",
        "renos.privacy_policies",
        &row.id,
        json!({ "version": row.version }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The active policy, if any.
pub async fn active_policy<C: ConnectionTrait>(db: &C) -> Result<Option<privacy_policies::Model>> {
    Ok(privacy_policies::Entity::find()
        .filter(privacy_policies::Column::Active.eq(true))
        .order_by_desc(privacy_policies::Column::UpdatedAt)
        .one(db)
        .await?)
}

/// Every version, newest first.
pub async fn list_policies<C: ConnectionTrait>(db: &C) -> Result<Vec<privacy_policies::Model>> {
    Ok(privacy_policies::Entity::find()
        .order_by_desc(privacy_policies::Column::CreatedAt)
        .order_by_desc(privacy_policies::Column::Id)
        .all(db)
        .await?)
}
