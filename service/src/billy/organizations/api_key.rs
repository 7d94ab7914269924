//! The one way out for the plaintext API key, and replacing it.

use chrono::Utc;
use entity::billy::audit_logs::AuditLogAction;
use entity::billy::organizations;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{TransactionSession, TransactionTrait};
use serde_json::json;

use super::create::check_api_key;
use super::{Organization, lock_row};
use crate::billy::audit::{NewAuditLog, record};
use crate::billy::crypto::{ApiKey, Keyring, open, seal};
use crate::error::{Error, Result};

/// Decrypts the organisation's Billy.dk API key. This is the only function that returns
/// the plaintext. An inactive organisation is `Forbidden`; a value that cannot be
/// decrypted (unknown key id, missing legacy key, modified ciphertext) is `Internal`
/// (the cause is logged with the organisation id, never the value).
pub async fn reveal_api_key<C: ConnectionTrait>(
    db: &C,
    keyring: &Keyring,
    organization_id: Uuid,
) -> Result<ApiKey> {
    let org = organizations::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("billy organization"))?;
    if !org.is_active {
        return Err(Error::Forbidden);
    }
    open(keyring, org.id, &org.billy_api_key).map_err(|cause| {
        tracing::error!(organization_id = %org.id, %cause, "billy api key cannot be decrypted");
        Error::Internal
    })
}

/// Stores a new API key for the organisation (encrypted under the current key) and sets
/// `api_key_rotated_at`; audited without the key.
pub async fn replace_api_key<C: TransactionTrait>(
    db: &C,
    keyring: &Keyring,
    organization_id: Uuid,
    api_key: ApiKey,
    actor: Option<Uuid>,
) -> Result<Organization> {
    check_api_key(&api_key)?;
    let ciphertext = seal(keyring, organization_id, &api_key).map_err(|e| Error::internal(&e))?;
    let txn = db.begin().await?;
    let row = lock_row(&txn, organization_id).await?;
    let mut am: organizations::ActiveModel = row.into();
    am.billy_api_key = Set(ciphertext);
    am.api_key_rotated_at = Set(Utc::now().fixed_offset());
    let row = am.update(&txn).await?;
    let mut audit = NewAuditLog::new(
        Some(organization_id),
        "replace_api_key",
        AuditLogAction::Update,
        true,
    );
    audit.resource_type = Some("organizations".into());
    audit.resource_id = Some(organization_id.to_string());
    audit.input_params = Some(json!({ "key_id": keyring.current_key_id().as_str() }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row.into())
}
