//! `renos { createInvoiceWithLines }`: an invoice with its line items in one call through
//! `service::renos::invoices::create_invoice`, which computes every line amount, the
//! subtotal, 25 % VAT and the total in decimals (commercial rounding to øre).

use std::str::FromStr;

use async_graphql::dynamic::{Field, FieldFuture, InputObject, InputValue, Type, TypeRef};
use sea_orm::prelude::Decimal;
use serde_json::{Value as Json, json};
use service::renos::invoices::{NewInvoice, NewInvoiceLine, create_invoice};
use service::{Error, FieldError};

use super::{arg, authorize, finish, row_out, savepoint, timestamp};
use crate::graphql::errors::to_gql;
use crate::graphql::guard::Action;

const INVOICES: &str = "renos.invoices";
const INPUT: &str = "RenosInvoiceWithLinesInput";
const LINE: &str = "RenosInvoiceLineInput";

pub fn types() -> Vec<Type> {
    let s = |n: &str| InputValue::new(n, TypeRef::named(TypeRef::STRING));
    let s_nn = |n: &str| InputValue::new(n, TypeRef::named_nn(TypeRef::STRING));
    vec![
        InputObject::new(LINE)
            .description(
                "An invoice line: `quantity` (> 0, usually hours) and `unitPrice` (DKK excl. \
                 VAT, ≥ 0) as exact decimal text (\"2.5\", \"349.00\").",
            )
            .field(s_nn("description"))
            .field(s_nn("quantity"))
            .field(s_nn("unitPrice"))
            .into(),
        InputObject::new(INPUT)
            .description(
                "A new draft invoice issued now; `dueDate` (ISO 8601) not before today; at \
                 least one line. `invoiceNumber` is unique.",
            )
            .field(s_nn("invoiceNumber"))
            .field(s("bookingId"))
            .field(s_nn("customerId"))
            .field(s_nn("customerName"))
            .field(s("customerEmail"))
            .field(s("customerAddress"))
            .field(s_nn("dueDate"))
            .field(s("notes"))
            .field(InputValue::new("lines", TypeRef::named_nn_list_nn(LINE)))
            .into(),
    ]
}

pub fn fields() -> Vec<Field> {
    vec![create()]
}

fn text(v: &Json, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn opt_text(v: &Json, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_owned)
}

/// The input as the service's [`NewInvoice`]; unparsable decimals and dates are listed
/// together in one `VALIDATION` error.
fn parse(v: &Json) -> async_graphql::Result<NewInvoice> {
    let mut problems = Vec::new();
    let due_date = match timestamp("input.dueDate", &text(v, "dueDate")) {
        Ok(d) => Some(d.to_utc()),
        Err(_) => {
            problems.push(FieldError::new(
                "input.dueDate",
                "must be an ISO 8601 timestamp with offset",
            ));
            None
        }
    };
    let mut decimal = |i: usize, key: &str, raw: &str| match Decimal::from_str(raw.trim()) {
        Ok(d) => d,
        Err(_) => {
            problems.push(FieldError::new(
                format!("input.lines[{i}].{key}"),
                "must be a decimal number",
            ));
            Decimal::ZERO
        }
    };
    let mut lines = Vec::new();
    for (i, l) in v["lines"].as_array().into_iter().flatten().enumerate() {
        lines.push(NewInvoiceLine {
            description: text(l, "description"),
            quantity: decimal(i, "quantity", &text(l, "quantity")),
            unit_price: decimal(i, "unitPrice", &text(l, "unitPrice")),
        });
    }
    match due_date {
        Some(due_date) if problems.is_empty() => Ok(NewInvoice {
            invoice_number: text(v, "invoiceNumber"),
            booking_id: opt_text(v, "bookingId"),
            customer_id: text(v, "customerId"),
            customer_name: text(v, "customerName"),
            customer_email: opt_text(v, "customerEmail"),
            customer_address: opt_text(v, "customerAddress"),
            due_date,
            notes: opt_text(v, "notes"),
            lines,
        }),
        _ => Err(to_gql(Error::Validation { fields: problems })),
    }
}

fn create() -> Field {
    Field::new(
        "createInvoiceWithLines",
        TypeRef::named_nn("RenosInvoice"),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let input = arg(&ctx, "input")?.as_value().clone().into_json()?;
                let new = parse(&input)?;
                let now = service::clock::now().to_utc();
                let sp = savepoint(&db).await?;
                let res = create_invoice(&sp, new, now, None).await;
                let inv = finish(sp, res, Some("input")).await?;
                row_out(&ctx, &db, INVOICES, json!(inv.invoice.id)).await
            })
        },
    )
    .description(
        "Creates a DRAFT invoice with its lines (sortOrder = position) in one step: line \
         amount = round(quantity × unitPrice), subtotal = Σ amounts, vatAmount = \
         round(subtotal × 25 %), total = subtotal + vatAmount. Select `invoiceLineItems` \
         for the lines.",
    )
    .argument(InputValue::new("input", TypeRef::named_nn(INPUT)))
}
