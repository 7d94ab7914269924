//! The embedding pipeline (`service::vault::embed`, `tekup embed`) against a local
//! OpenAI-compatible server that returns deterministic vectors, with scripted 429/500
//! answers, a refused input, a short vector, and a content change during the request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use entity::vault::sync_status::SyncState;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use seeds::embed::{EmbedArgs, run_with};
use seeds::ops::{Ctx, OpsError, Report};
use seeds::progress::Mode;
use serde_json::{Value, json};
use service::vault::embed::{
    EmbedConfig, EmbedOptions, EmbedProgress, EmbedReport, EmbeddingClient, embed_pending,
};
use service::vault::{self, NewDocument, SyncFilter};
use tests::TestDb;
use uuid::Uuid;

const KEY: &str = "sk-test-0123456789-secret";
const MODEL: &str = "text-embedding-3-small";

// ---------------------------------------------------------------------------------------
// the local embeddings server

/// A scripted answer for the next request, before the normal handling.
#[derive(Clone, Copy, Debug)]
enum Scripted {
    TooMany { retry_after_secs: u64 },
    ServerError,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    authorization: Option<String>,
    model: Value,
    dimensions: Value,
    inputs: Vec<String>,
    status: u16,
}

#[derive(Default)]
struct ServerState {
    script: Mutex<VecDeque<Scripted>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay: Mutex<Duration>,
    /// When an input contains "MUTATE": change this document's content before answering.
    mutate: Mutex<Option<(DatabaseConnection, Uuid)>>,
}

struct Server {
    state: Arc<ServerState>,
    base_url: String,
}

impl Server {
    async fn start() -> Self {
        let state = Arc::new(ServerState::default());
        let app = axum::Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            state,
            base_url: format!("http://{addr}/v1"),
        }
    }

    fn script(&self, answers: &[Scripted]) {
        self.state
            .script
            .lock()
            .unwrap()
            .extend(answers.iter().copied());
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn requests(&self) -> usize {
        self.state.seen.lock().unwrap().len()
    }

    fn inputs(&self) -> Vec<String> {
        self.seen().into_iter().flat_map(|s| s.inputs).collect()
    }
}

async fn embeddings(
    State(s): State<Arc<ServerState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    s.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let delay = *s.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let authorization = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    let inputs: Vec<String> = body["input"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let scripted = s.script.lock().unwrap().pop_front();
    let mutate = if inputs.iter().any(|t| t.contains("MUTATE")) {
        s.mutate.lock().unwrap().take()
    } else {
        None
    };
    if let Some((db, id)) = mutate {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE vault.documents SET content = 'changed meanwhile' WHERE id = $1",
            [id.into()],
        ))
        .await
        .unwrap();
    }
    let response = match scripted {
        Some(Scripted::TooMany { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_secs.to_string())],
            Json(json!({"error": {"message": "Rate limit reached", "type": "requests"}})),
        )
            .into_response(),
        Some(Scripted::ServerError) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "upstream broke").into_response()
        }
        None if body["dimensions"] != json!(1536) || body["model"].as_str().is_none() => {
            error(StatusCode::BAD_REQUEST, "dimensions must be 1536")
        }
        None if inputs.iter().any(|t| t.contains("POISON")) => error(
            StatusCode::BAD_REQUEST,
            // Servers echo things back: the client must not pass the key on.
            &format!(
                "This input is not allowed (request authorised with {})",
                authorization.as_deref().unwrap_or("nothing")
            ),
        ),
        None => {
            let data: Vec<Value> = inputs
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let v: Vec<f64> = if t.contains("SHORT") {
                        vec![0.5; 3]
                    } else {
                        det_vector(t).into_iter().map(f64::from).collect()
                    };
                    json!({"object": "embedding", "index": i, "embedding": v})
                })
                .rev() // the client must place vectors by index, not by position
                .collect();
            let tokens: usize = inputs.iter().map(|t| t.chars().count() / 4 + 1).sum();
            Json(json!({
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }))
            .into_response()
        }
    };
    s.seen.lock().unwrap().push(Seen {
        at: Instant::now(),
        authorization,
        model: body["model"].clone(),
        dimensions: body["dimensions"].clone(),
        inputs,
        status: response.status().as_u16(),
    });
    s.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
    )
        .into_response()
}

