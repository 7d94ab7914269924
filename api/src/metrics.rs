//! `GET /metrics`: Prometheus text format (0.0.4), rendered from in-process counters.
//!
//! - `http_requests_total{route,status}`: every response, by matched route (`unmatched` for
//!   404s outside the route table, so unknown paths cannot grow the label set) and status.
//! - `http_request_duration_seconds{route}`: histogram of the time to the response head.
//! - `graphql_errors_total{code}`: GraphQL errors in responses, by `extensions.code`.
//! - `db_pool_connections{state="in_use"|"idle"}` and `db_pool_max_connections`: the
//!   PostgreSQL pool, read at scrape time.
//!
//! The counting is one middleware ([`track`]) over the whole router; handlers only report
//! GraphQL error codes through a response extension ([`GraphqlErrorCodes`]).

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use sea_orm::{DatabaseBackend, DatabaseConnection};

/// Upper bounds (seconds) of the latency histogram buckets (`+Inf` is implied).
pub const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label for requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// The `extensions.code` of each error of a GraphQL response; the GraphQL handler attaches
/// it to its HTTP response, [`track`] counts it.
#[derive(Clone, Debug, Default)]
pub struct GraphqlErrorCodes(pub Vec<String>);

#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], not cumulative; the last slot is `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(BUCKETS.len());
        self.counts[slot] += 1;
        self.sum += seconds;
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    graphql_errors: BTreeMap<String, u64>,
}

/// The counters of one router.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        // A panic while holding the lock leaves consistent-enough counters.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Records one response.
    pub fn record(&self, route: &str, status: u16, seconds: f64, graphql_errors: &[String]) {
        self.with(|m| {
            *m.requests.entry((route.to_owned(), status)).or_default() += 1;
            m.latency
                .entry(route.to_owned())
                .or_default()
                .observe(seconds);
            for code in graphql_errors {
                *m.graphql_errors.entry(code.clone()).or_default() += 1;
            }
        });
    }

    /// The Prometheus text exposition of the counters and of `db`'s pool.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let mut out = String::new();
        self.with(|m| {
            out.push_str(
                "# HELP http_requests_total HTTP responses by matched route and status.\n\
                 # TYPE http_requests_total counter\n",
            );
            for ((route, status), n) in &m.requests {
                let _ = writeln!(
                    out,
                    "http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
            out.push_str(
                "# HELP http_request_duration_seconds Time to the response head, by matched route.\n\
                 # TYPE http_request_duration_seconds histogram\n",
            );
            for (route, h) in &m.latency {
                let route = escape(route);
                let mut cumulative = 0;
                for (i, n) in h.counts.iter().enumerate() {
                    cumulative += n;
                    let le = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
                    let _ = writeln!(
                        out,
                        "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
            out.push_str(
                "# HELP graphql_errors_total Errors in GraphQL responses, by extensions.code.\n\
                 # TYPE graphql_errors_total counter\n",
            );
            for (code, n) in &m.graphql_errors {
                let _ = writeln!(out, "graphql_errors_total{{code=\"{}\"}} {n}", escape(code));
            }
        });
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let pool = db.get_postgres_connection_pool();
            let size = u64::from(pool.size());
            let idle = u64::try_from(pool.num_idle()).unwrap_or(u64::MAX);
            let max = pool.options().get_max_connections();
            let _ = write!(
                out,
                "# HELP db_pool_connections Open connections of the database pool, by state.\n\
                 # TYPE db_pool_connections gauge\n\
                 db_pool_connections{{state=\"in_use\"}} {}\n\
                 db_pool_connections{{state=\"idle\"}} {idle}\n\
                 # HELP db_pool_max_connections The most connections the database pool opens.\n\
                 # TYPE db_pool_max_connections gauge\n\
                 db_pool_max_connections {max}\n",
                size.saturating_sub(idle)
            );
        }
        out
    }
}

/// A label value in the text format: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware: times every request and records its route, status and GraphQL errors.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let resp = next.run(req).await;
    let seconds = start.elapsed().as_secs_f64();
    let codes = resp
        .extensions()
        .get::<GraphqlErrorCodes>()
        .map(|c| c.0.as_slice())
        .unwrap_or_default();
    metrics.record(&route, resp.status().as_u16(), seconds, codes);
    resp
}

/// `GET /metrics`.
pub fn response(metrics: &Metrics, db: &DatabaseConnection) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        metrics.render(db),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets() {
        let mut h = Histogram::default();
        h.observe(0.0005);
        h.observe(0.2);
        h.observe(100.0);
        assert_eq!(h.count, 3);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[6], 1);
        assert_eq!(h.counts[BUCKETS.len()], 1);
    }

    #[test]
    fn escapes_labels() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
