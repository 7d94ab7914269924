//! Measurement: exact ground truth, then recall@10, latency (p50, p99) and queries/s with
//! concurrent clients, for raw SQL and for our GraphQL API.
//!
//! Raw SQL runs the very statements the service runs (`semantic_search_statement`,
//! `hybrid_search_statement`) in a transaction with the same `SET LOCAL` scan settings,
//! straight over a database connection; the API gets the same searches as GraphQL
//! requests over HTTP (keep-alive), authenticated, in its own request transaction. The
//! ratio is therefore the cost of our API layer (HTTP, JSON, GraphQL, auth, session).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use service::vault::{self, HybridSearch, SemanticSearch};

use super::corpus::{Query, SOURCES};
use super::{BenchError, Result};

/// Hits per search (recall@K).
pub const K: u64 = 10;

/// What is searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Semantic search, no filter.
    Unfiltered,
    /// Semantic search, `source = 'github'` (20 % of the documents).
    Filtered,
    /// Hybrid search (keyword + vector, RRF), no filter.
    Hybrid,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Unfiltered, Mode::Filtered, Mode::Hybrid];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Unfiltered => "semantic",
            Mode::Filtered => "semantic 20 %",
            Mode::Hybrid => "hybrid",
        }
    }

    fn source(self) -> Option<String> {
        (self == Mode::Filtered).then(|| SOURCES[0].to_owned())
    }
}

/// Where the searches go.
#[derive(Clone, Debug)]
pub enum Target {
    /// The service's SQL statements over a connection pool.
    Raw(DatabaseConnection),
    /// Our GraphQL endpoint.
    Api {
        client: reqwest::Client,
        url: String,
        token: Option<String>,
    },
}

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Target::Raw(_) => "raw SQL",
            Target::Api { .. } => "GraphQL API",
        }
    }
}

fn semantic_input(q: &Query, mode: Mode, ef: u64) -> SemanticSearch {
    SemanticSearch {
        embedding: q.vector.clone(),
        limit: Some(K),
        threshold: Some(0.0),
        source: mode.source(),
        ef_search: Some(ef),
        ..SemanticSearch::default()
    }
}

fn hybrid_input(q: &Query, ef: u64) -> HybridSearch {
    HybridSearch {
        text: q.text.clone(),
        embedding: q.vector.clone(),
        limit: Some(K),
        ef_search: Some(ef),
        ..HybridSearch::default()
    }
}

fn statement(q: &Query, mode: Mode, ef: u64) -> Result<Statement> {
    Ok(match mode {
        Mode::Hybrid => vault::hybrid_search_statement(&hybrid_input(q, ef))?,
        _ => vault::semantic_search_statement(&semantic_input(q, mode, ef))?,
    })
}

/// The `hnsw.ef_search` the service sets for a search of `mode` (it widens to the
/// candidates: `K` for semantic search, `max(4 K, 40)` for hybrid search).
fn scan_ef(mode: Mode, ef: u64) -> u64 {
    let candidates = match mode {
        Mode::Hybrid => (K * vault::CANDIDATES_PER_HIT).max(vault::CANDIDATES_MIN),
        _ => K,
    };
    ef.max(candidates)
        .clamp(vault::EF_SEARCH_MIN, vault::EF_SEARCH_MAX)
}

fn ids(rows: &[sea_orm::QueryResult]) -> Result<Vec<Uuid>> {
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").map_err(BenchError::from))
        .collect()
}

async fn raw_search(db: &DatabaseConnection, q: &Query, mode: Mode, ef: u64) -> Result<Vec<Uuid>> {
    let stmt = statement(q, mode, ef)?;
    let txn = db.begin().await?;
    txn.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('hnsw.ef_search', $1, true), \
                set_config('hnsw.iterative_scan', 'strict_order', true)",
        [scan_ef(mode, ef).to_string().into()],
    ))
    .await?;
    let rows = txn.query_all_raw(stmt).await?;
    txn.commit().await?;
    ids(&rows)
}

const SEMANTIC_GQL: &str = "query($e: [Float!]!, $s: String, $ef: Int, $k: Int) { vault { \
    semanticSearch(embedding: $e, limit: $k, threshold: 0, source: $s, efSearch: $ef) { id } } }";
const HYBRID_GQL: &str = "query($t: String!, $e: [Float!]!, $ef: Int, $k: Int) { vault { \
    hybridSearch(text: $t, embedding: $e, limit: $k, efSearch: $ef) { id } } }";

