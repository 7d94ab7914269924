//! Listing bookings with filters. Both date bounds apply together (fixes defect 3).

use chrono::{DateTime, Utc};
use entity::renos::bookings::{self, BookingStatus};
use entity::renos::{breaks, customers, leads};
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect};

use crate::error::{Error, Result};

/// Filters of [`find_bookings`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct BookingFilter {
    pub customer_id: Option<String>,
    pub status: Option<BookingStatus>,
    /// `scheduled_at >= from` (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// `scheduled_at <= until` (inclusive).
    pub until: Option<DateTime<Utc>>,
    /// Page size: default 100, at most 500.
    pub limit: Option<u64>,
}

/// A booking with its customer, lead and breaks (breaks oldest first).
#[derive(Clone, Debug, PartialEq)]
pub struct BookingDetails {
    pub booking: bookings::Model,
    pub customer: Option<customers::Model>,
    pub lead: Option<leads::Model>,
    pub breaks: Vec<breaks::Model>,
}

/// Bookings matching `filter`, latest `scheduled_at` first. `from` after `until` is a
/// validation error.
pub async fn find_bookings<C: ConnectionTrait>(
    db: &C,
    filter: BookingFilter,
) -> Result<Vec<BookingDetails>> {
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && from > until
    {
        return Err(Error::invalid("from", "must not be after until"));
    }
    let mut q = bookings::Entity::find();
    if let Some(c) = filter.customer_id {
        q = q.filter(bookings::Column::CustomerId.eq(c));
    }
    if let Some(s) = filter.status {
        q = q.filter(bookings::Column::Status.eq(s));
    }
    if let Some(from) = filter.from {
        q = q.filter(bookings::Column::ScheduledAt.gte(from.fixed_offset()));
    }
    if let Some(until) = filter.until {
        q = q.filter(bookings::Column::ScheduledAt.lte(until.fixed_offset()));
    }
    let rows = q
        .order_by_desc(bookings::Column::ScheduledAt)
        .order_by_asc(bookings::Column::Id)
        .limit(crate::validate::limit(filter.limit, 100, 500))
        .all(db)
        .await?;
    let customers = rows.load_one(customers::Entity, db).await?;
    let leads = rows.load_one(leads::Entity, db).await?;
    let breaks = rows
        .load_many(
            breaks::Entity::find().order_by_asc(breaks::Column::StartTime),
            db,
        )
        .await?;
    Ok(rows
        .into_iter()
        .zip(customers)
        .zip(leads.into_iter().zip(breaks))
        .map(|((booking, customer), (lead, breaks))| BookingDetails {
            booking,
            customer,
            lead,
            breaks,
        })
        .collect())
}
