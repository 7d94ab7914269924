//! The vault search fields of the GraphQL API (`vault { semanticSearch hybridSearch }`)
//! over HTTP against a real database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tests::TestDb;
use tests::spawn_app::{TestApp, spawn_app};

const NEAR: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const FAR: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const WORDS: &str = "aaaaaaaa-0000-4000-8000-000000000003";
const DIMS: usize = 1536;

/// A unit-ish vector with the given leading components, the rest zero.
fn vector(head: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; DIMS];
    v[..head.len()].copy_from_slice(head);
    v
}

fn pg_vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(","))
}

async fn seeded() -> (TestDb, TestApp) {
    let t = TestDb::new().await;
    t.exec(&format!(
        "INSERT INTO vault.documents (id, source, repository, path, content, metadata, sha) VALUES
           ('{NEAR}', 'github', 'o/r', 'near.md', 'alpha text', '{{\"k\": 1}}', 'abc'),
           ('{FAR}', 'github', 'o/r', 'far.md', 'beta text', '{{}}', NULL),
           ('{WORDS}', 'github', 'o/r', 'words.md', 'zebra unicorn', '{{}}', NULL);
         INSERT INTO vault.embeddings (document_id, embedding) VALUES
           ('{NEAR}', '{}'::vector), ('{FAR}', '{}'::vector);",
        pg_vector(&vector(&[1.0, 0.1])),
        pg_vector(&vector(&[1.0, 0.9])),
    ))
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    (t, app)
}

async fn gql(app: &TestApp, query: &str, variables: Value) -> Value {
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn semantic_search_returns_nearest_first() {
    let (_t, app) = seeded().await;
    let body = gql(
        &app,
        "query($e: [Float!]!) { vault { semanticSearch(embedding: $e, threshold: 0.5, limit: 5) {
             id source repository path content metadata sha similarity } } }",
        json!({ "e": vector(&[1.0]) }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let hits = body["data"]["vault"]["semanticSearch"].as_array().unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [NEAR, FAR]);
    assert_eq!(hits[0]["path"], "near.md");
    assert_eq!(hits[0]["metadata"], json!({ "k": 1 }));
    assert_eq!(hits[0]["sha"], "abc");
    assert!(hits[1]["sha"].is_null());
    let s0 = hits[0]["similarity"].as_f64().unwrap();
    let s1 = hits[1]["similarity"].as_f64().unwrap();
    assert!(s0 > s1 && s1 > 0.5 && s0 <= 1.0, "{s0} {s1}");
    // A higher threshold drops the farther document.
    let body = gql(
        &app,
        "query($e: [Float!]!) { vault { semanticSearch(embedding: $e, threshold: 0.9) { id } } }",
        json!({ "e": vector(&[1.0]) }),
    )
    .await;
    assert_eq!(
        body["data"]["vault"]["semanticSearch"],
        json!([{ "id": NEAR }])
    );
}

#[tokio::test]
async fn wrong_length_embedding_is_a_validation_error() {
    let (_t, app) = seeded().await;
    let body = gql(
        &app,
        "{ vault { semanticSearch(embedding: [1.0, 0.0, 0.0]) { id } } }",
        json!({}),
    )
    .await;
    let err = &body["errors"][0];
    assert_eq!(err["extensions"]["code"], "VALIDATION", "{body:#}");
    let fields: Vec<&str> = err["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["embedding"]);
    let body = gql(
        &app,
        "{ vault { hybridSearch(text: \"x\", embedding: [1.0], limit: 0) { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
}

#[tokio::test]
async fn hybrid_search_fuses_keyword_and_vector_hits() {
    let (_t, app) = seeded().await;
    let body = gql(
        &app,
        "query($e: [Float!]!) { vault { hybridSearch(text: \"zebra\", embedding: $e, threshold: 0.5) {
             id path content keywordScore vectorSimilarity score } } }",
        json!({ "e": vector(&[1.0]) }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let hits = body["data"]["vault"]["hybridSearch"].as_array().unwrap();
    let words = hits.iter().find(|h| h["id"] == WORDS).expect("keyword hit");
    assert!(words["keywordScore"].as_f64().unwrap() > 0.0);
    assert!(words["vectorSimilarity"].is_null());
    assert!(words["score"].as_f64().unwrap() > 0.0);
    let near = hits.iter().find(|h| h["id"] == NEAR).expect("vector hit");
    assert!(near["keywordScore"].is_null());
    assert!(near["vectorSimilarity"].as_f64().unwrap() > 0.9);
    assert_eq!(hits.len(), 3);
}