async fn api_search(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    q: &Query,
    mode: Mode,
    ef: u64,
) -> Result<Vec<Uuid>> {
    let (query, field, vars) = match mode {
        Mode::Hybrid => (
            HYBRID_GQL,
            "hybridSearch",
            json!({"t": q.text, "e": q.vector, "ef": ef, "k": K}),
        ),
        _ => (
            SEMANTIC_GQL,
            "semanticSearch",
            json!({"e": q.vector, "s": mode.source(), "ef": ef, "k": K}),
        ),
    };
    let mut req = client
        .post(url)
        .json(&json!({"query": query, "variables": vars}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| BenchError::Http(e.to_string()))?;
    let status = resp.status();
    let body: Value = resp
        .json()
        .await
        .map_err(|e| BenchError::Http(e.to_string()))?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(BenchError::Http(format!("HTTP {status}: {body}")));
    }
    body["data"]["vault"][field]
        .as_array()
        .ok_or_else(|| BenchError::Http(format!("no hits in {body}")))?
        .iter()
        .map(|h| {
            h["id"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| BenchError::Http(format!("bad id in {h}")))
        })
        .collect()
}

/// One search against `target`.
pub async fn search(target: &Target, q: &Query, mode: Mode, ef: u64) -> Result<Vec<Uuid>> {
    match target {
        Target::Raw(db) => raw_search(db, q, mode, ef).await,
        Target::Api { client, url, token } => {
            api_search(client, url, token.as_deref(), q, mode, ef).await
        }
    }
}

/// The exact result of `q`: the service's statement for hybrid search, a plain distance
/// order for semantic search, both with index scans off (a sequential scan of every vector).
async fn exact(db: &DatabaseConnection, q: &Query, mode: Mode) -> Result<Vec<Uuid>> {
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL enable_indexscan = off")
        .await?;
    let stmt = match mode {
        Mode::Hybrid => statement(q, mode, vault::EF_SEARCH_DEFAULT)?,
        _ => {
            let v = vault::EmbeddingVector::parse("embedding", &q.vector)?;
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT e.document_id AS id FROM vault.embeddings e \
                 JOIN vault.documents d ON d.id = e.document_id \
                 WHERE ($2::text IS NULL OR d.source = $2) \
                 ORDER BY e.embedding <=> $1, e.document_id LIMIT $3",
                [
                    v.to_pg().into(),
                    mode.source().into(),
                    i64::try_from(K).unwrap_or(10).into(),
                ],
            )
        }
    };
    let rows = txn.query_all_raw(stmt).await?;
    txn.rollback().await?;
    ids(&rows)
}

/// Exact results of every query of `mode`, with `clients` concurrent connections.
pub async fn ground_truth(
    db: &DatabaseConnection,
    queries: &Arc<Vec<Query>>,
    mode: Mode,
    clients: usize,
) -> Result<Vec<Vec<Uuid>>> {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let db = db.clone();
        let queries = queries.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in (c..queries.len()).step_by(clients) {
                out.push((i, exact(&db, &queries[i], mode).await?));
            }
            Ok::<_, BenchError>(out)
        }));
    }
    let mut all = vec![Vec::new(); queries.len()];
    for t in tasks {
        for (i, r) in t.await.map_err(|e| BenchError::Other(e.to_string()))?? {
            all[i] = r;
        }
    }
    Ok(all)
}

/// recall@K of `got` against `want`.
pub fn recall(got: &[Uuid], want: &[Uuid]) -> f64 {
    if want.is_empty() {
        return 1.0;
    }
    let w: HashSet<&Uuid> = want.iter().collect();
    got.iter().filter(|g| w.contains(g)).count() as f64 / want.len() as f64
}

