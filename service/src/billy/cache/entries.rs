//! Reading, writing and invalidating one cache entry.

use chrono::TimeDelta;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::Value;
use uuid::Uuid;

use super::{CacheKind, CachedEntry};
use crate::error::{Error, Result};
use crate::validate::{Problems, non_empty};

/// Default time to live (the legacy cache manager's database tier: 60 minutes).
pub const DEFAULT_TTL: TimeDelta = TimeDelta::minutes(60);
/// Longest accepted time to live.
pub const MAX_TTL: TimeDelta = TimeDelta::days(366);

const COLUMNS: &str = "id, organization_id, billy_id, data, cached_at, expires_at";

/// The live entry for (`organization_id`, `billy_id`), or `None`. An expired entry is a
/// miss and is deleted in the same statement.
pub async fn get_cached<C: ConnectionTrait>(
    db: &C,
    kind: CacheKind,
    organization_id: Uuid,
    billy_id: &str,
) -> Result<Option<CachedEntry>> {
    let billy_id = non_empty("billy_id", billy_id)?;
    let table = kind.table();
    let sql = format!(
        "WITH expired AS (
             DELETE FROM {table}
             WHERE organization_id = $1 AND billy_id = $2 AND expires_at < now()
         )
         SELECT {COLUMNS} FROM {table}
         WHERE organization_id = $1 AND billy_id = $2 AND expires_at >= now()"
    );
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [organization_id.into(), billy_id.into()],
    );
    Ok(CachedEntry::find_by_statement(stmt).one(db).await?)
}

/// Stores `data` for (`organization_id`, `billy_id`) for `ttl` (default [`DEFAULT_TTL`];
/// must be positive and at most [`MAX_TTL`]), replacing any previous entry and
/// refreshing `cached_at`. An unknown organisation is a `Validation` error.
pub async fn set_cached<C: ConnectionTrait>(
    db: &C,
    kind: CacheKind,
    organization_id: Uuid,
    billy_id: &str,
    data: Value,
    ttl: Option<TimeDelta>,
) -> Result<CachedEntry> {
    let ttl = ttl.unwrap_or(DEFAULT_TTL);
    let mut p = Problems::new();
    let billy_id = p.text("billy_id", billy_id);
    p.check(
        ttl > TimeDelta::zero() && ttl <= MAX_TTL,
        "ttl",
        "must be positive and at most 366 days",
    );
    p.finish()?;
    let table = kind.table();
    let sql = format!(
        "INSERT INTO {table} (id, organization_id, billy_id, data, cached_at, expires_at)
         VALUES ($1, $2, $3, $4, now(), now() + $5 * interval '1 millisecond')
         ON CONFLICT (organization_id, billy_id) DO UPDATE
         SET data = EXCLUDED.data, cached_at = EXCLUDED.cached_at, expires_at = EXCLUDED.expires_at
         RETURNING {COLUMNS}"
    );
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [
            Uuid::new_v4().into(),
            organization_id.into(),
            billy_id.into(),
            data.into(),
            ttl.num_milliseconds().into(),
        ],
    );
    CachedEntry::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(&"cache upsert returned no row"))
}

/// Removes the entry for (`organization_id`, `billy_id`); `true` if there was one.
pub async fn invalidate_cached<C: ConnectionTrait>(
    db: &C,
    kind: CacheKind,
    organization_id: Uuid,
    billy_id: &str,
) -> Result<bool> {
    let billy_id = non_empty("billy_id", billy_id)?;
    let sql = format!(
        "DELETE FROM {} WHERE organization_id = $1 AND billy_id = $2",
        kind.table()
    );
    let res = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [organization_id.into(), billy_id.into()],
        ))
        .await?;
    Ok(res.rows_affected() > 0)
}