/// The server's vector of `text`: splitmix64 numbers seeded by FNV-1a of the text,
/// normalised to length 1 (in f32, so the stored `real`s compare exactly).
fn det_vector(text: &str) -> Vec<f32> {
    let mut seed = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut out: Vec<f32> = (0..vault::DIMENSIONS)
        .map(|_| {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
        })
        .collect();
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt();
    for v in &mut out {
        *v /= norm;
    }
    out
}

// ---------------------------------------------------------------------------------------
// helpers

fn config(server: &Server) -> EmbedConfig {
    EmbedConfig {
        backoff_base: Duration::from_millis(10),
        ..EmbedConfig::new(server.base_url.clone(), KEY)
    }
}

fn client(config: EmbedConfig) -> EmbeddingClient {
    EmbeddingClient::new(config).unwrap()
}

async fn doc(t: &TestDb, repository: &str, path: &str, content: &str) -> Uuid {
    vault::create_document(
        &t.db,
        NewDocument {
            source: "github".into(),
            repository: repository.into(),
            path: path.into(),
            content: content.into(),
            metadata: None,
            sha: None,
        },
    )
    .await
    .unwrap()
    .id
}

async fn docs(t: &TestDb, repository: &str, n: usize) -> Vec<(Uuid, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let content = format!("# {repository} file {i}\n\nSome text about cleaning number {i}.");
        out.push((
            doc(t, repository, &format!("f{i}.md"), &content).await,
            content,
        ));
    }
    out
}

async fn run(t: &TestDb, client: &EmbeddingClient) -> EmbedReport {
    embed_pending(&t.db, client, &EmbedOptions::default(), |_| {})
        .await
        .unwrap()
}

/// A stored embedding: vector, model, content hash, and whether it matches the content.
#[derive(Debug)]
struct Stored {
    vector: Vec<f32>,
    model: Option<String>,
    content_hash: Option<String>,
    hash_is_of_the_content: bool,
}

async fn stored(t: &TestDb, id: Uuid) -> Option<Stored> {
    let row =
        t.db.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT e.embedding::text AS v, e.model, e.content_hash, \
                    e.content_hash = encode(sha256(convert_to(d.content, 'UTF8')), 'hex') AS ok \
             FROM vault.embeddings e JOIN vault.documents d ON d.id = e.document_id \
             WHERE e.document_id = $1",
            [id.into()],
        ))
        .await
        .unwrap()?;
    let text: String = row.try_get("", "v").unwrap();
    Some(Stored {
        vector: text
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|x| x.parse::<f32>().unwrap())
            .collect(),
        model: row.try_get("", "model").unwrap(),
        content_hash: row.try_get("", "content_hash").unwrap(),
        hash_is_of_the_content: row.try_get::<Option<bool>>("", "ok").unwrap() == Some(true),
    })
}

async fn embeddings_count(t: &TestDb) -> i64 {
    t.scalar_i64("SELECT count(*) FROM vault.embeddings")
        .await
        .unwrap()
}

