//! What callers see of a stored embedding: everything but the vector itself.

use sea_orm::QueryResult;
use sea_orm::prelude::{DateTimeWithTimeZone, Uuid};

use crate::error::Result;

/// SQL expression of the sha256 (hex) of a document's full content, as stored in
/// `vault.embeddings.content_hash`; `doc` is the documents table alias.
pub(crate) fn content_hash_sql(doc: &str) -> String {
    format!("encode(sha256(convert_to({doc}.content, 'UTF8')), 'hex')")
}

/// A document's embedding row, without the vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddingInfo {
    /// `vault.embeddings.id`.
    pub id: Uuid,
    /// The embedded document.
    pub document_id: Uuid,
    /// The embedding model that made the vector (NULL for legacy rows).
    pub model: Option<String>,
    /// sha256 (hex) of the content the vector was made from (NULL for legacy rows).
    pub content_hash: Option<String>,
    /// Whether the document's content changed since it was embedded (or the hash is unknown).
    pub content_changed: bool,
    /// When the embedding was first stored.
    pub created_at: DateTimeWithTimeZone,
    /// When the vector was last written.
    pub updated_at: DateTimeWithTimeZone,
}

impl EmbeddingInfo {
    /// Reads the columns `{prefix}id`, `{prefix}document_id`, `{prefix}model`,
    /// `{prefix}content_hash`, `{prefix}content_changed`, `{prefix}created_at`,
    /// `{prefix}updated_at`; `None` when `{prefix}id` is NULL (no embedding).
    pub(crate) fn from_row(row: &QueryResult, prefix: &str) -> Result<Option<Self>> {
        let Some(id) = row.try_get::<Option<Uuid>>(prefix, "id")? else {
            return Ok(None);
        };
        Ok(Some(Self {
            id,
            document_id: row.try_get(prefix, "document_id")?,
            model: row.try_get(prefix, "model")?,
            content_hash: row.try_get(prefix, "content_hash")?,
            content_changed: row.try_get(prefix, "content_changed")?,
            created_at: row.try_get(prefix, "created_at")?,
            updated_at: row.try_get(prefix, "updated_at")?,
        }))
    }
}
