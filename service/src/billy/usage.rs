//! `billy.usage_metrics`: hourly call counters per (organisation, UTC date, UTC hour,
//! tool), incremented atomically by one SQL statement.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use entity::billy::usage_metrics;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, FromQueryResult, QueryOrder, Statement};

use crate::error::{Error, Result};
use crate::validate::Problems;

/// One tool invocation to count.
#[derive(Clone, Debug)]
pub struct UsageEvent {
    /// The organisation.
    pub organization_id: Uuid,
    /// The MCP tool.
    pub tool_name: String,
    /// Whether it succeeded.
    pub success: bool,
    /// How long it took, in milliseconds.
    pub duration_ms: u32,
}

/// Counts `event` in the bucket of the current UTC hour (see [`track_usage_at`]).
pub async fn track_usage<C: ConnectionTrait>(
    db: &C,
    event: UsageEvent,
) -> Result<usage_metrics::Model> {
    track_usage_at(db, event, Utc::now()).await
}

/// Counts `event` in the bucket (UTC date of `at`, UTC hour of `at`, tool) with one
/// `INSERT … ON CONFLICT DO UPDATE`: `call_count`, `success_count`/`error_count` are
/// incremented, `duration_total_ms`/`duration_count` accumulate the timed calls and
/// `avg_duration_ms = round(duration_total_ms / duration_count)` is recomputed from them, all
/// in the same statement, so concurrent calls never lose an update and the mean is exact.
/// A legacy row (average but no totals) is seeded from `avg · call_count`.
pub async fn track_usage_at<C: ConnectionTrait>(
    db: &C,
    event: UsageEvent,
    at: DateTime<Utc>,
) -> Result<usage_metrics::Model> {
    let mut p = Problems::new();
    let tool_name = p.text("tool_name", &event.tool_name);
    let duration = p.take_or_default(
        i32::try_from(event.duration_ms).map_err(|_| Error::invalid("duration_ms", "is too large")),
    );
    p.finish()?;
    let hour = i16::try_from(at.hour()).map_err(|e| Error::internal(&e))?;
    // The prior sum and count; a legacy row (an average but no totals) counts as
    // `call_count` calls of `avg_duration_ms` each. Every SET expression sees the old row.
    let sql = "INSERT INTO billy.usage_metrics AS m
             (id, organization_id, date, hour, tool_name, call_count, success_count, error_count,
              avg_duration_ms, duration_total_ms, duration_count)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8, 1)
         ON CONFLICT (organization_id, date, hour, tool_name) DO UPDATE SET
             call_count = m.call_count + 1,
             success_count = m.success_count + EXCLUDED.success_count,
             error_count = m.error_count + EXCLUDED.error_count,
             avg_duration_ms = round(
                 (CASE WHEN m.duration_count = 0 AND m.avg_duration_ms IS NOT NULL
                       THEN m.avg_duration_ms::bigint * m.call_count
                       ELSE m.duration_total_ms END + EXCLUDED.duration_total_ms)::numeric
                 / (CASE WHEN m.duration_count = 0 AND m.avg_duration_ms IS NOT NULL
                         THEN m.call_count ELSE m.duration_count END + 1)
             )::integer,
             duration_total_ms = CASE WHEN m.duration_count = 0 AND m.avg_duration_ms IS NOT NULL
                                      THEN m.avg_duration_ms::bigint * m.call_count
                                      ELSE m.duration_total_ms END + EXCLUDED.duration_total_ms,
             duration_count = CASE WHEN m.duration_count = 0 AND m.avg_duration_ms IS NOT NULL
                                   THEN m.call_count ELSE m.duration_count END + 1
         RETURNING *";
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [
            Uuid::new_v4().into(),
            event.organization_id.into(),
            at.date_naive().into(),
            hour.into(),
            tool_name.into(),
            i32::from(event.success).into(),
            i32::from(!event.success).into(),
            duration.into(),
        ],
    );
    usage_metrics::Model::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(&"usage upsert returned no row"))
}

/// The organisation's buckets with `from <= date <= to` (UTC dates), ordered by date,
/// hour, tool.
pub async fn get_usage_metrics<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<usage_metrics::Model>> {
    if from > to {
        return Err(Error::invalid("from", "must not be after to"));
    }
    Ok(usage_metrics::Entity::find()
        .filter(usage_metrics::Column::OrganizationId.eq(organization_id))
        .filter(usage_metrics::Column::Date.between(from, to))
        .order_by_asc(usage_metrics::Column::Date)
        .order_by_asc(usage_metrics::Column::Hour)
        .order_by_asc(usage_metrics::Column::ToolName)
        .all(db)
        .await?)
}
