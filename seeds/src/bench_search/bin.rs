//! `bench_search`: the vault search benchmark (see `seeds::bench_search`,
//! docs/search-benchmark.md). Normally started by `scripts/bench-search`.
//!
//! ```sh
//! DATABASE_URL=postgres://tekup:tekup@127.0.0.1:55441/tekup_bench_search \
//!   target/release/bench_search --size 10000 --api-url http://127.0.0.1:8080/graphql --token ...
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use seeds::bench_search::measure::{self, Drive, Figures, Mode, Target};
use seeds::bench_search::{self, BenchError, corpus::Clusters};
use service::database::{self, PoolConfig};

/// Loads the clustered corpus and measures vault search: raw SQL against our GraphQL API.
#[derive(Parser, Debug)]
#[command(name = "bench_search")]
struct Args {
    /// Target database (must contain "bench" in its name).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Documents in the corpus.
    #[arg(long, default_value_t = 100_000)]
    size: u64,
    /// Corpus seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Queries in the query set.
    #[arg(long, default_value_t = 200)]
    queries: u64,
    /// Keep the loaded corpus when it already has `size` rows (else: truncate and load).
    #[arg(long)]
    reuse: bool,
    /// Only load (and build the index).
    #[arg(long)]
    load_only: bool,
    /// maintenance_work_mem for the index build.
    #[arg(long, default_value = "2GB")]
    maintenance_work_mem: String,
    /// Our GraphQL endpoint (without it only raw SQL is measured).
    #[arg(long)]
    api_url: Option<String>,
    /// Bearer token for the API.
    #[arg(long, env = "BENCH_SEARCH_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// ef_search of the measured searches (the API's default is TEKUP_VAULT_EF_SEARCH).
    #[arg(long, default_value_t = service::vault::EF_SEARCH_DEFAULT)]
    ef_search: u64,
    /// Extra ef_search values for a recall/speed sweep of raw SQL (comma list; empty: none).
    #[arg(long, default_value = "40,64,200,400")]
    sweep: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 2)]
    clients: usize,
    /// Measured seconds per target × mode (at least one pass over the queries).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Unmeasured warm-up searches per target × mode (one client; the default is a pass
    /// over the default query set, so the index is in the buffer cache).
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Where to keep the ground truth between runs (JSON; keyed by size, seed, queries).
    #[arg(long)]
    truth_cache: Option<std::path::PathBuf>,
}

fn db_name(url: &str) -> &str {
    let path = url.rsplit('/').next().unwrap_or("");
    path.split('?').next().unwrap_or("")
}

fn step(msg: &str) {
    eprintln!("\n==> {msg}");
}

type Truth = Vec<Vec<Vec<sea_orm::prelude::Uuid>>>;

async fn truth(
    args: &Args,
    db: &sea_orm::DatabaseConnection,
    queries: &Arc<Vec<seeds::bench_search::corpus::Query>>,
) -> bench_search::Result<Truth> {
    let key = format!("{}-{}-{}", args.size, args.seed, args.queries);
    if let Some(path) = &args.truth_cache
        && let Ok(text) = std::fs::read_to_string(path)
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        && v["key"] == key
        && let Ok(t) = serde_json::from_value::<Truth>(v["truth"].clone())
    {
        eprintln!("    ground truth from {}", path.display());
        return Ok(t);
    }
    let mut all = Vec::new();
    for mode in Mode::ALL {
        let t = std::time::Instant::now();
        all.push(measure::ground_truth(db, queries, mode, args.clients).await?);
        eprintln!(
            "    {}: exact top-{} of {} queries by sequential scan in {:.1} s",
            mode.name(),
            measure::K,
            queries.len(),
            t.elapsed().as_secs_f64()
        );
    }
    if let Some(path) = &args.truth_cache {
        let _ = std::fs::write(
            path,
            serde_json::json!({"key": key, "truth": all}).to_string(),
        );
    }
    Ok(all)
}

fn row(target: &str, mode: Mode, f: &Figures) -> String {
    format!(
        "{:<14}{:<13}{:>8.3}{:>9.2}{:>9.2}{:>9.1}{:>9}",
        mode.name(),
        target,
        f.recall,
        f.p50_ms,
        f.p99_ms,
        f.qps,
        f.searches
    )
}

