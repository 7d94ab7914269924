//! Inspecting the [`service::Error`] a call returned: the fields of a validation error, the
//! machine code, or an assertion on the kind. Every helper panics with the actual result
//! when it is not what the test expects.

use std::fmt::Debug;

use service::{Error, ErrorCode};

/// The field names of a validation error (panics on any other error).
#[track_caller]
pub fn fields(err: Error) -> Vec<String> {
    match err {
        Error::Validation { fields } => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The field names of a validation error (panics on any other result).
#[track_caller]
pub fn invalid_fields<T: Debug>(r: Result<T, Error>) -> Vec<String> {
    match r {
        Err(Error::Validation { fields }) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The machine code of the error (panics on success).
#[track_caller]
pub fn code<T: Debug>(r: Result<T, Error>) -> ErrorCode {
    match r {
        Err(e) => e.code(),
        Ok(v) => panic!("expected an error: {v:?}"),
    }
}

/// Whether `e` is a conflict.
pub fn is_conflict(e: &Error) -> bool {
    matches!(e, Error::Conflict { .. })
}

/// Whether `e` is a not-found error.
pub fn is_not_found(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. })
}

/// Panics unless `r` is a conflict.
#[track_caller]
pub fn assert_conflict<T: Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Conflict { .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Panics unless `r` is a not-found error.
#[track_caller]
pub fn assert_not_found<T: Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::NotFound { .. }) => {}
        other => panic!("expected not found, got {other:?}"),
    }
}
