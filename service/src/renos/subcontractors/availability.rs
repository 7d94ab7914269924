//! `renos.subcontractor_availability`: availability slots per date.

use entity::renos::subcontractor_availability;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`add_availability`].
#[derive(Clone, Debug)]
pub struct NewAvailability {
    pub subcontractor_id: Uuid,
    pub date: Date,
    /// Both or neither of `start_time`/`end_time`; `None` = the whole day.
    pub start_time: Option<Time>,
    pub end_time: Option<Time>,
    /// `false` records an absence.
    pub is_available: bool,
    pub recurring: bool,
    /// Required when `recurring` (e.g. `weekly`, `monthly`), else ignored.
    pub recurring_pattern: Option<String>,
    pub notes: Option<String>,
}

/// Adds a slot. Start and end are both given (start before end) or both absent; the same
/// (date, start time) twice is a conflict; an unknown subcontractor a validation error.
pub async fn add_availability<C: ConnectionTrait>(
    db: &C,
    input: NewAvailability,
) -> Result<subcontractor_availability::Model> {
    let mut f = Problems::new();
    match (input.start_time, input.end_time) {
        (Some(s), Some(e)) => f.check(s < e, "end_time", "must be after start_time"),
        (None, None) => {}
        _ => f.check(false, "end_time", "start_time and end_time go together"),
    }
    let pattern = if input.recurring {
        let p = opt_text(input.recurring_pattern.as_deref());
        f.check(
            p.is_some(),
            "recurring_pattern",
            "is required when recurring",
        );
        p
    } else {
        None
    };
    f.finish()?;
    Ok(subcontractor_availability::ActiveModel {
        subcontractor_id: Set(input.subcontractor_id),
        date: Set(input.date),
        start_time: Set(input.start_time),
        end_time: Set(input.end_time),
        is_available: Set(input.is_available),
        recurring: Set(input.recurring),
        recurring_pattern: Set(pattern),
        notes: Set(opt_text(input.notes.as_deref())),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Removes a slot.
pub async fn remove_availability<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<()> {
    let res = subcontractor_availability::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::not_found("availability"));
    }
    Ok(())
}

/// The subcontractor's slots with `from <= date <= to`, by date and start time (whole-day
/// slots first).
pub async fn list_availability<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
    from: Date,
    to: Date,
) -> Result<Vec<subcontractor_availability::Model>> {
    let mut f = Problems::new();
    f.check(from <= to, "to", "must not be before from");
    f.finish()?;
    Ok(subcontractor_availability::Entity::find()
        .filter(subcontractor_availability::Column::SubcontractorId.eq(subcontractor_id))
        .filter(subcontractor_availability::Column::Date.gte(from))
        .filter(subcontractor_availability::Column::Date.lte(to))
        .order_by_asc(subcontractor_availability::Column::Date)
        .order_by_with_nulls(
            subcontractor_availability::Column::StartTime,
            sea_orm::sea_query::Order::Asc,
            sea_orm::sea_query::NullOrdering::First,
        )
        .all(db)
        .await?)
}
