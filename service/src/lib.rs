//! Business logic of Tekup Database: the functions backend code imports and the GraphQL API
//! calls for every write and business rule. No HTTP or GraphQL here.
//!
//! One module per schema; one small file per use case. Functions take a connection (`&C`
//! where `C: ConnectionTrait`, so they run inside a caller's transaction too) or, when they
//! make several writes, a `&DatabaseConnection` and open their own transaction.

pub mod access;
pub mod billy;
pub mod clock;
pub mod crm;
pub mod database;
pub mod error;
pub mod flow;
pub mod links;
pub mod money;
pub mod read;
pub mod renos;
pub mod shared;
pub mod validate;
pub mod vault;
pub mod write;

pub use error::{Error, ErrorCode, FieldError, Result};
