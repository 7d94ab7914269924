//! Running a built statement (prepared, with its bound values) and reading its columns.

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use serde_json::Value as Json;

use super::sql::Built;
use crate::Result;

/// Runs `built` as one prepared statement on `db` (a pool or the request's transaction).
pub async fn query<C: ConnectionTrait>(db: &C, built: &Built) -> Result<Vec<QueryResult>> {
    tracing::debug!(sql = %built.sql, params = built.values.len(), "read engine statement");
    let stmt =
        Statement::from_sql_and_values(DbBackend::Postgres, &built.sql, built.values.clone());
    Ok(db.query_all_raw(stmt).await?)
}

/// The `jsonb` column `col` of `row`.
pub fn json(row: &QueryResult, col: &str) -> Result<Option<Json>> {
    Ok(row.try_get::<Option<Json>>("", col)?)
}

/// The `bigint` column `col` of `row`.
pub fn int(row: &QueryResult, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>>("", col)?)
}

/// The `text` column `col` of `row`.
pub fn text(row: &QueryResult, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>>("", col)?)
}
