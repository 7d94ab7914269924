//! Writing documents: `createDocument` and `upsertDocument` (service-api.md §1).

use entity::vault::documents;
use sea_orm::ActiveValue::Set;
use sea_orm::prelude::{Json, Uuid};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::json;

use super::input::{REPOSITORY_MAX_CHARS, SHA_MAX_CHARS, bounded_text, no_nul, verbatim_text};
use crate::error::{Error, Result};
use crate::validate::Problems;

/// Input of [`create_document`] and [`upsert_document`].
#[derive(Clone, Debug, Default)]
pub struct NewDocument {
    /// Origin, e.g. `github` (open list; trimmed, non-empty).
    pub source: String,
    /// `owner/repo` for GitHub, `<schema>.<table>` for ingested entities (trimmed, ≤ 255 chars).
    pub repository: String,
    /// Path inside the repository (kept exactly as given; not blank).
    pub path: String,
    /// Full text (may be empty; no NUL characters).
    pub content: String,
    /// A JSON object; `None` = `{}` on insert, "leave unchanged" on upsert update.
    pub metadata: Option<Json>,
    /// Git blob SHA; `None` = NULL on insert, "leave unchanged" on upsert update.
    pub sha: Option<String>,
}

/// [`NewDocument`] after its checks.
struct CheckedDocument {
    source: String,
    repository: String,
    path: String,
    content: String,
    metadata: Option<Json>,
    sha: Option<String>,
}

impl NewDocument {
    fn check(self) -> Result<CheckedDocument> {
        let mut p = Problems::default();
        let source = p.take_or_default(bounded_text("source", &self.source, usize::MAX));
        let repository = p.take_or_default(bounded_text(
            "repository",
            &self.repository,
            REPOSITORY_MAX_CHARS,
        ));
        let path = p.take_or_default(verbatim_text("path", &self.path));
        p.take_or_default(no_nul("content", &self.content));
        if let Some(m) = &self.metadata
            && !m.is_object()
        {
            p.add("metadata", "must be a JSON object");
        }
        let sha = self
            .sha
            .as_deref()
            .map(|s| p.take_or_default(bounded_text("sha", s, SHA_MAX_CHARS)));
        p.finish()?;
        Ok(CheckedDocument {
            source,
            repository,
            path,
            content: self.content,
            metadata: self.metadata,
            sha,
        })
    }
}

/// Inserts a document; an existing (`source`, `repository`, `path`) is a
/// [`Error::Conflict`].
pub async fn create_document<C: ConnectionTrait>(
    db: &C,
    input: NewDocument,
) -> Result<documents::Model> {
    let d = input.check()?;
    let am = documents::ActiveModel {
        source: Set(d.source),
        repository: Set(d.repository),
        path: Set(d.path),
        content: Set(d.content),
        metadata: Set(d.metadata.unwrap_or_else(|| json!({}))),
        sha: Set(d.sha),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}

/// Inserts the document, or — when (`source`, `repository`, `path`) exists — updates only
/// its `content`, and `metadata`/`sha` when given (omitted = unchanged); `updated_at` is
/// refreshed either way. One statement, safe against concurrent upserts of the same key.
pub async fn upsert_document<C: ConnectionTrait>(
    db: &C,
    input: NewDocument,
) -> Result<documents::Model> {
    let d = input.check()?;
    let sql = "INSERT INTO vault.documents AS d \
                   (id, source, repository, path, content, metadata, sha, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, COALESCE($6::jsonb, '{}'::jsonb), $7, now(), now()) \
               ON CONFLICT (source, repository, path) DO UPDATE SET \
                   content = EXCLUDED.content, \
                   metadata = CASE WHEN $6::jsonb IS NULL THEN d.metadata ELSE EXCLUDED.metadata END, \
                   sha = COALESCE(EXCLUDED.sha, d.sha), \
                   updated_at = now() \
               RETURNING d.*";
    documents::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                Uuid::new_v4().into(),
                d.source.into(),
                d.repository.into(),
                d.path.into(),
                d.content.into(),
                d.metadata.into(),
                d.sha.into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(&"vault document upsert returned no row"))
}
