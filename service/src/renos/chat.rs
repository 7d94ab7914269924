//! `renos.chat_sessions` / `renos.chat_messages`: the "AI Friday" assistant chat.

use entity::renos::chat_messages::{self, ChatMessageRole};
use entity::renos::chat_sessions::{self, ChatSessionContext};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::validate::{Problems, limit, opt_text};

/// Input of [`create_session`].
#[derive(Clone, Debug)]
pub struct NewChatSession {
    /// The RenOS user id (free text in the model, no FK).
    pub user_id: String,
    pub organization_id: String,
    pub context: ChatSessionContext,
    pub title: Option<String>,
    /// Current page, selected ids, preferences (a JSON object).
    pub metadata: Option<Json>,
}

/// Input of [`add_message`].
#[derive(Clone, Debug)]
pub struct NewChatMessage {
    pub session_id: String,
    pub role: ChatMessageRole,
    pub content: String,
    /// Actions/suggestions/data returned by the AI (a JSON object).
    pub metadata: Option<Json>,
}

/// Opens a session.
pub async fn create_session<C: ConnectionTrait>(
    db: &C,
    input: NewChatSession,
) -> Result<chat_sessions::Model> {
    let mut f = Problems::new();
    if let Some(m) = &input.metadata {
        f.object("metadata", m);
    }
    let am = chat_sessions::ActiveModel {
        user_id: Set(f.text("user_id", &input.user_id)),
        organization_id: Set(f.text("organization_id", &input.organization_id)),
        context: Set(input.context),
        title: Set(opt_text(input.title.as_deref())),
        metadata: Set(input.metadata),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// Adds a message and, in the same transaction, moves the session's `updated_at` to now
/// (sessions are listed by recent activity). An unknown session is `NotFound`.
pub async fn add_message<C: TransactionTrait>(
    db: &C,
    input: NewChatMessage,
) -> Result<chat_messages::Model> {
    let mut f = Problems::new();
    let content = f.text("content", &input.content);
    if let Some(m) = &input.metadata {
        f.object("metadata", m);
    }
    f.finish()?;
    let txn = db.begin().await?;
    let touched = chat_sessions::Entity::update_many()
        .col_expr(chat_sessions::Column::UpdatedAt, Expr::value(now()))
        .filter(chat_sessions::Column::Id.eq(input.session_id.as_str()))
        .exec(&txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(Error::not_found("chat session"));
    }
    let message = chat_messages::ActiveModel {
        session_id: Set(input.session_id),
        role: Set(input.role),
        content: Set(content),
        metadata: Set(input.metadata),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(message)
}

/// The user's sessions, most recently active first; `limit` defaults to 50 (at most 500).
pub async fn list_sessions<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    limit_to: Option<u64>,
) -> Result<Vec<chat_sessions::Model>> {
    Ok(chat_sessions::Entity::find()
        .filter(chat_sessions::Column::UserId.eq(user_id))
        .order_by_desc(chat_sessions::Column::UpdatedAt)
        .order_by_desc(chat_sessions::Column::Id)
        .limit(limit(limit_to, 50, 500))
        .all(db)
        .await?)
}

/// The session's messages in conversation order (oldest first).
pub async fn list_messages<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
) -> Result<Vec<chat_messages::Model>> {
    Ok(chat_messages::Entity::find()
        .filter(chat_messages::Column::SessionId.eq(session_id))
        .order_by_asc(chat_messages::Column::CreatedAt)
        .order_by_asc(chat_messages::Column::Id)
        .all(db)
        .await?)
}
