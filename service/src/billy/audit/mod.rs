//! `billy.audit_logs`: the trail of MCP tool invocations and of administrative changes.
//! Every entry is mirrored to `shared.audit_logs` (`resource_type = "billy.<resource>"`)
//! in the same transaction.

mod query;
mod write;

pub use query::{AuditLogFilter, list_audit_logs};
pub(crate) use write::record;
pub use write::{NewAuditLog, log_audit};
