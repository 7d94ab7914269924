//! The current time, as the service stores it.

use chrono::{NaiveDate, Utc};
use sea_orm::prelude::DateTimeWithTimeZone;

/// Now, in UTC (a `timestamptz` value).
pub fn now() -> DateTimeWithTimeZone {
    Utc::now().fixed_offset()
}

/// Today's date in UTC: the bucket of daily metrics (fixes defect 8).
pub fn utc_today() -> NaiveDate {
    Utc::now().date_naive()
}
