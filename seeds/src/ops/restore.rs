//! `tekup restore FILE [--clean]`: checks the dump against its manifest (SHA-256, the
//! manifest's own combined checksum), restores with `pg_restore` in one transaction
//! (extensions are not recreated: they must exist, as `scripts/db` makes them), then
//! recomputes every table of the manifest and compares. Any difference is a failure.
//! A whole-database backup restores into an empty database, or over one with `--clean`; a
//! `--schema` backup restores its rows (data only) into a migrated database whose tables
//! in those schemas are empty (its tables reference the shared functions and other
//! schemas, which it does not carry).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::backup::checksums;
use super::manifest::{self, Manifest};
use super::report::table;
use super::{Ctx, OpsError, OpsResult, Report, pg_tools};
use crate::checksum::TableChecksum;
use crate::progress::Step;

/// Arguments of `tekup restore`.
#[derive(Clone, Debug, Args)]
pub struct RestoreArgs {
    /// The dump file (its manifest `FILE.manifest.json` must be beside it).
    pub file: PathBuf,
    /// Drop the dumped objects before recreating them (restore a whole-database backup over
    /// an existing database). A `--schema` backup restores its rows into a migrated
    /// database whose tables in those schemas are empty; `--clean` is refused for it.
    #[arg(long)]
    pub clean: bool,
}

/// One table whose restored content differs from the manifest.
#[derive(Debug, Serialize)]
pub struct Mismatch {
    pub table: String,
    pub expected: Option<TableChecksum>,
    pub restored: Option<TableChecksum>,
}

/// What `tekup restore` reports.
#[derive(Debug, Serialize)]
pub struct RestoreReport {
    pub file: String,
    pub tables: usize,
    pub rows: i64,
    pub seconds: f64,
    pub mismatches: Vec<Mismatch>,
}

impl Report for RestoreReport {
    fn human(&self) -> String {
        let mut out = format!(
            "restored {} ({} tables, {} rows, {:.1} s)\n",
            self.file, self.tables, self.rows, self.seconds
        );
        if self.mismatches.is_empty() {
            out.push_str("verified: every table matches the manifest\n");
        } else {
            let rows: Vec<Vec<String>> = self
                .mismatches
                .iter()
                .map(|m| {
                    let show = |t: &Option<TableChecksum>| {
                        t.as_ref()
                            .map(|t| format!("{} rows {}", t.rows, t.md5))
                            .unwrap_or_else(|| "missing".to_owned())
                    };
                    vec![m.table.clone(), show(&m.expected), show(&m.restored)]
                })
                .collect();
            out.push_str("VERIFICATION FAILED:\n");
            out.push_str(&table(&["table", "manifest", "restored"], &rows));
        }
        out
    }

