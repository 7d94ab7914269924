//! Invoice status transitions and payment.
//!
//! ```text
//! draft ──► sent ──► overdue
//!   │        │          │
//!   ├────────┴──────────┴──► paid       (only through mark_invoice_paid)
//!   └────────┴──────────┴──► cancelled
//! ```
//! `paid` and `cancelled` are final.

use chrono::{DateTime, Utc};
use entity::renos::customers;
use entity::renos::invoices::{self, InvoicePaymentMethod, InvoiceStatus};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use super::customer_stats::update_customer_stats;
use crate::error::{Error, Result};
use crate::money::{round_money, to_db};
use crate::shared::audit;
use crate::validate::{opt_text, positive_decimal};

/// Whether an invoice may move from `from` to `to` (see the module docs).
pub fn can_transition(from: InvoiceStatus, to: InvoiceStatus) -> bool {
    use InvoiceStatus::{Cancelled, Draft, Overdue, Paid, Sent};
    matches!(
        (from, to),
        (Draft, Sent)
            | (Sent, Overdue)
            | (Draft | Sent | Overdue, Paid)
            | (Draft | Sent | Overdue, Cancelled)
    )
}

async fn lock_invoice<C: ConnectionTrait>(db: &C, id: &str) -> Result<invoices::Model> {
    invoices::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("invoice"))
}

fn refuse(from: InvoiceStatus, to: InvoiceStatus) -> Error {
    Error::conflict(format!(
        "an invoice cannot go from {} to {}",
        from.to_value(),
        to.to_value()
    ))
}

/// Moves the invoice to `to` (`sent` also sets `sent_at = now`). Moving to the current
/// status changes nothing; `paid` needs [`mark_invoice_paid`]; any other move not allowed
/// by [`can_transition`] is a conflict.
pub async fn set_invoice_status<C: TransactionTrait>(
    db: &C,
    id: &str,
    to: InvoiceStatus,
    now: DateTime<Utc>,
    actor: Option<Uuid>,
) -> Result<invoices::Model> {
    if to == InvoiceStatus::Paid {
        return Err(Error::invalid(
            "status",
            "use mark_invoice_paid to record a payment",
        ));
    }
    let txn = db.begin().await?;
    let invoice = lock_invoice(&txn, id).await?;
    let from = invoice.status;
    if from == to {
        return Ok(invoice);
    }
    if !can_transition(from, to) {
        return Err(refuse(from, to));
    }
    let mut am = invoice.into_active_model();
    am.status = Set(to);
    if to == InvoiceStatus::Sent {
        am.sent_at = Set(Some(now.fixed_offset()));
    }
    let invoice = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "update_status",
        "renos.invoices",
        &invoice.id,
        json!({ "from": from.to_value(), "to": to.to_value() }),
    )
    .await?;
    txn.commit().await?;
    Ok(invoice)
}

/// A payment received for an invoice.
#[derive(Clone, Debug)]
pub struct InvoicePayment {
    /// DKK, `> 0`, rounded to 2 decimals.
    pub amount: Decimal,
    pub method: InvoicePaymentMethod,
    /// Bank or MobilePay reference.
    pub reference: Option<String>,
}

/// Marks the invoice `paid` at `now` with the payment, then refreshes the totals of the
/// customer with the invoice's `customer_id` if that customer exists (revenue counts paid
/// invoices) — all in one transaction. A paid or cancelled invoice is a conflict.
pub async fn mark_invoice_paid<C: TransactionTrait>(
    db: &C,
    id: &str,
    payment: InvoicePayment,
    now: DateTime<Utc>,
    actor: Option<Uuid>,
) -> Result<invoices::Model> {
    let amount = round_money(positive_decimal("amount", payment.amount)?);
    let txn = db.begin().await?;
    let invoice = lock_invoice(&txn, id).await?;
    let from = invoice.status;
    if !can_transition(from, InvoiceStatus::Paid) {
        return Err(refuse(from, InvoiceStatus::Paid));
    }
    let mut am = invoice.into_active_model();
    am.status = Set(InvoiceStatus::Paid);
    am.paid_at = Set(Some(now.fixed_offset()));
    am.paid_amount = Set(Some(to_db(amount)));
    am.payment_method = Set(Some(payment.method));
    am.payment_ref = Set(opt_text(payment.reference));
    let invoice = am.update(&txn).await?;
    if customers::Entity::find_by_id(invoice.customer_id.clone())
        .one(&txn)
        .await?
        .is_some()
    {
        update_customer_stats(&txn, &invoice.customer_id).await?;
    }
    audit::record_action(
        &txn,
        actor,
        "mark_paid",
        "renos.invoices",
        &invoice.id,
        json!({ "from": from.to_value(), "amount": invoice.paid_amount, "method": payment.method.to_value() }),
    )
    .await?;
    txn.commit().await?;
    Ok(invoice)
}
