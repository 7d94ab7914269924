//! Invoices with line items, totals in decimals (Danish VAT 25 %), written in one
//! transaction.
//!
//! Rounding (standard commercial rounding, half away from zero, 2 decimals): each line's
//! amount = round(quantity × unit price); subtotal = Σ line amounts; VAT = round(subtotal
//! × 0.25); total = subtotal + VAT.

use chrono::{DateTime, Utc};
use entity::renos::invoice_line_items as lines;
use entity::renos::invoices::{self, InvoiceStatus};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::money::{
    MAX_AMOUNT, Totals, VAT_RATE_PERCENT, money_product, to_db, totals_from_subtotal,
};
use crate::shared::audit;
use crate::validate::{
    Problems, non_empty, non_negative_decimal, opt_email, opt_text, positive_decimal,
};

/// One line of [`NewInvoice`].
#[derive(Clone, Debug)]
pub struct NewInvoiceLine {
    pub description: String,
    /// Usually hours; `> 0`.
    pub quantity: Decimal,
    /// DKK excl. VAT; `>= 0`.
    pub unit_price: Decimal,
}

/// Input of [`create_invoice`].
#[derive(Clone, Debug)]
pub struct NewInvoice {
    /// Unique, e.g. `INV-2025-001`; a taken number is a conflict.
    pub invoice_number: String,
    pub booking_id: Option<String>,
    /// The customer's id (not a foreign key: name and email are stored on the invoice).
    pub customer_id: String,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub customer_address: Option<String>,
    /// Not before the issue date (`now`).
    pub due_date: DateTime<Utc>,
    pub notes: Option<String>,
    /// At least one line.
    pub lines: Vec<NewInvoiceLine>,
}

/// An invoice with its lines in order.
#[derive(Clone, Debug, PartialEq)]
pub struct InvoiceWithLines {
    pub invoice: invoices::Model,
    pub lines: Vec<lines::Model>,
}

/// Amount of every line and the totals, or validation errors naming `lines[i].<field>`.
pub fn invoice_totals(input: &[NewInvoiceLine]) -> Result<(Vec<Decimal>, Totals)> {
    let mut p = Problems::new();
    if input.is_empty() {
        p.add("lines", "an invoice needs at least one line");
    }
    let mut amounts = Vec::with_capacity(input.len());
    let mut subtotal = Decimal::ZERO;
    for (i, line) in input.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        p.take(non_empty(&f("description"), &line.description));
        let q = p.take(positive_decimal(&f("quantity"), line.quantity));
        let u = p.take(non_negative_decimal(&f("unit_price"), line.unit_price));
        if let (Some(q), Some(u)) = (q, u)
            && let Some(a) = p.take(money_product(&f("amount"), q, u))
        {
            amounts.push(a);
            subtotal += a;
        }
    }
    if subtotal > MAX_AMOUNT {
        p.add("lines", "the invoice total is too large");
    }
    p.finish()?;
    Ok((amounts, totals_from_subtotal(subtotal)))
}

/// Creates a `draft` invoice issued `now`, with its lines (`sort_order` = position), in
/// one transaction. `vat_rate` = 25.
pub async fn create_invoice<C: TransactionTrait>(
    db: &C,
    input: NewInvoice,
    now: DateTime<Utc>,
    actor: Option<Uuid>,
) -> Result<InvoiceWithLines> {
    let mut p = Problems::new();
    let number = p.take(non_empty("invoice_number", &input.invoice_number));
    let customer_id = p.take(non_empty("customer_id", &input.customer_id));
    let customer_name = p.take(non_empty("customer_name", &input.customer_name));
    let customer_email = p.take(opt_email("customer_email", input.customer_email));
    if input.due_date.date_naive() < now.date_naive() {
        p.add("due_date", "must not be before the issue date");
    }
    let totals = p.take(invoice_totals(&input.lines));
    p.finish()?;
    let (Some(number), Some(customer_id), Some(customer_name), Some((amounts, totals))) =
        (number, customer_id, customer_name, totals)
    else {
        return Err(Error::Internal);
    };

    let txn = db.begin().await?;
    let invoice = invoices::ActiveModel {
        invoice_number: Set(number),
        booking_id: Set(opt_text(input.booking_id)),
        customer_id: Set(customer_id),
        customer_name: Set(customer_name),
        customer_email: Set(customer_email.flatten()),
        customer_address: Set(opt_text(input.customer_address)),
        issue_date: Set(now.fixed_offset()),
        due_date: Set(input.due_date.fixed_offset()),
        status: Set(InvoiceStatus::Draft),
        subtotal: Set(to_db(totals.subtotal)),
        vat_rate: Set(to_db(VAT_RATE_PERCENT)),
        vat_amount: Set(to_db(totals.vat_amount)),
        total: Set(to_db(totals.total)),
        notes: Set(opt_text(input.notes)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut saved = Vec::with_capacity(amounts.len());
    for (i, (line, amount)) in input.lines.into_iter().zip(amounts).enumerate() {
        let row = lines::ActiveModel {
            invoice_id: Set(invoice.id.clone()),
            description: Set(line.description.trim().to_owned()),
            quantity: Set(to_db(line.quantity)),
            unit_price: Set(to_db(line.unit_price)),
            amount: Set(to_db(amount)),
            sort_order: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        saved.push(row);
    }
    audit::record_action(
        &txn,
        actor,
        "create",
        "renos.invoices",
        &invoice.id,
        json!({ "invoice_number": invoice.invoice_number, "total": invoice.total }),
    )
    .await?;
    txn.commit().await?;
    Ok(InvoiceWithLines {
        invoice,
        lines: saved,
    })
}

/// The invoice with this id and its lines.
pub async fn get_invoice<C: ConnectionTrait>(db: &C, id: &str) -> Result<InvoiceWithLines> {
    let invoice = invoices::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("invoice"))?;
    let lines = invoice
        .find_related(lines::Entity)
        .order_by_asc(lines::Column::SortOrder)
        .all(db)
        .await?;
    Ok(InvoiceWithLines { invoice, lines })
}
