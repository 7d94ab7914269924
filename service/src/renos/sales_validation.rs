//! Input checks shared by the sales and operations use cases: an accumulator that collects
//! every bad field into one [`Error::Validation`], and small field parsers.

use rust_decimal::Decimal;

use crate::error::{Error, FieldError, Result};
use crate::validate::Email;

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
                self.fields
                    .push(FieldError::new("input", "could not be checked"));
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

/// An optional email: trimmed and lower-cased, blank becomes `None`.
pub(crate) fn opt_email(field: &str, raw: Option<String>) -> Result<Option<String>> {
    match opt_text(raw) {
        None => Ok(None),
        Some(s) => Ok(Some(Email::parse(field, &s)?.into_string())),
    }
}

/// A finite number `>= 0`.
pub(crate) fn non_negative(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be a number of at least 0"))
    }
}

/// A finite number `> 0`.
pub(crate) fn positive(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be a number greater than 0"))
    }
}

/// Whole minutes `> 0`.
pub(crate) fn positive_minutes(field: &str, v: i32) -> Result<i32> {
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
pub(crate) fn non_negative_decimal(field: &str, v: Decimal) -> Result<Decimal> {
    if v >= Decimal::ZERO {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must not be negative"))
    }
}

/// A decimal amount `> 0`.
pub(crate) fn positive_decimal(field: &str, v: Decimal) -> Result<Decimal> {
    if v > Decimal::ZERO {
        Ok(v)
    } else {
        Err(Error::invalid(field, "must be greater than 0"))
    }
}