async fn sync_state(t: &TestDb, repository: &str) -> (SyncState, Option<String>, bool) {
    let rows = vault::get_sync_status(
        &t.db,
        SyncFilter {
            repository: Some(repository.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    (r.status, r.error_message.clone(), r.last_sync_at.is_some())
}

// ---------------------------------------------------------------------------------------
// tests

#[tokio::test]
async fn embeds_every_due_document_with_model_hash_and_the_servers_vectors() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let mut all = docs(&t, "tekup/a", 7).await;
    all.extend(docs(&t, "tekup/b", 3).await);
    let client = client(EmbedConfig {
        batch_size: 3,
        concurrency: 2,
        ..config(&server)
    });
    let mut calls: Vec<EmbedProgress> = Vec::new();
    let report = embed_pending(&t.db, &client, &EmbedOptions::default(), |p| {
        calls.push(p.clone())
    })
    .await
    .unwrap();

    assert!(report.ok(), "{report:?}");
    assert_eq!(report.found, 10);
    assert_eq!(report.embedded, 10);
    assert!(report.failed.is_empty() && report.skipped.is_empty());
    assert_eq!(report.requests, 4, "10 documents in batches of 3");
    assert_eq!(report.retries, 0);
    assert_eq!(server.requests(), 4);
    assert!(report.tokens > 0);
    assert_eq!(report.model, MODEL);
    for (id, content) in &all {
        let s = stored(&t, *id).await.unwrap();
        assert_eq!(s.vector, det_vector(content), "vector of {content}");
        assert_eq!(s.model.as_deref(), Some(MODEL));
        assert_eq!(s.content_hash.as_ref().map(String::len), Some(64));
        assert!(s.hash_is_of_the_content);
    }
    for seen in server.seen() {
        assert_eq!(seen.model, json!(MODEL));
        assert_eq!(seen.dimensions, json!(1536));
        assert!(seen.inputs.len() <= 3);
    }
    let mut inputs = server.inputs();
    inputs.sort();
    let mut contents: Vec<String> = all.iter().map(|(_, c)| c.clone()).collect();
    contents.sort();
    assert_eq!(inputs, contents, "every document sent exactly once");

    // Progress: the page found first, then every batch; it ends with all done.
    assert_eq!(calls.first().unwrap().found, 10);
    assert_eq!(calls.first().unwrap().done(), 0);
    let last = calls.last().unwrap();
    assert_eq!((last.embedded, last.done()), (10, 10));
    assert_eq!(
        calls.len(),
        5,
        "one call for the page, one per batch: {calls:?}"
    );

    // Sync status per repository.
    assert_eq!(report.repositories.len(), 2);
    assert_eq!(
        (
            report.repositories[0].repository.as_str(),
            report.repositories[0].embedded
        ),
        ("tekup/a", 7)
    );
    assert_eq!(
        sync_state(&t, "tekup/a").await,
        (SyncState::Success, None, true)
    );
    assert_eq!(
        sync_state(&t, "tekup/b").await,
        (SyncState::Success, None, true)
    );

    // A second run finds nothing and sends nothing.
    let again = run(&t, &client).await;
    assert_eq!((again.found, again.embedded, again.requests), (0, 0, 0));
    assert_eq!(server.requests(), 4);
}

#[tokio::test]
async fn a_content_change_re_embeds_only_that_document() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let all = docs(&t, "tekup/a", 4).await;
    let client = client(config(&server));
    assert_eq!(run(&t, &client).await.embedded, 4);
    let before = stored(&t, all[1].0).await.unwrap();

    vault::upsert_document(
        &t.db,
        NewDocument {
            source: "github".into(),
            repository: "tekup/a".into(),
            path: "f0.md".into(),
            content: "new content of f0".into(),
            metadata: None,
            sha: None,
        },
    )
    .await
    .unwrap();
    let requests = server.requests();
    let report = run(&t, &client).await;
    assert_eq!((report.found, report.embedded), (1, 1));
    assert_eq!(server.requests(), requests + 1);
    assert_eq!(server.seen().last().unwrap().inputs, ["new content of f0"]);
    let s = stored(&t, all[0].0).await.unwrap();
    assert_eq!(s.vector, det_vector("new content of f0"));
    assert!(s.hash_is_of_the_content);
    let untouched = stored(&t, all[1].0).await.unwrap();
    assert_eq!(untouched.vector, before.vector);
    assert_eq!(untouched.content_hash, before.content_hash);
}

#[tokio::test]
async fn a_model_change_makes_every_embedding_stale() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let all = docs(&t, "tekup/a", 5).await;
    assert_eq!(run(&t, &client(config(&server))).await.embedded, 5);

    let other = client(EmbedConfig {
        model: "text-embedding-3-large-1536".into(),
        ..config(&server)
    });
    let report = run(&t, &other).await;
    assert_eq!((report.found, report.embedded), (5, 5));
    assert_eq!(report.model, "text-embedding-3-large-1536");
    assert_eq!(
        server.seen().last().unwrap().model,
        json!("text-embedding-3-large-1536")
    );
    for (id, _) in &all {
        assert_eq!(
            stored(&t, *id).await.unwrap().model.as_deref(),
            Some("text-embedding-3-large-1536")
        );
    }
    assert_eq!(run(&t, &other).await.found, 0);
    // Back to the first model: stale again.
    assert_eq!(run(&t, &client(config(&server))).await.found, 5);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_honouring_retry_after() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let all = docs(&t, "tekup/a", 2).await;
    server.script(&[
        Scripted::TooMany {
            retry_after_secs: 1,
        },
        Scripted::ServerError,
    ]);
    let report = run(&t, &client(config(&server))).await;

    assert!(report.ok(), "{report:?}");
    assert_eq!(report.embedded, 2);
    assert_eq!((report.requests, report.retries), (3, 2));
    let seen = server.seen();
    let statuses: Vec<u16> = seen.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [429, 500, 200]);
    let after_429 = seen[1].at - seen[0].at;
    assert!(
        after_429 >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured: {after_429:?}"
    );
    let after_500 = seen[2].at - seen[1].at;
    assert!(
        after_500 < Duration::from_millis(900),
        "no Retry-After: exponential backoff from 10 ms, got {after_500:?}"
    );
    for (id, content) in &all {
        assert_eq!(stored(&t, *id).await.unwrap().vector, det_vector(content));
    }
}

