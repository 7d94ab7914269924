//! The service layer's one error type. Every variant has a stable machine code that the API
//! maps to `extensions.code` once; database text never reaches callers (internal errors
//! are logged here and surface only as `INTERNAL`).

use std::fmt;

use sea_orm::{ActiveEnum, DbErr, RuntimeErr, sqlx};

/// A problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The input field (`camelCase` is up to the API; the service uses snake_case).
    pub field: String,
    /// A human-readable explanation, safe to show to clients.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a service function can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The row does not exist (or the caller may not see it).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A unique key is taken, or the row is in a state that forbids the operation.
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// The input is invalid; nothing was written.
    #[error("invalid input")]
    Validation { fields: Vec<FieldError> },
    /// Too many requests in the current window.
    #[error("rate limited, retry after {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// The caller may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Anything else: logged with its cause, shown to clients only as `INTERNAL`.
    #[error("internal error")]
    Internal,
}

/// Stable machine codes of [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    Conflict,
    Validation,
    RateLimited,
    Forbidden,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::Validation => "VALIDATION",
            Self::RateLimited => "RATE_LIMITED",
            Self::Forbidden => "FORBIDDEN",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Validation { .. } => ErrorCode::Validation,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::Internal => ErrorCode::Internal,
        }
    }

    pub fn not_found(entity: &'static str) -> Self {
        Self::NotFound { entity }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }

    /// A validation error on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            fields: vec![FieldError::new(field, message)],
        }
    }

    /// The error for a row that is missing (`current` is `None`: [`Error::NotFound`]) or in
    /// another state than `expected` ([`Error::Conflict`] naming both states).
    pub fn wrong_state<S>(entity: &'static str, current: Option<S>, expected: &str) -> Self
    where
        S: ActiveEnum<Value = String>,
    {
        match current {
            None => Self::not_found(entity),
            Some(s) => Self::conflict(format!("{entity} is {}, expected {expected}", s.to_value())),
        }
    }

    /// Logs `cause` (never shown to clients) and returns [`Error::Internal`].
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::Internal
    }
}

/// SQLSTATE classes we translate (PostgreSQL error codes appendix).
const UNIQUE_VIOLATION: &str = "23505";
const FOREIGN_KEY_VIOLATION: &str = "23503";
const NOT_NULL_VIOLATION: &str = "23502";
const CHECK_VIOLATION: &str = "23514";
const INVALID_TEXT_REPRESENTATION: &str = "22P02";
const NUMERIC_OUT_OF_RANGE: &str = "22003";
const STRING_TOO_LONG: &str = "22001";
const RESTRICT_VIOLATION: &str = "23001";
/// Also what row-level security raises when a row fails a policy's WITH CHECK.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if let DbErr::RecordNotFound(_) = err {
            return Self::NotFound { entity: "record" };
        }
        let db = match &err {
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                match e.as_ref() {
                    sqlx::Error::Database(d) => Some(d),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(db) = db else {
            return Self::internal(&err);
        };
        let code = db.code().unwrap_or_default();
        // Constraint names are ours (`<table>_<columns>_key|fkey|check`): safe to show, and
        // they say which field is wrong. The message text is not shown.
        let constraint = db.constraint().unwrap_or("").to_owned();
        match code.as_ref() {
            UNIQUE_VIOLATION => Self::conflict(format!("already exists ({constraint})")),
            FOREIGN_KEY_VIOLATION | RESTRICT_VIOLATION => Self::Validation {
                fields: vec![FieldError::new(
                    constraint_field(&constraint, "_fkey"),
                    "refers to a row that does not exist, or is still referenced",
                )],
            },
            CHECK_VIOLATION => Self::Validation {
                fields: vec![FieldError::new(
                    constraint_field(&constraint, "_check"),
                    "value is not allowed",
                )],
            },
            NOT_NULL_VIOLATION => Self::invalid("input", "a required value is missing"),
            INSUFFICIENT_PRIVILEGE => Self::Forbidden,
            INVALID_TEXT_REPRESENTATION | NUMERIC_OUT_OF_RANGE | STRING_TOO_LONG => {
                Self::invalid("input", "a value has the wrong format or size")
            }
            _ => Self::internal(&err),
        }
    }
}

/// The column part of a constraint name: `bookings_lead_id_fkey` → `lead_id` is not
/// recoverable without the table, so the whole name minus its suffix is returned
/// (`bookings_lead_id`), which names table and column.
fn constraint_field(constraint: &str, suffix: &str) -> String {
    constraint
        .strip_suffix(suffix)
        .unwrap_or(constraint)
        .to_owned()
}

/// Result of the service layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
