//! `tekup backup [--schema S ...] [--out FILE]`: `pg_dump` in custom format plus a manifest
//! (`FILE.manifest.json`) with the dump's SHA-256 and every dumped table's row count and
//! content checksum. Dump and checksums read one snapshot: the checksums are taken in a
//! repeatable-read transaction whose snapshot `pg_dump --snapshot` uses.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde::Serialize;

use super::manifest::{self, Manifest};
use super::report::table;
use super::{Ctx, OpsError, OpsResult, Report, pg_tools};
use crate::checksum::{self, TableChecksum};
use crate::progress::Step;

/// Schemas of a whole-database backup's manifest (plus `public.seaql_migrations`).
pub const ALL_SCHEMAS: [&str; 7] = ["vault", "billy", "renos", "crm", "flow", "shared", "access"];

/// Arguments of `tekup backup`.
#[derive(Clone, Debug, Args)]
pub struct BackupArgs {
    /// Dump only this schema (repeatable); default: the whole database.
    #[arg(long = "schema", value_name = "S")]
    pub schemas: Vec<String>,
    /// The dump file; the manifest goes beside it. Default: tekup-<UTC time>.dump.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// What `tekup backup` reports.
#[derive(Debug, Serialize)]
pub struct BackupReport {
    pub dump_file: String,
    pub manifest_file: String,
    pub dump_bytes: u64,
    pub seconds: f64,
    pub manifest: Manifest,
}

impl Report for BackupReport {
    fn human(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .manifest
            .tables
            .iter()
            .map(|t| vec![t.table.clone(), t.rows.to_string(), t.md5.clone()])
            .collect();
        format!(
            "{}\nbackup: {} ({} bytes, {:.1} s)\nmanifest: {}\ntables: {}, rows: {}, checksum {}\n",
            table(&["table", "rows", "md5"], &rows),
            self.dump_file,
            self.dump_bytes,
            self.seconds,
            self.manifest_file,
            self.manifest.tables.len(),
            self.manifest.tables.iter().map(|t| t.rows).sum::<i64>(),
            self.manifest.combined
        )
    }
}

/// Runs `tekup backup`.
pub async fn run(ctx: &Ctx, args: &BackupArgs) -> OpsResult<BackupReport> {
    let started = Instant::now();
    for s in &args.schemas {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(OpsError::Invalid(format!(
                "--schema {s:?}: not a schema name"
            )));
        }
    }
    let now = service::clock::now();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("tekup-{}.dump", now.format("%Y%m%d-%H%M%S"))));
    let txn = ctx.db.begin().await?;
    txn.execute_unprepared("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let snapshot: String = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_export_snapshot() AS s",
        ))
        .await?
        .ok_or_else(|| OpsError::Invalid("no snapshot".to_owned()))?
        .try_get("", "s")?;

    let mut dump_args = vec![
        "--format=custom".to_owned(),
        format!("--snapshot={snapshot}"),
        format!("--file={}", out.display()),
    ];
    for s in &args.schemas {
        dump_args.push(format!("--schema={s}"));
    }
    dump_args.push(format!("--dbname={}", ctx.database_url));
    let step = Step::start(ctx.progress, "pg_dump", None);
    // pg_dump blocks; the snapshot stays valid because `txn` stays open meanwhile.
    let dumped = tokio::task::spawn_blocking(move || pg_tools::run("pg_dump", &dump_args))
        .await
        .map_err(|e| OpsError::Invalid(format!("pg_dump task: {e}")))?;
    dumped?;
    step.finish("done");

    let schemas: Vec<&str> = if args.schemas.is_empty() {
        ALL_SCHEMAS.to_vec()
    } else {
        args.schemas.iter().map(String::as_str).collect()
    };
    let mut tables = checksums(&txn, &schemas, ctx).await?;
    if args.schemas.is_empty() {
        tables.push(
            checksum::table_checksum(&txn, "public", "seaql_migrations", &[], &["version"]).await?,
        );
    }
    txn.commit().await?;

    let dump_sha256 = manifest::file_sha256(&out)?;
    let manifest = Manifest {
        version: manifest::VERSION,
        created_at: now.to_rfc3339(),
        schemas: args.schemas.clone(),
        dump_file: out
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dump_sha256,
        combined: checksum::combined(&tables),
        tables,
    };
    let manifest_path = Manifest::path_for(&out);
    manifest.write(&manifest_path)?;
    let dump_bytes = std::fs::metadata(&out)
        .map_err(|e| OpsError::io(out.display().to_string(), e))?
        .len();
    Ok(BackupReport {
        dump_file: out.display().to_string(),
        manifest_file: manifest_path.display().to_string(),
        dump_bytes,
        seconds: started.elapsed().as_secs_f64(),
        manifest,
    })
}

/// Checksums of every table of `schemas`, with a progress line per table.
pub async fn checksums<C: ConnectionTrait>(
    db: &C,
    schemas: &[&str],
    ctx: &Ctx,
) -> OpsResult<Vec<TableChecksum>> {
    let names = checksum::tables(db, schemas).await?;
    let mut step = Step::start(ctx.progress, "checksums (tables)", Some(names.len() as u64));
    let mut out = Vec::with_capacity(names.len());
    for (s, t) in names {
        let pk = checksum::primary_key(db, &s, &t).await?;
        let pk: Vec<&str> = pk.iter().map(String::as_str).collect();
        out.push(checksum::table_checksum(db, &s, &t, &[], &pk).await?);
        step.advance(1);
    }
    step.finish(&format!("{} tables", out.len()));
    Ok(out)
}
