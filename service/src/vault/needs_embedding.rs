//! The embedding backlog: documents that need a (new) embedding.

use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};

use super::embedding_info::content_hash_sql;
use super::input::bounded_text;
use super::set_embedding::MODEL_MAX_CHARS;
use crate::error::{Error, Result};
use crate::validate::{Problems, limit, opt_text};

/// Embedding input is the first 8,000 characters of `content` (TekupVault).
pub const EMBEDDING_INPUT_CHARS: i32 = 8000;
/// Default batch size of [`documents_needing_embedding`] (TekupVault's batch).
pub const BACKLOG_LIMIT_DEFAULT: u64 = 100;
/// Largest batch of [`documents_needing_embedding`].
pub const BACKLOG_LIMIT_MAX: u64 = 1000;

/// Input of [`documents_needing_embedding`].
#[derive(Clone, Debug, Default)]
pub struct EmbeddingBacklog {
    /// The current embedding model: when given, embeddings made by another model (or by an
    /// unknown one) are due too.
    pub model: Option<String>,
    /// Only documents of this source (absent or blank = any).
    pub source: Option<String>,
    /// Only documents of this repository (absent or blank = any).
    pub repository: Option<String>,
    /// Batch size: default 100, clamped to 1..=1000.
    pub limit: Option<u64>,
    /// Documents to leave out (e.g. ones an embedding pass already tried in this run).
    pub exclude: Vec<Uuid>,
}

/// Why a document needs embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddingDue {
    /// It has no embedding.
    Missing,
    /// Its content changed since it was embedded (or the embedded content is unknown).
    ContentChanged,
    /// It was embedded by another model than the current one.
    ModelChanged,
}

/// A document to embed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEmbedding {
    /// Document id.
    pub document_id: Uuid,
    /// The document's source (e.g. `github`).
    pub source: String,
    /// The document's repository.
    pub repository: String,
    /// The embedding input: the first 8,000 characters of the content.
    pub content: String,
    /// sha256 (hex) of the full content: pass it back as
    /// [`NewEmbedding::expected_content_hash`](super::NewEmbedding::expected_content_hash).
    pub content_hash: String,
    /// Why it is due (content change wins over a model change).
    pub due: EmbeddingDue,
}

/// Documents without an embedding, whose content changed since embedding (stored hash
/// differs or is NULL), or — when `model` is given — embedded by another model. Missing
/// embeddings first, then the least recently updated documents, then by id.
pub async fn documents_needing_embedding<C: ConnectionTrait>(
    db: &C,
    input: EmbeddingBacklog,
) -> Result<Vec<PendingEmbedding>> {
    let batch = i64::try_from(limit(input.limit, BACKLOG_LIMIT_DEFAULT, BACKLOG_LIMIT_MAX))
        .map_err(|e| Error::internal(&e))?;
    let (due, mut values) = due_documents_sql(&input)?;
    values.push(batch.into());
    values.push(EMBEDDING_INPUT_CHARS.into());
    let sql = format!(
        "SELECT c.id, c.source, c.repository, left(c.content, $6) AS content, c.content_hash, \
                c.missing, c.content_changed \
         FROM ({due}) c \
         ORDER BY c.missing DESC, c.updated_at, c.id \
         LIMIT $5"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    rows.iter().map(from_row).collect()
}

/// The size of the embedding backlog of one (source, repository), by reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BacklogCount {
    /// Documents' source.
    pub source: String,
    /// Documents' repository.
    pub repository: String,
    /// Documents without an embedding.
    pub missing: u64,
    /// Documents whose content changed since embedding (or whose hash is unknown).
    pub content_changed: u64,
    /// Documents embedded by another model (only when `model` is given).
    pub model_changed: u64,
}

impl BacklogCount {
    /// All due documents of this (source, repository).
    pub fn total(&self) -> u64 {
        self.missing + self.content_changed + self.model_changed
    }
}

/// How many documents [`documents_needing_embedding`] would return without a limit, per
/// (source, repository), ordered by source and repository. `limit` is ignored; `exclude`,
/// `model`, `source` and `repository` apply as there.
pub async fn count_documents_needing_embedding<C: ConnectionTrait>(
    db: &C,
    input: EmbeddingBacklog,
) -> Result<Vec<BacklogCount>> {
    let (due, values) = due_documents_sql(&input)?;
    let sql = format!(
        "SELECT c.source, c.repository, \
                count(*) FILTER (WHERE c.missing) AS missing, \
                count(*) FILTER (WHERE NOT c.missing AND c.content_changed) AS content_changed, \
                count(*) FILTER (WHERE NOT c.missing AND NOT c.content_changed) AS model_changed \
         FROM ({due}) c \
         GROUP BY c.source, c.repository \
         ORDER BY c.source, c.repository"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let count = |r: &QueryResult, col: &str| -> Result<u64> {
        u64::try_from(r.try_get::<i64>("", col)?).map_err(|e| Error::internal(&e))
    };
    rows.iter()
        .map(|r| {
            Ok(BacklogCount {
                source: r.try_get("", "source")?,
                repository: r.try_get("", "repository")?,
                missing: count(r, "missing")?,
                content_changed: count(r, "content_changed")?,
                model_changed: count(r, "model_changed")?,
            })
        })
        .collect()
}

/// The due documents as a subquery (columns `id`, `source`, `repository`, `content` (full),
/// `content_hash`, `updated_at`, `missing`, `content_changed`) and its parameters `$1..=$4`
/// (model, source, repository, excluded ids), after checking `model`.
fn due_documents_sql(input: &EmbeddingBacklog) -> Result<(String, Vec<sea_orm::Value>)> {
    let mut p = Problems::default();
    let model = input
        .model
        .as_deref()
        .map(|m| p.take_or_default(bounded_text("model", m, MODEL_MAX_CHARS)));
    p.finish()?;
    let sql = format!(
        "SELECT s.* FROM ( \
             SELECT d.id, d.source, d.repository, d.content, h.hash AS content_hash, \
                    d.updated_at, e.id IS NULL AS missing, \
                    e.content_hash IS DISTINCT FROM h.hash AS content_changed, \
                    $1::text IS NOT NULL AND e.model IS DISTINCT FROM $1 AS model_changed \
             FROM vault.documents d \
             CROSS JOIN LATERAL (SELECT {hash} AS hash) h \
             LEFT JOIN vault.embeddings e ON e.document_id = d.id \
             WHERE ($2::text IS NULL OR d.source = $2) \
               AND ($3::text IS NULL OR d.repository = $3) \
               AND d.id <> ALL($4::uuid[]) \
         ) s \
         WHERE s.missing OR s.content_changed OR s.model_changed",
        hash = content_hash_sql("d")
    );
    let values = vec![
        model.into(),
        opt_text(input.source.as_deref()).into(),
        opt_text(input.repository.as_deref()).into(),
        input.exclude.clone().into(),
    ];
    Ok((sql, values))
}

fn from_row(row: &QueryResult) -> Result<PendingEmbedding> {
    let due = if row.try_get::<bool>("", "missing")? {
        EmbeddingDue::Missing
    } else if row.try_get::<bool>("", "content_changed")? {
        EmbeddingDue::ContentChanged
    } else {
        EmbeddingDue::ModelChanged
    };
    Ok(PendingEmbedding {
        document_id: row.try_get("", "id")?,
        source: row.try_get("", "source")?,
        repository: row.try_get("", "repository")?,
        content: row.try_get("", "content")?,
        content_hash: row.try_get("", "content_hash")?,
        due,
    })
}
