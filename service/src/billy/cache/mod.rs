//! TTL caches of Billy.dk JSON: `billy.cached_invoices`, `billy.cached_customers`,
//! `billy.cached_products`. One implementation for the three tables, chosen by
//! [`CacheKind`]. A row is a miss once `expires_at < now()`.

mod entries;
mod purge;

pub use entries::{DEFAULT_TTL, MAX_TTL, get_cached, invalidate_cached, set_cached};
pub use purge::{CacheCounts, invalidate_organization_cache, purge_expired_cache};

use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// Which cache table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheKind {
    /// `billy.cached_invoices`.
    Invoices,
    /// `billy.cached_customers`.
    Customers,
    /// `billy.cached_products`.
    Products,
}

impl CacheKind {
    /// Every cache table.
    pub const ALL: [Self; 3] = [Self::Invoices, Self::Customers, Self::Products];

    /// The qualified table name (a constant, never user input).
    pub fn table(self) -> &'static str {
        match self {
            Self::Invoices => "billy.cached_invoices",
            Self::Customers => "billy.cached_customers",
            Self::Products => "billy.cached_products",
        }
    }
}

/// One cached Billy.dk resource.
#[derive(Clone, Debug, PartialEq, Serialize, FromQueryResult)]
pub struct CachedEntry {
    /// Row id.
    pub id: Uuid,
    /// The organisation.
    pub organization_id: Uuid,
    /// Billy.dk resource id.
    pub billy_id: String,
    /// The resource JSON.
    pub data: Value,
    /// When it was (last) written.
    pub cached_at: DateTime<Utc>,
    /// When it stops being served.
    pub expires_at: DateTime<Utc>,
}
