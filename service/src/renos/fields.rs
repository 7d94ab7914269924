//! Input checking shared by the renos communication/people use cases and the cross-schema
//! links: collects every bad field of one input before anything is written, and turns a
//! failed state transition into `NotFound` or `Conflict`.

use std::net::IpAddr;

use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use serde_json::Value;

use crate::error::{Error, FieldError, Result};
use crate::validate::Email;

/// Collects field errors; every getter returns a harmless placeholder on error, so callers
/// must call [`Fields::finish`] before using any value.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// No errors yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` unless `ok`.
    pub(crate) fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.errors.push(FieldError::new(field, message));
        }
    }

    /// Trimmed, non-empty text.
    pub(crate) fn text(&mut self, field: &str, raw: &str) -> String {
        let v = raw.trim();
        self.check(!v.is_empty(), field, "must not be empty");
        v.to_owned()
    }

    /// Optional text: `None` and blank both become `None`; otherwise trimmed.
    pub(crate) fn opt_text(raw: Option<&str>) -> Option<String> {
        raw.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// A normalised (trimmed, lower-cased) email address.
    pub(crate) fn email(&mut self, field: &str, raw: &str) -> String {
        match Email::parse(field, raw) {
            Ok(e) => e.into_string(),
            Err(e) => {
                self.absorb(e);
                String::new()
            }
        }
    }

    /// A list of normalised email addresses; every entry is checked.
    pub(crate) fn emails(&mut self, field: &str, raw: &[String]) -> Vec<String> {
        raw.iter()
            .enumerate()
            .map(|(i, e)| self.email(&format!("{field}[{i}]"), e))
            .collect()
    }

    /// Trimmed list entries, none of which may be blank.
    pub(crate) fn texts(&mut self, field: &str, raw: &[String]) -> Vec<String> {
        raw.iter()
            .enumerate()
            .map(|(i, v)| self.text(&format!("{field}[{i}]"), v))
            .collect()
    }

    /// An integer within `lo..=hi`.
    pub(crate) fn range_i32(&mut self, field: &str, v: i32, lo: i32, hi: i32) -> i32 {
        self.check(
            (lo..=hi).contains(&v),
            field,
            &format!("must be between {lo} and {hi}"),
        );
        v
    }

    /// An optional integer within `lo..=hi`.
    pub(crate) fn opt_range_i32(&mut self, field: &str, v: Option<i32>, lo: i32, hi: i32) {
        if let Some(v) = v {
            self.range_i32(field, v, lo, hi);
        }
    }

    /// A non-negative amount with at most two decimals, at most `max`.
    pub(crate) fn money(&mut self, field: &str, v: Decimal, max: Decimal) -> Decimal {
        self.check(
            v >= Decimal::ZERO && v <= max,
            field,
            &format!("must be between 0 and {max}"),
        );
        self.check(
            v.normalize().scale() <= 2,
            field,
            "has more than two decimals",
        );
        v
    }

    /// An IP address (v4 or v6), returned in canonical form.
    pub(crate) fn ip(&mut self, field: &str, raw: &str) -> String {
        match raw.trim().parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => {
                self.check(false, field, "is not an IP address");
                String::new()
            }
        }
    }

    /// An absolute `http(s)` URL.
    pub(crate) fn url(&mut self, field: &str, raw: &str) -> String {
        let v = raw.trim();
        let ok = ["https://", "http://"]
            .iter()
            .any(|p| v.len() > p.len() && v[..p.len()].eq_ignore_ascii_case(p))
            && !v.contains(char::is_whitespace);
        self.check(ok, field, "must be an http(s) URL");
        v.to_owned()
    }

    /// A JSON object (not an array, string or null).
    pub(crate) fn object(&mut self, field: &str, v: &Value) {
        self.check(v.is_object(), field, "must be a JSON object");
    }

    /// Takes over the field errors of a validation error (other errors become `input`).
    pub(crate) fn absorb(&mut self, err: Error) {
        match err {
            Error::Validation { fields } => self.errors.extend(fields),
            _ => self.check(false, "input", "is invalid"),
        }
    }

    /// `Ok` when no field was bad, else one `Validation` error listing all of them.
    pub(crate) fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation {
                fields: self.errors,
            })
        }
    }
}

/// The error for a row that is missing (`None`) or in another state than `expected`.
pub(crate) fn wrong_state<S>(entity: &'static str, current: Option<S>, expected: &str) -> Error
where
    S: ActiveEnum<Value = String>,
{
    match current {
        None => Error::not_found(entity),
        Some(s) => Error::conflict(format!("{entity} is {}, expected {expected}", s.to_value())),
    }
}

/// Now, in UTC.
pub(crate) fn now() -> sea_orm::prelude::DateTimeWithTimeZone {
    chrono::Utc::now().fixed_offset()
}
