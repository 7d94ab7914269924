//! Listing leads with filters, in priority order (fixes defect 4: priority high > medium >
//! low with NULLs last, then estimated value descending with NULLs last, then newest first).

use entity::renos::leads::{self, LeadPriority, LeadStatus};
use entity::renos::{bookings, customers, quotes};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, NullOrdering, Order};
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect};

use crate::error::{Error, Result};

/// Filters of [`find_leads`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    pub priority: Option<LeadPriority>,
    pub source: Option<String>,
    /// Only leads with `estimated_value >= this` (leads without a value are excluded).
    pub estimated_value_min: Option<f64>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// A lead with its customer, quotes and bookings.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadDetails {
    pub lead: leads::Model,
    pub customer: Option<customers::Model>,
    pub quotes: Vec<quotes::Model>,
    pub bookings: Vec<bookings::Model>,
}

/// SQL rank of `priority`: high 0, medium 1, low 2, NULL 3.
pub(crate) fn priority_rank() -> Expr {
    Expr::cust(
        "CASE \"priority\" WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END",
    )
}

/// Leads matching `filter`, highest priority first (see the module docs).
pub async fn find_leads<C: ConnectionTrait>(
    db: &C,
    filter: LeadFilter,
) -> Result<Vec<LeadDetails>> {
    let mut q = leads::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(leads::Column::Status.eq(s));
    }
    if let Some(p) = filter.priority {
        q = q.filter(leads::Column::Priority.eq(p));
    }
    if let Some(s) = filter.source {
        q = q.filter(leads::Column::Source.eq(s.trim()));
    }
    if let Some(min) = filter.estimated_value_min {
        if !min.is_finite() {
            return Err(Error::invalid("estimated_value_min", "must be a number"));
        }
        q = q.filter(leads::Column::EstimatedValue.gte(min));
    }
    let rows = q
        .order_by(priority_rank(), Order::Asc)
        .order_by_with_nulls(
            leads::Column::EstimatedValue,
            Order::Desc,
            NullOrdering::Last,
        )
        .order_by_desc(leads::Column::CreatedAt)
        .order_by_asc(leads::Column::Id)
        .limit(crate::validate::limit(filter.limit, 50, 500))
        .all(db)
        .await?;
    with_relations(db, rows).await
}

/// Loads customer, quotes and bookings of `rows` (three queries in all).
pub(crate) async fn with_relations<C: ConnectionTrait>(
    db: &C,
    rows: Vec<leads::Model>,
) -> Result<Vec<LeadDetails>> {
    let customers = rows.load_one(customers::Entity, db).await?;
    let quotes = rows
        .load_many(
            quotes::Entity::find().order_by_asc(quotes::Column::CreatedAt),
            db,
        )
        .await?;
    let bookings = rows
        .load_many(
            bookings::Entity::find().order_by_asc(bookings::Column::ScheduledAt),
            db,
        )
        .await?;
    Ok(rows
        .into_iter()
        .zip(customers)
        .zip(quotes.into_iter().zip(bookings))
        .map(|((lead, customer), (quotes, bookings))| LeadDetails {
            lead,
            customer,
            quotes,
            bookings,
        })
        .collect())
}
