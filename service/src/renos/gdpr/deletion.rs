//! Right to erasure: `renos.data_deletion_requests` and their execution.
//!
//! Executing a request **anonymises** the user instead of deleting the row: the request
//! itself references the user with `ON DELETE CASCADE` (deleting the user would delete the
//! proof of erasure), and quality assessments, photos and time corrections reference the
//! user with `RESTRICT`. The row stays as a tombstone without personal data; purely
//! personal rows are deleted (see [`execute_due_deletions`]).

use entity::renos::data_deletion_requests::{self, DataDeletionRequestStatus};
use entity::renos::{
    chat_sessions, consent_records, data_export_requests, notifications, team_members,
    time_entries, users,
};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::renos::transition::Status;
use crate::shared::audit;
use crate::validate::{Problems, opt_text};

/// Name given to an anonymised user.
pub const ANONYMISED_NAME: &str = "Deleted user";

/// Password hash of an anonymised user: not a valid hash, so no password matches.
pub const ANONYMISED_PASSWORD_HASH: &str = "!deleted";

/// Domain of the emails of anonymised users (`.invalid` is reserved, so undeliverable).
pub const ANONYMISED_EMAIL_DOMAIN: &str = "deleted.invalid";

/// The email an anonymised user keeps (unique per user, undeliverable).
pub fn anonymised_email(user_id: &str) -> String {
    format!("deleted-{user_id}@{ANONYMISED_EMAIL_DOMAIN}")
}

/// Input of [`request_data_deletion`].
#[derive(Clone, Debug)]
pub struct NewDeletionRequest {
    pub user_id: String,
    /// When to erase; not in the past.
    pub scheduled_deletion_date: DateTimeWithTimeZone,
    pub reason: Option<String>,
}

