//! The GraphQL API (read side), built dynamically from the read engine's catalog
//! (`service::read`): every table of every schema, its filters, orderings, connections,
//! aggregates and relations in both directions. Design notes: `docs/graphql.md`.

pub mod aggregate;
pub mod connection;
pub mod errors;
pub mod fields;
pub mod filters;
pub mod gdpr_export;
pub mod guard;
pub mod handler;
pub mod mutation;
pub mod names;
pub mod order;
pub mod relations;
pub mod request;
pub mod root;
pub mod scalars;
pub mod schema;
pub mod search;
pub mod session;
pub mod types;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use async_graphql::dynamic::Schema;
use sea_orm::DatabaseTransaction;
use service::billy::crypto::Keyring;
use service::read::Reader;

/// What resolvers need besides the request's transaction: configuration-backed services.
#[derive(Clone, Default)]
pub struct Services {
    /// The Billy API-key keyring; `None` when the server has no keys configured (key
    /// operations then fail with `INTERNAL`, logged).
    pub keyring: Option<Arc<Keyring>>,
    /// The vault searches' `efSearch` when a request gives none (`TEKUP_VAULT_EF_SEARCH`);
    /// `None`: the service's default (`service::vault::EF_SEARCH_DEFAULT`).
    pub vault_ef_search: Option<u64>,
}

/// The request's transaction and the statements its readers ran.
pub struct RequestDb {
    /// The request's transaction: read-only and repeatable-read for queries, read-write
    /// and read-committed for mutations. The caller's role and tenant are set in it with
    /// `SET LOCAL` semantics before any resolver runs.
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

/// The schema, built on first use (the server builds it at start); without `introspection`, `__schema` and `__type` are
/// refused.
pub fn schema(introspection: bool) -> Result<Schema, String> {
    static OPEN: LazyLock<Result<Schema, String>> = LazyLock::new(|| schema::build(true));
    static CLOSED: LazyLock<Result<Schema, String>> = LazyLock::new(|| schema::build(false));
    if introspection {
        OPEN.clone()
    } else {
        CLOSED.clone()
    }
}

/// The schema in SDL.
pub fn sdl() -> Result<String, String> {
    schema(true).map(|s| s.sdl())
}
