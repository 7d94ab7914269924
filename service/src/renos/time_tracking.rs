//! The booking timer: start, pause (opens a break), resume (ends the open break), stop.
//! Every call runs in one transaction with the booking locked (`SELECT ... FOR UPDATE`),
//! so concurrent calls on one booking serialise. `now` is passed in so minutes are exact.
//!
//! Timer states: `not_started` → `running` ⇄ `paused` → `completed`.

use chrono::{DateTime, Utc};
use entity::renos::bookings::{self, BookingStatus, BookingTimerStatus};
use entity::renos::breaks::{self, BreakReason};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, TransactionSession, TransactionTrait};
use serde_json::json;

use super::bookings::lock_booking;
use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::opt_text;

/// Whole minutes from `start` to `end` (floored); `end` before `start` is a validation
/// error on `now`.
fn minutes_between(start: DateTimeWithTimeZone, end: DateTime<Utc>, what: &str) -> Result<i32> {
    let secs = end.signed_duration_since(start).num_seconds();
    if secs < 0 {
        return Err(Error::invalid(
            "now",
            format!("is before the {what} started"),
        ));
    }
    i32::try_from(secs / 60).map_err(|_| Error::invalid("now", "the span is too long"))
}

fn ensure_workable(b: &bookings::Model) -> Result<()> {
    match b.status {
        BookingStatus::Cancelled | BookingStatus::Completed => Err(Error::conflict(format!(
            "the booking is {}",
            b.status.to_value()
        ))),
        BookingStatus::Scheduled | BookingStatus::Confirmed => Ok(()),
    }
}

fn wrong_timer(b: &bookings::Model, action: &str) -> Error {
    Error::conflict(format!(
        "cannot {action} a timer that is {}",
        b.timer_status.to_value()
    ))
}

async fn open_break<C: ConnectionTrait>(db: &C, booking_id: &str) -> Result<Option<breaks::Model>> {
    Ok(breaks::Entity::find()
        .filter(breaks::Column::BookingId.eq(booking_id))
        .filter(breaks::Column::EndTime.is_null())
        .order_by_desc(breaks::Column::StartTime)
        .one(db)
        .await?)
}

/// Ends `brk` at `now` with its duration in whole minutes.
async fn close_break<C: ConnectionTrait>(
    db: &C,
    brk: breaks::Model,
    now: DateTime<Utc>,
) -> Result<breaks::Model> {
    let minutes = minutes_between(brk.start_time, now, "break")?;
    let mut am = brk.into_active_model();
    am.end_time = Set(Some(now.fixed_offset()));
    am.duration = Set(Some(minutes));
    Ok(am.update(db).await?)
}

async fn set_timer<C: ConnectionTrait>(
    db: &C,
    booking: bookings::Model,
    status: BookingTimerStatus,
) -> Result<bookings::Model> {
    let mut am = booking.into_active_model();
    am.timer_status = Set(status);
    Ok(am.update(db).await?)
}

/// Starts the timer at `now` (from `not_started`), or continues it from `paused` by
/// ending the open break. A running or completed timer, or a cancelled/completed booking,
/// is a conflict.
pub async fn start_timer<C: TransactionTrait>(
    db: &C,
    booking_id: &str,
    now: DateTime<Utc>,
) -> Result<bookings::Model> {
    let txn = db.begin().await?;
    let booking = lock_booking(&txn, booking_id).await?;
    ensure_workable(&booking)?;
    let booking = match booking.timer_status {
        BookingTimerStatus::NotStarted => {
            let mut am = booking.into_active_model();
            am.actual_start_time = Set(Some(now.fixed_offset()));
            am.timer_status = Set(BookingTimerStatus::Running);
            am.update(&txn).await?
        }
        BookingTimerStatus::Paused => {
            if let Some(brk) = open_break(&txn, &booking.id).await? {
                close_break(&txn, brk, now).await?;
            }
            set_timer(&txn, booking, BookingTimerStatus::Running).await?
        }
        BookingTimerStatus::Running | BookingTimerStatus::Completed => {
            return Err(wrong_timer(&booking, "start"));
        }
    };
    txn.commit().await?;
    Ok(booking)
}

