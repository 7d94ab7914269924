//! [`Problems`]: collects every bad field of one input, then fails once.

use std::net::IpAddr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::text::{Email, non_empty};
use crate::error::{Error, FieldError, Result};

/// Collects field errors so one call reports every bad field at once, in one
/// [`Error::Validation`].
///
/// Feed it checks ([`take`](Self::take), [`take_or_default`](Self::take_or_default),
/// [`check`](Self::check), [`add`](Self::add) or the field getters such as
/// [`text`](Self::text)) and call [`finish`](Self::finish) before writing anything. The
/// getters return a harmless placeholder (empty text, the value as given) for a bad field,
/// so no value may be used unless `finish` returned `Ok`.
///
/// An error that is not a validation error (which none of the checks return) is not a field
/// problem: the first one is kept and returned by `finish` instead of the field list.
#[derive(Debug, Default)]
pub struct Problems {
    fields: Vec<FieldError>,
    other: Option<Error>,
}

impl Problems {
    /// Nothing recorded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.fields.push(FieldError::new(field, message));
    }

    /// Records `message` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Takes over the field errors of a validation error; keeps any other error for
    /// [`finish`](Self::finish).
    pub fn absorb(&mut self, err: Error) {
        match err {
            Error::Validation { fields } => self.fields.extend(fields),
            other => {
                self.other.get_or_insert(other);
            }
        }
    }

    /// The value of `checked`, or `None` after recording its error.
    pub fn take<T>(&mut self, checked: Result<T>) -> Option<T> {
        match checked {
            Ok(v) => Some(v),
            Err(e) => {
                self.absorb(e);
                None
            }
        }
    }

    /// The value of `checked`, or `T::default()` after recording its error.
    pub fn take_or_default<T: Default>(&mut self, checked: Result<T>) -> T {
        self.take(checked).unwrap_or_default()
    }

    /// `Ok` when nothing was recorded, else the kept non-validation error or one
    /// validation error listing every bad field.
    pub fn finish(self) -> Result<()> {
        if let Some(other) = self.other {
            return Err(other);
        }
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation {
                fields: self.fields,
            })
        }
    }
}

/// Field getters: each checks one raw value and returns it normalised (or a placeholder).
impl Problems {
    /// Trimmed, non-empty text.
    pub fn text(&mut self, field: &str, raw: &str) -> String {
        self.take_or_default(non_empty(field, raw))
    }

    /// Trimmed list entries, none of which may be blank (`field[i]` names a bad entry).
    pub fn texts(&mut self, field: &str, raw: &[String]) -> Vec<String> {
        raw.iter()
            .enumerate()
            .map(|(i, v)| self.text(&format!("{field}[{i}]"), v))
            .collect()
    }

    /// A normalised (trimmed, lower-cased) email address.
    pub fn email(&mut self, field: &str, raw: &str) -> String {
        self.take_or_default(Email::parse(field, raw).map(Email::into_string))
    }

    /// A list of normalised email addresses; every entry is checked (`field[i]`).
    pub fn emails(&mut self, field: &str, raw: &[String]) -> Vec<String> {
        raw.iter()
            .enumerate()
            .map(|(i, e)| self.email(&format!("{field}[{i}]"), e))
            .collect()
    }

    /// An integer within `lo..=hi`.
    pub fn range_i32(&mut self, field: &str, v: i32, lo: i32, hi: i32) -> i32 {
        self.check(
            (lo..=hi).contains(&v),
            field,
            format!("must be between {lo} and {hi}"),
        );
        v
    }

    /// An optional integer within `lo..=hi`.
    pub fn opt_range_i32(&mut self, field: &str, v: Option<i32>, lo: i32, hi: i32) {
        if let Some(v) = v {
            self.range_i32(field, v, lo, hi);
        }
    }

    /// A non-negative amount of at most `max` with at most two decimals (more decimals are
    /// a problem, not rounded away).
    pub fn exact_amount(&mut self, field: &str, v: Decimal, max: Decimal) -> Decimal {
        self.check(
            v >= Decimal::ZERO && v <= max,
            field,
            format!("must be between 0 and {max}"),
        );
        self.check(
            v.normalize().scale() <= 2,
            field,
            "has more than two decimals",
        );
        v
    }

    /// An IP address (v4 or v6), returned in canonical form.
    pub fn ip(&mut self, field: &str, raw: &str) -> String {
        match raw.trim().parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => {
                self.add(field, "is not an IP address");
                String::new()
            }
        }
    }

    /// An absolute `http(s)` URL, trimmed.
    pub fn url(&mut self, field: &str, raw: &str) -> String {
        let v = raw.trim();
        let ok = ["https://", "http://"].iter().any(|p| {
            v.len() > p.len()
                && v.get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p))
        }) && !v.contains(char::is_whitespace);
        self.check(ok, field, "must be an http(s) URL");
        v.to_owned()
    }

    /// A JSON object (not an array, string or null).
    pub fn object(&mut self, field: &str, v: &Value) {
        self.check(v.is_object(), field, "must be a JSON object");
    }
}

#[cfg(test)]
mod tests {
    use super::Problems;

    #[test]
    fn url_accepts_http_and_https_and_rejects_the_rest_without_panicking() {
        for good in ["https://tekup.dk/x", "HTTP://a.b"] {
            let mut p = Problems::new();
            p.url("url", good);
            assert!(p.finish().is_ok(), "{good}");
        }
        for bad in ["httpé://x", "ftp://x", "https://", "https://a b", "é", ""] {
            let mut p = Problems::new();
            p.url("url", bad);
            assert!(p.finish().is_err(), "{bad}");
        }
    }
}
