//! `billy.rate_limits`: fixed-window request counting per (organisation, endpoint).
//!
//! Windows are aligned on the Unix epoch (`floor(epoch / window) · window`, database
//! clock) and counted with one atomic upsert, so the limit is exact under concurrency.
//! **Fail closed:** if the database cannot count the request, the error is returned
//! (never an "allowed" decision without a counted row).

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::validate::Problems;

/// Longest accepted window (one day).
pub const MAX_WINDOW_SECS: u32 = 86_400;

/// A limit: at most `max_requests` per window of `window_secs` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitRule {
    /// Window length in seconds (1..=86400).
    pub window_secs: u32,
    /// Requests allowed per window (at least 1).
    pub max_requests: u32,
}

impl Default for RateLimitRule {
    /// The original helper's defaults: 100 requests per 15 minutes.
    fn default() -> Self {
        Self {
            window_secs: 15 * 60,
            max_requests: 100,
        }
    }
}

/// An admitted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RateLimitDecision {
    /// Requests still allowed in this window.
    pub remaining: u32,
    /// Start of the current window.
    pub window_start: DateTime<Utc>,
    /// Seconds until the window ends (at least 1).
    pub reset_after_secs: u64,
}

#[derive(FromQueryResult)]
struct Counted {
    request_count: i32,
    window_start: DateTime<Utc>,
    secs_left: i64,
}

/// Counts one request of `organization_id` on `endpoint` and admits it if the window's
/// count is at most `rule.max_requests`; otherwise `Error::RateLimited` with the seconds
/// until the window ends. Rejected requests are counted too.
pub async fn check_rate_limit<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    endpoint: &str,
    rule: RateLimitRule,
) -> Result<RateLimitDecision> {
    let mut p = Problems::new();
    let endpoint = p.text("endpoint", endpoint);
    p.check(
        (1..=MAX_WINDOW_SECS).contains(&rule.window_secs),
        "window_secs",
        "must be between 1 and 86400",
    );
    p.check(rule.max_requests != 0, "max_requests", "must be at least 1");
    p.finish()?;
    let sql = "INSERT INTO billy.rate_limits AS r (id, organization_id, endpoint, window_start, request_count)
         SELECT $1, $2, $3,
                to_timestamp((floor(extract(epoch FROM statement_timestamp()) / $4::bigint) * $4::bigint)::float8),
                1
         ON CONFLICT (organization_id, endpoint, window_start) DO UPDATE
         SET request_count = r.request_count + 1
         RETURNING r.request_count, r.window_start,
                   ceil(extract(epoch FROM r.window_start + $4::bigint * interval '1 second'
                                          - statement_timestamp()))::bigint AS secs_left";
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [
            Uuid::new_v4().into(),
            organization_id.into(),
            endpoint.into(),
            i64::from(rule.window_secs).into(),
        ],
    );
    let counted = Counted::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(&"rate limit upsert returned no row"))?;
    let secs_left = u64::try_from(counted.secs_left).unwrap_or(0).max(1);
    let count = u32::try_from(counted.request_count).unwrap_or(u32::MAX);
    if count <= rule.max_requests {
        Ok(RateLimitDecision {
            remaining: rule.max_requests - count,
            window_start: counted.window_start,
            reset_after_secs: secs_left,
        })
    } else {
        Err(Error::RateLimited {
            retry_after_secs: secs_left,
        })
    }
}

/// Deletes counters whose window started more than `older_than` ago (choose at least
/// the longest window in use, or live counters are reset). Returns how many were removed.
pub async fn purge_rate_limits<C: ConnectionTrait>(db: &C, older_than: TimeDelta) -> Result<u64> {
    if older_than < TimeDelta::seconds(1) {
        return Err(Error::invalid("older_than", "must be at least one second"));
    }
    let res = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM billy.rate_limits WHERE window_start < statement_timestamp() - $1::bigint * interval '1 millisecond'",
            [older_than.num_milliseconds().into()],
        ))
        .await?;
    Ok(res.rows_affected())
}
