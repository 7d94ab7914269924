//! Which tables are tenant-scoped, and by which column (DECISION D19). The migration
//! `row_level_security` puts the same list into PostgreSQL policies; a test compares them.

use service::read::Table;

/// The tenant a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tenant {
    /// A Billy organisation (`uuid`): `tekup.billy_organization_id`.
    Billy,
    /// A RenOS organisation (`text`): `tekup.renos_organization_id`.
    Renos,
}

/// `(schema, table, column, tenant)` of every tenant-scoped table.
pub const TENANT_TABLES: &[(&str, &str, &str, Tenant)] = &[
    ("billy", "organizations", "id", Tenant::Billy),
    ("billy", "users", "organization_id", Tenant::Billy),
    ("billy", "cached_invoices", "organization_id", Tenant::Billy),
    (
        "billy",
        "cached_customers",
        "organization_id",
        Tenant::Billy,
    ),
    ("billy", "cached_products", "organization_id", Tenant::Billy),
    ("billy", "audit_logs", "organization_id", Tenant::Billy),
    ("billy", "usage_metrics", "organization_id", Tenant::Billy),
    ("billy", "rate_limits", "organization_id", Tenant::Billy),
    ("renos", "invoices", "billy_organization_id", Tenant::Billy),
    (
        "shared",
        "party_links",
        "billy_organization_id",
        Tenant::Billy,
    ),
    ("renos", "chat_sessions", "organization_id", Tenant::Renos),
    ("renos", "notifications", "organization_id", Tenant::Renos),
    ("renos", "audit_logs", "organization_id", Tenant::Renos),
    ("renos", "security_events", "organization_id", Tenant::Renos),
];

/// The tenant column of `t`, when it is tenant-scoped.
pub fn tenant_column(t: &Table) -> Option<(&'static str, Tenant)> {
    TENANT_TABLES
        .iter()
        .find(|(s, n, _, _)| *s == t.schema && *n == t.name)
        .map(|&(_, _, c, tenant)| (c, tenant))
}

/// Whether `t` is tenant-scoped (a `user` may write it, for its own tenant).
pub fn is_tenant_table(t: &Table) -> bool {
    tenant_column(t).is_some()
}
