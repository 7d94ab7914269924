//! `renos.security_events` (failed logins and the like) and `renos.audit_logs` (entity
//! changes of the RenOS backend, mirrored to `shared.audit_logs`).

use entity::renos::audit_logs;
use entity::renos::security_events::{self, SecurityEventSeverity};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Order;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::shared::audit::{self, AuditEntry};
use crate::validate::{Problems, limit, opt_text};

/// Input of [`record_security_event`].
#[derive(Clone, Debug)]
pub struct NewSecurityEvent {
    pub organization_id: String,
    pub user_id: Option<String>,
    /// e.g. `failed_login`, `password_reset`.
    pub event_type: String,
    pub severity: SecurityEventSeverity,
    pub description: String,
    /// A JSON object.
    pub metadata: Option<Json>,
    /// The client's IP address (v4 or v6).
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Records an unresolved event.
pub async fn record_security_event<C: ConnectionTrait>(
    db: &C,
    input: NewSecurityEvent,
) -> Result<security_events::Model> {
    let mut f = Problems::new();
    if let Some(m) = &input.metadata {
        f.object("metadata", m);
    }
    let ip = opt_text(input.ip_address.as_deref()).map(|ip| f.ip("ip_address", &ip));
    let am = security_events::ActiveModel {
        organization_id: Set(f.text("organization_id", &input.organization_id)),
        user_id: Set(opt_text(input.user_id.as_deref())),
        event_type: Set(f.text("event_type", &input.event_type)),
        severity: Set(input.severity),
        description: Set(f.text("description", &input.description)),
        metadata: Set(input.metadata),
        ip_address: Set(ip),
        user_agent: Set(opt_text(input.user_agent.as_deref())),
        resolved: Set(false),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// Resolves an event (`resolved_at = now`); one already resolved is a conflict.
pub async fn resolve_security_event<C: ConnectionTrait>(
    db: &C,
    id: &str,
    resolved_by: &str,
) -> Result<security_events::Model> {
    let mut f = Problems::new();
    let by = f.text("resolved_by", resolved_by);
    f.finish()?;
    let updated = security_events::Entity::update_many()
        .col_expr(security_events::Column::Resolved, Expr::value(true))
        .col_expr(security_events::Column::ResolvedAt, Expr::value(now()))
        .col_expr(security_events::Column::ResolvedBy, Expr::value(by))
        .filter(security_events::Column::Id.eq(id))
        .filter(security_events::Column::Resolved.eq(false))
        .exec_with_returning(db)
        .await?;
    match updated.into_iter().next() {
        Some(row) => Ok(row),
        None => match security_events::Entity::find_by_id(id).one(db).await? {
            None => Err(Error::not_found("security event")),
            Some(_) => Err(Error::conflict("security event is already resolved")),
        },
    }
}

/// The organisation's unresolved events, most severe first, newest first within a
/// severity; `limit` defaults to 100 (at most 1000).
pub async fn list_unresolved_security_events<C: ConnectionTrait>(
    db: &C,
    organization_id: &str,
    limit_to: Option<u64>,
) -> Result<Vec<security_events::Model>> {
    Ok(security_events::Entity::find()
        .filter(security_events::Column::OrganizationId.eq(organization_id))
        .filter(security_events::Column::Resolved.eq(false))
        .order_by(
            Expr::cust(
                "CASE \"severity\" WHEN 'critical' THEN 4 WHEN 'high' THEN 3 \
                 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END",
            ),
            Order::Desc,
        )
        .order_by_desc(security_events::Column::CreatedAt)
        .order_by_desc(security_events::Column::Id)
        .limit(limit(limit_to, 100, 1000))
        .all(db)
        .await?)
}

/// Input of [`record_change`].
#[derive(Clone, Debug)]
pub struct NewRenosAuditEntry {
    pub organization_id: String,
    /// The acting RenOS user id, when known.
    pub user_id: Option<String>,
    /// e.g. `create`, `update`, `delete`.
    pub action: String,
    /// The changed entity's table, e.g. `bookings` (stored as given; the shared trail gets
    /// `renos.<entity_type>`).
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub old_values: Option<Json>,
    pub new_values: Option<Json>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Writes a change to `renos.audit_logs` and, in the same transaction, to
/// `shared.audit_logs` (without the old/new values, which may hold personal data).
pub async fn record_change<C: TransactionTrait>(
    db: &C,
    input: NewRenosAuditEntry,
) -> Result<audit_logs::Model> {
    let mut f = Problems::new();
    let ip = opt_text(input.ip_address.as_deref()).map(|ip| f.ip("ip_address", &ip));
    let organization_id = f.text("organization_id", &input.organization_id);
    let action = f.text("action", &input.action);
    let entity_type = f.text("entity_type", &input.entity_type);
    f.finish()?;
    let entity_id = opt_text(input.entity_id.as_deref());
    let txn = db.begin().await?;
    let row = audit_logs::ActiveModel {
        organization_id: Set(organization_id),
        user_id: Set(opt_text(input.user_id.as_deref())),
        action: Set(action),
        entity_type: Set(entity_type),
        entity_id: Set(entity_id),
        old_values: Set(input.old_values),
        new_values: Set(input.new_values),
        ip_address: Set(ip),
        user_agent: Set(opt_text(input.user_agent.as_deref())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let resource_type = if row.entity_type.contains('.') {
        row.entity_type.clone()
    } else {
        format!("renos.{}", row.entity_type)
    };
    audit::record(
        &txn,
        AuditEntry {
            user_id: None,
            action: row.action.clone(),
            resource_type,
            resource_id: row.entity_id.clone().unwrap_or_else(|| row.id.clone()),
            metadata: json!({
                "renos_audit_log_id": row.id,
                "organization_id": row.organization_id,
                "renos_user_id": row.user_id,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