async fn run(args: Args) -> bench_search::Result<()> {
    let db = database::connect(&args.database_url, &PoolConfig::default()).await?;
    let clusters = Clusters::new(args.seed);
    step(&format!(
        "corpus: {} documents × 1536 dimensions, seed {}",
        args.size, args.seed
    ));
    let have = bench_search::count(&db).await?;
    let mut summary = Vec::new();
    if args.reuse && u64::try_from(have).ok() == Some(args.size) {
        let idx = bench_search::scalar_i64(
            &db,
            &format!(
                "SELECT pg_relation_size('vault.{}')",
                bench_search::HNSW_INDEX
            ),
        )
        .await?;
        eprintln!(
            "    reusing the loaded corpus ({have} documents, index {:.0} MB)",
            idx as f64 / 1e6
        );
        summary.push(format!(
            "corpus: {have} documents (reused), HNSW index {:.0} MB (build time: see the run that loaded it)",
            idx as f64 / 1e6
        ));
    } else {
        let l = bench_search::load(&db, &clusters, args.size, &args.maintenance_work_mem).await?;
        summary.push(format!(
            "corpus: {} documents loaded in {:.1} s; table {:.0} MB; HNSW index (m 16, ef_construction 64) built in {:.1} s, {:.0} MB",
            l.documents,
            l.load_time.as_secs_f64(),
            l.table_bytes as f64 / 1e6,
            l.index_build_time.as_secs_f64(),
            l.index_bytes as f64 / 1e6
        ));
    }
    if args.load_only {
        println!("{}", summary.join("\n"));
        return Ok(());
    }
    let queries = Arc::new(
        (0..args.queries)
            .map(|n| clusters.query(n))
            .collect::<Vec<_>>(),
    );
    step(&format!(
        "ground truth ({} queries, {} clients)",
        queries.len(),
        args.clients
    ));
    let truth = truth(&args, &db, &queries).await?;

    step("plans of the 20 % filtered search (EXPLAIN ANALYZE)");
    let plans = measure::explain_filtered(&db, &queries[0], args.ef_search).await?;
    for l in &plans {
        eprintln!("    {l}");
    }

    let duration = Duration::from_secs(args.duration);
    let mut targets = vec![Target::Raw(db.clone())];
    if let Some(url) = &args.api_url {
        targets.push(Target::Api {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(args.clients)
                .build()
                .map_err(|e| BenchError::Http(e.to_string()))?,
            url: url.clone(),
            token: args.token.clone(),
        });
    }
    let mut results: Vec<(Mode, &'static str, Figures)> = Vec::new();
    for (mi, mode) in Mode::ALL.into_iter().enumerate() {
        for target in &targets {
            step(&format!(
                "{} × {}: {} clients, ef_search {}, {} s",
                mode.name(),
                target.name(),
                args.clients,
                args.ef_search,
                args.duration
            ));
            let f = measure::run(
                target,
                &queries,
                &truth[mi],
                mode,
                Drive {
                    ef: args.ef_search,
                    clients: args.clients,
                    duration,
                    warmup: args.warmup,
                },
            )
            .await?;
            eprintln!("    {}", row(target.name(), mode, &f));
            results.push((mode, target.name(), f));
        }
    }
    let mut sweep = Vec::new();
    for ef in args
        .sweep
        .split(',')
        .filter_map(|s| s.trim().parse::<u64>().ok())
    {
        for (mi, mode) in [Mode::Unfiltered, Mode::Filtered].into_iter().enumerate() {
            step(&format!("sweep: {} × raw SQL, ef_search {ef}", mode.name()));
            let f = measure::run(
                &targets[0],
                &queries,
                &truth[mi],
                mode,
                Drive {
                    ef,
                    clients: args.clients,
                    duration: Duration::ZERO,
                    warmup: args.warmup,
                },
            )
            .await?;
            sweep.push(format!(
                "  ef_search {ef:>4}  {:<14} recall@10 {:.3}  p50 {:.2} ms  {:.0} q/s",
                mode.name(),
                f.recall,
                f.p50_ms,
                f.qps
            ));
        }
    }

    let mut out = summary;
    out.push(format!(
        "{} queries, top-{}, {} concurrent clients, ef_search {}, {} s per row (at least one pass); recall@10 against exact results (sequential scan)",
        queries.len(),
        measure::K,
        args.clients,
        args.ef_search,
        args.duration
    ));
    out.push(format!(
        "{:<14}{:<13}{:>8}{:>9}{:>9}{:>9}{:>9}",
        "search", "target", "recall", "p50 ms", "p99 ms", "q/s", "n"
    ));
    for (mode, target, f) in &results {
        out.push(row(target, *mode, f));
    }
    let get = |m: Mode, t: &str| {
        results
            .iter()
            .find(|(mm, tt, _)| *mm == m && *tt == t)
            .map(|(_, _, f)| f.clone())
    };
    out.push(String::new());
    for t in ["raw SQL", "GraphQL API"] {
        let (Some(u), Some(fl), Some(h)) = (
            get(Mode::Unfiltered, t),
            get(Mode::Filtered, t),
            get(Mode::Hybrid, t),
        ) else {
            continue;
        };
        out.push(format!(
            "{t}: 20 % filtered q/s / unfiltered q/s = {:.2} (goal ≥ 0.5); hybrid p50 / semantic p50 = {:.2} (goal ≤ 2)",
            fl.qps / u.qps,
            h.p50_ms / u.p50_ms
        ));
    }
    for m in Mode::ALL {
        if let (Some(r), Some(a)) = (get(m, "raw SQL"), get(m, "GraphQL API")) {
            out.push(format!(
                "{}: API q/s / raw SQL q/s = {:.2} (goal ≥ 0.5), API recall {:.3} (goal ≥ 0.95)",
                m.name(),
                a.qps / r.qps,
                a.recall
            ));
        }
    }
    if !sweep.is_empty() {
        out.push(String::new());
        out.push("ef_search sweep (raw SQL, one pass):".into());
        out.extend(sweep);
    }
    out.push(String::new());
    out.push("plans of the 20 % filtered search:".into());
    out.extend(plans);
    step("results");
    println!("{}", out.join("\n"));
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !db_name(&args.database_url).contains("bench") {
        eprintln!("bench_search: refusing a database whose name does not contain \"bench\"");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("bench_search: error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench_search: error: {err}");
            ExitCode::FAILURE
        }
    }
}
