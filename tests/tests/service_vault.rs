//! `service::vault` (service-api.md §1): documents, embeddings, sync status, semantic and
//! hybrid search, and the embedding backlog, against PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use entity::vault::sync_status::SyncState;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;
use service::ErrorCode;
use service::vault::{
    self, DocumentFilter, EmbeddingBacklog, EmbeddingDue, HybridSearch, NewDocument, NewEmbedding,
    SemanticSearch, SyncFilter, SyncUpdate,
};
use tests::TestDb;
use tests::builders::{self, DocumentBuilder};
use tests::errors::fields;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------
// helpers

/// sha256("hello"), computed outside the database.
const SHA256_HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
/// sha256 of the UTF-8 bytes of "æøå – Tekup".
const SHA256_DANISH: &str = "f6bf661549ec08e82fe2e7b9174deafb02bd5ce1f3c56baf08d84c6d4c5caf76";

/// A 1536-dimension vector whose first components are `head` and the rest zero.
fn v(head: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; vault::DIMENSIONS];
    out[..head.len()].copy_from_slice(head);
    out
}

fn new_doc(repository: &str, path: &str, content: &str) -> NewDocument {
    NewDocument {
        source: "github".into(),
        repository: repository.into(),
        path: path.into(),
        content: content.into(),
        metadata: None,
        sha: None,
    }
}

async fn doc(t: &TestDb, repository: &str, path: &str, content: &str) -> Uuid {
    vault::create_document(&t.db, new_doc(repository, path, content))
        .await
        .unwrap()
        .id
}

async fn embed(t: &TestDb, document_id: Uuid, head: &[f64]) {
    vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id,
            embedding: v(head),
            model: "text-embedding-3-small".into(),
            expected_content_hash: None,
        },
    )
    .await
    .unwrap();
}

async fn count(t: &TestDb, table: &str) -> i64 {
    t.scalar_i64(&format!("SELECT count(*) FROM vault.{table}"))
        .await
        .unwrap()
}

fn semantic(head: &[f64]) -> SemanticSearch {
    SemanticSearch {
        embedding: v(head),
        ..Default::default()
    }
}

async fn search_contents(t: &TestDb, q: SemanticSearch) -> Vec<String> {
    vault::semantic_search(&t.db, q)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.content)
        .collect()
}

