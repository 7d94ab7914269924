//! Sync state per (source, repository): `updateSyncStatus` and `getSyncStatus`
//! (service-api.md §1, defect 7 fixed).

use entity::vault::sync_status::{self, SyncState};
use sea_orm::prelude::Uuid;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, EntityTrait, Statement};

use super::input::{REPOSITORY_MAX_CHARS, bounded_text};
use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`update_sync_status`].
#[derive(Clone, Debug)]
pub struct SyncUpdate {
    /// Origin, e.g. `github` (trimmed, non-empty).
    pub source: String,
    /// The synced repository (trimmed, ≤ 255 chars).
    pub repository: String,
    /// The new state.
    pub status: SyncState,
    /// Why the sync failed. Not allowed with [`SyncState::Success`]; when omitted the previous
    /// message is kept (except after a success, which clears it).
    pub error_message: Option<String>,
}

/// Records the sync state of (`source`, `repository`), creating the row on first use.
///
/// - `status` is always set; `updated_at` refreshed.
/// - `last_sync_at = now` only when a sync finished (`success` or `error`); `pending` and
///   `in_progress` leave it as it was (NULL on a new row), so it always means "last
///   finished sync".
/// - `error_message`: `success` clears it (defect 7); otherwise a given message replaces it
///   and an omitted one keeps the previous message.
pub async fn update_sync_status<C: ConnectionTrait>(
    db: &C,
    input: SyncUpdate,
) -> Result<sync_status::Model> {
    let mut p = Problems::default();
    let source = p.take_or_default(bounded_text("source", &input.source, usize::MAX));
    let repository = p.take_or_default(bounded_text(
        "repository",
        &input.repository,
        REPOSITORY_MAX_CHARS,
    ));
    let error_message = match &input.error_message {
        Some(_) if input.status == SyncState::Success => {
            p.add("error_message", "must be absent when the status is success");
            None
        }
        Some(m) => Some(p.take_or_default(bounded_text("error_message", m, usize::MAX))),
        None => None,
    };
    p.finish()?;

    let finished = matches!(input.status, SyncState::Success | SyncState::Error);
    let clears_error = input.status == SyncState::Success;
    let sql = "INSERT INTO vault.sync_status AS s \
                   (id, source, repository, status, last_sync_at, error_message, \
                    created_at, updated_at) \
               VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, $6, now(), now()) \
               ON CONFLICT (source, repository) DO UPDATE SET \
                   status = EXCLUDED.status, \
                   last_sync_at = CASE WHEN $5 THEN now() ELSE s.last_sync_at END, \
                   error_message = CASE WHEN $7 THEN NULL \
                                        ELSE COALESCE(EXCLUDED.error_message, s.error_message) END, \
                   updated_at = now() \
               RETURNING s.*";
    sync_status::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                Uuid::new_v4().into(),
                source.into(),
                repository.into(),
                input.status.to_value().into(),
                finished.into(),
                error_message.into(),
                clears_error.into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(&"sync status upsert returned no row"))
}

/// Filters of [`get_sync_status`]; absent or blank filters do not filter.
#[derive(Clone, Debug, Default)]
pub struct SyncFilter {
    /// Only rows of this source.
    pub source: Option<String>,
    /// Only rows of this repository.
    pub repository: Option<String>,
}

/// Sync states matching `filter`, most recently updated first (then by id).
pub async fn get_sync_status<C: ConnectionTrait>(
    db: &C,
    filter_by: SyncFilter,
) -> Result<Vec<sync_status::Model>> {
    let sql = "SELECT * FROM vault.sync_status \
               WHERE ($1::text IS NULL OR source = $1) \
                 AND ($2::text IS NULL OR repository = $2) \
               ORDER BY updated_at DESC, id";
    Ok(sync_status::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                opt_text(filter_by.source.as_deref()).into(),
                opt_text(filter_by.repository.as_deref()).into(),
            ],
        ))
        .all(db)
        .await?)
}
