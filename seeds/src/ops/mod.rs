//! Operator commands behind the `tekup` binary: `health`, `backup`, `restore`, and the
//! shared error and report types (`seed` is in [`crate::seed`], `import legacy` and
//! `verify` in [`crate::legacy`]).

pub mod backup;
pub mod context;
pub mod error;
pub mod health;
pub mod manifest;
pub mod pg_tools;
pub mod report;
pub mod restore;

pub use context::Ctx;
pub use error::{OpsError, OpsResult};
pub use report::Report;