#[tokio::test]
async fn a_batch_that_keeps_failing_fails_its_documents_and_the_run_goes_on() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let a = docs(&t, "tekup/a", 2).await;
    let b = docs(&t, "tekup/b", 2).await;
    // Batches of 2 sent one at a time: tekup/a's batch gets 500 three times (1 + 2 retries).
    server.script(&[Scripted::ServerError; 3]);
    let client = client(EmbedConfig {
        batch_size: 2,
        concurrency: 1,
        max_retries: 2,
        ..config(&server)
    });
    let report = run(&t, &client).await;

    assert!(!report.ok());
    assert_eq!((report.found, report.embedded), (4, 2));
    assert_eq!((report.requests, report.retries), (4, 2));
    let mut failed: Vec<Uuid> = report.failed.iter().map(|f| f.document_id).collect();
    failed.sort();
    let mut expected = vec![a[0].0, a[1].0];
    expected.sort();
    assert_eq!(failed, expected);
    for f in &report.failed {
        assert_eq!(f.reason, "HTTP 500: upstream broke");
        assert_eq!(f.repository, "tekup/a");
    }
    assert!(stored(&t, a[0].0).await.is_none());
    assert!(stored(&t, b[0].0).await.is_some() && stored(&t, b[1].0).await.is_some());
    let (status, message, finished) = sync_state(&t, "tekup/a").await;
    assert_eq!((status, finished), (SyncState::Error, true));
    assert_eq!(
        message.as_deref(),
        Some("embedding: 2 of 2 documents failed (first: HTTP 500: upstream broke)")
    );
    assert_eq!(
        sync_state(&t, "tekup/b").await,
        (SyncState::Success, None, true)
    );

    // The next run embeds them, and a success clears the repository's error.
    let next = run(&t, &client).await;
    assert_eq!((next.found, next.embedded), (2, 2));
    assert_eq!(
        sync_state(&t, "tekup/a").await,
        (SyncState::Success, None, true)
    );
}

