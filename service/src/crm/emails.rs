//! Tracked CRM emails: logging one and recording that it was opened.

use chrono::Utc;
use entity::crm::emails::{self, EmailDirection, EmailStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use crate::error::{Error, Result};
use crate::validate::{Email, Problems, non_empty, opt_text};

/// Input of [`log_email`].
#[derive(Clone, Debug)]
pub struct NewEmail {
    pub subject: String,
    pub body: String,
    /// Sender address.
    pub from: String,
    /// Recipient addresses; at least one.
    pub to: Vec<String>,
    pub direction: EmailDirection,
    /// An existing `crm.contacts` id.
    pub contact_id: Option<String>,
    /// Default `sent`.
    pub status: Option<EmailStatus>,
}

/// Records an email. Addresses are stored trimmed and lower-cased; `sent_at = now` only for
/// outbound mail.
pub async fn log_email<C: ConnectionTrait>(db: &C, input: NewEmail) -> Result<emails::Model> {
    let mut p = Problems::new();
    let subject = p.take(non_empty("subject", &input.subject));
    let from = p.take(Email::parse("from", &input.from));
    if input.to.is_empty() {
        p.add("to", "must name at least one recipient");
    }
    let to: Vec<String> = input
        .to
        .iter()
        .filter_map(|a| p.take(Email::parse("to", a)).map(Email::into_string))
        .collect();
    p.finish()?;
    let am = emails::ActiveModel {
        subject: Set(subject.unwrap_or_default()),
        body: Set(input.body),
        from: Set(from.map(Email::into_string).unwrap_or_default()),
        to: Set(to),
        cc: Set(Vec::new()),
        bcc: Set(Vec::new()),
        direction: Set(input.direction),
        status: Set(input.status.unwrap_or(EmailStatus::Sent)),
        contact_id: Set(opt_text(input.contact_id)),
        sent_at: Set(
            (input.direction == EmailDirection::Outbound).then(|| Utc::now().fixed_offset())
        ),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}

/// Records that the email was opened: status `opened` (an email already `clicked` stays
/// `clicked`), `opened_at` = the first time it was opened (later calls keep it).
pub async fn mark_email_opened<C: ConnectionTrait>(
    db: &C,
    email_id: &str,
) -> Result<emails::Model> {
    let now = Utc::now().fixed_offset();
    emails::Entity::update_many()
        .col_expr(
            emails::Column::Status,
            Expr::cust_with_values(
                "CASE WHEN \"status\" = $1 THEN \"status\" ELSE $2 END",
                [
                    EmailStatus::Clicked.to_value(),
                    EmailStatus::Opened.to_value(),
                ],
            ),
        )
        .col_expr(
            emails::Column::OpenedAt,
            Expr::cust_with_values("COALESCE(\"opened_at\", $1)", [now]),
        )
        .filter(emails::Column::Id.eq(email_id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("email"))
}
