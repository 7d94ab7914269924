//! Quotes for leads: priced in decimals (subtotal = hourly rate × hours, 25 % VAT).

use chrono::{DateTime, Utc};
use entity::renos::quotes;
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::money::{VAT_RATE_PERCENT, money_product, to_db, totals_from_subtotal};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, opt_text, positive_decimal};

/// Status of a quote (the column is free text; the service writes only these values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteStatus {
    /// Being prepared (the initial status).
    Draft,
    /// Sent to the customer.
    Sent,
    /// Accepted by the customer.
    Accepted,
    /// Declined by the customer.
    Rejected,
    /// No longer valid.
    Expired,
}

impl QuoteStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    /// Parses stored or client text (trimmed, case-insensitive).
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        match raw.trim().to_lowercase().as_str() {
            "draft" => Ok(Self::Draft),
            "sent" => Ok(Self::Sent),
            "accepted" => Ok(Self::Accepted),
            "rejected" => Ok(Self::Rejected),
            "expired" => Ok(Self::Expired),
            _ => Err(Error::invalid(
                field,
                "must be one of draft, sent, accepted, rejected, expired",
            )),
        }
    }
}

/// Input of [`create_quote`].
#[derive(Clone, Debug)]
pub struct NewQuote {
    /// An existing lead.
    pub lead_id: String,
    /// DKK per hour, `> 0`.
    pub hourly_rate: Decimal,
    /// Hours, `> 0`.
    pub estimated_hours: Decimal,
    pub notes: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Creates a `draft` quote: subtotal = round(rate × hours, 2), VAT = round(subtotal ×
/// 25 %, 2), total = subtotal + VAT; `vat_rate` = 25.
pub async fn create_quote<C: TransactionTrait>(
    db: &C,
    input: NewQuote,
    actor: Option<Uuid>,
) -> Result<quotes::Model> {
    let mut p = Problems::new();
    let lead_id = p.take(non_empty("lead_id", &input.lead_id));
    let rate = p.take(positive_decimal("hourly_rate", input.hourly_rate));
    let hours = p.take(positive_decimal("estimated_hours", input.estimated_hours));
    let subtotal = match (rate, hours) {
        (Some(r), Some(h)) => p.take(money_product("hourly_rate", r, h)),
        _ => None,
    };
    p.finish()?;
    let (Some(lead_id), Some(rate), Some(hours), Some(subtotal)) = (lead_id, rate, hours, subtotal)
    else {
        return Err(Error::Internal);
    };
    let totals = totals_from_subtotal(subtotal);
    let txn = db.begin().await?;
    let quote = quotes::ActiveModel {
        lead_id: Set(lead_id),
        hourly_rate: Set(to_db(rate)),
        estimated_hours: Set(to_db(hours)),
        subtotal: Set(to_db(totals.subtotal)),
        vat_rate: Set(to_db(VAT_RATE_PERCENT)),
        total: Set(to_db(totals.total)),
        notes: Set(opt_text(input.notes)),
        valid_until: Set(input.valid_until.map(|t| t.fixed_offset())),
        status: Set(QuoteStatus::Draft.as_str().to_owned()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "renos.quotes",
        &quote.id,
        json!({ "lead_id": quote.lead_id, "total": quote.total }),
    )
    .await?;
    txn.commit().await?;
    Ok(quote)
}

/// The quote with this id.
pub async fn get_quote<C: ConnectionTrait>(db: &C, id: &str) -> Result<quotes::Model> {
    quotes::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("quote"))
}

/// Sets the quote's status (any status may follow any other: the column has no workflow).
pub async fn update_quote_status<C: TransactionTrait>(
    db: &C,
    id: &str,
    status: QuoteStatus,
    actor: Option<Uuid>,
) -> Result<quotes::Model> {
    let txn = db.begin().await?;
    let current = get_quote(&txn, id).await?;
    let from = current.status.clone();
    let mut am = current.into_active_model();
    am.status = Set(status.as_str().to_owned());
    let quote = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "update_status",
        "renos.quotes",
        &quote.id,
        json!({ "from": from, "to": status.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(quote)
}
