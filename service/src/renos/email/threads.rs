//! `renos.email_threads`: create, upsert by Gmail thread id, list with the newest messages.

use std::collections::HashMap;

use entity::renos::{customers, email_messages, email_threads};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DbBackend, QueryOrder, QuerySelect, Statement};

use crate::clock::now;
use crate::error::Result;
use crate::validate::{Problems, limit, opt_text};

/// How many messages [`list_threads`] returns per thread (newest first).
pub const MESSAGES_PER_THREAD: u64 = 5;

/// Input of [`create_thread`] and [`upsert_thread`].
#[derive(Clone, Debug, Default)]
pub struct NewEmailThread {
    /// Gmail's thread id (unique).
    pub gmail_thread_id: String,
    pub subject: String,
    pub snippet: Option<String>,
    /// Email addresses taking part; normalised to lower case.
    pub participants: Vec<String>,
    pub customer_id: Option<String>,
    /// Gmail labels.
    pub labels: Vec<String>,
}

/// A thread with its customer and its newest messages (`sent_at` descending).
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadWithMessages {
    pub thread: email_threads::Model,
    pub customer: Option<customers::Model>,
    pub messages: Vec<email_messages::Model>,
}

struct CheckedThread {
    gmail_thread_id: String,
    subject: String,
    snippet: Option<String>,
    participants: Vec<String>,
    customer_id: Option<String>,
    labels: Vec<String>,
}

fn check(input: &NewEmailThread) -> Result<CheckedThread> {
    let mut f = Problems::new();
    let checked = CheckedThread {
        gmail_thread_id: f.text("gmail_thread_id", &input.gmail_thread_id),
        subject: f.text("subject", &input.subject),
        snippet: opt_text(input.snippet.as_deref()),
        participants: f.emails("participants", &input.participants),
        customer_id: opt_text(input.customer_id.as_deref()),
        labels: f.texts("labels", &input.labels),
    };
    f.finish()?;
    Ok(checked)
}

fn active_model(t: CheckedThread) -> email_threads::ActiveModel {
    email_threads::ActiveModel {
        id: NotSet,
        gmail_thread_id: Set(t.gmail_thread_id),
        subject: Set(t.subject),
        snippet: Set(t.snippet),
        participants: Set(t.participants),
        customer_id: Set(t.customer_id),
        labels: Set(t.labels),
        last_message_at: Set(now()),
        message_count: Set(0),
        ..Default::default()
    }
}

/// Creates a thread with `last_message_at = now` and no messages. A taken
/// `gmail_thread_id` is a conflict; an unknown customer a validation error.
pub async fn create_thread<C: ConnectionTrait>(
    db: &C,
    input: NewEmailThread,
) -> Result<email_threads::Model> {
    Ok(active_model(check(&input)?).insert(db).await?)
}

/// Creates the thread, or updates subject, snippet, participants and labels of the thread
/// with the same `gmail_thread_id` (its customer only when one is given). Message count and
/// `last_message_at` of an existing thread are left to [`super::messages::add_message`].
pub async fn upsert_thread<C: ConnectionTrait>(
    db: &C,
    input: NewEmailThread,
) -> Result<email_threads::Model> {
    let mut am = active_model(check(&input)?);
    // `Entity::insert` does not run the entity behaviour: set the id here.
    am.id = Set(entity::behavior::new_cuid());
    let row = email_threads::Entity::insert(am)
        .on_conflict(
            OnConflict::column(email_threads::Column::GmailThreadId)
                .update_columns([
                    email_threads::Column::Subject,
                    email_threads::Column::Snippet,
                    email_threads::Column::Participants,
                    email_threads::Column::Labels,
                ])
                .value(
                    email_threads::Column::CustomerId,
                    Expr::cust(
                        r#"COALESCE(EXCLUDED."customer_id", "email_threads"."customer_id")"#,
                    ),
                )
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(row)
}

/// The thread with this Gmail thread id.
pub async fn find_thread_by_gmail_id<C: ConnectionTrait>(
    db: &C,
    gmail_thread_id: &str,
) -> Result<Option<email_threads::Model>> {
    Ok(email_threads::Entity::find()
        .filter(email_threads::Column::GmailThreadId.eq(gmail_thread_id.trim()))
        .one(db)
        .await?)
}

/// Threads (of one customer when `customer_id` is given), newest `last_message_at` first,
/// each with its customer and its [`MESSAGES_PER_THREAD`] newest messages. `limit`
/// defaults to 50 (at most 500).
pub async fn list_threads<C: ConnectionTrait>(
    db: &C,
    customer_id: Option<&str>,
    limit_to: Option<u64>,
) -> Result<Vec<ThreadWithMessages>> {
    let mut q = email_threads::Entity::find();
    if let Some(c) = customer_id {
        q = q.filter(email_threads::Column::CustomerId.eq(c));
    }
    let threads = q
        .order_by_desc(email_threads::Column::LastMessageAt)
        .order_by_desc(email_threads::Column::Id)
        .limit(limit(limit_to, 50, 500))
        .all(db)
        .await?;
    if threads.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = threads.iter().map(|t| t.id.clone()).collect();
    let newest = email_messages::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"SELECT * FROM (
                   SELECT m.*, row_number() OVER (
                       PARTITION BY m.thread_id ORDER BY m.sent_at DESC, m.id DESC) AS rn
                   FROM renos.email_messages m
                   WHERE m.thread_id = ANY($1)
               ) ranked
               WHERE rn <= $2
               ORDER BY thread_id, sent_at DESC, id DESC"#,
            [ids.clone().into(), (MESSAGES_PER_THREAD as i64).into()],
        ))
        .all(db)
        .await?;
    let mut by_thread: HashMap<String, Vec<email_messages::Model>> = HashMap::new();
    for m in newest {
        if let Some(t) = m.thread_id.clone() {
            by_thread.entry(t).or_default().push(m);
        }
    }
    let customer_ids: Vec<String> = threads
        .iter()
        .filter_map(|t| t.customer_id.clone())
        .collect();
    let customers: HashMap<String, customers::Model> = if customer_ids.is_empty() {
        HashMap::new()
    } else {
        customers::Entity::find()
            .filter(customers::Column::Id.is_in(customer_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect()
    };
    Ok(threads
        .into_iter()
        .map(|thread| ThreadWithMessages {
            customer: thread
                .customer_id
                .as_ref()
                .and_then(|c| customers.get(c).cloned()),
            messages: by_thread.remove(&thread.id).unwrap_or_default(),
            thread,
        })
        .collect())
}
