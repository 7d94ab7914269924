//! Settings that make an HNSW index scan return as many rows as a search asks for.
//!
//! An HNSW scan yields at most `hnsw.ef_search` rows (default 40), and rows removed by a
//! filter (source/repository) are not replaced. So each vector search runs in its own
//! transaction with `hnsw.ef_search` raised to the number of candidates it wants and
//! `hnsw.iterative_scan = strict_order` (pgvector ≥ 0.8), which keeps scanning until the
//! filtered `LIMIT` is met, in exact distance order.

use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, Statement, TransactionSession, TransactionTrait,
};

use crate::error::{Error, Result};

/// pgvector's default `hnsw.ef_search`.
const EF_SEARCH_MIN: u64 = 40;
/// pgvector's largest allowed `hnsw.ef_search`.
const EF_SEARCH_MAX: u64 = 1000;

/// Sets the scan settings for the rest of the current transaction (`SET LOCAL`).
pub(crate) async fn widen_for<C: ConnectionTrait>(txn: &C, candidates: u64) -> Result<()> {
    let ef = candidates.clamp(EF_SEARCH_MIN, EF_SEARCH_MAX);
    txn.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('hnsw.ef_search', $1, true), \
                set_config('hnsw.iterative_scan', 'strict_order', true)",
        [ef.to_string().into()],
    ))
    .await?;
    Ok(())
}

/// Runs the search `statement` in its own transaction (nested: a savepoint), widened for
/// `candidates` rows, and reads every row as `T`.
pub(crate) async fn search<T: FromQueryResult, C: TransactionTrait>(
    db: &C,
    statement: Statement,
    candidates: u64,
) -> Result<Vec<T>> {
    let txn = db.begin().await?;
    widen_for(&txn, candidates).await?;
    let rows = txn.query_all_raw(statement).await?;
    txn.commit().await?;
    rows.iter()
        .map(|r| T::from_query_result(r, "").map_err(Error::from))
        .collect()
}