#[tokio::test]
async fn a_refused_document_fails_alone_and_the_rest_is_embedded() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let mut all = docs(&t, "tekup/a", 6).await;
    let poison = doc(
        &t,
        "tekup/a",
        "poison.md",
        "this text is POISON to the model",
    )
    .await;
    let short = doc(&t, "tekup/a", "short.md", "SHORT vector please").await;
    all.extend(docs(&t, "tekup/b", 1).await);
    let client = client(EmbedConfig {
        batch_size: 8,
        concurrency: 1,
        ..config(&server)
    });
    let report = run(&t, &client).await;

    assert_eq!(report.found, 9);
    assert_eq!(report.embedded, 7, "{report:?}");
    assert_eq!(report.retries, 0, "a 400 is not retried");
    let reasons: Vec<(Uuid, String)> = report
        .failed
        .iter()
        .map(|f| (f.document_id, f.reason.clone()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let poison_reason = &reasons.iter().find(|(id, _)| *id == poison).unwrap().1;
    assert!(
        poison_reason.starts_with("HTTP 400: This input is not allowed"),
        "{poison_reason}"
    );
    assert!(poison_reason.contains("[redacted]"), "{poison_reason}");
    assert!(!poison_reason.contains(KEY));
    let short_reason = &reasons.iter().find(|(id, _)| *id == short).unwrap().1;
    assert_eq!(
        short_reason,
        "the endpoint returned 3 numbers, expected 1536"
    );
    assert!(stored(&t, poison).await.is_none());
    assert!(stored(&t, short).await.is_none());
    for (id, content) in &all {
        assert_eq!(stored(&t, *id).await.unwrap().vector, det_vector(content));
    }
    // Every 400 was for a batch holding the poison; the split isolated it.
    for s in server.seen() {
        if s.status == 400 {
            assert!(s.inputs.iter().any(|t| t.contains("POISON")));
        }
    }
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|s| s.inputs == ["this text is POISON to the model"])
            .count(),
        1
    );
    let (status, message, _) = sync_state(&t, "tekup/a").await;
    assert_eq!(status, SyncState::Error);
    assert!(
        message
            .as_deref()
            .unwrap()
            .starts_with("embedding: 2 of 8 documents failed"),
        "{message:?}"
    );
    assert!(!message.unwrap().contains(KEY));
    assert_eq!(sync_state(&t, "tekup/b").await.0, SyncState::Success);

    // The failures stay due; a second run tries only them.
    let again = run(&t, &client).await;
    assert_eq!((again.found, again.embedded, again.failed.len()), (2, 0, 2));
}

#[tokio::test]
async fn the_key_is_sent_as_bearer_and_never_shown() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    docs(&t, "tekup/a", 2).await;
    doc(&t, "tekup/a", "poison.md", "POISON").await;
    let config = config(&server);
    let debug = format!("{config:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
    let client = client(config);
    assert!(!format!("{client:?}").contains(KEY));
    let report = run(&t, &client).await;
    assert_eq!(report.failed.len(), 1);

    for s in server.seen() {
        assert_eq!(s.authorization.as_deref(), Some(&*format!("Bearer {KEY}")));
    }
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(KEY), "{json}");
    assert!(!format!("{report:?}").contains(KEY));
    let statuses = vault::get_sync_status(&t.db, SyncFilter::default())
        .await
        .unwrap();
    assert!(!format!("{statuses:?}").contains(KEY));

    // A client without a key sends no Authorization header.
    let anonymous = EmbeddingClient::new(EmbedConfig {
        api_key: String::new(),
        ..EmbedConfig::new(server.base_url.clone(), "")
    })
    .unwrap();
    anonymous.embed(&["hello".to_owned()]).await.unwrap();
    assert_eq!(server.seen().last().unwrap().authorization, None);
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    *server.state.delay.lock().unwrap() = Duration::from_millis(80);
    docs(&t, "tekup/a", 24).await;
    let client = client(EmbedConfig {
        batch_size: 2,
        concurrency: 3,
        ..config(&server)
    });
    let report = run(&t, &client).await;
    assert_eq!((report.embedded, report.requests), (24, 12));
    assert_eq!(
        server.state.max_in_flight.load(Ordering::SeqCst),
        3,
        "at most 3 requests at once, and the run does use 3"
    );
}

