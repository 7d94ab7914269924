//! `bench_api`: HTTP load driver for one GraphQL endpoint and one request body (used by
//! `scripts/bench-api`; a benchmark, not a test).
//!
//! ```text
//! bench_api --url http://127.0.0.1:8080/graphql --body-file shape1.json
//!           [--header 'Authorization: Bearer …']… [--connections 32] [--warmup 3]
//!           [--duration 10] [--threads 1] [--cpu-pid PID]… [--pg-pid PID]
//!           [--sample-out FILE]
//! ```
//!
//! `--connections` tasks each send the body in a loop over keep-alive HTTP/1.1 connections
//! (one `reqwest` client, one pooled connection per task) for `warmup + duration` seconds.
//! Every response must be `200` with a JSON body that has `data` and no `errors`; any other
//! response is a failure (the first one is printed; exit status 1). Latency (send → whole
//! body read and parsed) is recorded for the requests that complete inside the measured
//! window (after the warm-up); req/s = those requests / window.
//!
//! CPU: `utime + stime` from `/proc/<pid>/stat` of each `--cpu-pid` and all its live
//! descendants, plus its reaped children (`cutime + cstime`), read at the start and the end
//! of the measured window → CPU ms per measured request. `--pg-pid` (the postmaster) is
//! read the same way and reported separately. The driver's own CPU is reported too.
//!
//! `extensions.sqlStatements` of the responses (our API) is averaged when present.
//!
//! Output: one JSON object on stdout; progress on stderr.

use std::{
    collections::HashMap,
    fs,
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde::Deserialize;
use serde::de::IgnoredAny;

#[derive(Debug)]
struct Args {
    url: String,
    headers: Vec<(String, String)>,
    body: String,
    connections: usize,
    warmup: f64,
    duration: f64,
    threads: usize,
    cpu_pids: Vec<u32>,
    pg_pid: Option<u32>,
    sample_out: Option<String>,
}

const USAGE: &str = "usage: bench_api --url URL (--body-file FILE | --body JSON) [--header 'K: V']... \
[--connections 32] [--warmup 3] [--duration 10] [--threads 1] [--cpu-pid PID]... [--pg-pid PID] \
[--sample-out FILE]";

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut url = None;
    let mut body = None;
    let mut args = Args {
        url: String::new(),
        headers: Vec::new(),
        body: String::new(),
        connections: 32,
        warmup: 3.0,
        duration: 10.0,
        threads: 1,
        cpu_pids: Vec::new(),
        pg_pid: None,
        sample_out: None,
    };
    fn num<T: std::str::FromStr>(name: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{name} needs a value"))?;
        v.parse()
            .map_err(|_| format!("{name}: not a valid number: {v:?}"))
    }
    while let Some(a) = it.next() {
        match a.as_str() {
            "--url" => url = it.next(),
            "--body" => body = it.next(),
            "--body-file" => {
                let path = it.next().ok_or("--body-file needs a value")?;
                body = Some(fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?);
            }
            "--header" => {
                let h = it.next().ok_or("--header needs a value")?;
                let (k, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("--header {h:?}: expected 'Name: value'"))?;
                args.headers
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "--connections" => args.connections = num("--connections", it.next())?,
            "--warmup" => args.warmup = num("--warmup", it.next())?,
            "--duration" => args.duration = num("--duration", it.next())?,
            "--threads" => args.threads = num("--threads", it.next())?,
            "--cpu-pid" => args.cpu_pids.push(num("--cpu-pid", it.next())?),
            "--pg-pid" => args.pg_pid = Some(num("--pg-pid", it.next())?),
            "--sample-out" => args.sample_out = it.next(),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    args.url = url.ok_or_else(|| format!("--url is required\n{USAGE}"))?;
    args.body = body.ok_or_else(|| format!("--body or --body-file is required\n{USAGE}"))?;
    if args.connections == 0 || args.threads == 0 || args.duration <= 0.0 || args.warmup < 0.0 {
        return Err("connections, threads, duration must be > 0, warmup >= 0".into());
    }
    Ok(args)
}

/// `(pid → (ppid, utime+stime, cutime+cstime))` of every process, in clock ticks.
fn proc_table() -> HashMap<u32, (u32, u64, u64)> {
    let mut out = HashMap::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name is in parentheses and may contain spaces: split after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() < 15 {
            continue;
        }
        let n = |i: usize| f[i].parse::<u64>().unwrap_or(0);
        out.insert(pid, (n(1) as u32, n(11) + n(12), n(13) + n(14)));
    }
    out
}

/// CPU ticks of `root` and its live descendants, plus `root`'s reaped children.
fn tree_ticks(table: &HashMap<u32, (u32, u64, u64)>, root: u32) -> Option<u64> {
    let (_, own, reaped) = *table.get(&root)?;
    let mut total = own + reaped;
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        for (&pid, &(ppid, ticks, _)) in table {
            if ppid == p && pid != p {
                total += ticks;
                stack.push(pid);
            }
        }
    }
    Some(total)
}

fn self_ticks() -> u64 {
    let pid = std::process::id();
    proc_table().get(&pid).map(|t| t.1).unwrap_or(0)
}

fn clk_tck() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0)
}

