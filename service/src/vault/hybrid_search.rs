//! Hybrid search: PostgreSQL full text and vector similarity, fused by reciprocal rank
//! fusion (RRF).

use sea_orm::prelude::{Json, Uuid};
use sea_orm::{DbBackend, FromQueryResult, Statement, TransactionTrait};

use super::embedding_vector::EmbeddingVector;
use super::input::{bounded_text, search_limit, threshold};
use super::vector_scan;
use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// The RRF constant `k`: a hit at rank `r` (1-based) of a list scores `1 / (k + r)`.
pub const RRF_K: i64 = 60;
/// Each ranked list contributes at most `max(limit · 4, 40)` candidates.
pub const CANDIDATES_PER_HIT: u64 = 4;
/// Lower bound of the candidates per list.
pub const CANDIDATES_MIN: u64 = 40;
/// Longest query text, in characters (the legacy search API's bound).
pub const QUERY_TEXT_MAX_CHARS: usize = 500;

/// Input of [`hybrid_search`].
#[derive(Clone, Debug, Default)]
pub struct HybridSearch {
    /// Keyword query in web-search syntax (`"phrase"`, `or`, `-not`); 1..=500 characters.
    pub text: String,
    /// The query vector of the same query: 1536 finite numbers, not all zero.
    pub embedding: Vec<f64>,
    /// Number of hits: default 10, 1..=100.
    pub limit: Option<u64>,
    /// When given (0..=1), vector candidates need cosine similarity strictly above it;
    /// default: no threshold (RRF ranks the nearest candidates whatever their similarity).
    pub threshold: Option<f64>,
    /// Only documents of this source (absent or blank = any).
    pub source: Option<String>,
    /// Only documents of this repository (absent or blank = any).
    pub repository: Option<String>,
    /// Only documents whose metadata contains this JSON object (`metadata @> filter`).
    pub metadata: Option<Json>,
    /// HNSW accuracy/speed knob of the vector list (`hnsw.ef_search`): 40..=1000, default
    /// [`EF_SEARCH_DEFAULT`](super::EF_SEARCH_DEFAULT); the scan is widened to at least the
    /// number of candidates whatever it is.
    pub ef_search: Option<u64>,
}

/// One hybrid search hit.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct HybridHit {
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
    /// `ts_rank_cd` of the keyword match, or `None` when not among the keyword candidates.
    pub keyword_score: Option<f64>,
    /// Cosine similarity, or `None` when not among the vector candidates.
    pub vector_similarity: Option<f64>,
    /// Σ `1 / (RRF_K + rank)` over the lists the document is in.
    pub fused_score: f64,
}

/// Keyword list: `vault.keyword_candidates` (migration `vault_keyword_search`, D20), which
/// reads the full-text GIN index `documents_content_fts_idx` (on exactly
/// `to_tsvector('simple'::regconfig, content)`) also under row-level security, where a
/// query of its own could not use it (`@@` is not leakproof). Vector list: same shape as semantic search
/// (nearest `N` by HNSW with the filter checked per candidate, threshold outside). Both
/// ranked 1.., fused with a full join; only the top `limit` fused ids are read from
/// `vault.documents`, each by primary key (`LATERAL … OFFSET 0`: the planner cannot turn it
/// into a hash join over the whole table).
fn sql() -> String {
    format!(
        "\
WITH keyword AS ( \
    SELECT k.id, k.score, row_number() OVER (ORDER BY k.score DESC, k.id) AS rank \
    FROM vault.keyword_candidates($1::text, $3::text, $4::text, $9::jsonb, $5::integer) k \
), vector AS ( \
    SELECT n.id, 1 - n.distance AS similarity, \
           row_number() OVER (ORDER BY n.distance, n.id) AS rank \
    FROM ( \
        SELECT e.document_id AS id, e.embedding <=> $2 AS distance \
        FROM vault.embeddings e \
        WHERE {} \
        ORDER BY e.embedding <=> $2 \
        LIMIT $5 \
    ) n \
    WHERE $6::float8 IS NULL OR 1 - n.distance > $6 \
), fused AS ( \
    SELECT COALESCE(k.id, v.id) AS id, k.score AS keyword_score, v.similarity AS vector_similarity, \
           COALESCE(1.0::float8 / ($7 + k.rank), 0) + COALESCE(1.0::float8 / ($7 + v.rank), 0) \
               AS fused_score \
    FROM keyword k FULL JOIN vector v ON v.id = k.id \
    ORDER BY fused_score DESC, id \
    LIMIT $8 \
) \
SELECT d.id, d.source, d.repository, d.path, d.content, d.metadata, d.sha, \
       f.keyword_score, f.vector_similarity, f.fused_score \
FROM fused f \
CROSS JOIN LATERAL ( \
    SELECT d.id, d.source, d.repository, d.path, d.content, d.metadata, d.sha \
    FROM vault.documents d WHERE d.id = f.id OFFSET 0 \
) d \
ORDER BY f.fused_score DESC, f.id",
        vector_scan::filter(3, 4, 9)
    )
}

struct Plan {
    statement: Statement,
    candidates: u64,
    ef: u64,
}

fn plan(input: &HybridSearch) -> Result<Plan> {
    let mut p = Problems::default();
    let text = p.take_or_default(bounded_text("text", &input.text, QUERY_TEXT_MAX_CHARS));
    let vector = p.take(EmbeddingVector::parse("embedding", &input.embedding));
    let limit = p.take_or_default(search_limit("limit", input.limit));
    let min_similarity = input
        .threshold
        .map(|t| p.take_or_default(threshold("threshold", t)));
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
    let candidates = (limit * CANDIDATES_PER_HIT).max(CANDIDATES_MIN);
    let as_i64 = |n: u64| i64::try_from(n).map_err(|e| Error::internal(&e));
    Ok(Plan {
        statement: Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql(),
            [
                text.into(),
                vector.to_pg().into(),
                opt_text(input.source.as_deref()).into(),
                opt_text(input.repository.as_deref()).into(),
                as_i64(candidates)?.into(),
                min_similarity.into(),
                RRF_K.into(),
                as_i64(limit)?.into(),
                metadata.into(),
            ],
        ),
        candidates,
        ef,
    })
}

/// The statement [`hybrid_search`] runs for `input` (for `EXPLAIN` and diagnostics);
/// invalid input → [`Error::Validation`].
pub fn hybrid_search_statement(input: &HybridSearch) -> Result<Statement> {
    Ok(plan(input)?.statement)
}

/// Documents ranked by reciprocal rank fusion of a full-text ranking (`websearch_to_tsquery`
/// with the `simple` configuration, scored by `ts_rank_cd`) and a vector ranking (cosine
/// similarity), each list taking its top `max(limit · 4, 40)` candidates. Ordered by fused
/// score descending, then id. Text without searchable words (e.g. only punctuation) gives an
/// empty keyword list, so only the vector side ranks.
pub async fn hybrid_search<C: TransactionTrait>(
    db: &C,
    input: HybridSearch,
) -> Result<Vec<HybridHit>> {
    let plan = plan(&input)?;
    vector_scan::search(db, plan.statement, plan.candidates, plan.ef).await
}
