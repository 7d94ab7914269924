//! Changing an organisation's status and settings (audited).

use entity::billy::audit_logs::AuditLogAction;
use entity::billy::organizations;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{TransactionSession, TransactionTrait};
use serde_json::{Value, json};

use super::{Organization, check_settings, lock_row};
use crate::billy::audit::{NewAuditLog, record};
use crate::error::Result;

/// Activates or deactivates an organisation (idempotent; audited either way).
pub async fn set_organization_active<C: TransactionTrait>(
    db: &C,
    id: Uuid,
    active: bool,
    actor: Option<Uuid>,
) -> Result<Organization> {
    let txn = db.begin().await?;
    let row = lock_row(&txn, id).await?;
    let was_active = row.is_active;
    let mut am: organizations::ActiveModel = row.into();
    am.is_active = Set(active);
    let row = am.update(&txn).await?;
    let tool = if active {
        "activate_organization"
    } else {
        "deactivate_organization"
    };
    let mut audit = NewAuditLog::new(Some(id), tool, AuditLogAction::Update, true);
    audit.resource_type = Some("organizations".into());
    audit.resource_id = Some(id.to_string());
    audit.input_params = Some(json!({ "is_active": active, "was_active": was_active }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Replaces the organisation's settings with `settings` (a JSON object); audited with
/// the names of the top-level keys only.
pub async fn update_organization_settings<C: TransactionTrait>(
    db: &C,
    id: Uuid,
    settings: Value,
    actor: Option<Uuid>,
) -> Result<Organization> {
    check_settings(&settings)?;
    let keys: Vec<String> = settings
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let txn = db.begin().await?;
    let row = lock_row(&txn, id).await?;
    let mut am: organizations::ActiveModel = row.into();
    am.settings = Set(settings);
    let row = am.update(&txn).await?;
    let mut audit = NewAuditLog::new(
        Some(id),
        "update_organization_settings",
        AuditLogAction::Update,
        true,
    );
    audit.resource_type = Some("organizations".into());
    audit.resource_id = Some(id.to_string());
    audit.input_params = Some(json!({ "setting_keys": keys }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row.into())
}
