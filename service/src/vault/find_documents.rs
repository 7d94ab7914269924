//! Reading documents with their embedding status (`findDocuments`, service-api.md §1).

use entity::vault::documents;
use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement};

use super::embedding_info::{EmbeddingInfo, content_hash_sql};
use crate::error::{Error, Result};
use crate::validate::{limit, opt_text};

/// Default page size of [`find_documents`].
pub const FIND_LIMIT_DEFAULT: u64 = 100;
/// Largest page size of [`find_documents`].
pub const FIND_LIMIT_MAX: u64 = 1000;

/// A document and, when it has one, its embedding (without the vector).
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentWithEmbedding {
    /// The document row.
    pub document: documents::Model,
    /// Its embedding, or `None` when it has not been embedded.
    pub embedding: Option<EmbeddingInfo>,
}

/// Filters of [`find_documents`]; absent or blank filters do not filter.
#[derive(Clone, Debug, Default)]
pub struct DocumentFilter {
    /// Only documents of this source.
    pub source: Option<String>,
    /// Only documents of this repository.
    pub repository: Option<String>,
    /// Page size: default 100, clamped to 1..=1000.
    pub limit: Option<u64>,
}

/// Documents matching `filter`, most recently updated first (then by id).
pub async fn find_documents<C: ConnectionTrait>(
    db: &C,
    filter_by: DocumentFilter,
) -> Result<Vec<DocumentWithEmbedding>> {
    let sql = format!(
        "{} WHERE ($1::text IS NULL OR d.source = $1) \
           AND ($2::text IS NULL OR d.repository = $2) \
         ORDER BY d.updated_at DESC, d.id \
         LIMIT $3",
        select_sql()
    );
    let page = i64::try_from(limit(filter_by.limit, FIND_LIMIT_DEFAULT, FIND_LIMIT_MAX))
        .map_err(|e| Error::internal(&e))?;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                opt_text(filter_by.source.as_deref()).into(),
                opt_text(filter_by.repository.as_deref()).into(),
                page.into(),
            ],
        ))
        .await?;
    rows.iter().map(from_row).collect()
}

/// The document with this id, with its embedding status.
pub async fn get_document<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<DocumentWithEmbedding> {
    let sql = format!("{} WHERE d.id = $1", select_sql());
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [id.into()],
        ))
        .await?
        .ok_or_else(|| Error::not_found("vault document"))?;
    from_row(&row)
}

/// Documents joined to their embedding's metadata (never the vector).
fn select_sql() -> String {
    format!(
        "SELECT d.id, d.source, d.repository, d.path, d.content, d.metadata, d.sha, \
                d.created_at, d.updated_at, \
                e.id AS e_id, e.document_id AS e_document_id, e.model AS e_model, \
                e.content_hash AS e_content_hash, \
                e.content_hash IS DISTINCT FROM {hash} AS e_content_changed, \
                e.created_at AS e_created_at, e.updated_at AS e_updated_at \
         FROM vault.documents d \
         LEFT JOIN vault.embeddings e ON e.document_id = d.id",
        hash = content_hash_sql("d")
    )
}

fn from_row(row: &QueryResult) -> Result<DocumentWithEmbedding> {
    Ok(DocumentWithEmbedding {
        document: documents::Model::from_query_result(row, "")?,
        embedding: EmbeddingInfo::from_row(row, "e_")?,
    })
}
