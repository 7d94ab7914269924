//! Semantic search: `semanticSearch` / `vault.match_documents` (service-api.md §1).

use sea_orm::prelude::{Json, Uuid};
use sea_orm::{DbBackend, FromQueryResult, Statement, TransactionTrait};

use super::embedding_vector::EmbeddingVector;
use super::input::{SIMILARITY_THRESHOLD_DEFAULT, search_limit, threshold};
use super::vector_scan;
use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`semantic_search`].
#[derive(Clone, Debug, Default)]
pub struct SemanticSearch {
    /// The query vector (computed by the caller): 1536 finite numbers, not all zero.
    pub embedding: Vec<f64>,
    /// Number of hits: default 10, 1..=100.
    pub limit: Option<u64>,
    /// Hits must have cosine similarity strictly greater than this: default 0.7, 0..=1.
    pub threshold: Option<f64>,
    /// Only documents of this source (absent or blank = any).
    pub source: Option<String>,
    /// Only documents of this repository (absent or blank = any).
    pub repository: Option<String>,
    /// Only documents whose metadata contains this JSON object (`metadata @> filter`).
    pub metadata: Option<Json>,
    /// HNSW accuracy/speed knob (`hnsw.ef_search`): 40..=1000, default
    /// [`EF_SEARCH_DEFAULT`](super::EF_SEARCH_DEFAULT); the scan is widened to at least
    /// `limit` candidates whatever it is.
    pub ef_search: Option<u64>,
}

/// One semantic search hit.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct SemanticHit {
    /// Document id.
    pub id: Uuid,
    /// Document source.
    pub source: String,
    /// Document repository.
    pub repository: String,
    /// Document path.
    pub path: String,
    /// Full document content.
    pub content: String,
    /// Document metadata.
    pub metadata: Json,
    /// Git blob SHA.
    pub sha: Option<String>,
    /// Cosine similarity `1 − (embedding <=> query)`, in −1..=1.
    pub similarity: f64,
}

/// The nearest `k` embeddings (HNSW index order, filters checked per candidate during the
/// scan, see [`vector_scan::FILTER`]), then the strict threshold: the same rows as
/// `vault.match_documents` (see migration `vault_search`), inlined so the statement the
/// planner sees is the one run here. The documents are read after the `LIMIT`, one by
/// primary key per hit (`LATERAL … OFFSET 0`, so even a generic plan, which does not know
/// `k`, cannot choose a hash join over a sequential scan of every document).
fn sql() -> String {
    format!(
        "\
SELECT d.id, d.source, d.repository, d.path, d.content, d.metadata, \
       d.sha, 1 - n.distance AS similarity \
FROM ( \
    SELECT e.document_id, e.embedding <=> $1 AS distance \
    FROM vault.embeddings e \
    WHERE {} \
    ORDER BY e.embedding <=> $1 \
    LIMIT $4 \
) n \
CROSS JOIN LATERAL ( \
    SELECT d.id, d.source, d.repository, d.path, d.content, d.metadata, d.sha \
    FROM vault.documents d WHERE d.id = n.document_id OFFSET 0 \
) d \
WHERE 1 - n.distance > $5 \
ORDER BY n.distance, d.id",
        vector_scan::filter(2, 3, 6)
    )
}

/// A checked search: the statement to run and how many candidates it scans.
struct Plan {
    statement: Statement,
    limit: u64,
    ef: u64,
}

fn plan(input: &SemanticSearch) -> Result<Plan> {
    let mut p = Problems::default();
    let vector = p.take(EmbeddingVector::parse("embedding", &input.embedding));
    let limit = p.take_or_default(search_limit("limit", input.limit));
    let threshold = p.take_or_default(threshold(
        "threshold",
        input.threshold.unwrap_or(SIMILARITY_THRESHOLD_DEFAULT),
    ));
    let metadata = p.take_or_default(vector_scan::metadata_filter(
        "metadata",
        input.metadata.as_ref(),
    ));
    let ef = p.take_or_default(vector_scan::ef_search(
        "ef_search",
        input.ef_search,
        vector_scan::EF_SEARCH_DEFAULT,
    ));
    p.finish()?;
    let vector = vector.ok_or_else(|| Error::internal(&"checked query vector missing"))?;
    let count = i64::try_from(limit).map_err(|e| Error::internal(&e))?;
    Ok(Plan {
        statement: Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql(),
            [
                vector.to_pg().into(),
                opt_text(input.source.as_deref()).into(),
                opt_text(input.repository.as_deref()).into(),
                count.into(),
                threshold.into(),
                metadata.into(),
            ],
        ),
        limit,
        ef,
    })
}

/// The statement [`semantic_search`] runs for `input` (for `EXPLAIN` and diagnostics);
/// invalid input → [`Error::Validation`].
pub fn semantic_search_statement(input: &SemanticSearch) -> Result<Statement> {
    Ok(plan(input)?.statement)
}

/// Documents whose embedding is most similar to the query vector, nearest first (then by
/// id), with similarity strictly above the threshold. Documents without an embedding are
/// never returned. Runs in its own transaction (nested: a savepoint) to tune the HNSW scan.
pub async fn semantic_search<C: TransactionTrait>(
    db: &C,
    input: SemanticSearch,
) -> Result<Vec<SemanticHit>> {
    let plan = plan(&input)?;
    vector_scan::search(db, plan.statement, plan.limit, plan.ef).await
}
