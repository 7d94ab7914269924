//! `bench_load`: loads the benchmark data set (see `seeds::bench`) into `DATABASE_URL`.
//!
//! ```sh
//! DATABASE_URL=postgres://tekup:tekup@127.0.0.1:55432/tekup_bench \
//!   target/release/bench_load --truncate
//! ```
//!
//! Refuses a database whose name does not contain `bench` unless `--any-database`.

use std::process::ExitCode;

use clap::Parser;
use seeds::bench::{self, Options, Sizes};
use service::database::{self, PoolConfig};

/// Deterministic bulk data set for the API benchmark.
#[derive(Parser, Debug)]
#[command(name = "bench_load")]
struct Args {
    /// Target database (must contain "bench" in its name unless --any-database).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// shared.users rows.
    #[arg(long, default_value_t = 1_000)]
    users: i64,
    /// renos.customers rows.
    #[arg(long, default_value_t = 10_000)]
    customers: i64,
    /// renos.leads rows.
    #[arg(long, default_value_t = 50_000)]
    leads: i64,
    /// renos.bookings rows.
    #[arg(long, default_value_t = 200_000)]
    bookings: i64,
    /// Rows per INSERT statement.
    #[arg(long, default_value_t = 50_000)]
    batch: i64,
    /// TRUNCATE the four tables (CASCADE) first.
    #[arg(long)]
    truncate: bool,
    /// Allow a database whose name does not contain "bench".
    #[arg(long)]
    any_database: bool,
}

fn db_name(url: &str) -> &str {
    let path = url.rsplit('/').next().unwrap_or("");
    path.split('?').next().unwrap_or("")
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.any_database && !db_name(&args.database_url).contains("bench") {
        eprintln!(
            "bench_load: refusing database {:?}: its name does not contain \"bench\" (--any-database)",
            db_name(&args.database_url)
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("bench_load: error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let sizes = Sizes {
        users: args.users,
        customers: args.customers,
        leads: args.leads,
        bookings: args.bookings,
    };
    let opts = Options {
        batch: args.batch,
        truncate: args.truncate,
    };
    let result = runtime.block_on(async {
        let db = database::connect(&args.database_url, &PoolConfig::default())
            .await
            .map_err(bench::LoadError::Db)?;
        let summary = bench::load(&db, &sizes, &opts).await;
        let _ = db.close().await;
        summary
    });
    match result {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("bench_load: error: {err}");
            ExitCode::FAILURE
        }
    }
}
