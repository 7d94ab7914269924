//! The operator commands' one error type. Messages are for operators (they may name
//! tables and files) but never carry secrets: database URLs are shown redacted, Billy keys
//! never.

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The database could not be reached or a statement failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A service-layer operation refused or failed.
    #[error("service: {0} ({code})", code = .0.code())]
    Service(#[from] service::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// An external tool (pg_dump, pg_restore) failed or is missing.
    #[error("{tool}: {message}")]
    Tool { tool: String, message: String },
    /// The input or the data is not what the command needs (bad manifest, unknown layout,
    /// a verification mismatch...).
    #[error("{0}")]
    Invalid(String),
}

impl OpsError {
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result of the operator commands.
pub type OpsResult<T> = std::result::Result<T, OpsError>;