#[derive(Deserialize)]
struct GqlResponse {
    data: Option<IgnoredAny>,
    errors: Option<IgnoredAny>,
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    #[serde(rename = "sqlStatements")]
    sql_statements: Option<u64>,
}

#[derive(Default)]
struct Shared {
    latencies_us: Mutex<Vec<u32>>,
    first_failure: Mutex<Option<String>>,
    sample: Mutex<Option<String>>,
}

struct Counters {
    total: AtomicU64,
    failures: AtomicU64,
    stmt_sum: AtomicU64,
    stmt_n: AtomicU64,
    stop: AtomicBool,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    f64::from(sorted[rank.min(sorted.len()) - 1]) / 1000.0
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("bench_api: {msg}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("bench_api: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    for (k, v) in &args.headers {
        match (
            reqwest::header::HeaderName::from_bytes(k.as_bytes()),
            reqwest::header::HeaderValue::from_str(v),
        ) {
            (Ok(k), Ok(v)) => {
                headers.insert(k, v);
            }
            _ => {
                eprintln!("bench_api: invalid header {k:?}");
                return ExitCode::from(2);
            }
        }
    }
    let client = match reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(args.connections)
        .pool_idle_timeout(None)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(err) => {
            eprintln!("bench_api: cannot build the HTTP client: {err}");
            return ExitCode::FAILURE;
        }
    };
    let body = args.body.clone();
    let shared = Arc::new(Shared::default());
    let counters = Arc::new(Counters {
        total: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        stmt_sum: AtomicU64::new(0),
        stmt_n: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });

    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let measure_to = measure_from + Duration::from_secs_f64(args.duration);
    eprintln!(
        "bench_api: {} connections, {:.0} s warm-up + {:.0} s measured -> {}",
        args.connections, args.warmup, args.duration, args.url
    );

    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let client = client.clone();
        let url = args.url.clone();
        let body = body.clone();
        let shared = shared.clone();
        let counters = counters.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = Vec::with_capacity(4096);
            while !counters.stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let result = client.post(&url).body(body.clone()).send().await;
                let outcome = match result {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.bytes().await {
                            Ok(bytes) => check(status.as_u16(), &bytes).inspect(|_| {
                                if let Ok(mut s) = shared.sample.lock()
                                    && s.is_none()
                                {
                                    *s = Some(String::from_utf8_lossy(&bytes).into_owned());
                                }
                            }),
                            Err(err) => Err(format!("reading the body: {err}")),
                        }
                    }
                    Err(err) => Err(format!("request failed: {err}")),
                };
                let t1 = Instant::now();
                counters.total.fetch_add(1, Ordering::Relaxed);
                match outcome {
                    Ok(stmts) => {
                        if let Some(n) = stmts
                            && t0 >= measure_from
                        {
                            counters.stmt_sum.fetch_add(n, Ordering::Relaxed);
                            counters.stmt_n.fetch_add(1, Ordering::Relaxed);
                        }
                        if t0 >= measure_from && t1 <= measure_to {
                            local.push((t1 - t0).as_micros().min(u128::from(u32::MAX)) as u32);
                        }
                    }
                    Err(msg) => {
                        counters.failures.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut f) = shared.first_failure.lock()
                            && f.is_none()
                        {
                            *f = Some(msg);
                        }
                    }
                }
                if t1 >= measure_to {
                    break;
                }
            }
            if let Ok(mut all) = shared.latencies_us.lock() {
                all.extend(local);
            }
        }));
    }

    // CPU snapshots at the window's edges.
    let ticks_at = |pids: &[u32], pg: Option<u32>| {
        let table = proc_table();
        let server: Option<u64> = pids
            .iter()
            .map(|&p| tree_ticks(&table, p))
            .sum::<Option<u64>>();
        let pg = pg.and_then(|p| tree_ticks(&table, p));
        (server, pg, self_ticks())
    };
    tokio::time::sleep_until(measure_from.into()).await;
    let before = ticks_at(&args.cpu_pids, args.pg_pid);
    let total_at_from = counters.total.load(Ordering::Relaxed);
    eprintln!("bench_api: warm-up done ({total_at_from} requests); measuring");
    tokio::time::sleep_until(measure_to.into()).await;
    let after = ticks_at(&args.cpu_pids, args.pg_pid);
    counters.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let window = args.duration;

    let mut lat = shared
        .latencies_us
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    lat.sort_unstable();
    let measured = lat.len() as f64;
    let hz = clk_tck();
    let per_req = |b: Option<u64>, a: Option<u64>| match (b, a) {
        (Some(b), Some(a)) if measured > 0.0 => {
            Some((a.saturating_sub(b)) as f64 / hz * 1000.0 / measured)
        }
        _ => None,
    };
    let server_cpu = if args.cpu_pids.is_empty() {
        None
    } else {
        per_req(before.0, after.0)
    };
    let pg_cpu = per_req(before.1, after.1);
    let driver_cpu = per_req(Some(before.2), Some(after.2));
    let stmt_n = counters.stmt_n.load(Ordering::Relaxed);
    let stmts =
        (stmt_n > 0).then(|| counters.stmt_sum.load(Ordering::Relaxed) as f64 / stmt_n as f64);
    let failures = counters.failures.load(Ordering::Relaxed);
    let total = counters.total.load(Ordering::Relaxed);
    let mean = if lat.is_empty() {
        f64::NAN
    } else {
        lat.iter().map(|&x| f64::from(x)).sum::<f64>() / measured / 1000.0
    };
    let report = serde_json::json!({
        "requests_total": total,
        "requests_measured": lat.len(),
        "failures": failures,
        "window_s": window,
        "rps": measured / window,
        "p50_ms": percentile(&lat, 50.0),
        "p99_ms": percentile(&lat, 99.0),
        "mean_ms": mean,
        "max_ms": lat.last().map(|&x| f64::from(x) / 1000.0),
        "server_cpu_ms_per_req": server_cpu,
        "pg_cpu_ms_per_req": pg_cpu,
        "driver_cpu_ms_per_req": driver_cpu,
        "sql_statements_ext": stmts,
        "first_failure": shared.first_failure.lock().ok().and_then(|f| f.clone()),
    });
    if let Some(path) = &args.sample_out
        && let Some(sample) = shared.sample.lock().ok().and_then(|s| s.clone())
        && let Err(err) = fs::write(path, sample)
    {
        eprintln!("bench_api: cannot write {path}: {err}");
    }
    println!("{report}");
    eprintln!(
        "bench_api: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} failures",
        measured / window,
        percentile(&lat, 50.0),
        percentile(&lat, 99.0),
        failures
    );
    if failures > 0 || lat.is_empty() {
        if let Some(f) = shared.first_failure.lock().ok().and_then(|f| f.clone()) {
            eprintln!("bench_api: first failure: {f}");
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `Ok(extensions.sqlStatements)` for a 200 with `data` and no `errors`.
fn check(status: u16, bytes: &[u8]) -> Result<Option<u64>, String> {
    let text = || String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]).into_owned();
    if status != 200 {
        return Err(format!("HTTP {status}: {}", text()));
    }
    let parsed: GqlResponse =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e}): {}", text()))?;
    if parsed.errors.is_some() {
        return Err(format!("GraphQL errors: {}", text()));
    }
    if parsed.data.is_none() {
        return Err(format!("no data: {}", text()));
    }
    Ok(parsed.extensions.and_then(|e| e.sql_statements))
}
