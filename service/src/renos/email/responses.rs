//! `renos.email_responses`: AI-drafted replies with a checked workflow
//! `pending → approved → sent`, or `pending → rejected`.

use entity::renos::email_responses::{self, EmailResponseStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use crate::error::Result;
use crate::renos::transition::Status;
use crate::validate::{Problems, limit, opt_text};

/// Input of [`create_response`].
#[derive(Clone, Debug)]
pub struct NewEmailResponse {
    pub lead_id: String,
    pub recipient_email: String,
    pub subject: String,
    pub body: String,
    pub ai_model: Option<String>,
}

/// The checked states of a response.
const STATUS: Status<email_responses::Entity, EmailResponseStatus> = Status {
    entity: "email response",
    id: email_responses::Column::Id,
    status: email_responses::Column::Status,
    of: |r| r.status,
};

/// Stores a draft with status `pending`. An unknown lead is a validation error.
pub async fn create_response<C: ConnectionTrait>(
    db: &C,
    input: NewEmailResponse,
) -> Result<email_responses::Model> {
    let mut f = Problems::new();
    let am = email_responses::ActiveModel {
        lead_id: Set(f.text("lead_id", &input.lead_id)),
        recipient_email: Set(f.email("recipient_email", &input.recipient_email)),
        subject: Set(f.text("subject", &input.subject)),
        body: Set(f.text("body", &input.body)),
        ai_model: Set(opt_text(input.ai_model.as_deref())),
        status: Set(EmailResponseStatus::Pending),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// `pending → approved`; sets `gmail_thread_id` when given (otherwise unchanged).
pub async fn approve_response<C: ConnectionTrait>(
    db: &C,
    id: &str,
    gmail_thread_id: Option<&str>,
) -> Result<email_responses::Model> {
    let mut sets = Vec::new();
    if let Some(t) = gmail_thread_id {
        let mut f = Problems::new();
        let t = f.text("gmail_thread_id", t);
        f.finish()?;
        sets.push((email_responses::Column::GmailThreadId, Expr::value(t)));
    }
    STATUS
        .transition(
            db,
            id,
            &[EmailResponseStatus::Pending],
            EmailResponseStatus::Approved,
            sets,
        )
        .await
}

/// `approved → sent`, recording `gmail_message_id` and `sent_at = now`.
pub async fn send_response<C: ConnectionTrait>(
    db: &C,
    id: &str,
    gmail_message_id: &str,
) -> Result<email_responses::Model> {
    let mut f = Problems::new();
    let message_id = f.text("gmail_message_id", gmail_message_id);
    f.finish()?;
    STATUS
        .transition(
            db,
            id,
            &[EmailResponseStatus::Approved],
            EmailResponseStatus::Sent,
            vec![
                (
                    email_responses::Column::GmailMessageId,
                    Expr::value(message_id),
                ),
                (email_responses::Column::SentAt, Expr::cust("now()")),
            ],
        )
        .await
}

/// `pending → rejected`, recording the reason when given.
pub async fn reject_response<C: ConnectionTrait>(
    db: &C,
    id: &str,
    reason: Option<&str>,
) -> Result<email_responses::Model> {
    STATUS
        .transition(
            db,
            id,
            &[EmailResponseStatus::Pending],
            EmailResponseStatus::Rejected,
            vec![(
                email_responses::Column::RejectedReason,
                Expr::value(opt_text(reason)),
            )],
        )
        .await
}

/// The response with this id.
pub async fn get_response<C: ConnectionTrait>(db: &C, id: &str) -> Result<email_responses::Model> {
    email_responses::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| crate::Error::not_found("email response"))
}

/// Responses in `status`, oldest first (a review queue); `limit` defaults to 50.
pub async fn list_responses<C: ConnectionTrait>(
    db: &C,
    status: EmailResponseStatus,
    limit_to: Option<u64>,
) -> Result<Vec<email_responses::Model>> {
    Ok(email_responses::Entity::find()
        .filter(email_responses::Column::Status.eq(status))
        .order_by_asc(email_responses::Column::CreatedAt)
        .order_by_asc(email_responses::Column::Id)
        .limit(limit(limit_to, 50, 500))
        .all(db)
        .await?)
}
