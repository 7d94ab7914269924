//! Customers: create, find by id or by email (case-insensitive), partial update.
//! Emails are stored trimmed and lower-cased, so the unique index also catches
//! differently-cased duplicates.

use entity::renos::{bookings, cleaning_plans, customers, leads};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{IntoActiveModel, QueryOrder, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Email, Problems, non_empty, opt_email, opt_text};

/// Status of a new customer.
pub const ACTIVE: &str = "active";

/// Input of [`create_customer`].
#[derive(Clone, Debug, Default)]
pub struct NewCustomer {
    pub name: String,
    /// Unique (case-insensitively); stored trimmed and lower-cased.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub company_name: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

/// Creates an `active` customer with zero totals. A customer with the same email (in any
/// case) is a conflict.
pub async fn create_customer<C: TransactionTrait>(
    db: &C,
    input: NewCustomer,
    actor: Option<Uuid>,
) -> Result<customers::Model> {
    let mut p = Problems::new();
    let name = p.take(non_empty("name", &input.name));
    let email = p.take(opt_email("email", input.email));
    p.finish()?;
    let email = email.flatten();

    let txn = db.begin().await?;
    if let Some(e) = &email
        && find_by_email(&txn, e).await?.is_some()
    {
        return Err(Error::conflict("a customer with this email already exists"));
    }
    let customer = customers::ActiveModel {
        name: Set(name.unwrap_or_default()),
        email: Set(email),
        phone: Set(opt_text(input.phone)),
        address: Set(opt_text(input.address)),
        company_name: Set(opt_text(input.company_name)),
        notes: Set(opt_text(input.notes)),
        status: Set(ACTIVE.to_owned()),
        tags: Set(clean_tags(input.tags)),
        total_leads: Set(0),
        total_bookings: Set(0),
        total_revenue: Set(0.0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "renos.customers",
        &customer.id,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(customer)
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags.into_iter().filter_map(|t| opt_text(Some(t))) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The customer with this id.
pub async fn get_customer<C: ConnectionTrait>(db: &C, id: &str) -> Result<customers::Model> {
    customers::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("customer"))
}

/// The customer whose email equals the already normalised `email` (compared lower-cased,
/// so legacy rows with mixed case are found too).
pub(crate) async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<customers::Model>> {
    Ok(customers::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(customers::Column::Email))).eq(email))
        .order_by_asc(customers::Column::CreatedAt)
        .one(db)
        .await?)
}

/// A customer with its leads, bookings and cleaning plans.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerDetails {
    pub customer: customers::Model,
    /// Newest first.
    pub leads: Vec<leads::Model>,
    /// Latest scheduled first.
    pub bookings: Vec<bookings::Model>,
    /// Oldest first.
    pub cleaning_plans: Vec<cleaning_plans::Model>,
}

/// The customer with this email (case-insensitive, surrounding spaces ignored), with
/// leads, bookings and cleaning plans; `None` if there is none.
pub async fn find_customer_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<CustomerDetails>> {
    let email = Email::parse("email", email)?;
    let Some(customer) = find_by_email(db, email.as_str()).await? else {
        return Ok(None);
    };
    let leads = customer
        .find_related(leads::Entity)
        .order_by_desc(leads::Column::CreatedAt)
        .all(db)
        .await?;
    let bookings = customer
        .find_related(bookings::Entity)
        .order_by_desc(bookings::Column::ScheduledAt)
        .all(db)
        .await?;
    let cleaning_plans = customer
        .find_related(cleaning_plans::Entity)
        .order_by_asc(cleaning_plans::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(Some(CustomerDetails {
        customer,
        leads,
        bookings,
        cleaning_plans,
    }))
}

/// Partial update of a customer: `None` leaves a field unchanged; for nullable fields
/// `Some(None)` (or blank text) clears it. Totals are maintained by
/// [`super::customer_stats::update_customer_stats`] only.
#[derive(Clone, Debug, Default)]
pub struct CustomerUpdate {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub company_name: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// Free text, e.g. `active` / `inactive`.
    pub status: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Applies `update`. Changing the email to one another customer has is a conflict. An
/// update that changes nothing writes nothing.
pub async fn update_customer<C: TransactionTrait>(
    db: &C,
    id: &str,
    update: CustomerUpdate,
    actor: Option<Uuid>,
) -> Result<customers::Model> {
    let mut p = Problems::new();
    let name = update.name.as_deref().map(|n| p.take(non_empty("name", n)));
    let status = update
        .status
        .as_deref()
        .map(|s| p.take(non_empty("status", s)));
    let email = update.email.map(|e| p.take(opt_email("email", e)));
    p.finish()?;

    let txn = db.begin().await?;
    let current = get_customer(&txn, id).await?;
    let mut am = current.clone().into_active_model();
    let mut changed = Vec::new();
    if let Some(Some(n)) = name {
        am.name = Set(n);
        changed.push("name");
    }
    if let Some(Some(s)) = status {
        am.status = Set(s);
        changed.push("status");
    }
    if let Some(e) = email {
        let e = e.flatten();
        if let Some(addr) = &e
            && let Some(other) = find_by_email(&txn, addr).await?
            && other.id != current.id
        {
            return Err(Error::conflict("a customer with this email already exists"));
        }
        am.email = Set(e);
        changed.push("email");
    }
    let texts = [
        (update.phone, &mut am.phone, "phone"),
        (update.address, &mut am.address, "address"),
        (update.company_name, &mut am.company_name, "company_name"),
        (update.notes, &mut am.notes, "notes"),
    ];
    for (value, slot, field) in texts {
        if let Some(v) = value {
            *slot = Set(opt_text(v));
            changed.push(field);
        }
    }
    if let Some(t) = update.tags {
        am.tags = Set(clean_tags(t));
        changed.push("tags");
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let customer = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "update",
        "renos.customers",
        &customer.id,
        json!({ "fields": changed }),
    )
    .await?;
    txn.commit().await?;
    Ok(customer)
}