/// The plan of `stmt` with the planner option `disabled` (e.g. `enable_seqscan`) off, in
/// one transaction.
async fn explain(t: &TestDb, stmt: Statement, disabled: &str) -> String {
    let txn = t.db.begin().await.unwrap();
    txn.execute_unprepared(&format!("SET LOCAL {disabled} = off"))
        .await
        .unwrap();
    let explained = Statement {
        sql: format!("EXPLAIN {}", stmt.sql),
        ..stmt
    };
    let rows = txn.query_all_raw(explained).await.unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// EmbeddingVector

#[test]
fn embedding_vector_parse_checks_length_finiteness_range_and_zero() {
    let ok = vault::EmbeddingVector::parse("embedding", &v(&[0.5, -2.0])).unwrap();
    assert_eq!(ok.as_slice().len(), vault::DIMENSIONS);
    assert_eq!(&ok.as_slice()[..3], &[0.5, -2.0, 0.0]);
    assert_eq!(ok.to_pg().as_slice(), ok.as_slice());
    // f32 extremes are accepted; tiny values that round to zero make an all-zero vector.
    assert!(vault::EmbeddingVector::parse("e", &v(&[f64::from(f32::MAX)])).is_ok());
    let mut tiny = v(&[]);
    tiny[9] = 1e-60;
    let mut nan = v(&[1.0]);
    nan[1535] = f64::NAN;
    for (name, values) in [
        ("tiny", tiny),
        ("nan", nan),
        ("short", vec![1.0; 10]),
        ("long", vec![1.0; 2000]),
        ("beyond f32", v(&[1e39])),
    ] {
        let err = vault::EmbeddingVector::parse("query", &values).unwrap_err();
        assert_eq!(fields(err), ["query"], "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// create_document / upsert_document

#[tokio::test]
async fn create_document_inserts_with_defaults_and_trimmed_keys() {
    let t = TestDb::new().await;
    let d = vault::create_document(
        &t.db,
        NewDocument {
            source: "  github ".into(),
            repository: " TekupDK/tekup ".into(),
            path: "README.md".into(),
            content: "hello".into(),
            metadata: None,
            sha: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(d.source, "github");
    assert_eq!(d.repository, "TekupDK/tekup");
    assert_eq!(d.path, "README.md");
    assert_eq!(d.metadata, json!({}));
    assert_eq!(d.sha, None);
    assert_eq!(d.id.get_version_num(), 4);
    assert_eq!(count(&t, "documents").await, 1);
}

#[tokio::test]
async fn create_document_keeps_given_metadata_sha_and_empty_content() {
    let t = TestDb::new().await;
    let d = vault::create_document(
        &t.db,
        NewDocument {
            metadata: Some(json!({"type": "code"})),
            sha: Some("abc123".into()),
            ..new_doc("tekup/a", "empty.txt", "")
        },
    )
    .await
    .unwrap();
    assert_eq!(d.content, "");
    assert_eq!(d.metadata, json!({"type": "code"}));
    assert_eq!(d.sha.as_deref(), Some("abc123"));
}

#[tokio::test]
async fn create_document_twice_is_a_conflict() {
    let t = TestDb::new().await;
    doc(&t, "tekup/a", "README.md", "one").await;
    let err = vault::create_document(&t.db, new_doc("tekup/a", "README.md", "two"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    // Same path in another repository is a different document.
    doc(&t, "tekup/b", "README.md", "three").await;
    assert_eq!(count(&t, "documents").await, 2);
}

#[tokio::test]
async fn create_document_lists_every_bad_field_and_writes_nothing() {
    let t = TestDb::new().await;
    let err = vault::create_document(
        &t.db,
        NewDocument {
            source: "   ".into(),
            repository: "r".repeat(256),
            path: " ".into(),
            content: "nul \0 byte".into(),
            metadata: Some(json!([1, 2])),
            sha: Some(String::new()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(err),
        ["source", "repository", "path", "content", "metadata", "sha"]
    );
    assert_eq!(count(&t, "documents").await, 0);
}

#[tokio::test]
async fn create_document_accepts_boundary_lengths() {
    let t = TestDb::new().await;
    // 255 multi-byte characters fit varchar(255).
    let d = vault::create_document(
        &t.db,
        NewDocument {
            sha: Some("s".repeat(vault::SHA_MAX_CHARS)),
            ..new_doc(
                &"ø".repeat(vault::REPOSITORY_MAX_CHARS),
                " spaced path ",
                "x",
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(d.repository.chars().count(), 255);
    assert_eq!(d.path, " spaced path ", "paths are kept verbatim");
    let err = vault::create_document(
        &t.db,
        NewDocument {
            sha: Some("s".repeat(256)),
            ..new_doc("tekup/a", "b", "x")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["sha"]);
}

#[tokio::test]
async fn upsert_document_inserts_then_updates_content_metadata_and_sha() {
    let t = TestDb::new().await;
    let first = vault::upsert_document(
        &t.db,
        NewDocument {
            metadata: Some(json!({"v": 1})),
            sha: Some("sha1".into()),
            ..new_doc("tekup/a", "README.md", "one")
        },
    )
    .await
    .unwrap();
    assert_eq!(first.content, "one");
    assert_eq!(first.metadata, json!({"v": 1}));
    t.exec(&format!(
        "UPDATE vault.documents SET updated_at = now() - interval '1 day', \
         created_at = now() - interval '1 day' WHERE id = '{}'",
        first.id
    ))
    .await
    .unwrap();
    let before = vault::get_document(&t.db, first.id).await.unwrap().document;

    let second = vault::upsert_document(
        &t.db,
        NewDocument {
            metadata: Some(json!({"v": 2})),
            sha: Some("sha2".into()),
            ..new_doc("tekup/a", "README.md", "two")
        },
    )
    .await
    .unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.content, "two");
    assert_eq!(second.metadata, json!({"v": 2}));
    assert_eq!(second.sha.as_deref(), Some("sha2"));
    assert_eq!(second.created_at, before.created_at);
    assert!(
        second.updated_at > before.updated_at,
        "updated_at refreshed"
    );
    assert_eq!(count(&t, "documents").await, 1);
}

#[tokio::test]
async fn upsert_document_with_omitted_metadata_and_sha_keeps_them() {
    let t = TestDb::new().await;
    vault::upsert_document(
        &t.db,
        NewDocument {
            metadata: Some(json!({"keep": true})),
            sha: Some("sha1".into()),
            ..new_doc("tekup/a", "README.md", "one")
        },
    )
    .await
    .unwrap();
    let d = vault::upsert_document(&t.db, new_doc("tekup/a", "README.md", "two"))
        .await
        .unwrap();
    assert_eq!(d.content, "two");
    assert_eq!(d.metadata, json!({"keep": true}));
    assert_eq!(d.sha.as_deref(), Some("sha1"));
    // A first upsert without metadata inserts `{}` and NULL sha.
    let fresh = vault::upsert_document(&t.db, new_doc("tekup/a", "new.md", "x"))
        .await
        .unwrap();
    assert_eq!(fresh.metadata, json!({}));
    assert_eq!(fresh.sha, None);
    // An explicit `{}` replaces metadata.
    let cleared = vault::upsert_document(
        &t.db,
        NewDocument {
            metadata: Some(json!({})),
            ..new_doc("tekup/a", "README.md", "three")
        },
    )
    .await
    .unwrap();
    assert_eq!(cleared.metadata, json!({}));
}

#[tokio::test]
async fn upsert_document_rejects_bad_input_without_writing() {
    let t = TestDb::new().await;
    doc(&t, "tekup/a", "README.md", "original").await;
    let err = vault::upsert_document(
        &t.db,
        NewDocument {
            metadata: Some(json!("text")),
            ..new_doc("tekup/a", "README.md", "changed")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["metadata"]);
    let err = vault::upsert_document(&t.db, new_doc("", "README.md", "x"))
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["repository"]);
    let rows = vault::find_documents(&t.db, DocumentFilter::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].document.content, "original");
}

// ---------------------------------------------------------------------------------------
// find_documents / get_document

#[tokio::test]
async fn find_documents_orders_by_updated_at_desc_and_filters() {
    let t = TestDb::new().await;
    let a = doc(&t, "tekup/a", "1.md", "a").await;
    let b = doc(&t, "tekup/b", "2.md", "b").await;
    let c = vault::create_document(
        &t.db,
        NewDocument {
            source: "supabase".into(),
            ..new_doc("tekup/a", "3.md", "c")
        },
    )
    .await
    .unwrap()
    .id;
    t.exec(&format!(
        "UPDATE vault.documents SET updated_at = CASE id \
           WHEN '{a}' THEN now() - interval '3 hours' \
           WHEN '{b}' THEN now() - interval '2 hours' \
           ELSE now() - interval '1 hour' END"
    ))
    .await
    .unwrap();
    let ids = |rows: Vec<vault::DocumentWithEmbedding>| -> Vec<Uuid> {
        rows.into_iter().map(|r| r.document.id).collect()
    };
    let all = vault::find_documents(&t.db, DocumentFilter::default())
        .await
        .unwrap();
    assert_eq!(ids(all), [c, b, a]);
    // Upserting `a` makes it the most recent.
    vault::upsert_document(&t.db, new_doc("tekup/a", "1.md", "a2"))
        .await
        .unwrap();
    let all = vault::find_documents(&t.db, DocumentFilter::default())
        .await
        .unwrap();
    assert_eq!(ids(all), [a, c, b]);

    let by_repo = vault::find_documents(
        &t.db,
        DocumentFilter {
            repository: Some("tekup/a".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(by_repo), [a, c]);
    let by_both = vault::find_documents(
        &t.db,
        DocumentFilter {
            source: Some("github".into()),
            repository: Some("tekup/a".into()),
            limit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(by_both), [a]);
    let none = vault::find_documents(
        &t.db,
        DocumentFilter {
            source: Some("render".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(none.is_empty());
    // Blank filters do not filter (the original's truthy filters).
    let blank = vault::find_documents(
        &t.db,
        DocumentFilter {
            source: Some("  ".into()),
            repository: Some(String::new()),
            limit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(blank.len(), 3);
}

#[tokio::test]
async fn find_documents_limit_defaults_to_100_and_is_clamped() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO vault.documents (source, repository, path, content) \
         SELECT 'github', 'tekup/bulk', 'f' || g, 'c' || g FROM generate_series(1, 1001) g",
    )
    .await
    .unwrap();
    let page = |limit| {
        let db = &t.db;
        async move {
            vault::find_documents(
                db,
                DocumentFilter {
                    limit,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .len()
        }
    };
    assert_eq!(page(None).await, 100);
    assert_eq!(page(Some(7)).await, 7);
    assert_eq!(page(Some(0)).await, 1, "0 is clamped to 1");
    assert_eq!(page(Some(5000)).await, 1000, "capped at 1000");
    assert_eq!(page(Some(u64::MAX)).await, 1000);
}

#[tokio::test]
async fn find_documents_reports_embedding_status() {
    let t = TestDb::new().await;
    let plain = doc(&t, "tekup/a", "plain.md", "no vector").await;
    let embedded = doc(&t, "tekup/a", "vec.md", "hello").await;
    embed(&t, embedded, &[1.0]).await;
    let rows = vault::find_documents(&t.db, DocumentFilter::default())
        .await
        .unwrap();
    let find = |id| rows.iter().find(|r| r.document.id == id).unwrap();
    assert_eq!(find(plain).embedding, None);
    let e = find(embedded).embedding.clone().unwrap();
    assert_eq!(e.document_id, embedded);
    assert_eq!(e.model.as_deref(), Some("text-embedding-3-small"));
    assert_eq!(e.content_hash.as_deref(), Some(SHA256_HELLO));
    assert!(!e.content_changed);

    // Changing the content makes the embedding stale.
    vault::upsert_document(&t.db, new_doc("tekup/a", "vec.md", "hello again"))
        .await
        .unwrap();
    let after = vault::get_document(&t.db, embedded).await.unwrap();
    assert!(after.embedding.unwrap().content_changed);
}

#[tokio::test]
async fn get_document_finds_by_id_or_not_found() {
    let t = TestDb::new().await;
    let id = doc(&t, "tekup/a", "x.md", "body").await;
    let got = vault::get_document(&t.db, id).await.unwrap();
    assert_eq!(got.document.content, "body");
    assert_eq!(got.embedding, None);
    let err = vault::get_document(&t.db, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

// ---------------------------------------------------------------------------------------
// set_embedding

#[tokio::test]
async fn set_embedding_stores_vector_model_and_content_hash() {
    let t = TestDb::new().await;
    let d = doc(&t, "tekup/a", "x.md", "æøå – Tekup").await;
    let info = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: d,
            embedding: v(&[0.25, -0.5]),
            model: "text-embedding-3-small".into(),
            expected_content_hash: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(info.document_id, d);
    assert_eq!(info.content_hash.as_deref(), Some(SHA256_DANISH));
    assert_eq!(info.model.as_deref(), Some("text-embedding-3-small"));
    assert!(!info.content_changed);
    assert_eq!(info.id.get_version_num(), 4);
    let stored = t
        .scalar_i64(&format!(
            "SELECT count(*) FROM vault.embeddings WHERE document_id = '{d}' \
             AND subvector(embedding, 1, 3) = '[0.25,-0.5,0]'::vector"
        ))
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn set_embedding_again_replaces_and_refreshes_updated_at() {
    let t = TestDb::new().await;
    let d = doc(&t, "tekup/a", "x.md", "hello").await;
    let first = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: d,
            embedding: v(&[1.0]),
            model: "old-model".into(),
            expected_content_hash: None,
        },
    )
    .await
    .unwrap();
    t.exec(
        "UPDATE vault.embeddings SET updated_at = now() - interval '1 day', \
            created_at = now() - interval '1 day', content_hash = NULL",
    )
    .await
    .unwrap();
    let old = t
        .scalar_i64("SELECT floor(extract(epoch FROM created_at))::bigint FROM vault.embeddings")
        .await
        .unwrap();
    let second = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: d,
            embedding: v(&[0.0, 1.0]),
            model: "new-model".into(),
            expected_content_hash: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(second.id, first.id, "upsert by document_id keeps the row");
    assert_eq!(second.created_at.timestamp(), old);
    assert!(
        second.updated_at > second.created_at + chrono::Duration::hours(23),
        "updated_at refreshed (defect 6)"
    );
    assert_eq!(second.model.as_deref(), Some("new-model"));
    assert_eq!(second.content_hash.as_deref(), Some(SHA256_HELLO));
    assert_eq!(count(&t, "embeddings").await, 1);
    // The new vector is the stored one: the old direction is now orthogonal.
    let hits = search_contents(
        &t,
        SemanticSearch {
            threshold: Some(0.5),
            ..semantic(&[0.0, 1.0])
        },
    )
    .await;
    assert_eq!(hits, ["hello"]);
    assert!(search_contents(&t, semantic(&[1.0])).await.is_empty());
}

#[tokio::test]
async fn set_embedding_rejects_bad_vectors_and_writes_nothing() {
    let t = TestDb::new().await;
    let d = doc(&t, "tekup/a", "x.md", "hello").await;
    embed(&t, d, &[1.0]).await;
    let before = t
        .scalar_i64("SELECT extract(epoch FROM updated_at)::bigint FROM vault.embeddings")
        .await
        .unwrap();
    let mut nan = v(&[1.0]);
    nan[700] = f64::NAN;
    let mut inf = v(&[1.0]);
    inf[3] = f64::INFINITY;
    let mut neg_inf = v(&[1.0]);
    neg_inf[0] = f64::NEG_INFINITY;
    let mut too_big = v(&[1.0]);
    too_big[5] = 1e39; // finite f64, beyond f32
    let cases: Vec<(&str, Vec<f64>)> = vec![
        ("empty", vec![]),
        ("1535", vec![0.5; 1535]),
        ("1537", vec![0.5; 1537]),
        ("NaN", nan),
        ("inf", inf),
        ("-inf", neg_inf),
        ("beyond f32", too_big),
        ("all zeros", v(&[])),
    ];
    for (name, embedding) in cases {
        let err = vault::set_embedding(
            &t.db,
            NewEmbedding {
                document_id: d,
                embedding,
                model: "m".into(),
                expected_content_hash: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["embedding"], "{name}");
    }
    let e = vault::get_document(&t.db, d)
        .await
        .unwrap()
        .embedding
        .unwrap();
    assert_eq!(e.model.as_deref(), Some("text-embedding-3-small"));
    assert_eq!(
        t.scalar_i64("SELECT extract(epoch FROM updated_at)::bigint FROM vault.embeddings")
            .await
            .unwrap(),
        before
    );
    assert_eq!(count(&t, "embeddings").await, 1);
}

#[tokio::test]
async fn set_embedding_lists_vector_and_model_problems_together() {
    let t = TestDb::new().await;
    let d = doc(&t, "tekup/a", "x.md", "hello").await;
    let err = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: d,
            embedding: vec![1.0; 3],
            model: "  ".into(),
            expected_content_hash: Some(String::new()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["embedding", "model", "expected_content_hash"]);
    assert_eq!(count(&t, "embeddings").await, 0);
}

#[tokio::test]
async fn set_embedding_of_unknown_document_is_not_found() {
    let t = TestDb::new().await;
    let err = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: Uuid::new_v4(),
            embedding: v(&[1.0]),
            model: "m".into(),
            expected_content_hash: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let err = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: Uuid::new_v4(),
            embedding: v(&[1.0]),
            model: "m".into(),
            expected_content_hash: Some(SHA256_HELLO.into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(count(&t, "embeddings").await, 0);
}

#[tokio::test]
async fn set_embedding_with_stale_expected_hash_is_a_conflict() {
    let t = TestDb::new().await;
    let d = doc(&t, "tekup/a", "x.md", "hello").await;
    let stale = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: d,
            embedding: v(&[1.0]),
            model: "m".into(),
            expected_content_hash: Some(SHA256_DANISH.into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(stale.code(), ErrorCode::Conflict);
    assert_eq!(count(&t, "embeddings").await, 0);
    // The matching hash (any case) writes.
    let ok = vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: d,
            embedding: v(&[1.0]),
            model: "m".into(),
            expected_content_hash: Some(SHA256_HELLO.to_uppercase()),
        },
    )
    .await
    .unwrap();
    assert_eq!(ok.content_hash.as_deref(), Some(SHA256_HELLO));
}

// ---------------------------------------------------------------------------------------
// update_sync_status / get_sync_status

fn sync(status: SyncState, error_message: Option<&str>) -> SyncUpdate {
    SyncUpdate {
        source: "github".into(),
        repository: "TekupDK/tekup".into(),
        status,
        error_message: error_message.map(str::to_owned),
    }
}

#[tokio::test]
async fn sync_status_first_write_sets_last_sync_only_when_finished() {
    let t = TestDb::new().await;
    let pending = vault::update_sync_status(&t.db, sync(SyncState::Pending, None))
        .await
        .unwrap();
    assert_eq!(pending.status, SyncState::Pending);
    assert_eq!(pending.last_sync_at, None);
    assert_eq!(pending.error_message, None);

    let other = vault::update_sync_status(
        &t.db,
        SyncUpdate {
            repository: "TekupDK/other".into(),
            ..sync(SyncState::Error, Some("rate limited"))
        },
    )
    .await
    .unwrap();
    assert_eq!(other.status, SyncState::Error);
    assert!(other.last_sync_at.is_some());
    assert_eq!(other.error_message.as_deref(), Some("rate limited"));

    let running = vault::update_sync_status(
        &t.db,
        SyncUpdate {
            repository: "TekupDK/third".into(),
            ..sync(SyncState::InProgress, None)
        },
    )
    .await
    .unwrap();
    assert_eq!(running.last_sync_at, None);
    assert_eq!(count(&t, "sync_status").await, 3);
}

#[tokio::test]
async fn sync_status_success_clears_an_old_error_defect_7() {
    let t = TestDb::new().await;
    let failed = vault::update_sync_status(&t.db, sync(SyncState::Error, Some("boom")))
        .await
        .unwrap();
    t.exec("UPDATE vault.sync_status SET last_sync_at = now() - interval '1 day'")
        .await
        .unwrap();
    // in_progress keeps the last error and the last finished sync time.
    let running = vault::update_sync_status(&t.db, sync(SyncState::InProgress, None))
        .await
        .unwrap();
    assert_eq!(running.id, failed.id);
    assert_eq!(running.status, SyncState::InProgress);
    assert_eq!(running.error_message.as_deref(), Some("boom"));
    let day_old = running.last_sync_at.unwrap();
    assert!(day_old < failed.last_sync_at.unwrap());
    // An error without a message keeps the previous one.
    let again = vault::update_sync_status(&t.db, sync(SyncState::Error, None))
        .await
        .unwrap();
    assert_eq!(again.error_message.as_deref(), Some("boom"));
    assert!(
        again.last_sync_at.unwrap() > day_old,
        "a finished sync sets it"
    );
    // A new message replaces it.
    let replaced = vault::update_sync_status(&t.db, sync(SyncState::Error, Some("timeout")))
        .await
        .unwrap();
    assert_eq!(replaced.error_message.as_deref(), Some("timeout"));
    // Success clears it.
    let ok = vault::update_sync_status(&t.db, sync(SyncState::Success, None))
        .await
        .unwrap();
    assert_eq!(ok.status, SyncState::Success);
    assert_eq!(ok.error_message, None);
    assert!(ok.last_sync_at.unwrap() >= replaced.last_sync_at.unwrap());
    assert!(ok.updated_at >= replaced.updated_at);
    assert_eq!(count(&t, "sync_status").await, 1);
}

#[tokio::test]
async fn sync_status_rejects_bad_input() {
    let t = TestDb::new().await;
    let err = vault::update_sync_status(&t.db, sync(SyncState::Success, Some("oops")))
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["error_message"]);
    let err = vault::update_sync_status(
        &t.db,
        SyncUpdate {
            source: " ".into(),
            repository: "x".repeat(256),
            status: SyncState::Error,
            error_message: Some("  ".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["source", "repository", "error_message"]);
    assert_eq!(count(&t, "sync_status").await, 0);
}

#[tokio::test]
async fn get_sync_status_filters_and_orders_newest_first() {
    let t = TestDb::new().await;
    for (source, repo) in [
        ("github", "a/one"),
        ("github", "a/two"),
        ("render", "a/one"),
    ] {
        vault::update_sync_status(
            &t.db,
            SyncUpdate {
                source: source.into(),
                repository: repo.into(),
                status: SyncState::Success,
                error_message: None,
            },
        )
        .await
        .unwrap();
    }
    t.exec(
        "UPDATE vault.sync_status SET updated_at = CASE \
           WHEN source = 'github' AND repository = 'a/one' THEN now() - interval '3 hours' \
           WHEN source = 'github' THEN now() - interval '2 hours' \
           ELSE now() - interval '1 hour' END",
    )
    .await
    .unwrap();
    let keys = |rows: Vec<entity::vault::sync_status::Model>| -> Vec<String> {
        rows.into_iter()
            .map(|r| format!("{}:{}", r.source, r.repository))
            .collect()
    };
    let all = vault::get_sync_status(&t.db, SyncFilter::default())
        .await
        .unwrap();
    assert_eq!(keys(all), ["render:a/one", "github:a/two", "github:a/one"]);
    let github = vault::get_sync_status(
        &t.db,
        SyncFilter {
            source: Some("github".into()),
            repository: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(keys(github), ["github:a/two", "github:a/one"]);
    let one = vault::get_sync_status(
        &t.db,
        SyncFilter {
            source: Some(String::new()),
            repository: Some("a/one".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(keys(one), ["render:a/one", "github:a/one"]);
    let none = vault::get_sync_status(
        &t.db,
        SyncFilter {
            source: Some("supabase".into()),
            repository: None,
        },
    )
    .await
    .unwrap();
    assert!(none.is_empty());
}

// ---------------------------------------------------------------------------------------
// semantic_search

/// Documents at known angles from (1, 0, ...): same 1.0, near 0.8, mid 0.6, orthogonal 0,
/// opposite −1, and one without an embedding.
async fn corpus(t: &TestDb) {
    let docs: [(&str, &str, &str, &[f64]); 5] = [
        ("same", "github", "tekup/a", &[1.0, 0.0]),
        ("near", "github", "tekup/b", &[0.8, 0.6]),
        ("mid", "supabase", "tekup/a", &[0.6, 0.8]),
        ("orthogonal", "github", "tekup/a", &[0.0, 1.0]),
        ("opposite", "github", "tekup/a", &[-1.0, 0.0]),
    ];
    for (content, source, repo, head) in docs {
        let d = vault::create_document(
            &t.db,
            NewDocument {
                source: source.into(),
                ..new_doc(repo, content, content)
            },
        )
        .await
        .unwrap();
        embed(t, d.id, head).await;
    }
    doc(t, "tekup/a", "unembedded", "unembedded").await;
}

#[tokio::test]
async fn semantic_search_returns_nearest_first_above_default_threshold() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let hits = vault::semantic_search(&t.db, semantic(&[1.0]))
        .await
        .unwrap();
    let got: Vec<(&str, f64)> = hits
        .iter()
        .map(|h| (h.content.as_str(), h.similarity))
        .collect();
    assert_eq!(got.len(), 2, "default threshold 0.7: {got:?}");
    assert_eq!(got[0].0, "same");
    assert!((got[0].1 - 1.0).abs() < 1e-6);
    assert_eq!(got[1].0, "near");
    assert!((got[1].1 - 0.8).abs() < 1e-6);
    assert_eq!(hits[0].path, "same");
    assert_eq!(hits[0].source, "github");
    assert_eq!(hits[0].repository, "tekup/a");
    assert_eq!(hits[0].metadata, json!({}));
    assert_eq!(hits[0].sha, None);
}

#[tokio::test]
async fn semantic_search_threshold_is_strict() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let at = |threshold| SemanticSearch {
        threshold: Some(threshold),
        ..semantic(&[1.0])
    };
    // (1,0,..) vs (1,0,..) has similarity exactly 1: threshold 1 excludes it.
    assert!(search_contents(&t, at(1.0)).await.is_empty());
    assert_eq!(search_contents(&t, at(0.999)).await, ["same"]);
    // "orthogonal" has similarity exactly 0: threshold 0 excludes it.
    assert_eq!(search_contents(&t, at(0.0)).await, ["same", "near", "mid"]);
    // Documents without an embedding never come back.
    assert!(
        !search_contents(&t, at(0.0))
            .await
            .contains(&"unembedded".to_owned())
    );
}

#[tokio::test]
async fn semantic_search_filters_by_source_and_repository() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let q = |source: Option<&str>, repository: Option<&str>| SemanticSearch {
        threshold: Some(0.0),
        source: source.map(str::to_owned),
        repository: repository.map(str::to_owned),
        ..semantic(&[1.0])
    };
    assert_eq!(
        search_contents(&t, q(Some("supabase"), None)).await,
        ["mid"]
    );
    assert_eq!(
        search_contents(&t, q(None, Some("tekup/a"))).await,
        ["same", "mid"]
    );
    assert_eq!(
        search_contents(&t, q(Some("github"), Some("tekup/b"))).await,
        ["near"]
    );
    assert!(
        search_contents(&t, q(Some("render"), None))
            .await
            .is_empty()
    );
    assert_eq!(
        search_contents(&t, q(Some(" "), Some(""))).await,
        ["same", "near", "mid"],
        "blank filters do not filter"
    );
}

#[tokio::test]
async fn semantic_search_limit_defaults_to_10_and_is_validated() {
    let t = TestDb::new().await;
    for i in 0..12 {
        let id = doc(&t, "tekup/a", &format!("{i}.md"), &format!("doc {i:02}")).await;
        embed(&t, id, &[1.0, f64::from(i) * 0.01]).await;
    }
    let hits = search_contents(&t, semantic(&[1.0])).await;
    assert_eq!(hits.len(), 10);
    assert_eq!(hits[0], "doc 00");
    assert_eq!(hits[9], "doc 09");
    let with = |limit| SemanticSearch {
        limit: Some(limit),
        ..semantic(&[1.0])
    };
    assert_eq!(search_contents(&t, with(1)).await, ["doc 00"]);
    assert_eq!(search_contents(&t, with(100)).await.len(), 12);
    for bad in [0, 101, u64::MAX] {
        let err = vault::semantic_search(&t.db, with(bad)).await.unwrap_err();
        assert_eq!(fields(err), ["limit"], "limit {bad}");
    }
}

#[tokio::test]
async fn semantic_search_rejects_bad_vectors_and_thresholds() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let mut nan = v(&[1.0]);
    nan[0] = f64::NAN;
    for (name, embedding) in [("short", vec![1.0; 3]), ("nan", nan), ("zeros", v(&[]))] {
        let err = vault::semantic_search(
            &t.db,
            SemanticSearch {
                embedding,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["embedding"], "{name}");
    }
    for bad in [f64::NAN, f64::INFINITY, -0.1, 1.01] {
        let err = vault::semantic_search(
            &t.db,
            SemanticSearch {
                threshold: Some(bad),
                ..semantic(&[1.0])
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["threshold"], "threshold {bad}");
    }
    let err = vault::semantic_search(
        &t.db,
        SemanticSearch {
            embedding: vec![],
            limit: Some(0),
            threshold: Some(2.0),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["embedding", "limit", "threshold"]);
    assert!(vault::semantic_search_statement(&semantic(&[1.0])).is_ok());
    assert!(vault::semantic_search_statement(&SemanticSearch::default()).is_err());
    let err = vault::hybrid_search_statement(&HybridSearch::default()).unwrap_err();
    assert_eq!(fields(err), ["text", "embedding"]);
}

#[tokio::test]
async fn semantic_search_uses_the_hnsw_index() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let stmt = vault::semantic_search_statement(&semantic(&[1.0])).unwrap();
    let plan = explain(&t, stmt, "enable_seqscan").await;
    assert!(plan.contains("embeddings_embedding_hnsw_idx"), "{plan}");
    // With a filter on a tiny table the planner may prefer sorting the few filtered rows;
    // without that option the filtered query is still answered from the index order.
    let filtered = vault::semantic_search_statement(&SemanticSearch {
        source: Some("github".into()),
        repository: Some("tekup/a".into()),
        ..semantic(&[1.0])
    })
    .unwrap();
    let plan = explain(&t, filtered, "enable_sort").await;
    assert!(plan.contains("embeddings_embedding_hnsw_idx"), "{plan}");
}

/// Runs `q` with the HNSW index forced (as on a big table: no sequential scan, no sort).
async fn search_through_index(t: &TestDb, q: SemanticSearch) -> Vec<vault::SemanticHit> {
    let txn = t.db.begin().await.unwrap();
    txn.execute_unprepared("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
        .await
        .unwrap();
    let hits = vault::semantic_search(&txn, q).await.unwrap();
    txn.rollback().await.unwrap();
    hits
}

#[tokio::test]
async fn semantic_search_through_the_index_returns_all_requested_rows() {
    let t = TestDb::new().await;
    // 120 documents alternating between two repositories.
    for i in 0..120 {
        let repo = if i % 2 == 0 {
            "tekup/even"
        } else {
            "tekup/odd"
        };
        let id = doc(&t, repo, &format!("{i}.md"), &format!("doc {i}")).await;
        embed(&t, id, &[1.0, f64::from(i) * 0.01, 0.5]).await;
    }
    // A plain HNSW scan stops at hnsw.ef_search = 40 rows.
    let hits = search_through_index(
        &t,
        SemanticSearch {
            limit: Some(100),
            threshold: Some(0.0),
            ..semantic(&[1.0])
        },
    )
    .await;
    assert_eq!(hits.len(), 100);
    assert!(
        hits.windows(2).all(|w| w[0].similarity >= w[1].similarity),
        "nearest first"
    );
    // A filter removes rows after the scan; the iterative scan keeps going until the
    // limit is met.
    let hits = search_through_index(
        &t,
        SemanticSearch {
            limit: Some(50),
            threshold: Some(0.0),
            repository: Some("tekup/even".into()),
            ..semantic(&[1.0])
        },
    )
    .await;
    assert_eq!(hits.len(), 50);
    assert!(hits.iter().all(|h| h.repository == "tekup/even"));
    assert_eq!(hits[0].content, "doc 0");
    assert_eq!(hits[49].content, "doc 98");
}

// ---------------------------------------------------------------------------------------
// hybrid_search

/// "both": keyword match (twice) and the nearest vector; "keyword": keyword match, no
/// embedding; "vector": second-nearest vector, no keyword; "far": neither (opposite vector).
async fn hybrid_corpus(t: &TestDb) -> [Uuid; 4] {
    let both = doc(t, "tekup/a", "both.md", "invoice invoice reminder").await;
    embed(t, both, &[1.0]).await;
    let keyword = doc(t, "tekup/a", "keyword.md", "an invoice for renos").await;
    let vector = doc(t, "tekup/b", "vector.md", "completely unrelated text").await;
    embed(t, vector, &[0.8, 0.6]).await;
    let far = doc(t, "tekup/a", "far.md", "nothing to see").await;
    embed(t, far, &[-1.0]).await;
    [both, keyword, vector, far]
}

fn hybrid(text: &str, head: &[f64]) -> HybridSearch {
    HybridSearch {
        text: text.into(),
        embedding: v(head),
        ..Default::default()
    }
}

#[tokio::test]
async fn hybrid_search_fuses_keyword_and_vector_ranks() {
    let t = TestDb::new().await;
    let [both, keyword, vector, far] = hybrid_corpus(&t).await;
    let hits = vault::hybrid_search(&t.db, hybrid("invoice", &[1.0]))
        .await
        .unwrap();
    let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
    // both: 1/61 + 1/61; keyword: 1/62 (rank 2); vector: 1/62 (rank 2); far: 1/63 (rank 3).
    let mut tied = [keyword, vector];
    tied.sort();
    assert_eq!(ids, [both, tied[0], tied[1], far]);

    let by_id = |id| hits.iter().find(|h| h.id == id).unwrap();
    let b = by_id(both);
    assert!(b.keyword_score.unwrap() > 0.0);
    assert!((b.vector_similarity.unwrap() - 1.0).abs() < 1e-6);
    assert!((b.fused_score - 2.0 / 61.0).abs() < 1e-12);
    assert_eq!(b.content, "invoice invoice reminder");

    let k = by_id(keyword);
    assert!(k.keyword_score.unwrap() > 0.0);
    assert!(k.keyword_score.unwrap() < b.keyword_score.unwrap());
    assert_eq!(k.vector_similarity, None);
    assert!((k.fused_score - 1.0 / 62.0).abs() < 1e-12);

    let vh = by_id(vector);
    assert_eq!(vh.keyword_score, None);
    assert!((vh.vector_similarity.unwrap() - 0.8).abs() < 1e-6);
    assert!((vh.fused_score - 1.0 / 62.0).abs() < 1e-12);

    let f = by_id(far);
    assert_eq!(f.keyword_score, None);
    assert!((f.vector_similarity.unwrap() + 1.0).abs() < 1e-6);
    assert!((f.fused_score - 1.0 / 63.0).abs() < 1e-12);
}

#[tokio::test]
async fn hybrid_search_threshold_limit_and_filters() {
    let t = TestDb::new().await;
    let [both, keyword, vector, _far] = hybrid_corpus(&t).await;
    let ids =
        |hits: Vec<vault::HybridHit>| -> Vec<Uuid> { hits.into_iter().map(|h| h.id).collect() };
    // A threshold drops weak vector candidates (and shifts nobody's rank above them).
    let hits = vault::hybrid_search(
        &t.db,
        HybridSearch {
            threshold: Some(0.9),
            ..hybrid("invoice", &[1.0])
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(hits), [both, keyword]);
    let hits = vault::hybrid_search(
        &t.db,
        HybridSearch {
            limit: Some(1),
            ..hybrid("invoice", &[1.0])
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(hits), [both]);
    let hits = vault::hybrid_search(
        &t.db,
        HybridSearch {
            repository: Some("tekup/b".into()),
            ..hybrid("invoice", &[1.0])
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(hits), [vector], "filters apply to both lists");
    // Web-search syntax: a phrase matches only "invoice reminder" in that order.
    let hits = vault::hybrid_search(
        &t.db,
        HybridSearch {
            threshold: Some(0.99),
            ..hybrid("\"invoice reminder\"", &[0.0, 1.0])
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(hits), [both]);
}

#[tokio::test]
async fn hybrid_search_without_searchable_words_ranks_by_vector_only() {
    let t = TestDb::new().await;
    let [both, _keyword, vector, far] = hybrid_corpus(&t).await;
    let hits = vault::hybrid_search(&t.db, hybrid("!!! ???", &[1.0]))
        .await
        .unwrap();
    assert!(hits.iter().all(|h| h.keyword_score.is_none()));
    let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, [both, vector, far]);
    // A word that no document contains: same.
    let hits = vault::hybrid_search(&t.db, hybrid("zebra", &[0.8, 0.6]))
        .await
        .unwrap();
    assert_eq!(hits[0].id, vector);
    assert!(hits.iter().all(|h| h.keyword_score.is_none()));
}

#[tokio::test]
async fn hybrid_search_rejects_bad_input() {
    let t = TestDb::new().await;
    hybrid_corpus(&t).await;
    for text in ["", "   ", "nul\0"] {
        let err = vault::hybrid_search(&t.db, hybrid(text, &[1.0]))
            .await
            .unwrap_err();
        assert_eq!(fields(err), ["text"], "{text:?}");
    }
    let long = "a".repeat(vault::QUERY_TEXT_MAX_CHARS + 1);
    let err = vault::hybrid_search(&t.db, hybrid(&long, &[1.0]))
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["text"]);
    let ok = "å".repeat(vault::QUERY_TEXT_MAX_CHARS);
    assert!(
        vault::hybrid_search(&t.db, hybrid(&ok, &[1.0]))
            .await
            .is_ok()
    );
    let err = vault::hybrid_search(
        &t.db,
        HybridSearch {
            text: "invoice".into(),
            embedding: vec![1.0; 1536 - 1],
            limit: Some(101),
            threshold: Some(-0.5),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["embedding", "limit", "threshold"]);
    let err = vault::hybrid_search(
        &t.db,
        HybridSearch {
            limit: Some(0),
            ..hybrid("invoice", &[1.0])
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["limit"]);
}

#[tokio::test]
async fn hybrid_search_uses_the_fts_and_hnsw_indexes_also_under_row_level_security() {
    let t = TestDb::new().await;
    let [both, keyword, vector, far] = hybrid_corpus(&t).await;
    let mut all = vec![both, keyword, vector, far];
    all.sort();
    // As the owner (no row-level security), and as the API role with each request role.
    let api = tests::test_db::connect(&t.api_url(), 1).await.unwrap();
    for (conn, role, sees) in [
        (&t.db, None, true),
        (&api, Some("service"), true),
        (&api, Some("admin"), true),
        (&api, Some("user"), false),
        (&api, None, false),
    ] {
        let txn = conn.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        if let Some(role) = role {
            txn.execute_unprepared(&format!("SELECT set_config('tekup.role', '{role}', true)"))
                .await
                .unwrap();
        }
        let hits = vault::hybrid_search(&txn, hybrid("invoice", &[1.0]))
            .await
            .unwrap();
        // The keyword function applies the vault policy itself (it runs as the owner).
        let direct = txn
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT count(*) FROM vault.keyword_candidates('invoice', NULL, NULL, NULL, 40)",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        assert_eq!(direct, if sees { 2 } else { 0 }, "{role:?}");
        let scans =
            |index: &str| format!("SELECT pg_stat_get_xact_numscans('vault.{index}'::regclass)");
        let mut counts = Vec::new();
        for index in ["documents_content_fts_idx", "embeddings_embedding_hnsw_idx"] {
            let row = txn
                .query_one_raw(Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    scans(index),
                ))
                .await
                .unwrap()
                .unwrap();
            counts.push(row.try_get_by_index::<i64>(0).unwrap());
        }
        txn.rollback().await.unwrap();
        let mut ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
        ids.sort();
        if sees {
            assert_eq!(ids, all, "{role:?}");
            // The keyword side found the two documents containing the word.
            let keyword_hits = hits.iter().filter(|h| h.keyword_score.is_some()).count();
            assert_eq!(keyword_hits, 2, "{role:?}");
            assert!(counts.iter().all(|&n| n >= 1), "{role:?}: scans {counts:?}");
        } else {
            assert!(ids.is_empty(), "{role:?} sees {ids:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// documents_needing_embedding

#[tokio::test]
async fn backlog_lists_missing_changed_and_legacy_embeddings() {
    let t = TestDb::new().await;
    let fresh = doc(&t, "tekup/a", "fresh.md", "hello").await;
    embed(&t, fresh, &[1.0]).await;
    let missing = doc(&t, "tekup/a", "missing.md", "no vector yet").await;
    let changed = doc(&t, "tekup/a", "changed.md", "before").await;
    embed(&t, changed, &[1.0]).await;
    vault::upsert_document(&t.db, new_doc("tekup/a", "changed.md", "after"))
        .await
        .unwrap();
    // A legacy row: embedded without hash or model.
    let legacy = DocumentBuilder::default()
        .content("legacy")
        .insert(&t.db)
        .await
        .unwrap();
    builders::embedding(&t.db, legacy.id, builders::vector(&[1.0]))
        .await
        .unwrap();

    let due = vault::documents_needing_embedding(&t.db, EmbeddingBacklog::default())
        .await
        .unwrap();
    let got: Vec<(Uuid, EmbeddingDue)> = due.iter().map(|p| (p.document_id, p.due)).collect();
    assert_eq!(got[0], (missing, EmbeddingDue::Missing), "missing first");
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.contains(&(changed, EmbeddingDue::ContentChanged)));
    assert!(got.contains(&(legacy.id, EmbeddingDue::ContentChanged)));
    assert!(!got.iter().any(|(id, _)| *id == fresh));
    let m = &due[0];
    assert_eq!(m.content, "no vector yet");

    // Re-embedding with the returned hash clears the backlog entry.
    let item = due.iter().find(|p| p.document_id == changed).unwrap();
    vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: changed,
            embedding: v(&[1.0]),
            model: "text-embedding-3-small".into(),
            expected_content_hash: Some(item.content_hash.clone()),
        },
    )
    .await
    .unwrap();
    let after = vault::documents_needing_embedding(&t.db, EmbeddingBacklog::default())
        .await
        .unwrap();
    assert_eq!(after.len(), 2);
    assert!(!after.iter().any(|p| p.document_id == changed));
}

#[tokio::test]
async fn backlog_with_a_model_includes_embeddings_of_other_models() {
    let t = TestDb::new().await;
    let current = doc(&t, "tekup/a", "current.md", "a").await;
    embed(&t, current, &[1.0]).await; // text-embedding-3-small
    let old = doc(&t, "tekup/a", "old.md", "b").await;
    vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: old,
            embedding: v(&[1.0]),
            model: "text-embedding-ada-002".into(),
            expected_content_hash: None,
        },
    )
    .await
    .unwrap();
    let without = vault::documents_needing_embedding(&t.db, EmbeddingBacklog::default())
        .await
        .unwrap();
    assert!(
        without.is_empty(),
        "no model given: models are not compared"
    );
    let with = vault::documents_needing_embedding(
        &t.db,
        EmbeddingBacklog {
            model: Some("text-embedding-3-small".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let got: Vec<(Uuid, EmbeddingDue)> = with.iter().map(|p| (p.document_id, p.due)).collect();
    assert_eq!(got, [(old, EmbeddingDue::ModelChanged)]);
    let err = vault::documents_needing_embedding(
        &t.db,
        EmbeddingBacklog {
            model: Some(" ".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), ["model"]);
}

#[tokio::test]
async fn backlog_truncates_content_to_8000_chars_and_hashes_the_full_text() {
    let t = TestDb::new().await;
    let long = "æ".repeat(9000);
    let id = doc(&t, "tekup/a", "long.md", &long).await;
    let hello = doc(&t, "tekup/a", "hello.md", "hello").await;
    let due = vault::documents_needing_embedding(&t.db, EmbeddingBacklog::default())
        .await
        .unwrap();
    let item = due.iter().find(|p| p.document_id == id).unwrap();
    assert_eq!(item.content.chars().count(), 8000);
    assert!(long.starts_with(&item.content));
    let h = due.iter().find(|p| p.document_id == hello).unwrap();
    assert_eq!(h.content, "hello");
    assert_eq!(h.content_hash, SHA256_HELLO);
    // The hash covers all 9,000 characters: embedding with it succeeds and clears the item.
    vault::set_embedding(
        &t.db,
        NewEmbedding {
            document_id: id,
            embedding: v(&[1.0]),
            model: "m".into(),
            expected_content_hash: Some(item.content_hash.clone()),
        },
    )
    .await
    .unwrap();
    let info = vault::get_document(&t.db, id)
        .await
        .unwrap()
        .embedding
        .unwrap();
    assert!(!info.content_changed);
}

#[tokio::test]
async fn backlog_orders_limits_and_filters() {
    let t = TestDb::new().await;
    let old = doc(&t, "tekup/a", "old.md", "old").await;
    let new = doc(&t, "tekup/a", "new.md", "new").await;
    let other = vault::create_document(
        &t.db,
        NewDocument {
            source: "render".into(),
            ..new_doc("tekup/b", "other.md", "other")
        },
    )
    .await
    .unwrap()
    .id;
    let stale = doc(&t, "tekup/a", "stale.md", "stale").await;
    embed(&t, stale, &[1.0]).await;
    t.exec(&format!(
        "UPDATE vault.documents SET content = 'changed', updated_at = now() - interval '9 days' \
         WHERE id = '{stale}'; \
         UPDATE vault.documents SET updated_at = now() - interval '2 days' WHERE id = '{old}'; \
         UPDATE vault.documents SET updated_at = now() - interval '1 day' WHERE id = '{new}'; \
         UPDATE vault.documents SET updated_at = now() - interval '3 days' WHERE id = '{other}'"
    ))
    .await
    .unwrap();
    let list = |input: EmbeddingBacklog| {
        let db = &t.db;
        async move {
            vault::documents_needing_embedding(db, input)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.document_id)
                .collect::<Vec<_>>()
        }
    };
    // Missing embeddings first (oldest update first), then stale ones.
    assert_eq!(
        list(EmbeddingBacklog::default()).await,
        [other, old, new, stale]
    );
    assert_eq!(
        list(EmbeddingBacklog {
            limit: Some(2),
            ..Default::default()
        })
        .await,
        [other, old]
    );
    assert_eq!(
        list(EmbeddingBacklog {
            limit: Some(0),
            ..Default::default()
        })
        .await,
        [other],
        "0 is clamped to 1"
    );
    assert_eq!(
        list(EmbeddingBacklog {
            source: Some("github".into()),
            repository: Some("tekup/a".into()),
            ..Default::default()
        })
        .await,
        [old, new, stale]
    );
    assert!(
        list(EmbeddingBacklog {
            repository: Some("tekup/none".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn backlog_is_empty_on_an_empty_vault() {
    let t = TestDb::new().await;
    let due = vault::documents_needing_embedding(
        &t.db,
        EmbeddingBacklog {
            model: Some("text-embedding-3-small".into()),
            limit: Some(u64::MAX),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(due.is_empty());
}
