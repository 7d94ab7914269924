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
    let mut p = Problems::default();
    let model = input
        .model
        .as_deref()
        .map(|m| p.take_or_default(bounded_text("model", m, MODEL_MAX_CHARS)));
    p.finish()?;
    let batch = i64::try_from(limit(input.limit, BACKLOG_LIMIT_DEFAULT, BACKLOG_LIMIT_MAX))
        .map_err(|e| Error::internal(&e))?;
    let sql = format!(
        "SELECT c.id, c.content, c.content_hash, c.missing, c.content_changed \
         FROM ( \
             SELECT d.id, left(d.content, $5) AS content, h.hash AS content_hash, \
                    d.updated_at, e.id IS NULL AS missing, \
                    e.content_hash IS DISTINCT FROM h.hash AS content_changed, \
                    $1::text IS NOT NULL AND e.model IS DISTINCT FROM $1 AS model_changed \
             FROM vault.documents d \
             CROSS JOIN LATERAL (SELECT {hash} AS hash) h \
             LEFT JOIN vault.embeddings e ON e.document_id = d.id \
             WHERE ($2::text IS NULL OR d.source = $2) \
               AND ($3::text IS NULL OR d.repository = $3) \
         ) c \
         WHERE c.missing OR c.content_changed OR c.model_changed \
         ORDER BY c.missing DESC, c.updated_at, c.id \
         LIMIT $4",
        hash = content_hash_sql("d")
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                model.into(),
                opt_text(input.source.as_deref()).into(),
                opt_text(input.repository.as_deref()).into(),
                batch.into(),
                EMBEDDING_INPUT_CHARS.into(),
            ],
        ))
        .await?;
    rows.iter().map(from_row).collect()
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
        content: row.try_get("", "content")?,
        content_hash: row.try_get("", "content_hash")?,
        due,
    })
}
