//! Creating an organisation: the API key is encrypted before it is stored.

use entity::billy::audit_logs::AuditLogAction;
use entity::billy::organizations;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{TransactionSession, TransactionTrait};
use serde_json::{Value, json};

use super::{Organization, check_settings};
use crate::billy::audit::{NewAuditLog, record};
use crate::billy::crypto::{ApiKey, Keyring, seal};
use crate::error::{Error, Result};
use crate::validate::Problems;

/// Input of [`create_organization`].
#[derive(Clone, Debug)]
pub struct NewOrganization {
    /// Display name.
    pub name: String,
    /// Billy.dk organisation id (unique).
    pub billy_organization_id: String,
    /// The plaintext Billy.dk API key (encrypted before it is stored).
    pub api_key: ApiKey,
    /// Settings JSON object (default `{}`).
    pub settings: Option<Value>,
}

/// Creates an organisation with its API key encrypted under the keyring's current key,
/// and audits it. A taken `billy_organization_id` is a `Conflict`.
pub async fn create_organization<C: TransactionTrait>(
    db: &C,
    keyring: &Keyring,
    input: NewOrganization,
    actor: Option<Uuid>,
) -> Result<Organization> {
    let mut p = Problems::new();
    let name = p.text("name", &input.name);
    let billy_organization_id = p.text("billy_organization_id", &input.billy_organization_id);
    p.take(check_api_key(&input.api_key));
    let settings = input.settings.unwrap_or_else(|| json!({}));
    p.take(check_settings(&settings));
    p.finish()?;

    let id = Uuid::new_v4();
    let ciphertext = seal(keyring, id, &input.api_key).map_err(|e| Error::internal(&e))?;
    let txn = db.begin().await?;
    let row = organizations::ActiveModel {
        id: Set(id),
        name: Set(name),
        billy_api_key: Set(ciphertext),
        billy_organization_id: Set(billy_organization_id),
        settings: Set(settings),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut audit = NewAuditLog::new(
        Some(row.id),
        "create_organization",
        AuditLogAction::Create,
        true,
    );
    audit.resource_type = Some("organizations".into());
    audit.resource_id = Some(row.id.to_string());
    audit.input_params = Some(json!({
        "name": row.name,
        "billy_organization_id": row.billy_organization_id,
        "key_id": keyring.current_key_id().as_str(),
    }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// An API key must be non-empty and contain no whitespace or control characters
/// (it is sent in an HTTP header).
pub(crate) fn check_api_key(key: &ApiKey) -> Result<()> {
    let k = key.expose();
    if k.is_empty() {
        Err(Error::invalid("api_key", "must not be empty"))
    } else if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(Error::invalid(
            "api_key",
            "must not contain whitespace or control characters",
        ))
    } else {
        Ok(())
    }
}
