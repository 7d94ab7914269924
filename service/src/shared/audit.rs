//! `shared.audit_logs`: the cross-application audit trail. Every schema's audited actions
//! are written here too, with `resource_type = '<schema>.<table>'`.

use entity::shared::audit_logs;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};
use serde_json::Value;

use crate::error::Result;
use crate::validate::non_empty;

/// One audited action.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// The acting `shared.users` id, when known.
    pub user_id: Option<Uuid>,
    /// What was done, e.g. `create`, `update`, `delete`, `rotate_api_key`.
    pub action: String,
    /// `<schema>.<table>` of the resource.
    pub resource_type: String,
    /// The resource's id as text.
    pub resource_id: String,
    /// Extra details (never secrets).
    pub metadata: Value,
}

/// Appends an entry to the trail.
pub async fn record<C: ConnectionTrait>(db: &C, entry: AuditEntry) -> Result<audit_logs::Model> {
    let am = audit_logs::ActiveModel {
        user_id: Set(entry.user_id),
        action: Set(non_empty("action", &entry.action)?),
        resource_type: Set(non_empty("resource_type", &entry.resource_type)?),
        resource_id: Set(non_empty("resource_id", &entry.resource_id)?),
        metadata: Set(entry.metadata),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}

/// Records `action` by `actor` on the row `id` of `resource_type` (`<schema>.<table>`,
/// e.g. `crm.deals`): the one-call form of [`record`] used by the schema modules.
/// `metadata` never holds secrets.
pub(crate) async fn record_action<C: ConnectionTrait>(
    db: &C,
    actor: Option<Uuid>,
    action: &str,
    resource_type: &str,
    id: &str,
    metadata: Value,
) -> Result<()> {
    record(
        db,
        AuditEntry {
            user_id: actor,
            action: action.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id: id.to_owned(),
            metadata,
        },
    )
    .await?;
    Ok(())
}

/// Filters of [`list`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub since: Option<DateTimeWithTimeZone>,
    pub until: Option<DateTimeWithTimeZone>,
    pub limit: Option<u64>,
}

/// Entries matching `filter`, newest first (both date bounds apply together).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: AuditFilter,
) -> Result<Vec<audit_logs::Model>> {
    let mut q = audit_logs::Entity::find();
    if let Some(u) = filter.user_id {
        q = q.filter(audit_logs::Column::UserId.eq(u));
    }
    if let Some(t) = filter.resource_type {
        q = q.filter(audit_logs::Column::ResourceType.eq(t));
    }
    if let Some(id) = filter.resource_id {
        q = q.filter(audit_logs::Column::ResourceId.eq(id));
    }
    if let Some(since) = filter.since {
        q = q.filter(audit_logs::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        q = q.filter(audit_logs::Column::CreatedAt.lte(until));
    }
    Ok(q.order_by_desc(audit_logs::Column::CreatedAt)
        .order_by_desc(audit_logs::Column::Id)
        .limit(crate::validate::limit(filter.limit, 100, 1000))
        .all(db)
        .await?)
}
