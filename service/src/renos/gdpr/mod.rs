//! GDPR for RenOS users: data export (portability), scheduled deletion (erasure), consent
//! records and privacy-policy versions. Every change is written to `shared.audit_logs`.

pub mod consents;
pub mod deletion;
pub mod export;
pub mod privacy_policies;

use crate::error::Result;
use crate::shared::audit::{self, AuditEntry};

/// Writes one GDPR action to the shared audit trail (no personal data in `metadata`).
async fn audit<C: sea_orm::ConnectionTrait>(
    db: &C,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    metadata: serde_json::Value,
) -> Result<()> {
    audit::record(
        db,
        AuditEntry {
            user_id: None,
            action: action.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            metadata,
        },
    )
    .await
    .map(|_| ())
}
