//! Parsing input at the edge of the service: small helpers that turn raw values into
//! checked ones or a [`Error::Validation`](crate::Error) naming the field.

use crate::error::{Error, Result};

/// A syntactically plausible email address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let norm = raw.trim().to_lowercase();
        let valid = match norm.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !norm.contains(char::is_whitespace)
                    && norm.matches('@').count() == 1
            }
            None => false,
        };
        if valid {
            Ok(Self(norm))
        } else {
            Err(Error::invalid(field, "is not a valid email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The trimmed value, which must not be empty.
pub fn non_empty(field: &str, raw: &str) -> Result<String> {
    let v = raw.trim();
    if v.is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(v.to_owned())
    }
}

/// A page size: `default` when absent, at least 1 and at most `max`.
pub fn limit(requested: Option<u64>, default: u64, max: u64) -> u64 {
    requested.unwrap_or(default).clamp(1, max)
}