/// Pauses a running timer: opens a break at `now` and sets the timer `paused`.
pub async fn pause_timer<C: TransactionTrait>(
    db: &C,
    booking_id: &str,
    reason: Option<BreakReason>,
    notes: Option<String>,
    now: DateTime<Utc>,
) -> Result<breaks::Model> {
    let txn = db.begin().await?;
    let booking = lock_booking(&txn, booking_id).await?;
    if booking.timer_status != BookingTimerStatus::Running {
        return Err(wrong_timer(&booking, "pause"));
    }
    if let Some(start) = booking.actual_start_time {
        minutes_between(start, now, "timer")?;
    }
    let brk = breaks::ActiveModel {
        booking_id: Set(booking.id.clone()),
        start_time: Set(now.fixed_offset()),
        reason: Set(reason),
        notes: Set(opt_text(notes)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_timer(&txn, booking, BookingTimerStatus::Paused).await?;
    txn.commit().await?;
    Ok(brk)
}

/// Resumes a paused timer: ends the open break at `now` (duration in whole minutes) and
/// sets the timer `running`. Returns the ended break.
pub async fn resume_timer<C: TransactionTrait>(
    db: &C,
    booking_id: &str,
    now: DateTime<Utc>,
) -> Result<breaks::Model> {
    let txn = db.begin().await?;
    let booking = lock_booking(&txn, booking_id).await?;
    if booking.timer_status != BookingTimerStatus::Paused {
        return Err(wrong_timer(&booking, "resume"));
    }
    let brk = open_break(&txn, &booking.id)
        .await?
        .ok_or_else(|| Error::conflict("the paused timer has no open break"))?;
    let brk = close_break(&txn, brk, now).await?;
    set_timer(&txn, booking, BookingTimerStatus::Running).await?;
    txn.commit().await?;
    Ok(brk)
}

/// Stops a running or paused timer at `now` and completes the booking:
/// - an open break is ended first;
/// - `actual_duration` = floor(minutes since start) − Σ break minutes;
/// - `time_variance` = actual − estimated;
/// - `efficiency_score` = estimated / actual (> 1 = faster than planned), NULL when the
///   actual duration is 0 (fixes defect 9's division by zero);
/// - `timer_status` and `status` become `completed`.
pub async fn stop_timer<C: TransactionTrait>(
    db: &C,
    booking_id: &str,
    now: DateTime<Utc>,
    actor: Option<Uuid>,
) -> Result<bookings::Model> {
    let txn = db.begin().await?;
    let booking = lock_booking(&txn, booking_id).await?;
    if !matches!(
        booking.timer_status,
        BookingTimerStatus::Running | BookingTimerStatus::Paused
    ) {
        return Err(wrong_timer(&booking, "stop"));
    }
    let start = booking
        .actual_start_time
        .ok_or_else(|| Error::conflict("the timer was never started"))?;
    let total = minutes_between(start, now, "timer")?;
    if let Some(brk) = open_break(&txn, &booking.id).await? {
        close_break(&txn, brk, now).await?;
    }
    let break_minutes: i64 = breaks::Entity::find()
        .filter(breaks::Column::BookingId.eq(booking.id.clone()))
        .all(&txn)
        .await?
        .iter()
        .filter_map(|b| b.duration)
        .map(i64::from)
        .sum();
    let actual = i32::try_from((i64::from(total) - break_minutes).max(0)).unwrap_or(0);
    let estimated = booking.estimated_duration;
    let efficiency = (actual > 0).then(|| f64::from(estimated) / f64::from(actual));

    let mut am = booking.into_active_model();
    am.actual_end_time = Set(Some(now.fixed_offset()));
    am.actual_duration = Set(Some(actual));
    am.time_variance = Set(Some(actual - estimated));
    am.efficiency_score = Set(efficiency);
    am.timer_status = Set(BookingTimerStatus::Completed);
    am.status = Set(BookingStatus::Completed);
    let booking = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "complete",
        "renos.bookings",
        &booking.id,
        json!({ "actual_duration": actual, "break_minutes": break_minutes }),
    )
    .await?;
    txn.commit().await?;
    Ok(booking)
}
