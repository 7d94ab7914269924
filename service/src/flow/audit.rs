//! Writes `flow` actions to the cross-application trail (`shared.audit_logs`,
//! `resource_type = 'flow.<table>'`).

use sea_orm::{ConnectionTrait, prelude::Uuid};
use serde_json::Value;

use crate::error::Result;
use crate::shared::audit::{self, AuditEntry};

/// Records `action` on `flow.<table>` row `id` by `actor`. `metadata` never holds secrets.
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
            resource_type: format!("flow.{table}"),
            resource_id: id.to_owned(),
            metadata,
        },
    )
    .await?;
    Ok(())
}
