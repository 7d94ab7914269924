//! Adding a user to an organisation.

use entity::billy::audit_logs::AuditLogAction;
use entity::billy::users::{self, UserRole};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{TransactionSession, TransactionTrait};
use serde_json::{Value, json};

use super::find_user;
use crate::billy::audit::{NewAuditLog, record};
use crate::error::{Error, Result};
use crate::shared::users::find_by_email;
use crate::validate::{Email, Problems};

/// Input of [`create_user`].
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The organisation.
    pub organization_id: Uuid,
    /// Email (normalised before it is stored).
    pub email: String,
    /// Role (default `user`).
    pub role: Option<UserRole>,
    /// Metadata JSON object (default `{}`).
    pub metadata: Option<Value>,
}

/// Creates the user, linked to the `shared.users` identity with the same email when one
/// exists, and audits it. The same email (case-insensitively) in the same organisation
/// is a `Conflict`; an unknown organisation is a `Validation` error.
pub async fn create_user<C: TransactionTrait>(
    db: &C,
    input: NewUser,
    actor: Option<Uuid>,
) -> Result<users::Model> {
    let mut p = Problems::new();
    let email = p.take(Email::parse("email", &input.email));
    let metadata = input.metadata.unwrap_or_else(|| json!({}));
    p.object("metadata", &metadata);
    p.finish()?;
    let email = email.ok_or_else(|| Error::internal(&"checked email missing"))?;
    let role = input.role.unwrap_or(UserRole::User);

    let txn = db.begin().await?;
    if find_user(&txn, input.organization_id, email.as_str())
        .await?
        .is_some()
    {
        return Err(Error::conflict(
            "a user with this email already exists in the organization",
        ));
    }
    let shared_user_id = find_by_email(&txn, email.as_str()).await?.map(|u| u.id);
    let row = users::ActiveModel {
        email: Set(email.into_string()),
        organization_id: Set(input.organization_id),
        role: Set(role),
        metadata: Set(metadata),
        shared_user_id: Set(shared_user_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut audit = NewAuditLog::new(
        Some(row.organization_id),
        "create_user",
        AuditLogAction::Create,
        true,
    );
    audit.resource_type = Some("users".into());
    audit.resource_id = Some(row.id.to_string());
    audit.input_params = Some(json!({ "role": row.role }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row)
}
