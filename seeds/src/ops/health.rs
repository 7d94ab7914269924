//! `tekup health`: connection, server version, extensions, per-schema table counts and
//! sizes, pending migrations. Healthy (exit 0) when connected, both extensions are
//! installed and no migration is pending.

use clap::Args;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Serialize;

use super::report::table;
use super::{Ctx, OpsResult, Report};

/// The schemas a healthy database has.
pub const SCHEMAS: [&str; 6] = ["vault", "billy", "renos", "crm", "flow", "shared"];
/// The extensions a healthy database has.
pub const EXTENSIONS: [&str; 2] = ["vector", "pg_trgm"];

/// Arguments of `tekup health` (none besides the global ones).
#[derive(Clone, Debug, Args)]
pub struct HealthArgs {}

/// One schema's tables.
#[derive(Debug, Serialize)]
pub struct SchemaHealth {
    pub schema: String,
    pub tables: i64,
    /// Estimated rows (planner statistics; exact counts are `tekup backup`'s manifest).
    pub estimated_rows: i64,
    /// Tables, indexes and TOAST, in bytes.
    pub bytes: i64,
}

/// What `tekup health` reports.
#[derive(Debug, Serialize)]
pub struct HealthReport {
    pub healthy: bool,
    pub server_version: String,
    /// Installed extensions with versions (`None`: missing).
    pub extensions: Vec<(String, Option<String>)>,
    pub schemas: Vec<SchemaHealth>,
    pub migrations_applied: usize,
    pub migrations_pending: Vec<String>,
    /// Why it is not healthy.
    pub problems: Vec<String>,
}

impl Report for HealthReport {
    fn human(&self) -> String {
        let mut out = format!(
            "PostgreSQL {}\nextensions: {}\nmigrations: {} applied, {} pending{}\n\n",
            self.server_version,
            self.extensions
                .iter()
                .map(|(n, v)| format!("{n} {}", v.as_deref().unwrap_or("MISSING")))
                .collect::<Vec<_>>()
                .join(", "),
            self.migrations_applied,
            self.migrations_pending.len(),
            if self.migrations_pending.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.migrations_pending.join(", "))
            }
        );
        let rows: Vec<Vec<String>> = self
            .schemas
            .iter()
            .map(|s| {
                vec![
                    s.schema.clone(),
                    s.tables.to_string(),
                    s.estimated_rows.to_string(),
                    format!("{:.1}", s.bytes as f64 / 1_048_576.0),
                ]
            })
            .collect();
        out.push_str(&table(&["schema", "tables", "rows (est.)", "MiB"], &rows));
        out.push('\n');
        if self.healthy {
            out.push_str("healthy\n");
        } else {
            out.push_str(&format!("NOT HEALTHY: {}\n", self.problems.join("; ")));
        }
        out
    }

    fn ok(&self) -> bool {
        self.healthy
    }
}

/// Runs `tekup health`.
pub async fn run(ctx: &Ctx, _args: &HealthArgs) -> OpsResult<HealthReport> {
    let db = &ctx.db;
    let q = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let version: String = db
        .query_one_raw(q("SELECT current_setting('server_version') AS v"))
        .await?
        .map(|r| r.try_get("", "v"))
        .transpose()?
        .unwrap_or_default();
    let mut problems = Vec::new();
    let mut extensions = Vec::new();
    for ext in EXTENSIONS {
        let v: Option<String> = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT extversion AS v FROM pg_extension WHERE extname = $1",
                [ext.into()],
            ))
            .await?
            .map(|r| r.try_get("", "v"))
            .transpose()?;
        if v.is_none() {
            problems.push(format!("extension {ext} is not installed"));
        }
        extensions.push((ext.to_owned(), v));
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT s.schema, count(c.oid)::bigint AS tables,
                    coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS rows,
                    coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
             FROM unnest($1::text[]) AS s(schema)
             LEFT JOIN pg_namespace n ON n.nspname = s.schema
             LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
             GROUP BY s.schema ORDER BY s.schema",
            [SCHEMAS
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .into()],
        ))
        .await?;
    let mut schemas = Vec::new();
    for r in rows {
        let s = SchemaHealth {
            schema: r.try_get("", "schema")?,
            tables: r.try_get("", "tables")?,
            estimated_rows: r.try_get("", "rows")?,
            bytes: r.try_get("", "bytes")?,
        };
        if s.tables == 0 {
            problems.push(format!("schema {} has no tables", s.schema));
        }
        schemas.push(s);
    }
    let (applied, pending) = match Migrator::get_pending_migrations_read_only(db).await {
        Ok(pending) => (
            Migrator::migrations().len() - pending.len(),
            pending
                .iter()
                .map(|m| m.name().to_owned())
                .collect::<Vec<_>>(),
        ),
        Err(e) => {
            problems.push(format!("cannot read the migration status: {e}"));
            (0, Vec::new())
        }
    };
    if !pending.is_empty() {
        problems.push(format!("{} migration(s) pending", pending.len()));
    }
    Ok(HealthReport {
        healthy: problems.is_empty(),
        server_version: version,
        extensions,
        schemas,
        migrations_applied: applied,
        migrations_pending: pending,
        problems,
    })
}