/// Schedules the erasure of a user (status `pending`). The date must not be in the past;
/// an unknown user is `NotFound`; a user with a pending or processing request gets a
/// conflict. Audited.
pub async fn request_data_deletion<C: TransactionTrait>(
    db: &C,
    input: NewDeletionRequest,
) -> Result<data_deletion_requests::Model> {
    let mut f = Problems::new();
    // A minute of tolerance for "now" sent by a client whose clock is slightly behind.
    f.check(
        input.scheduled_deletion_date >= now() - chrono::Duration::minutes(1),
        "scheduled_deletion_date",
        "must not be in the past",
    );
    f.finish()?;
    let txn = db.begin().await?;
    let user = users::Entity::find_by_id(input.user_id.as_str())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("user"))?;
    let open = data_deletion_requests::Entity::find()
        .filter(data_deletion_requests::Column::UserId.eq(user.id.as_str()))
        .filter(data_deletion_requests::Column::Status.is_in([
            DataDeletionRequestStatus::Pending,
            DataDeletionRequestStatus::Processing,
        ]))
        .count(&txn)
        .await?;
    if open > 0 {
        return Err(Error::conflict(
            "the user already has an open deletion request",
        ));
    }
    let request = data_deletion_requests::ActiveModel {
        user_id: Set(user.id),
        email: Set(user.email),
        scheduled_deletion_date: Set(input.scheduled_deletion_date),
        status: Set(DataDeletionRequestStatus::Pending),
        reason: Set(opt_text(input.reason.as_deref())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        None,
        "request_deletion",
        "renos.data_deletion_requests",
        &request.id,
        json!({
            "renos_user_id": request.user_id,
            "scheduled_deletion_date": request.scheduled_deletion_date,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(request)
}

/// The checked states of a deletion request.
const STATUS: Status<data_deletion_requests::Entity, DataDeletionRequestStatus> = Status {
    entity: "data deletion request",
    id: data_deletion_requests::Column::Id,
    status: data_deletion_requests::Column::Status,
    of: |r| r.status,
};

/// Cancels a `pending` request; any other state is a conflict. Audited.
pub async fn cancel_data_deletion<C: TransactionTrait>(
    db: &C,
    id: &str,
) -> Result<data_deletion_requests::Model> {
    let txn = db.begin().await?;
    let row = STATUS
        .transition(
            &txn,
            id,
            &[DataDeletionRequestStatus::Pending],
            DataDeletionRequestStatus::Cancelled,
            Vec::new(),
        )
        .await?;
    audit::record_action(
        &txn,
        None,
        "cancel_deletion",
        "renos.data_deletion_requests",
        &row.id,
        json!({ "renos_user_id": row.user_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Outcome of [`execute_due_deletions`]: request ids per result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeletionRun {
    /// Requests executed and marked `completed`.
    pub completed: Vec<String>,
    /// Requests whose execution failed (rolled back and marked `failed`).
    pub failed: Vec<String>,
}

/// Executes every `pending` request scheduled at or before `now`, each in its own
/// transaction (one failure does not undo the others): the request is locked (requests
/// locked by a concurrent run are skipped), its user anonymised, the request marked
/// `completed` and the action audited.
///
/// Anonymising a user deletes the user's consents, notifications, export requests and chat
/// sessions (with their messages); replaces email (see [`anonymised_email`], also on the
/// user's deletion requests), name, phone and password hash; clears `last_login_at` and
/// the `shared.users` link; deactivates the user and the team member profile; and clears
/// the GPS location and notes of the user's time entries. Work records (team member, time
/// entries and corrections, quality assessments, photos) stay, pointing at the tombstone.
pub async fn execute_due_deletions<C: TransactionTrait>(
    db: &C,
    now: DateTimeWithTimeZone,
) -> Result<DeletionRun> {
    let due: Vec<String> = {
        let txn = db.begin().await?;
        let ids = data_deletion_requests::Entity::find()
            .filter(data_deletion_requests::Column::Status.eq(DataDeletionRequestStatus::Pending))
            .filter(data_deletion_requests::Column::ScheduledDeletionDate.lte(now))
            .order_by_asc(data_deletion_requests::Column::ScheduledDeletionDate)
            .order_by_asc(data_deletion_requests::Column::Id)
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        txn.commit().await?;
        ids
    };
    let mut run = DeletionRun::default();
    for id in due {
        match execute_one(db, &id, now).await {
            Ok(true) => run.completed.push(id),
            Ok(false) => {}
            Err(e) => {
                tracing::error!(request_id = %id, error = %e, "data deletion failed");
                mark_failed(db, &id).await?;
                run.failed.push(id);
            }
        }
    }
    Ok(run)
}

/// Executes one request; `Ok(false)` when it is no longer pending and due, or locked by a
/// concurrent run.
async fn execute_one<C: TransactionTrait>(
    db: &C,
    id: &str,
    now: DateTimeWithTimeZone,
) -> Result<bool> {
    let txn = db.begin().await?;
    let Some(request) = data_deletion_requests::Entity::find_by_id(id)
        .filter(data_deletion_requests::Column::Status.eq(DataDeletionRequestStatus::Pending))
        .filter(data_deletion_requests::Column::ScheduledDeletionDate.lte(now))
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let erased = anonymise_user(&txn, &request.user_id).await?;
    data_deletion_requests::Entity::update_many()
        .col_expr(
            data_deletion_requests::Column::Status,
            Expr::value(DataDeletionRequestStatus::Completed),
        )
        .filter(data_deletion_requests::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record_action(
        &txn,
        None,
        "execute_deletion",
        "renos.data_deletion_requests",
        id,
        json!({ "renos_user_id": request.user_id, "deleted_rows": erased }),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn mark_failed<C: TransactionTrait>(db: &C, id: &str) -> Result<()> {
    let txn = db.begin().await?;
    data_deletion_requests::Entity::update_many()
        .col_expr(
            data_deletion_requests::Column::Status,
            Expr::value(DataDeletionRequestStatus::Failed),
        )
        .filter(data_deletion_requests::Column::Id.eq(id))
        .filter(data_deletion_requests::Column::Status.eq(DataDeletionRequestStatus::Pending))
        .exec(&txn)
        .await?;
    audit::record_action(
        &txn,
        None,
        "fail_deletion",
        "renos.data_deletion_requests",
        id,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Anonymises the user inside the caller's transaction; returns the number of deleted
/// personal rows per table.
async fn anonymise_user<C: ConnectionTrait>(txn: &C, user_id: &str) -> Result<serde_json::Value> {
    let user = users::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found("user"))?;
    let consents = consent_records::Entity::delete_many()
        .filter(consent_records::Column::UserId.eq(user_id))
        .exec(txn)
        .await?
        .rows_affected;
    let notifications = notifications::Entity::delete_many()
        .filter(notifications::Column::UserId.eq(user_id))
        .exec(txn)
        .await?
        .rows_affected;
    let exports = data_export_requests::Entity::delete_many()
        .filter(data_export_requests::Column::UserId.eq(user_id))
        .exec(txn)
        .await?
        .rows_affected;
    let chats = chat_sessions::Entity::delete_many()
        .filter(chat_sessions::Column::UserId.eq(user_id))
        .exec(txn)
        .await?
        .rows_affected;
    let tombstone = anonymised_email(user_id);
    data_deletion_requests::Entity::update_many()
        .col_expr(
            data_deletion_requests::Column::Email,
            Expr::value(tombstone.clone()),
        )
        .filter(data_deletion_requests::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    if let Some(member) = team_members::Entity::find()
        .filter(team_members::Column::UserId.eq(user_id))
        .one(txn)
        .await?
    {
        team_members::Entity::update_many()
            .col_expr(team_members::Column::IsActive, Expr::value(false))
            .filter(team_members::Column::Id.eq(member.id.as_str()))
            .exec(txn)
            .await?;
        time_entries::Entity::update_many()
            .col_expr(
                time_entries::Column::Location,
                Expr::value(Option::<Json>::None),
            )
            .col_expr(
                time_entries::Column::Notes,
                Expr::value(Option::<String>::None),
            )
            .filter(time_entries::Column::TeamMemberId.eq(member.id))
            .exec(txn)
            .await?;
    }
    let mut am: users::ActiveModel = user.into();
    am.email = Set(tombstone);
    am.name = Set(ANONYMISED_NAME.to_owned());
    am.phone = Set(None);
    am.password_hash = Set(ANONYMISED_PASSWORD_HASH.to_owned());
    am.is_active = Set(false);
    am.last_login_at = Set(None);
    am.shared_user_id = Set(None);
    am.update(txn).await?;
    Ok(json!({
        "consent_records": consents,
        "notifications": notifications,
        "data_export_requests": exports,
        "chat_sessions": chats,
    }))
}

/// The user's deletion requests, newest first.
pub async fn list_deletion_requests<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Vec<data_deletion_requests::Model>> {
    Ok(data_deletion_requests::Entity::find()
        .filter(data_deletion_requests::Column::UserId.eq(user_id))
        .order_by_desc(data_deletion_requests::Column::RequestDate)
        .order_by_desc(data_deletion_requests::Column::Id)
        .all(db)
        .await?)
}
