//! Bookings: create, find by id, confirm, cancel.

use chrono::{DateTime, Utc};
use entity::renos::bookings::{self, BookingStatus, BookingTimerStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, opt_text, positive_minutes};

/// Estimated duration of a booking when none is given, in minutes.
pub const DEFAULT_DURATION_MINUTES: i32 = 120;

/// Input of [`create_booking`].
#[derive(Clone, Debug)]
pub struct NewBooking {
    pub customer_id: Option<String>,
    pub lead_id: Option<String>,
    pub quote_id: Option<String>,
    /// Danish label, e.g. `Privatrengøring`.
    pub service_type: Option<String>,
    pub address: Option<String>,
    pub scheduled_at: DateTime<Utc>,
    /// Minutes, `> 0`; default [`DEFAULT_DURATION_MINUTES`].
    pub estimated_duration: Option<i32>,
    pub notes: Option<String>,
}

/// Creates a `scheduled` booking whose timer is `not_started`. Unknown customer or lead ids
/// are validation errors.
pub async fn create_booking<C: TransactionTrait>(
    db: &C,
    input: NewBooking,
    actor: Option<Uuid>,
) -> Result<bookings::Model> {
    let mut p = Problems::new();
    let duration = p.take(positive_minutes(
        "estimated_duration",
        input.estimated_duration.unwrap_or(DEFAULT_DURATION_MINUTES),
    ));
    p.finish()?;
    let txn = db.begin().await?;
    let booking = bookings::ActiveModel {
        customer_id: Set(opt_text(input.customer_id)),
        lead_id: Set(opt_text(input.lead_id)),
        quote_id: Set(opt_text(input.quote_id)),
        service_type: Set(opt_text(input.service_type)),
        address: Set(opt_text(input.address)),
        scheduled_at: Set(input.scheduled_at.fixed_offset()),
        estimated_duration: Set(duration.unwrap_or(DEFAULT_DURATION_MINUTES)),
        notes: Set(opt_text(input.notes)),
        status: Set(BookingStatus::Scheduled),
        timer_status: Set(BookingTimerStatus::NotStarted),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "renos.bookings",
        &booking.id,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(booking)
}

/// The booking with this id.
pub async fn get_booking<C: ConnectionTrait>(db: &C, id: &str) -> Result<bookings::Model> {
    bookings::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("booking"))
}

/// The booking with this id, locked (`SELECT ... FOR UPDATE`) until the transaction ends.
pub(crate) async fn lock_booking<C: ConnectionTrait>(db: &C, id: &str) -> Result<bookings::Model> {
    bookings::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("booking"))
}

async fn set_status<C: TransactionTrait>(
    db: &C,
    id: &str,
    to: BookingStatus,
    allowed_from: &[BookingStatus],
    action: &str,
    actor: Option<Uuid>,
) -> Result<bookings::Model> {
    let txn = db.begin().await?;
    let booking = lock_booking(&txn, id).await?;
    if booking.status == to {
        return Ok(booking);
    }
    if !allowed_from.contains(&booking.status) {
        return Err(Error::conflict(format!(
            "a {} booking cannot be {action}",
            booking.status.to_value()
        )));
    }
    if matches!(
        booking.timer_status,
        BookingTimerStatus::Running | BookingTimerStatus::Paused
    ) {
        return Err(Error::conflict(format!(
            "stop the timer before the booking can be {action}"
        )));
    }
    let from = booking.status;
    let mut am = booking.into_active_model();
    am.status = Set(to);
    let booking = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        action,
        "renos.bookings",
        &booking.id,
        json!({ "from": from.to_value(), "to": to.to_value() }),
    )
    .await?;
    txn.commit().await?;
    Ok(booking)
}

/// `scheduled` → `confirmed` (already confirmed: unchanged). Completed or cancelled
/// bookings, and bookings with a running or paused timer, are conflicts.
pub async fn confirm_booking<C: TransactionTrait>(
    db: &C,
    id: &str,
    actor: Option<Uuid>,
) -> Result<bookings::Model> {
    set_status(
        db,
        id,
        BookingStatus::Confirmed,
        &[BookingStatus::Scheduled],
        "confirmed",
        actor,
    )
    .await
}

/// `scheduled`/`confirmed` → `cancelled` (already cancelled: unchanged). Completed
/// bookings, and bookings with a running or paused timer, are conflicts.
pub async fn cancel_booking<C: TransactionTrait>(
    db: &C,
    id: &str,
    actor: Option<Uuid>,
) -> Result<bookings::Model> {
    set_status(
        db,
        id,
        BookingStatus::Cancelled,
        &[BookingStatus::Scheduled, BookingStatus::Confirmed],
        "cancelled",
        actor,
    )
    .await
}