    fn ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Runs `tekup restore`.
pub async fn run(ctx: &Ctx, args: &RestoreArgs) -> OpsResult<RestoreReport> {
    let started = Instant::now();
    let manifest_path = Manifest::path_for(&args.file);
    let m = Manifest::read(&manifest_path)?;
    if !m.self_consistent() {
        return Err(OpsError::Invalid(format!(
            "{}: the table checksums do not add up to the manifest's combined checksum \
             (edited or damaged manifest)",
            manifest_path.display()
        )));
    }
    let schema_backup = !m.schemas.is_empty();
    if schema_backup && args.clean {
        return Err(OpsError::Invalid(
            "--clean restores whole-database backups; a --schema backup restores its rows \
             into a migrated database with empty tables in those schemas"
                .to_owned(),
        ));
    }
    let sha = manifest::file_sha256(&args.file)?;
    if sha != m.dump_sha256 {
        return Err(OpsError::Invalid(format!(
            "{}: SHA-256 differs from the manifest (damaged or replaced dump)",
            args.file.display()
        )));
    }
    for ext in ["vector", "pg_trgm"] {
        ctx.db
            .execute_unprepared(&format!("CREATE EXTENSION IF NOT EXISTS {ext}"))
            .await?;
    }

    // Everything but the extensions (owned by whoever installed them).
    let file = args.file.display().to_string();
    let listing = pg_tools::run("pg_restore", &["--list".to_owned(), file.clone()])?;
    let mut kept: Vec<String> = listing
        .lines()
        .filter(|l| !l.contains(" EXTENSION ") && !l.contains("COMMENT - EXTENSION"))
        .map(str::to_owned)
        .collect();
    if schema_backup {
        kept = parents_first(&ctx.db, kept).await?;
    }
    let kept: String = kept.iter().map(|l| format!("{l}\n")).collect();
    let list_path = std::env::temp_dir().join(format!(
        "tekup-restore-{}-{}.list",
        std::process::id(),
        started.elapsed().as_nanos()
    ));
    std::fs::write(&list_path, kept)
        .map_err(|e| OpsError::io(list_path.display().to_string(), e))?;
    let mut restore_args = vec![
        "--no-owner".to_owned(),
        "--single-transaction".to_owned(),
        "--exit-on-error".to_owned(),
        format!("--use-list={}", list_path.display()),
        format!("--dbname={}", ctx.database_url),
    ];
    if schema_backup {
        restore_args.push("--data-only".to_owned());
    }
    if args.clean {
        restore_args.push("--clean".to_owned());
        restore_args.push("--if-exists".to_owned());
    }
    restore_args.push(file.clone());
    let step = Step::start(ctx.progress, "pg_restore", None);
    let restored = tokio::task::spawn_blocking(move || pg_tools::run("pg_restore", &restore_args))
        .await
        .map_err(|e| OpsError::Invalid(format!("pg_restore task: {e}")));
    let _ = std::fs::remove_file(&list_path);
    restored??;
    step.finish("done");

    let mut schemas: Vec<String> = m
        .tables
        .iter()
        .filter_map(|t| t.table.split_once('.').map(|(s, _)| s.to_owned()))
        .filter(|s| s != "public")
        .collect();
    schemas.dedup();
    let schema_refs: Vec<&str> = schemas.iter().map(String::as_str).collect();
    let mut now = checksums(&ctx.db, &schema_refs, ctx).await?;
    if m.tables
        .iter()
        .any(|t| t.table == "public.seaql_migrations")
    {
        now.push(
            crate::checksum::table_checksum(
                &ctx.db,
                "public",
                "seaql_migrations",
                &[],
                &["version"],
            )
            .await?,
        );
    }
    let mut mismatches = Vec::new();
    for expected in &m.tables {
        let got = now.iter().find(|t| t.table == expected.table);
        if got != Some(expected) {
            mismatches.push(Mismatch {
                table: expected.table.clone(),
                expected: Some(expected.clone()),
                restored: got.cloned(),
            });
        }
    }
    Ok(RestoreReport {
        file,
        tables: m.tables.len(),
        rows: m.tables.iter().map(|t| t.rows).sum(),
        seconds: started.elapsed().as_secs_f64(),
        mismatches,
    })
}

/// `schema.table` of a `TABLE DATA` line of a `pg_restore --list` listing.
fn data_table(line: &str) -> Option<String> {
    let rest = line.split_once(" TABLE DATA ")?.1;
    let mut parts = rest.split_whitespace();
    Some(format!("{}.{}", parts.next()?, parts.next()?))
}

/// The listing with its `TABLE DATA` entries reordered so that referenced tables load
/// before the tables referencing them (foreign keys of the target database; a data-only
/// restore cannot defer them). Entries in a reference cycle keep their order, last.
async fn parents_first<C: ConnectionTrait>(db: &C, lines: Vec<String>) -> OpsResult<Vec<String>> {
    use std::collections::{BTreeMap, BTreeSet};
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT cn.nspname || '.' || c.relname AS child, pn.nspname || '.' || p.relname AS parent
             FROM pg_constraint k
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
             JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
             WHERE k.contype = 'f' AND k.conrelid <> k.confrelid"
                .to_owned(),
        ))
        .await?;
    let (data, other): (Vec<String>, Vec<String>) =
        lines.into_iter().partition(|l| data_table(l).is_some());
    let tables: BTreeSet<String> = data.iter().filter_map(|l| data_table(l)).collect();
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        let child: String = r.try_get("", "child")?;
        let parent: String = r.try_get("", "parent")?;
        if tables.contains(&child) && tables.contains(&parent) {
            parents.entry(child).or_default().insert(parent);
        }
    }
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(data.len());
    let mut pending = data;
    loop {
        let (ready, wait): (Vec<String>, Vec<String>) = pending.into_iter().partition(|l| {
            data_table(l).is_some_and(|t| {
                parents
                    .get(&t)
                    .is_none_or(|ps| ps.iter().all(|p| done.contains(p)))
            })
        });
        if ready.is_empty() {
            ordered.extend(wait);
            break;
        }
        for l in &ready {
            if let Some(t) = data_table(l) {
                done.insert(t);
            }
        }
        ordered.extend(ready);
        pending = wait;
        if pending.is_empty() {
            break;
        }
    }
    let mut out = other;
    out.extend(ordered);
    Ok(out)
}
