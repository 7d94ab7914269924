//! Removing many cache entries at once: expired ones, or all of one organisation.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};

/// Rows removed per cache table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct CacheCounts {
    /// From `billy.cached_invoices`.
    pub invoices: i64,
    /// From `billy.cached_customers`.
    pub customers: i64,
    /// From `billy.cached_products`.
    pub products: i64,
}

/// Deletes every expired entry (`expires_at < now()`) from the three tables in one
/// statement, optionally only of one organisation.
pub async fn purge_expired_cache<C: ConnectionTrait>(
    db: &C,
    organization_id: Option<Uuid>,
) -> Result<CacheCounts> {
    delete_counted(
        db,
        "expires_at < now() AND ($1::uuid IS NULL OR organization_id = $1)",
        organization_id,
    )
    .await
}

/// Deletes every entry of the organisation from the three tables in one statement.
pub async fn invalidate_organization_cache<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
) -> Result<CacheCounts> {
    delete_counted(db, "organization_id = $1", Some(organization_id)).await
}

async fn delete_counted<C: ConnectionTrait>(
    db: &C,
    condition: &str,
    organization_id: Option<Uuid>,
) -> Result<CacheCounts> {
    let sql = format!(
        "WITH i AS (DELETE FROM billy.cached_invoices WHERE {condition} RETURNING 1),
              c AS (DELETE FROM billy.cached_customers WHERE {condition} RETURNING 1),
              p AS (DELETE FROM billy.cached_products WHERE {condition} RETURNING 1)
         SELECT (SELECT count(*) FROM i) AS invoices,
                (SELECT count(*) FROM c) AS customers,
                (SELECT count(*) FROM p) AS products"
    );
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [organization_id.into()]);
    CacheCounts::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(&"cache purge returned no row"))
}
