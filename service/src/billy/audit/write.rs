//! Writing an audit entry to `billy.audit_logs` and `shared.audit_logs`.

use entity::billy::audit_logs::{self, AuditLogAction};
use entity::billy::users;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{TransactionSession, TransactionTrait};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::shared::audit::{AuditEntry, record as record_shared};
use crate::validate::Problems;

/// JSON object keys whose values are replaced by `"<redacted>"` before storing
/// (matched case-insensitively as substrings).
const SECRET_KEYS: [&str; 6] = [
    "password",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
];

/// One audit entry (the original `logAudit` input).
#[derive(Clone, Debug)]
pub struct NewAuditLog {
    /// The tenant (`None` for entries about several organisations, e.g. key rotation).
    pub organization_id: Option<Uuid>,
    /// The acting `billy.users` id, when known.
    pub user_id: Option<Uuid>,
    /// The MCP tool or operation, e.g. `list_invoices`.
    pub tool_name: String,
    /// What kind of access it was.
    pub action: AuditLogAction,
    /// The Billy.dk resource type, e.g. `invoice`.
    pub resource_type: Option<String>,
    /// The Billy.dk resource id.
    pub resource_id: Option<String>,
    /// Tool input (secret-looking keys are redacted).
    pub input_params: Option<Value>,
    /// Summary of the output (secret-looking keys are redacted).
    pub output_data: Option<Value>,
    /// Whether the invocation succeeded.
    pub success: bool,
    /// The error shown to the user, if it failed.
    pub error_message: Option<String>,
    /// Duration in milliseconds.
    pub duration_ms: Option<u32>,
    /// Client IP address (IPv4 or IPv6).
    pub ip_address: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

impl NewAuditLog {
    /// An entry with the required fields; set the optional ones on the value.
    pub fn new(
        organization_id: Option<Uuid>,
        tool_name: impl Into<String>,
        action: AuditLogAction,
        success: bool,
    ) -> Self {
        Self {
            organization_id,
            user_id: None,
            tool_name: tool_name.into(),
            action,
            resource_type: None,
            resource_id: None,
            input_params: None,
            output_data: None,
            success,
            error_message: None,
            duration_ms: None,
            ip_address: None,
            user_agent: None,
        }
    }
}

/// Writes `entry` to `billy.audit_logs` and `shared.audit_logs` in one transaction.
pub async fn log_audit<C: TransactionTrait>(
    db: &C,
    entry: NewAuditLog,
) -> Result<audit_logs::Model> {
    let txn = db.begin().await?;
    let row = record(&txn, entry, None).await?;
    txn.commit().await?;
    Ok(row)
}

/// Writes both audit rows on `db` (the caller provides the transaction). `actor` is the
/// acting `shared.users` id; without it, the `shared_user_id` of `entry.user_id` is used.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    entry: NewAuditLog,
    actor: Option<Uuid>,
) -> Result<audit_logs::Model> {
    let checked = Checked::parse(entry)?;
    let shared_user = match (actor, checked.user_id) {
        (Some(actor), _) => Some(actor),
        (None, Some(user_id)) => users::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .and_then(|u| u.shared_user_id),
        (None, None) => None,
    };
    let row = audit_logs::ActiveModel {
        organization_id: Set(checked.organization_id),
        user_id: Set(checked.user_id),
        tool_name: Set(checked.tool_name),
        action: Set(checked.action),
        resource_type: Set(checked.resource_type),
        resource_id: Set(checked.resource_id),
        input_params: Set(checked.input_params),
        output_data: Set(checked.output_data),
        success: Set(checked.success),
        error_message: Set(checked.error_message),
        duration_ms: Set(checked.duration_ms),
        ip_address: Set(checked.ip_address),
        user_agent: Set(checked.user_agent),
        ..Default::default()
    }
    .insert(db)
    .await?;
    record_shared(
        db,
        AuditEntry {
            user_id: shared_user,
            action: row.action.to_value(),
            resource_type: format!(
                "billy.{}",
                row.resource_type.as_deref().unwrap_or("audit_logs")
            ),
            resource_id: row
                .resource_id
                .clone()
                .unwrap_or_else(|| row.id.to_string()),
            metadata: json!({
                "billy_audit_log_id": row.id,
                "organization_id": row.organization_id,
                "billy_user_id": row.user_id,
                "tool_name": row.tool_name,
                "success": row.success,
                "duration_ms": row.duration_ms,
            }),
        },
    )
    .await?;
    Ok(row)
}

/// A validated [`NewAuditLog`].
struct Checked {
    organization_id: Option<Uuid>,
    user_id: Option<Uuid>,
    tool_name: String,
    action: AuditLogAction,
    resource_type: Option<String>,
    resource_id: Option<String>,
    input_params: Option<Value>,
    output_data: Option<Value>,
    success: bool,
    error_message: Option<String>,
    duration_ms: Option<i32>,
    ip_address: Option<String>,
    user_agent: Option<String>,
}

impl Checked {
    fn parse(e: NewAuditLog) -> Result<Self> {
        let mut p = Problems::new();
        let tool_name = p.text("tool_name", &e.tool_name);
        let resource_type = optional_text(&mut p, "resource_type", e.resource_type);
        let resource_id = optional_text(&mut p, "resource_id", e.resource_id);
        let duration_ms = p
            .take(
                e.duration_ms
                    .map(i32::try_from)
                    .transpose()
                    .map_err(|_| Error::invalid("duration_ms", "is too large")),
            )
            .flatten();
        let ip_address = e.ip_address.as_deref().map(|ip| p.ip("ip_address", ip));
        p.finish()?;
        Ok(Self {
            organization_id: e.organization_id,
            user_id: e.user_id,
            tool_name,
            action: e.action,
            resource_type,
            resource_id,
            input_params: e.input_params.map(redact_secrets),
            output_data: e.output_data.map(redact_secrets),
            success: e.success,
            error_message: e.error_message,
            duration_ms,
            ip_address,
            user_agent: e.user_agent,
        })
    }
}

/// `None` stays `None`; `Some` must not be blank (trimmed).
fn optional_text(p: &mut Problems, field: &str, v: Option<String>) -> Option<String> {
    let v = v?;
    let t = v.trim();
    if t.is_empty() {
        p.add(field, "must not be empty when given");
        None
    } else {
        Some(t.to_owned())
    }
}

/// Replaces the values of secret-looking object keys, at any depth.
fn redact_secrets(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        (k, Value::String("<redacted>".into()))
                    } else {
                        (k, redact_secrets(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_secrets).collect()),
        other => other,
    }
}
