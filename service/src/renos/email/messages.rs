//! `renos.email_messages`: adding a message keeps its thread's counters current.

use entity::renos::email_messages::{self, EmailMessageDirection};
use entity::renos::email_threads;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};

use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`add_message`].
#[derive(Clone, Debug)]
pub struct NewEmailMessage {
    /// Gmail's message id (unique when given).
    pub gmail_message_id: Option<String>,
    /// Gmail's thread id.
    pub gmail_thread_id: String,
    /// The `renos.email_threads` row; when `None`, the thread with `gmail_thread_id` is used
    /// if there is one.
    pub thread_id: Option<String>,
    /// Sender as it appears in the header (may include a display name).
    pub from: String,
    /// Recipients as they appear in the header.
    pub to: Vec<String>,
    pub subject: Option<String>,
    /// Body text (may be empty).
    pub body: String,
    pub body_preview: Option<String>,
    /// Defaults to `inbound`.
    pub direction: Option<EmailMessageDirection>,
    /// Forced to `true` for `ai_generated` messages.
    pub is_ai_generated: bool,
    pub ai_model: Option<String>,
    pub sent_at: DateTimeWithTimeZone,
    pub conversation_id: Option<String>,
}

/// Stores a message (status `delivered`) and, in the same transaction, increments its
/// thread's `message_count` and moves `last_message_at` forward to `sent_at` (never back).
/// A given `thread_id` must exist and belong to `gmail_thread_id`.
pub async fn add_message<C: TransactionTrait>(
    db: &C,
    input: NewEmailMessage,
) -> Result<email_messages::Model> {
    let mut f = Problems::new();
    let gmail_thread_id = f.text("gmail_thread_id", &input.gmail_thread_id);
    let from = f.text("from", &input.from);
    let to = f.texts("to", &input.to);
    f.check(
        input
            .gmail_message_id
            .as_deref()
            .is_none_or(|v| !v.trim().is_empty()),
        "gmail_message_id",
        "must not be empty",
    );
    f.finish()?;
    let direction = input.direction.unwrap_or(EmailMessageDirection::Inbound);

    let txn = db.begin().await?;
    let thread = match input.thread_id.as_deref() {
        Some(id) => {
            let t = email_threads::Entity::find_by_id(id)
                .lock_exclusive()
                .one(&txn)
                .await?
                .ok_or_else(|| Error::invalid("thread_id", "refers to no email thread"))?;
            if t.gmail_thread_id != gmail_thread_id {
                return Err(Error::invalid(
                    "thread_id",
                    "belongs to another gmail_thread_id",
                ));
            }
            Some(t)
        }
        None => {
            email_threads::Entity::find()
                .filter(email_threads::Column::GmailThreadId.eq(gmail_thread_id.as_str()))
                .lock_exclusive()
                .one(&txn)
                .await?
        }
    };
    let message = email_messages::ActiveModel {
        gmail_message_id: Set(input.gmail_message_id.map(|v| v.trim().to_owned())),
        gmail_thread_id: Set(gmail_thread_id),
        thread_id: Set(thread.as_ref().map(|t| t.id.clone())),
        from: Set(from),
        to: Set(to),
        subject: Set(opt_text(input.subject.as_deref())),
        body: Set(input.body),
        body_preview: Set(opt_text(input.body_preview.as_deref())),
        direction: Set(direction),
        status: Set("delivered".to_owned()),
        is_ai_generated: Set(
            input.is_ai_generated || direction == EmailMessageDirection::AiGenerated
        ),
        ai_model: Set(opt_text(input.ai_model.as_deref())),
        sent_at: Set(input.sent_at),
        conversation_id: Set(opt_text(input.conversation_id.as_deref())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(t) = thread {
        email_threads::Entity::update_many()
            .col_expr(
                email_threads::Column::MessageCount,
                Expr::col(email_threads::Column::MessageCount).add(1),
            )
            .col_expr(
                email_threads::Column::LastMessageAt,
                Expr::cust_with_values(r#"GREATEST("last_message_at", $1)"#, [input.sent_at]),
            )
            .filter(email_threads::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(message)
}

/// The messages of a thread, oldest first.
pub async fn list_messages<C: ConnectionTrait>(
    db: &C,
    thread_id: &str,
) -> Result<Vec<email_messages::Model>> {
    Ok(email_messages::Entity::find()
        .filter(email_messages::Column::ThreadId.eq(thread_id))
        .order_by_asc(email_messages::Column::SentAt)
        .order_by_asc(email_messages::Column::Id)
        .all(db)
        .await?)
}

/// The message with this Gmail message id.
pub async fn find_message_by_gmail_id<C: ConnectionTrait>(
    db: &C,
    gmail_message_id: &str,
) -> Result<Option<email_messages::Model>> {
    Ok(email_messages::Entity::find()
        .filter(email_messages::Column::GmailMessageId.eq(gmail_message_id.trim()))
        .limit(1)
        .one(db)
        .await?)
}
