//! Right to data portability: `renos.data_export_requests` and the export document.

use entity::renos::data_export_requests::{self, DataExportRequestStatus};
use entity::renos::{
    chat_messages, chat_sessions, consent_records, data_deletion_requests, notifications,
    team_members, time_corrections, time_entries, users,
};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{
    AccessMode, IsolationLevel, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::renos::transition::Status;
use crate::renos::users::RenosUserView;
use crate::shared::audit;
use crate::validate::Problems;

/// Version of the document [`export_user_data`] builds.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// Opens an export request (status `pending`) for the user, with the user's current email.
/// An unknown user is `NotFound`; a user with an open (pending or processing) request gets
/// a conflict. Audited.
pub async fn request_data_export<C: TransactionTrait>(
    db: &C,
    user_id: &str,
) -> Result<data_export_requests::Model> {
    let txn = db.begin().await?;
    // Locking the user serialises concurrent requests of the same user.
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("user"))?;
    let open = data_export_requests::Entity::find()
        .filter(data_export_requests::Column::UserId.eq(user_id))
        .filter(data_export_requests::Column::Status.is_in([
            DataExportRequestStatus::Pending,
            DataExportRequestStatus::Processing,
        ]))
        .count(&txn)
        .await?;
    if open > 0 {
        return Err(Error::conflict(
            "the user already has an open export request",
        ));
    }
    let request = data_export_requests::ActiveModel {
        user_id: Set(user.id),
        email: Set(user.email),
        status: Set(DataExportRequestStatus::Pending),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        None,
        "request_export",
        "renos.data_export_requests",
        &request.id,
        json!({ "renos_user_id": request.user_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(request)
}

/// Everything stored about a user, as one JSON document read from a consistent snapshot:
/// the user (without the password hash), consents, notifications, team member profile with
/// time entries, time corrections the user submitted, chat sessions with messages, and the
/// user's export and deletion requests.
pub async fn export_user_data<C: TransactionTrait>(db: &C, user_id: &str) -> Result<Value> {
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let doc = export_user_data_in(&txn, user_id).await?;
    txn.commit().await?;
    Ok(doc)
}

/// [`export_user_data`] read through `txn`, a transaction the caller opened: a consistent
/// document needs it to be REPEATABLE READ (or SERIALIZABLE), as the API's query
/// transactions are. Unknown user → [`Error::NotFound`].
pub async fn export_user_data_in<C: ConnectionTrait>(txn: &C, user_id: &str) -> Result<Value> {
    let user = users::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found("user"))?;
    let consents = consent_records::Entity::find()
        .filter(consent_records::Column::UserId.eq(user_id))
        .order_by_asc(consent_records::Column::GrantedAt)
        .order_by_asc(consent_records::Column::Id)
        .all(txn)
        .await?;
    let notifications = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .order_by_asc(notifications::Column::CreatedAt)
        .order_by_asc(notifications::Column::Id)
        .all(txn)
        .await?;
    let member = team_members::Entity::find()
        .filter(team_members::Column::UserId.eq(user_id))
        .one(txn)
        .await?;
    let entries = match &member {
        Some(m) => {
            time_entries::Entity::find()
                .filter(time_entries::Column::TeamMemberId.eq(m.id.as_str()))
                .order_by_asc(time_entries::Column::StartTime)
                .order_by_asc(time_entries::Column::Id)
                .all(txn)
                .await?
        }
        None => Vec::new(),
    };
    let corrections = time_corrections::Entity::find()
        .filter(time_corrections::Column::SubmittedBy.eq(user_id))
        .order_by_asc(time_corrections::Column::CreatedAt)
        .order_by_asc(time_corrections::Column::Id)
        .all(txn)
        .await?;
    let sessions = chat_sessions::Entity::find()
        .filter(chat_sessions::Column::UserId.eq(user_id))
        .order_by_asc(chat_sessions::Column::CreatedAt)
        .order_by_asc(chat_sessions::Column::Id)
        .all(txn)
        .await?;
    let mut chats = Vec::with_capacity(sessions.len());
    for s in sessions {
        let messages = chat_messages::Entity::find()
            .filter(chat_messages::Column::SessionId.eq(s.id.as_str()))
            .order_by_asc(chat_messages::Column::CreatedAt)
            .order_by_asc(chat_messages::Column::Id)
            .all(txn)
            .await?;
        chats.push(json!({ "session": s, "messages": messages }));
    }
    let exports = data_export_requests::Entity::find()
        .filter(data_export_requests::Column::UserId.eq(user_id))
        .order_by_asc(data_export_requests::Column::RequestDate)
        .order_by_asc(data_export_requests::Column::Id)
        .all(txn)
        .await?;
    let deletions = data_deletion_requests::Entity::find()
        .filter(data_deletion_requests::Column::UserId.eq(user_id))
        .order_by_asc(data_deletion_requests::Column::RequestDate)
        .order_by_asc(data_deletion_requests::Column::Id)
        .all(txn)
        .await?;
    Ok(json!({
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": now(),
        "user": RenosUserView::from(user),
        "consents": consents,
        "notifications": notifications,
        "team_member": member,
        "time_entries": entries,
        "time_corrections_submitted": corrections,
        "chat_sessions": chats,
        "data_export_requests": exports,
        "data_deletion_requests": deletions,
    }))
}

/// The checked states of an export request.
const STATUS: Status<data_export_requests::Entity, DataExportRequestStatus> = Status {
    entity: "data export request",
    id: data_export_requests::Column::Id,
    status: data_export_requests::Column::Status,
    of: |r| r.status,
};

/// Moves an open (pending or processing) request to `to`, setting `sets`.
async fn close<C: ConnectionTrait>(
    db: &C,
    id: &str,
    to: DataExportRequestStatus,
    url: Option<String>,
    expires_at: Option<DateTimeWithTimeZone>,
) -> Result<data_export_requests::Model> {
    STATUS
        .transition(
            db,
            id,
            &[
                DataExportRequestStatus::Pending,
                DataExportRequestStatus::Processing,
            ],
            to,
            vec![
                (data_export_requests::Column::DownloadUrl, Expr::value(url)),
                (
                    data_export_requests::Column::ExpiresAt,
                    Expr::value(expires_at),
                ),
            ],
        )
        .await
}

/// `pending → processing` (a worker picked the request up).
pub async fn start_export_processing<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<data_export_requests::Model> {
    STATUS
        .transition(
            db,
            id,
            &[DataExportRequestStatus::Pending],
            DataExportRequestStatus::Processing,
            Vec::new(),
        )
        .await
}

/// Completes an open request with the download link of the export and when it expires
/// (must be in the future). Audited (without the link).
pub async fn complete_data_export<C: TransactionTrait>(
    db: &C,
    id: &str,
    download_url: &str,
    expires_at: DateTimeWithTimeZone,
) -> Result<data_export_requests::Model> {
    let mut f = Problems::new();
    let url = f.url("download_url", download_url);
    f.check(expires_at > now(), "expires_at", "must be in the future");
    f.finish()?;
    let txn = db.begin().await?;
    let row = close(
        &txn,
        id,
        DataExportRequestStatus::Completed,
        Some(url),
        Some(expires_at),
    )
    .await?;
    audit::record_action(
        &txn,
        None,
        "complete_export",
        "renos.data_export_requests",
        &row.id,
        json!({ "renos_user_id": row.user_id, "expires_at": row.expires_at }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Marks an open request `failed` (no link). Audited.
pub async fn fail_data_export<C: TransactionTrait>(
    db: &C,
    id: &str,
) -> Result<data_export_requests::Model> {
    let txn = db.begin().await?;
    let row = close(&txn, id, DataExportRequestStatus::Failed, None, None).await?;
    audit::record_action(
        &txn,
        None,
        "fail_export",
        "renos.data_export_requests",
        &row.id,
        json!({ "renos_user_id": row.user_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The user's export requests, newest first.
pub async fn list_export_requests<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Vec<data_export_requests::Model>> {
    Ok(data_export_requests::Entity::find()
        .filter(data_export_requests::Column::UserId.eq(user_id))
        .order_by_desc(data_export_requests::Column::RequestDate)
        .order_by_desc(data_export_requests::Column::Id)
        .all(db)
        .await?)
}
