//! Changing a user's role or deactivating them (audited).

use entity::billy::audit_logs::AuditLogAction;
use entity::billy::users::{self, UserRole};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::billy::audit::{NewAuditLog, record};
use crate::error::{Error, Result};

/// Sets the user's role.
pub async fn update_user_role<C: TransactionTrait>(
    db: &C,
    user_id: Uuid,
    role: UserRole,
    actor: Option<Uuid>,
) -> Result<users::Model> {
    let txn = db.begin().await?;
    let row = lock(&txn, user_id).await?;
    let previous = row.role;
    let mut am: users::ActiveModel = row.into();
    am.role = Set(role);
    let row = am.update(&txn).await?;
    let mut audit = NewAuditLog::new(
        Some(row.organization_id),
        "update_user_role",
        AuditLogAction::Update,
        true,
    );
    audit.resource_type = Some("users".into());
    audit.resource_id = Some(row.id.to_string());
    audit.input_params = Some(json!({ "role": role, "previous_role": previous }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row)
}

/// Deactivates the user (idempotent). The row stays, so audit entries keep their user.
pub async fn deactivate_user<C: TransactionTrait>(
    db: &C,
    user_id: Uuid,
    actor: Option<Uuid>,
) -> Result<users::Model> {
    let txn = db.begin().await?;
    let row = lock(&txn, user_id).await?;
    let was_active = row.is_active;
    let mut am: users::ActiveModel = row.into();
    am.is_active = Set(false);
    let row = am.update(&txn).await?;
    let mut audit = NewAuditLog::new(
        Some(row.organization_id),
        "deactivate_user",
        AuditLogAction::Update,
        true,
    );
    audit.resource_type = Some("users".into());
    audit.resource_id = Some(row.id.to_string());
    audit.input_params = Some(json!({ "was_active": was_active }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row)
}

async fn lock<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<users::Model> {
    users::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("billy user"))
}
