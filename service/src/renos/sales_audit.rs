//! Writes the audited actions of the sales and operations use cases to `shared.audit_logs`.

use sea_orm::ConnectionTrait;
use sea_orm::prelude::Uuid;
use serde_json::Value;

use crate::error::Result;
use crate::shared::audit::{self, AuditEntry};

/// Records `action` on `renos.<table>` row `id` by `actor`.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    actor: Option<Uuid>,
    action: &str,
    table: &str,
    id: &str,
    metadata: Value,
) -> Result<()> {
    audit::record(
        db,
        AuditEntry {
            user_id: actor,
            action: action.to_owned(),
            resource_type: format!("renos.{table}"),
            resource_id: id.to_owned(),
            metadata,
        },
    )
    .await?;
    Ok(())
}
