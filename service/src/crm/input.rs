//! Input checks shared by the `crm` and `flow` use cases: an accumulator that reports every
//! bad field in one [`Error::Validation`], and small field parsers.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use crate::error::{Error, FieldError, Result};
use crate::validate::Email;

/// The largest money amount accepted (10^12): far inside the range where a
/// `double precision` column keeps every cent exact.
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// Collects field errors so one call reports every bad field at once.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    fields: Vec<FieldError>,
}

impl Problems {
    /// An empty collection.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The value of `r`, or `None` after recording its validation errors.
    pub(crate) fn take<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Error::Validation { fields }) => {
                self.fields.extend(fields);
                None
            }
            Err(_) => {
                self.add("input", "could not be checked");
                None
            }
        }
    }

    /// Records a problem with `field`.
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.fields.push(FieldError::new(field, message));
    }

    /// `Ok` when nothing was recorded, else one validation error listing every field.
    pub(crate) fn finish(self) -> Result<()> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation {
                fields: self.fields,
            })
        }
    }
}

/// Optional free text: trimmed; blank becomes `None`.
pub(crate) fn opt_text(raw: Option<String>) -> Option<String> {
    raw.and_then(|s| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_owned())
    })
}

/// An optional email: trimmed and lower-cased; blank becomes `None`.
pub(crate) fn opt_email(field: &str, raw: Option<String>) -> Result<Option<String>> {
    match opt_text(raw) {
        None => Ok(None),
        Some(s) => Ok(Some(Email::parse(field, &s)?.into_string())),
    }
}

/// A money amount: `0 <= v <= MAX_AMOUNT`, rounded to 2 decimals (half away from zero).
pub(crate) fn money(field: &str, v: Decimal) -> Result<Decimal> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(Error::invalid(field, "must not be negative"));
    }
    if v > MAX_AMOUNT {
        return Err(Error::invalid(field, "is too large"));
    }
    Ok(round_money(v))
}

/// `d` rounded to 2 decimals, half away from zero.
pub(crate) fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal as stored in a `double precision` column.
pub(crate) fn to_db(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A `double precision` column value as a decimal (NaN/inf, which we never write, as 0).
pub(crate) fn from_db(v: f64) -> Decimal {
    Decimal::from_f64(v).unwrap_or(Decimal::ZERO)
}

/// A finite number (metric values).
pub(crate) fn finite(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be a finite number"))
    }
}

/// Checks that `start <= end` (an inclusive date range).
pub(crate) fn date_range(start: NaiveDate, end: NaiveDate) -> Result<()> {
    if start > end {
        Err(Error::invalid("end_date", "must not be before start_date"))
    } else {
        Ok(())
    }
}

/// Today's date in UTC: the bucket of daily metrics (fixes defect 8).
pub(crate) fn utc_today() -> NaiveDate {
    Utc::now().date_naive()
}