#[tokio::test]
async fn texts_are_truncated_to_8000_characters_and_the_hash_covers_all() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let long = format!("{}{}", "æ".repeat(8000), "tail that is never sent");
    let id = doc(&t, "tekup/a", "long.md", &long).await;
    let report = run(&t, &client(config(&server))).await;
    assert_eq!(report.embedded, 1);
    let inputs = server.inputs();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].chars().count(), 8000);
    assert_eq!(inputs[0], "æ".repeat(8000));
    let s = stored(&t, id).await.unwrap();
    assert_eq!(s.vector, det_vector(&"æ".repeat(8000)));
    assert!(s.hash_is_of_the_content, "hash of all 8023 characters");
    assert!(
        !vault::get_document(&t.db, id)
            .await
            .unwrap()
            .embedding
            .unwrap()
            .content_changed
    );
}

#[tokio::test]
async fn empty_documents_are_skipped_and_never_sent() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let empty = doc(&t, "tekup/a", "empty.md", " \n").await;
    let full = doc(&t, "tekup/a", "full.md", "text").await;
    let report = run(&t, &client(config(&server))).await;
    assert!(report.ok());
    assert_eq!((report.found, report.embedded), (2, 1));
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].document_id, empty);
    assert_eq!(report.skipped[0].reason, "empty content: nothing to embed");
    assert_eq!(server.inputs(), ["text"]);
    assert!(stored(&t, full).await.is_some());
    assert_eq!(sync_state(&t, "tekup/a").await.0, SyncState::Success);
}

#[tokio::test]
async fn content_changed_during_the_request_is_not_stored_as_current() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    let id = doc(&t, "tekup/a", "moving.md", "MUTATE: old text").await;
    let other = doc(&t, "tekup/a", "still.md", "still text").await;
    *server.state.mutate.lock().unwrap() = Some((t.db.clone(), id));
    let client = client(config(&server));
    let report = run(&t, &client).await;
    assert_eq!((report.found, report.embedded), (2, 1));
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].document_id, id);
    assert!(report.skipped[0].reason.starts_with("content changed"));
    assert!(
        stored(&t, id).await.is_none(),
        "the old text's vector is not stored"
    );
    assert!(stored(&t, other).await.is_some());

    let next = run(&t, &client).await;
    assert_eq!((next.found, next.embedded), (1, 1));
    let s = stored(&t, id).await.unwrap();
    assert_eq!(s.vector, det_vector("changed meanwhile"));
    assert!(s.hash_is_of_the_content);
}

#[tokio::test]
async fn options_filter_by_repository_and_limit() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    docs(&t, "tekup/a", 5).await;
    docs(&t, "tekup/b", 3).await;
    let client = client(config(&server));
    let only_b = EmbedOptions {
        repository: Some("tekup/b".into()),
        ..Default::default()
    };
    let report = embed_pending(&t.db, &client, &only_b, |_| {})
        .await
        .unwrap();
    assert_eq!(report.embedded, 3);
    assert_eq!(report.repositories.len(), 1);
    let limited = EmbedOptions {
        limit: Some(2),
        ..Default::default()
    };
    let report = embed_pending(&t.db, &client, &limited, |_| {})
        .await
        .unwrap();
    assert_eq!((report.found, report.embedded), (2, 2));
    assert_eq!(embeddings_count(&t).await, 5);
}