/// The figures of one target × mode.
#[derive(Clone, Debug)]
pub struct Figures {
    pub recall: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub qps: f64,
    pub searches: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Longest warm-up of a [`run`].
pub const WARMUP_MAX: Duration = Duration::from_secs(5);

/// How a [`run`] is driven.
#[derive(Clone, Copy, Debug)]
pub struct Drive {
    /// `ef_search` of the searches.
    pub ef: u64,
    /// Concurrent clients.
    pub clients: usize,
    /// Measured time (at least one pass over the queries).
    pub duration: Duration,
    /// Unmeasured searches first.
    pub warmup: usize,
}

/// Runs every query once (recall), with `clients` concurrent clients, and keeps going
/// round the query set until `duration` has passed (latency, queries/s). `warmup` queries
/// run first, unmeasured (at most [`WARMUP_MAX`]).
pub async fn run(
    target: &Target,
    queries: &Arc<Vec<Query>>,
    truth: &[Vec<Uuid>],
    mode: Mode,
    drive: Drive,
) -> Result<Figures> {
    let Drive {
        ef,
        clients,
        duration,
        warmup,
    } = drive;
    let warming = Instant::now();
    for q in queries.iter().take(warmup) {
        if warming.elapsed() > WARMUP_MAX {
            break;
        }
        search(target, q, mode, ef).await?;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let target = target.clone();
        let queries = queries.clone();
        tasks.push(tokio::spawn(async move {
            let mut first = Vec::new();
            let mut lat = Vec::new();
            let mut i = c;
            let mut pass = 0;
            loop {
                if i >= queries.len() {
                    i = c;
                    pass += 1;
                }
                if pass > 0 && started.elapsed() >= duration {
                    break;
                }
                let t = Instant::now();
                let got = search(&target, &queries[i], mode, ef).await?;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                if pass == 0 {
                    first.push((i, got));
                }
                i += clients;
            }
            Ok::<_, BenchError>((first, lat))
        }));
    }
    let mut lat = Vec::new();
    let mut recalls = Vec::new();
    for t in tasks {
        let (first, l) = t.await.map_err(|e| BenchError::Other(e.to_string()))??;
        lat.extend(l);
        recalls.extend(first.iter().map(|(i, got)| recall(got, &truth[*i])));
    }
    let wall = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok(Figures {
        recall: recalls.iter().sum::<f64>() / recalls.len().max(1) as f64,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        qps: lat.len() as f64 / wall,
        searches: lat.len(),
    })
}

/// The plan lines that matter (scan nodes, sort, time) of `EXPLAIN (ANALYZE)` of the
/// filtered service statement, as a custom plan and as the generic plan a prepared
/// statement switches to; and of the naive filtered join.
pub async fn explain_filtered(db: &DatabaseConnection, q: &Query, ef: u64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let stmt = statement(q, Mode::Filtered, ef)?;
    let naive = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT d.id FROM vault.embeddings e JOIN vault.documents d ON d.id = e.document_id \
         WHERE ($2::text IS NULL OR d.source = $2) ORDER BY e.embedding <=> $1 LIMIT $3",
        [
            vault::EmbeddingVector::parse("embedding", &q.vector)?
                .to_pg()
                .into(),
            Mode::Filtered.source().into(),
            i64::try_from(K).unwrap_or(10).into(),
        ],
    );
    for (label, s) in [("service statement", stmt), ("naive join", naive)] {
        for mode in ["force_custom_plan", "force_generic_plan"] {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!(
                "SET LOCAL plan_cache_mode = {mode}; SET LOCAL hnsw.ef_search = {}; \
                 SET LOCAL hnsw.iterative_scan = strict_order",
                scan_ef(Mode::Filtered, ef)
            ))
            .await?;
            // A named prepared statement, so the plan cache mode applies.
            let name = "bench_explain";
            let types = if label == "naive join" {
                "(vector, text, bigint)"
            } else {
                "(vector, text, text, bigint, float8, jsonb)"
            };
            txn.execute_unprepared(&format!("PREPARE {name}{types} AS {}", s.sql))
                .await?;
            let args = s.values.as_ref().map(|v| v.0.len()).unwrap_or(0);
            let placeholders: Vec<String> = (1..=args).map(|i| format!("${i}")).collect();
            // EXECUTE takes no bind parameters: the values go in as literals.
            let explain = Statement {
                sql: format!(
                    "EXPLAIN (ANALYZE, TIMING OFF, BUFFERS OFF) EXECUTE {name}({})",
                    placeholders.join(", ")
                ),
                ..s.clone()
            };
            let rows = txn
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    explain.to_string(),
                ))
                .await?;
            // Prepared statements belong to the session, not the transaction.
            txn.execute_unprepared(&format!("DEALLOCATE {name}"))
                .await?;
            txn.rollback().await?;
            out.push(format!("{label}, {mode}:"));
            for r in &rows {
                let line: String = r.try_get("", "QUERY PLAN")?;
                if ["Scan", "Sort", "Execution Time", "Limit"]
                    .iter()
                    .any(|k| line.contains(k))
                {
                    let short: String = line.chars().take(140).collect();
                    out.push(format!("  {short}"));
                }
            }
        }
    }
    Ok(out)
}
