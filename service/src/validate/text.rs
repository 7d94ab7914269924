//! Text fields: required and optional text, email addresses.

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

/// Optional free text (or an optional equality filter): trimmed; absent and blank both
/// become `None`. Takes `Option<String>` as well as `Option<&str>`.
pub fn opt_text<S: AsRef<str>>(raw: Option<S>) -> Option<String> {
    raw.as_ref()
        .map(|s| s.as_ref().trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// An optional email: trimmed and lower-cased; absent and blank both become `None`.
pub fn opt_email<S: AsRef<str>>(field: &str, raw: Option<S>) -> Result<Option<String>> {
    match opt_text(raw) {
        None => Ok(None),
        Some(s) => Ok(Some(Email::parse(field, &s)?.into_string())),
    }
}
