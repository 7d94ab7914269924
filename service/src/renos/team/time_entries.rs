//! `renos.time_entries`: clock-in/clock-out of a team member (at most one open entry).

use entity::renos::{team_members, time_entries};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`clock_in`].
#[derive(Clone, Debug, Default)]
pub struct NewTimeEntry {
    pub team_member_id: String,
    /// Defaults to now.
    pub start_time: Option<DateTimeWithTimeZone>,
    pub lead_id: Option<String>,
    pub booking_id: Option<String>,
    pub notes: Option<String>,
    /// GPS position (a JSON object).
    pub location: Option<Json>,
}

/// Whole minutes between two instants (floored; never negative).
pub fn minutes_between(start: DateTimeWithTimeZone, end: DateTimeWithTimeZone) -> i64 {
    (end - start).num_minutes().max(0)
}

/// Opens an entry. The team member must exist (`NotFound`) and be active, and must not
/// have an open entry (both conflicts). The member row is locked for the check.
pub async fn clock_in<C: TransactionTrait>(
    db: &C,
    input: NewTimeEntry,
) -> Result<time_entries::Model> {
    let mut f = Problems::new();
    if let Some(l) = &input.location {
        f.object("location", l);
    }
    f.finish()?;
    let txn = db.begin().await?;
    let member = team_members::Entity::find_by_id(input.team_member_id.as_str())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("team member"))?;
    if !member.is_active {
        return Err(Error::conflict("team member is not active"));
    }
    let open = time_entries::Entity::find()
        .filter(time_entries::Column::TeamMemberId.eq(member.id.as_str()))
        .filter(time_entries::Column::EndTime.is_null())
        .count(&txn)
        .await?;
    if open > 0 {
        return Err(Error::conflict("team member is already clocked in"));
    }
    let row = time_entries::ActiveModel {
        team_member_id: Set(member.id),
        start_time: Set(input.start_time.unwrap_or_else(now)),
        lead_id: Set(opt_text(input.lead_id.as_deref())),
        booking_id: Set(opt_text(input.booking_id.as_deref())),
        notes: Set(opt_text(input.notes.as_deref())),
        location: Set(input.location),
        break_duration: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Closes an open entry at `end_time` (default now) with `break_minutes` of breaks. The end
/// must be after the start and the breaks must fit into the entry; a closed entry is a
/// conflict.
pub async fn clock_out<C: TransactionTrait>(
    db: &C,
    entry_id: &str,
    end_time: Option<DateTimeWithTimeZone>,
    break_minutes: i32,
) -> Result<time_entries::Model> {
    let end = end_time.unwrap_or_else(now);
    let txn = db.begin().await?;
    let entry = time_entries::Entity::find_by_id(entry_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("time entry"))?;
    if entry.end_time.is_some() {
        return Err(Error::conflict("time entry is already closed"));
    }
    let mut f = Problems::new();
    check_span(
        &mut f,
        entry.start_time,
        Some(end),
        break_minutes,
        "end_time",
        "break_duration",
    );
    f.finish()?;
    let mut am: time_entries::ActiveModel = entry.into();
    am.end_time = Set(Some(end));
    am.break_duration = Set(break_minutes);
    let row = am.update(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// Checks `start < end` (when `end` is known) and `0 <= breaks <= end - start`.
pub(crate) fn check_span(
    f: &mut Problems,
    start: DateTimeWithTimeZone,
    end: Option<DateTimeWithTimeZone>,
    break_minutes: i32,
    end_field: &str,
    break_field: &str,
) {
    f.check(break_minutes >= 0, break_field, "must not be negative");
    if let Some(end) = end {
        f.check(end > start, end_field, "must be after the start time");
        f.check(
            i64::from(break_minutes) <= minutes_between(start, end),
            break_field,
            "must fit between start and end",
        );
    }
}

/// The member's entries starting in `[from, to)`, oldest first.
pub async fn list_time_entries<C: ConnectionTrait>(
    db: &C,
    team_member_id: &str,
    from: DateTimeWithTimeZone,
    to: DateTimeWithTimeZone,
) -> Result<Vec<time_entries::Model>> {
    let mut f = Problems::new();
    f.check(from < to, "to", "must be after from");
    f.finish()?;
    Ok(time_entries::Entity::find()
        .filter(time_entries::Column::TeamMemberId.eq(team_member_id))
        .filter(time_entries::Column::StartTime.gte(from))
        .filter(time_entries::Column::StartTime.lt(to))
        .order_by_asc(time_entries::Column::StartTime)
        .order_by_asc(time_entries::Column::Id)
        .all(db)
        .await?)
}

/// The member's open entry, if clocked in.
pub async fn open_entry<C: ConnectionTrait>(
    db: &C,
    team_member_id: &str,
) -> Result<Option<time_entries::Model>> {
    Ok(time_entries::Entity::find()
        .filter(time_entries::Column::TeamMemberId.eq(team_member_id))
        .filter(time_entries::Column::EndTime.is_null())
        .one(db)
        .await?)
}
