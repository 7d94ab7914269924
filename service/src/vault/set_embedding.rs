//! Storing a document's embedding (`createEmbedding`, service-api.md §1, defect 6 fixed).

use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::embedding_info::{EmbeddingInfo, content_hash_sql};
use super::embedding_vector::EmbeddingVector;
use super::input::bounded_text;
use crate::error::{Error, Result};
use crate::validate::Problems;

/// Longest embedding model name.
pub const MODEL_MAX_CHARS: usize = 200;

/// Input of [`set_embedding`].
#[derive(Clone, Debug, Default)]
pub struct NewEmbedding {
    /// The embedded document.
    pub document_id: Uuid,
    /// Exactly 1536 finite numbers, not all zero.
    pub embedding: Vec<f64>,
    /// The embedding model that made the vector, e.g. `text-embedding-3-small`.
    pub model: String,
    /// Optional guard: the `content_hash` of the content that was embedded (as returned by
    /// [`documents_needing_embedding`](super::documents_needing_embedding)). When given and
    /// the document's content has changed since, nothing is written and the result is
    /// [`Error::Conflict`], so a vector of old content is never recorded as current.
    pub expected_content_hash: Option<String>,
}

/// Inserts or replaces (by `document_id`) the document's embedding, recording the model and
/// the sha256 of the document's current content (computed in SQL from the row). A
/// replacement refreshes `updated_at`; `id` and `created_at` are kept. Unknown document →
/// [`Error::NotFound`]; invalid input → [`Error::Validation`] with nothing written.
pub async fn set_embedding<C: ConnectionTrait>(
    db: &C,
    input: NewEmbedding,
) -> Result<EmbeddingInfo> {
    let mut p = Problems::default();
    let vector = p.take(EmbeddingVector::parse("embedding", &input.embedding));
    let model = p.take_or_default(bounded_text("model", &input.model, MODEL_MAX_CHARS));
    let expected = input.expected_content_hash.as_deref().map(|h| {
        p.take_or_default(bounded_text("expected_content_hash", h, 64))
            .to_ascii_lowercase()
    });
    p.finish()?;
    let vector = vector.ok_or_else(|| Error::internal(&"checked embedding missing"))?;

    let hash = content_hash_sql("d");
    let sql = format!(
        "INSERT INTO vault.embeddings AS e \
             (id, document_id, embedding, content_hash, model, created_at, updated_at) \
         SELECT $1, d.id, $3, {hash}, $4, now(), now() \
         FROM vault.documents d \
         WHERE d.id = $2 AND ($5::text IS NULL OR {hash} = $5) \
         ON CONFLICT (document_id) DO UPDATE SET \
             embedding = EXCLUDED.embedding, \
             content_hash = EXCLUDED.content_hash, \
             model = EXCLUDED.model, \
             updated_at = now() \
         RETURNING e.id, e.document_id, e.model, e.content_hash, false AS content_changed, \
                   e.created_at, e.updated_at"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                Uuid::new_v4().into(),
                input.document_id.into(),
                vector.to_pg().into(),
                model.into(),
                expected.clone().into(),
            ],
        ))
        .await?;
    if let Some(info) = row
        .as_ref()
        .map(|r| EmbeddingInfo::from_row(r, ""))
        .transpose()?
        .flatten()
    {
        return Ok(info);
    }
    // Nothing written: the document is missing, or its content no longer matches the guard.
    if expected.is_some() && document_exists(db, input.document_id).await? {
        return Err(Error::conflict(
            "the document's content changed since it was embedded",
        ));
    }
    Err(Error::not_found("vault document"))
}

async fn document_exists<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT EXISTS (SELECT 1 FROM vault.documents WHERE id = $1) AS found",
            [id.into()],
        ))
        .await?;
    match row {
        Some(r) => Ok(r.try_get("", "found")?),
        None => Ok(false),
    }
}
