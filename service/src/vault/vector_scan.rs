//! Settings that make an HNSW index scan return as many rows as a search asks for, with the
//! accuracy asked for, and the filter shared by the vector searches.
//!
//! An HNSW scan yields at most `hnsw.ef_search` rows (default 40), and rows removed by a
//! filter (source/repository/metadata) are not replaced. So each vector search runs in its
//! own transaction with `hnsw.ef_search` raised to `max(ef_search, candidates)` and
//! `hnsw.iterative_scan = strict_order` (pgvector ≥ 0.8), which keeps scanning until the
//! filtered `LIMIT` is met, in exact distance order.
//!
//! The filter is a correlated scalar subquery on `vault.documents` (see [`FILTER`]): the
//! planner can neither turn it into a join nor into a hashed subplan, so a filtered search
//! cannot become "filter the documents, then compute the distance of each and sort" — a
//! sequential read of every matching vector, which the planner prices as cheap because the
//! vectors are stored out of line (TOAST) and their reads are not costed; measured on the
//! 100k × 1536 benchmark corpus that plan (chosen for the generic plan of a prepared
//! statement) took 421 ms against 2.7 ms. The HNSW scan (iterative) checks the filter per
//! candidate by primary key instead.

use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, Statement, TransactionSession, TransactionTrait,
};

use crate::error::{Error, Result};

/// Smallest `ef_search` a search may ask for (pgvector's default).
pub const EF_SEARCH_MIN: u64 = 40;
/// Largest `ef_search` (pgvector's largest allowed value).
pub const EF_SEARCH_MAX: u64 = 1000;
/// `ef_search` when a search does not give one: recall@10 ≥ 0.95 on the 100k × 1536
/// benchmark corpus (docs/search-benchmark.md), filtered or not.
pub const EF_SEARCH_DEFAULT: u64 = 100;

/// The candidate filter on `e` (an alias of `vault.embeddings`), with `$S` (source text),
/// `$R` (repository text) and `$M` (metadata jsonb) replaced by parameter numbers; NULL
/// parameters do not filter. A scalar subquery (not `EXISTS`, which PostgreSQL turns into a
/// semi-join or a hashed subplan of every matching document) keeps the check per candidate.
pub(crate) const FILTER: &str = "\
($S::text IS NULL AND $R::text IS NULL AND $M::jsonb IS NULL) \
OR (SELECT ($S::text IS NULL OR f.source = $S) \
       AND ($R::text IS NULL OR f.repository = $R) \
       AND ($M::jsonb IS NULL OR f.metadata @> $M) \
    FROM vault.documents f WHERE f.id = e.document_id)";

/// [`FILTER`] with its parameters numbered.
pub(crate) fn filter(source: u8, repository: u8, metadata: u8) -> String {
    FILTER
        .replace("$S", &format!("${source}"))
        .replace("$R", &format!("${repository}"))
        .replace("$M", &format!("${metadata}"))
}

/// A checked `ef_search`: `default` when absent, else `EF_SEARCH_MIN..=EF_SEARCH_MAX`.
pub(crate) fn ef_search(field: &str, raw: Option<u64>, default: u64) -> Result<u64> {
    match raw {
        None => Ok(default.clamp(EF_SEARCH_MIN, EF_SEARCH_MAX)),
        Some(n) if (EF_SEARCH_MIN..=EF_SEARCH_MAX).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid(
            field,
            format!("must be between {EF_SEARCH_MIN} and {EF_SEARCH_MAX}"),
        )),
    }
}

/// A metadata filter: absent or a JSON object (`metadata @> filter`).
pub(crate) fn metadata_filter(
    field: &str,
    raw: Option<&serde_json::Value>,
) -> Result<Option<serde_json::Value>> {
    match raw {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v @ serde_json::Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(Error::invalid(field, "must be a JSON object")),
    }
}

/// The `hnsw.ef_search` a scan for `candidates` rows with accuracy `ef` uses.
pub(crate) fn effective_ef(ef: u64, candidates: u64) -> u64 {
    ef.max(candidates).clamp(EF_SEARCH_MIN, EF_SEARCH_MAX)
}

/// Sets the scan settings for the rest of the current transaction (`SET LOCAL`).
pub(crate) async fn widen_for<C: ConnectionTrait>(txn: &C, candidates: u64, ef: u64) -> Result<()> {
    txn.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('hnsw.ef_search', $1, true), \
                set_config('hnsw.iterative_scan', 'strict_order', true)",
        [effective_ef(ef, candidates).to_string().into()],
    ))
    .await?;
    Ok(())
}

/// Runs the search `statement` in its own transaction (nested: a savepoint), widened for
/// `candidates` rows with accuracy `ef`, and reads every row as `T`.
pub(crate) async fn search<T: FromQueryResult, C: TransactionTrait>(
    db: &C,
    statement: Statement,
    candidates: u64,
    ef: u64,
) -> Result<Vec<T>> {
    let txn = db.begin().await?;
    widen_for(&txn, candidates, ef).await?;
    let rows = txn.query_all_raw(statement).await?;
    txn.commit().await?;
    rows.iter()
        .map(|r| T::from_query_result(r, "").map_err(Error::from))
        .collect()
}
