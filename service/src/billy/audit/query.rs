//! Reading `billy.audit_logs` of one organisation.

use chrono::{DateTime, Utc};
use entity::billy::audit_logs::{self, AuditLogAction};
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use crate::error::{Error, Result};
use crate::validate::limit;

/// Default page size of [`list_audit_logs`].
const DEFAULT_LIMIT: u64 = 100;
/// Largest page size of [`list_audit_logs`].
const MAX_LIMIT: u64 = 1000;

/// Filters of [`list_audit_logs`]; `None` means "any". Both date bounds are inclusive
/// and apply together.
#[derive(Clone, Debug, Default)]
pub struct AuditLogFilter {
    /// Only this `billy.users` id.
    pub user_id: Option<Uuid>,
    /// Only this tool.
    pub tool_name: Option<String>,
    /// Only this action.
    pub action: Option<AuditLogAction>,
    /// Only entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only entries at or before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Page size (default 100, 1..=1000).
    pub limit: Option<u64>,
}

/// The organisation's entries matching `filter`, newest first.
pub async fn list_audit_logs<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    filter: AuditLogFilter,
) -> Result<Vec<audit_logs::Model>> {
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since > until
    {
        return Err(Error::invalid("since", "must not be after until"));
    }
    let mut q =
        audit_logs::Entity::find().filter(audit_logs::Column::OrganizationId.eq(organization_id));
    if let Some(user_id) = filter.user_id {
        q = q.filter(audit_logs::Column::UserId.eq(user_id));
    }
    if let Some(tool) = filter.tool_name {
        q = q.filter(audit_logs::Column::ToolName.eq(tool.trim()));
    }
    if let Some(action) = filter.action {
        q = q.filter(audit_logs::Column::Action.eq(action));
    }
    if let Some(since) = filter.since {
        q = q.filter(audit_logs::Column::CreatedAt.gte(since.fixed_offset()));
    }
    if let Some(until) = filter.until {
        q = q.filter(audit_logs::Column::CreatedAt.lte(until.fixed_offset()));
    }
    Ok(q.order_by_desc(audit_logs::Column::CreatedAt)
        .order_by_desc(audit_logs::Column::Id)
        .limit(limit(filter.limit, DEFAULT_LIMIT, MAX_LIMIT))
        .all(db)
        .await?)
}
