//! Input checks shared by the vault use cases: document keys and search parameters.

use crate::error::{Error, Result};
use crate::validate::non_empty;

/// Longest `repository` (the column is `varchar(255)`).
pub const REPOSITORY_MAX_CHARS: usize = 255;
/// Longest `sha` (the column is `varchar(255)`).
pub const SHA_MAX_CHARS: usize = 255;

/// A trimmed, non-empty value of at most `max_chars` characters without NUL bytes.
pub(crate) fn bounded_text(field: &str, raw: &str, max_chars: usize) -> Result<String> {
    let v = non_empty(field, raw)?;
    no_nul(field, &v)?;
    if v.chars().count() > max_chars {
        return Err(Error::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(v)
}

/// A non-blank value kept as given (paths are identities: no trimming), without NUL bytes.
pub(crate) fn verbatim_text(field: &str, raw: &str) -> Result<String> {
    non_empty(field, raw)?;
    no_nul(field, raw)?;
    Ok(raw.to_owned())
}

/// Fails when `raw` holds a NUL character, which PostgreSQL text cannot store.
pub(crate) fn no_nul(field: &str, raw: &str) -> Result<()> {
    if raw.contains('\0') {
        Err(Error::invalid(field, "must not contain NUL characters"))
    } else {
        Ok(())
    }
}

/// Default number of search hits.
pub const SEARCH_LIMIT_DEFAULT: u64 = 10;
/// Largest number of search hits.
pub const SEARCH_LIMIT_MAX: u64 = 100;
/// Default similarity threshold of semantic search.
pub const SIMILARITY_THRESHOLD_DEFAULT: f64 = 0.7;

/// A search page size: `SEARCH_LIMIT_DEFAULT` when absent, else 1..=`SEARCH_LIMIT_MAX`.
pub(crate) fn search_limit(field: &str, raw: Option<u64>) -> Result<u64> {
    match raw {
        None => Ok(SEARCH_LIMIT_DEFAULT),
        Some(n) if (1..=SEARCH_LIMIT_MAX).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid(
            field,
            format!("must be between 1 and {SEARCH_LIMIT_MAX}"),
        )),
    }
}

/// A similarity threshold: a finite number in 0..=1.
pub(crate) fn threshold(field: &str, raw: f64) -> Result<f64> {
    if raw.is_finite() && (0.0..=1.0).contains(&raw) {
        Ok(raw)
    } else {
        Err(Error::invalid(field, "must be a number between 0 and 1"))
    }
}