#[tokio::test]
async fn bad_configuration_is_refused_before_any_request() {
    let server = Server::start().await;
    let err = EmbeddingClient::new(EmbedConfig {
        model: " ".into(),
        dimensions: 3072,
        batch_size: 0,
        concurrency: 0,
        ..EmbedConfig::new("ftp://example", KEY)
    })
    .unwrap_err();
    let mut fields = tests::errors::fields(err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "base_url",
            "batch_size",
            "concurrency",
            "dimensions",
            "model"
        ]
    );
    assert_eq!(server.requests(), 0);
}

// ---------------------------------------------------------------------------------------
// tekup embed

fn ctx(t: &TestDb) -> Ctx {
    Ctx {
        db: t.db.clone(),
        database_url: t.url.clone(),
        progress: Mode::Quiet,
    }
}

fn args(server: &Server) -> EmbedArgs {
    EmbedArgs {
        base_url: server.base_url.clone(),
        model: MODEL.into(),
        batch_size: 4,
        concurrency: 2,
        max_retries: 5,
        timeout_secs: 10,
        source: None,
        repository: None,
        limit: None,
        dry_run: false,
    }
}

#[tokio::test]
async fn tekup_embed_counts_with_dry_run_then_embeds_end_to_end() {
    let t = TestDb::new().await;
    let server = Server::start().await;
    docs(&t, "tekup/a", 6).await;
    docs(&t, "tekup/b", 3).await;
    let poison = doc(&t, "tekup/b", "poison.md", "POISON").await;

    let dry = run_with(
        &ctx(&t),
        &EmbedArgs {
            dry_run: true,
            ..args(&server)
        },
        None,
    )
    .await
    .unwrap();
    assert!(dry.ok());
    assert!(dry.run.is_none());
    let totals: Vec<(String, u64)> = dry
        .backlog
        .iter()
        .map(|b| (b.repository.clone(), b.missing))
        .collect();
    assert_eq!(totals, [("tekup/a".into(), 6), ("tekup/b".into(), 4)]);
    assert!(
        dry.human().contains("10 documents need an embedding"),
        "{}",
        dry.human()
    );
    assert_eq!(server.requests(), 0, "a dry run sends nothing");
    assert_eq!(embeddings_count(&t).await, 0, "a dry run writes nothing");

    let missing_key = run_with(&ctx(&t), &args(&server), None).await.unwrap_err();
    assert!(matches!(missing_key, OpsError::Invalid(ref m) if m.contains("TEKUP_EMBED_API_KEY")));

    // The key is scripted into a 429 first, to see retries in the summary.
    server.script(&[Scripted::TooMany {
        retry_after_secs: 0,
    }]);
    let summary = run_with(&ctx(&t), &args(&server), Some(KEY.into()))
        .await
        .unwrap();
    assert!(!summary.ok(), "a failed document fails the command");
    let run = summary.run.as_ref().unwrap();
    assert_eq!((run.embedded, run.failed.len()), (9, 1));
    assert_eq!(run.failed[0].document_id, poison);
    assert_eq!(run.retries, 1);
    assert_eq!(embeddings_count(&t).await, 9);
    let human = summary.human();
    for line in [
        "embedded", "skipped", "failed", "requests", "retries", "seconds",
    ] {
        assert!(human.contains(line), "{line} missing in\n{human}");
    }
    assert!(human.contains(&poison.to_string()), "{human}");
    assert!(
        human.contains("tekup/b") && human.contains("error"),
        "{human}"
    );
    let json = serde_json::to_string(&summary).unwrap();
    assert!(!human.contains(KEY) && !json.contains(KEY));

    let after = run_with(&ctx(&t), &args(&server), Some(KEY.into()))
        .await
        .unwrap();
    assert_eq!(after.run.as_ref().unwrap().found, 1, "only the refused one");
}
