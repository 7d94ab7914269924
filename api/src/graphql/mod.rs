//! The GraphQL API (read side), built dynamically from the read engine's catalog
//! (`service::read`): every table of every schema, its filters, orderings, connections,
//! aggregates and relations in both directions. Design notes: `docs/graphql.md`.

pub mod aggregate;
pub mod connection;
pub mod errors;
pub mod fields;
pub mod filters;
pub mod handler;
pub mod names;
pub mod order;
pub mod relations;
pub mod root;
pub mod scalars;
pub mod schema;
pub mod search;
pub mod types;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::dynamic::Schema;
use sea_orm::DatabaseTransaction;
use service::read::Reader;

/// The request's transaction and the statements its readers ran.
pub struct RequestDb {
    /// The request's read-only transaction.
    pub txn: DatabaseTransaction,
    /// Statements run so far.
    pub statements: AtomicUsize,
}

impl RequestDb {
    /// Adds what `reader` ran to the request's count.
    pub fn count(&self, reader: &Reader<'_, DatabaseTransaction>) {
        self.statements
            .fetch_add(reader.statements(), Ordering::Relaxed);
    }
}

/// The schema, built on first use.
pub fn schema() -> Result<Schema, String> {
    static SCHEMA: LazyLock<Result<Schema, String>> = LazyLock::new(schema::build);
    SCHEMA.clone()
}

/// The schema in SDL.
pub fn sdl() -> Result<String, String> {
    schema().map(|s| s.sdl())
}
