//! Versioned migrations of Tekup Database.
//!
//! Each migration is a pair of SQL files in `migration/sql/` (`<name>.up.sql`,
//! `<name>.down.sql`). The per-schema files and `cross_schema_links` are generated from
//! `spec/model.json` by `tools/gen_sql.py`; `foundation`, `vault_search`, `access` and `vault_keyword_search` are
//! hand-written.
//! The migrator CLI is `cargo run -p migration -- <up|down|status|fresh|refresh|reset>`.

pub use sea_orm_migration::prelude::*;

mod sql_migration;

use sql_migration::SqlMigration;

macro_rules! sql_migration {
    ($name:literal, $file:literal) => {
        SqlMigration {
            name: $name,
            up: include_str!(concat!("../sql/", $file, ".up.sql")),
            down: include_str!(concat!("../sql/", $file, ".down.sql")),
        }
    };
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[SqlMigration] = &[
    sql_migration!("m20261124_000001_foundation", "foundation"),
    sql_migration!("m20261124_000002_shared", "shared"),
    sql_migration!("m20261124_000003_vault", "vault"),
    sql_migration!("m20261124_000004_billy", "billy"),
    sql_migration!("m20261124_000005_renos", "renos"),
    sql_migration!("m20261124_000006_crm", "crm"),
    sql_migration!("m20261124_000007_flow", "flow"),
    sql_migration!("m20261124_000008_vault_search", "vault_search"),
    sql_migration!("m20261124_000009_cross_schema_links", "cross_schema_links"),
    sql_migration!("m20261124_000010_vault_hybrid", "vault_hybrid"),
    sql_migration!("m20261124_000011_billy_usage_totals", "billy_usage_totals"),
    sql_migration!("m20261124_000012_fk_indexes", "fk_indexes"),
    sql_migration!("m20261124_000013_api_read_paths", "api_read_paths"),
    sql_migration!("m20261124_000014_access", "access"),
    sql_migration!(
        "m20261125_000015_vault_keyword_search",
        "vault_keyword_search"
    ),
];

/// The schema of API access control (API keys, row-level security helpers).
pub const ACCESS_SCHEMA: &str = "access";

/// The app schemas the migrations own; `fresh` drops them (and [`ACCESS_SCHEMA`]).
pub const SCHEMAS: &[&str] = &["vault", "billy", "renos", "crm", "flow", "shared"];

/// Applies, rolls back and reports the migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATIONS
            .iter()
            .map(|m| Box::new(*m) as Box<dyn MigrationTrait>)
            .collect()
    }

    /// Drops the six schemas, the trigger functions and the bookkeeping table, then applies
    /// every migration (the default `fresh` only knows the `public` schema).
    async fn fresh<'c, C>(db: C) -> Result<(), DbErr>
    where
        C: IntoSchemaManagerConnection<'c>,
    {
        let db = db.into_database_executor();
        let drop = format!(
            "DROP SCHEMA IF EXISTS {}, {ACCESS_SCHEMA} CASCADE; \
             DROP FUNCTION IF EXISTS public.tekup_touch_updated_at(), public.tekup_touch_last_updated(); \
             DROP TABLE IF EXISTS public.seaql_migrations;",
            SCHEMAS.join(", ")
        );
        db.execute_unprepared(&drop).await?;
        Self::up(db, None).await
    }
}

/// A fingerprint of every migration's SQL: a database migrated by a different set of
/// scripts has a different one (the test harness names its template database after it).
pub fn fingerprint() -> String {
    // FNV-1a, 64 bit: stable across builds and platforms, no dependency needed.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MIGRATIONS {
        for part in [m.name, m.up, m.down] {
            for byte in part.bytes().chain([0u8]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    format!("{hash:016x}")
}

/// Whether every migration compiled into this binary is applied (for readiness checks).
/// Read-only: never creates the bookkeeping table.
pub async fn migrations_current<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations_read_only(db)
        .await?
        .is_empty())
}
