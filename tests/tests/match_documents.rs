//! `vault.match_documents` (service-api.md §1): cosine order, strict threshold, filters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tests::TestDb;
use tests::builders::{self, DocumentBuilder};

/// Calls `vault.match_documents` with the query vector `head` (padded to 1536 dims) and
/// returns the matched paths' contents and similarities, in the order the function gives.
async fn matches(
    t: &TestDb,
    head: &[f32],
    threshold: f64,
    count: i32,
    source: Option<&str>,
    repository: Option<&str>,
) -> Vec<(String, f64)> {
    let query = pgvector::Vector::from(builders::vector(head));
    let rows =
        t.db.query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT content, similarity FROM vault.match_documents($1, $2, $3, $4, $5)",
            [
                query.into(),
                threshold.into(),
                count.into(),
                source.map(str::to_owned).into(),
                repository.map(str::to_owned).into(),
            ],
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "content").unwrap(),
                r.try_get("", "similarity").unwrap(),
            )
        })
        .collect()
}

fn names(rows: &[(String, f64)]) -> Vec<&str> {
    rows.iter().map(|(n, _)| n.as_str()).collect()
}

/// Documents at known angles from the query vector (1, 0, ...):
/// same (1.0), near (0.8), mid (0.6), orthogonal (0.0), opposite (-1.0), and one with no
/// embedding at all.
async fn corpus(t: &TestDb) {
    let docs: [(&str, &str, &str, &[f32]); 5] = [
        ("same", "github", "tekup/a", &[1.0, 0.0]),
        ("near", "github", "tekup/b", &[0.8, 0.6]),
        ("mid", "supabase", "tekup/a", &[0.6, 0.8]),
        ("orthogonal", "github", "tekup/a", &[0.0, 1.0]),
        ("opposite", "github", "tekup/a", &[-1.0, 0.0]),
    ];
    for (content, source, repo, v) in docs {
        let d = DocumentBuilder::default()
            .content(content)
            .source(source)
            .repository(repo)
            .insert(&t.db)
            .await
            .unwrap();
        builders::embedding(&t.db, d.id, builders::vector(v))
            .await
            .unwrap();
    }
    DocumentBuilder::default()
        .content("unembedded")
        .insert(&t.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn returns_documents_nearest_first_with_cosine_similarity() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let rows = matches(&t, &[1.0], -2.0, 10, None, None).await;
    assert_eq!(
        names(&rows),
        ["same", "near", "mid", "orthogonal", "opposite"]
    );
    let expected = [1.0, 0.8, 0.6, 0.0, -1.0];
    for ((name, sim), want) in rows.iter().zip(expected) {
        assert!(
            (sim - want).abs() < 1e-6,
            "{name}: similarity {sim}, expected {want}"
        );
    }
}

#[tokio::test]
async fn the_threshold_is_strict() {
    let t = TestDb::new().await;
    corpus(&t).await;
    assert_eq!(
        names(&matches(&t, &[1.0], 0.7, 10, None, None).await),
        ["same", "near"]
    );
    // "same" has similarity exactly 1: a threshold of 1 excludes it.
    assert!(matches(&t, &[1.0], 1.0, 10, None, None).await.is_empty());
    // "orthogonal" has similarity exactly 0.
    assert_eq!(
        names(&matches(&t, &[1.0], 0.0, 10, None, None).await),
        ["same", "near", "mid"]
    );
    assert_eq!(
        names(&matches(&t, &[1.0], -0.001, 10, None, None).await),
        ["same", "near", "mid", "orthogonal"]
    );
}

#[tokio::test]
async fn default_threshold_and_count_apply() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let query = pgvector::Vector::from(builders::vector(&[1.0]));
    let rows =
        t.db.query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT content FROM vault.match_documents($1)",
            [query.into()],
        ))
        .await
        .unwrap();
    let got: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "content").unwrap())
        .collect();
    assert_eq!(got, ["same", "near"], "default threshold is 0.7");
}

#[tokio::test]
async fn limit_and_filters_apply() {
    let t = TestDb::new().await;
    corpus(&t).await;
    assert_eq!(
        names(&matches(&t, &[1.0], -2.0, 2, None, None).await),
        ["same", "near"]
    );
    assert_eq!(
        names(&matches(&t, &[1.0], -2.0, 10, Some("supabase"), None).await),
        ["mid"]
    );
    assert_eq!(
        names(&matches(&t, &[1.0], -2.0, 10, None, Some("tekup/a")).await),
        ["same", "mid", "orthogonal", "opposite"]
    );
    assert_eq!(
        names(&matches(&t, &[1.0], 0.5, 10, Some("github"), Some("tekup/a")).await),
        ["same"]
    );
    assert!(
        matches(&t, &[1.0], -2.0, 10, Some("render"), None)
            .await
            .is_empty()
    );
    assert!(matches(&t, &[1.0], -2.0, 0, None, None).await.is_empty());
}
