//! `tekup`: the operator CLI — seed, health, backup, restore, import legacy, verify, embed.
//! Every subcommand has `--help`; `--json` prints the report as JSON on stdout (progress
//! stays on stderr); the exit code is 0 on success, 1 on any failure, 2 on bad usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use seeds::embed::{self, EmbedArgs};
use seeds::legacy::{self, ImportArgs, VerifyArgs};
use seeds::ops::{Ctx, OpsError, Report, backup, health, restore};
use seeds::progress::Mode;
use seeds::seed::{self, SeedArgs};

/// Operator commands of Tekup Database.
#[derive(Debug, Parser)]
#[command(name = "tekup", version, about, long_about = None)]
struct Cli {
    /// Target database, as the owner (migrating) role.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Print the report as JSON on stdout (no progress output).
    #[arg(long, global = true)]
    json: bool,
    /// No progress output.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load deterministic data into all six schemas through the service layer.
    Seed(SeedArgs),
    /// Connection, server version, extensions, tables and sizes per schema, migrations.
    Health(health::HealthArgs),
    /// pg_dump (custom format) plus a manifest of row counts and checksums per table.
    Backup(backup::BackupArgs),
    /// Restore a backup, then verify every table against its manifest.
    Restore(restore::RestoreArgs),
    /// Import data from legacy layouts.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Compare a legacy source with the canonical tables without writing anything.
    Verify(VerifyArgs),
    /// Embed the vault documents that need it through an OpenAI-compatible endpoint
    /// (API key from TEKUP_EMBED_API_KEY).
    Embed(EmbedArgs),
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import every legacy layout found in a source database (legacy-layouts.md).
    Legacy(ImportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Causes of internal errors are logged (stderr, `RUST_LOG` filters; warnings by default):
    // the report itself only names the error code.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let Some(url) = cli.database_url.clone() else {
        eprintln!("tekup: error: no database: set DATABASE_URL or pass --database-url");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tekup: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let db = match sea_orm::Database::connect(url.as_str()).await {
            Ok(db) => db,
            Err(e) => {
                eprintln!("tekup: error: cannot connect to the database: {e}");
                return ExitCode::FAILURE;
            }
        };
        let ctx = Ctx {
            db,
            database_url: url,
            progress: Mode::detect(cli.quiet || cli.json),
        };
        let json = cli.json;
        let outcome = match &cli.command {
            Command::Seed(a) => emit(seed::run(&ctx, a).await, json),
            Command::Health(a) => emit(health::run(&ctx, a).await, json),
            Command::Backup(a) => emit(backup::run(&ctx, a).await, json),
            Command::Restore(a) => emit(restore::run(&ctx, a).await, json),
            Command::Import(ImportCommand::Legacy(a)) => emit(legacy::import(&ctx, a).await, json),
            Command::Verify(a) => emit(legacy::verify(&ctx, a).await, json),
            Command::Embed(a) => emit(embed::run(&ctx, a).await, json),
        };
        let _ = ctx.db.close().await;
        outcome
    })
}

/// Prints the report (or the error) and gives the exit code.
fn emit<R: Report>(result: Result<R, OpsError>, json: bool) -> ExitCode {
    match result {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("tekup: error: cannot render the report: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print!("{}", report.human());
            }
            if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": false, "error": e.to_string() })
                );
            }
            eprintln!("tekup: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
