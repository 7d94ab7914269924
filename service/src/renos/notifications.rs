//! `renos.notifications`: in-app notifications of a user.

use entity::renos::notifications;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::validate::{Problems, limit};

/// Input of [`create_notification`].
#[derive(Clone, Debug)]
pub struct NewNotification {
    pub organization_id: String,
    pub user_id: String,
    /// e.g. `job_assigned`, `job_completed`, `payment_received`.
    pub kind: String,
    pub title: String,
    pub message: String,
    /// Extra data for the client (a JSON object).
    pub data: Option<Json>,
}

/// Creates an unread notification. An unknown user is a validation error.
pub async fn create_notification<C: ConnectionTrait>(
    db: &C,
    input: NewNotification,
) -> Result<notifications::Model> {
    let mut f = Problems::new();
    if let Some(d) = &input.data {
        f.object("data", d);
    }
    let am = notifications::ActiveModel {
        organization_id: Set(f.text("organization_id", &input.organization_id)),
        user_id: Set(f.text("user_id", &input.user_id)),
        r#type: Set(f.text("kind", &input.kind)),
        title: Set(f.text("title", &input.title)),
        message: Set(f.text("message", &input.message)),
        data: Set(input.data),
        is_read: Set(false),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// Marks one of the user's notifications read (`read_at = now`; a notification already
/// read keeps its first `read_at`). Another user's notification is `NotFound`.
pub async fn mark_read<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    id: &str,
) -> Result<notifications::Model> {
    let updated = notifications::Entity::update_many()
        .col_expr(notifications::Column::IsRead, Expr::value(true))
        .col_expr(notifications::Column::ReadAt, Expr::value(now()))
        .filter(notifications::Column::Id.eq(id))
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::IsRead.eq(false))
        .exec_with_returning(db)
        .await?;
    if let Some(row) = updated.into_iter().next() {
        return Ok(row);
    }
    notifications::Entity::find_by_id(id)
        .filter(notifications::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("notification"))
}

/// Marks all of the user's unread notifications read; returns how many changed.
pub async fn mark_all_read<C: ConnectionTrait>(db: &C, user_id: &str) -> Result<u64> {
    Ok(notifications::Entity::update_many()
        .col_expr(notifications::Column::IsRead, Expr::value(true))
        .col_expr(notifications::Column::ReadAt, Expr::value(now()))
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::IsRead.eq(false))
        .exec(db)
        .await?
        .rows_affected)
}

/// The user's unread notifications, newest first; `limit` defaults to 50 (at most 500).
pub async fn list_unread<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    limit_to: Option<u64>,
) -> Result<Vec<notifications::Model>> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::IsRead.eq(false))
        .order_by_desc(notifications::Column::CreatedAt)
        .order_by_desc(notifications::Column::Id)
        .limit(limit(limit_to, 50, 500))
        .all(db)
        .await?)
}

/// How many unread notifications the user has.
pub async fn count_unread<C: ConnectionTrait>(db: &C, user_id: &str) -> Result<u64> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::IsRead.eq(false))
        .count(db)
        .await?)
}
