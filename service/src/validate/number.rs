//! Numbers, page sizes and date ranges.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// A page size: `default` when absent, at least 1 and at most `max`.
pub fn limit(requested: Option<u64>, default: u64, max: u64) -> u64 {
    requested.unwrap_or(default).clamp(1, max)
}

/// A finite number (e.g. a metric value).
pub fn finite(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be a finite number"))
    }
}

/// A finite number `>= 0`.
pub fn non_negative(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be a number of at least 0"))
    }
}

/// A finite number `> 0`.
pub fn positive(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be a number greater than 0"))
    }
}

/// Whole minutes `> 0`.
pub fn positive_minutes(field: &str, v: i32) -> Result<i32> {
    if v > 0 {
        Ok(v)
    } else {
        Err(Error::invalid(
            field,
            "must be a whole number of minutes greater than 0",
        ))
    }
}

/// A decimal amount `>= 0`.
pub fn non_negative_decimal(field: &str, v: Decimal) -> Result<Decimal> {
    if v >= Decimal::ZERO {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must not be negative"))
    }
}

/// A decimal amount `> 0`.
pub fn positive_decimal(field: &str, v: Decimal) -> Result<Decimal> {
    if v > Decimal::ZERO {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be greater than 0"))
    }
}

/// Checks that `start <= end` (an inclusive date range); otherwise an error on `end_date`.
pub fn date_range(start: NaiveDate, end: NaiveDate) -> Result<()> {
    if start > end {
        Err(Error::invalid("end_date", "must not be before start_date"))
    } else {
        Ok(())
    }
}
