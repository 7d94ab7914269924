//! Vault search at scale (issue 7): filtered semantic and hybrid search stay on the HNSW
//! index and return the exact filtered top-k; `ef_search` and `metadata` arguments.
//!
//! The corpus is small (4,000 clustered documents of low intrinsic dimension) so this stays
//! fast; `scripts/bench-search` measures 100,000 × 1536 (docs/search-benchmark.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::json;
use service::ErrorCode;
use service::vault::{self, HybridSearch, SemanticSearch};
use tests::TestDb;
use tests::errors::fields;
use uuid::Uuid;

const DOCS: i64 = 4_000;
const CLUSTERS: i64 = 20;
/// Dimensions that carry the signal (the rest are 0).
const HEAD: usize = 12;

/// `n`'s cluster centroid and noise (uniform in ±0.4 from an md5 hash of `n` and `j`), as
/// SQL over `n` and `j` (0..HEAD).
const COMPONENT_SQL: &str = "CASE WHEN j < 8 THEN cos((n % 20) * 2.1 + j * 1.3) \
    ELSE 0.4 * (('x' || substr(md5(n || '/' || j), 1, 8))::bit(32)::int / 2147483648.0) END";

async fn corpus(t: &TestDb) {
    t.db.execute_unprepared(&format!(
        "INSERT INTO vault.documents (id, source, repository, path, content, metadata) \
         SELECT md5('scale-' || n)::uuid, \
                (ARRAY['github','notion','drive','slack','email'])[(n / {CLUSTERS}) % 5 + 1], \
                'tekup/r' || (n % 3), 'doc/' || n || '.md', \
                'cluster' || (n % {CLUSTERS}) || ' word' || (n % 7) || ' term' || (n % 11), \
                jsonb_build_object('cluster', n % {CLUSTERS}, 'shard', (n / {CLUSTERS}) % 10) \
         FROM generate_series(0, {last}) n; \
         INSERT INTO vault.embeddings (document_id, embedding) \
         SELECT md5('scale-' || n)::uuid, \
                ((SELECT array_agg(({COMPONENT_SQL})::real ORDER BY j) \
                  FROM generate_series(0, {head}) j) \
                 || array_fill(0::real, ARRAY[1536 - {HEAD}]))::vector \
         FROM generate_series(0, {last}) n; \
         ANALYZE vault.documents, vault.embeddings;",
        last = DOCS - 1,
        head = HEAD - 1,
    ))
    .await
    .unwrap();
}

/// Query `q`: its cluster's centroid with its own noise.
fn query(q: u32) -> Vec<f64> {
    let mut v = vec![0.0; 1536];
    let c = f64::from(q % 20);
    for (j, x) in v.iter_mut().enumerate().take(HEAD) {
        let j = j as f64;
        *x = if j < 8.0 {
            (c * 2.1 + j * 1.3).cos()
        } else {
            0.4 * (f64::from(q) * 3.7 + j * 1.9).sin()
        };
    }
    v
}

fn pg_vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
    format!("[{}]", parts.join(","))
}

/// The exact nearest `k` (a sequential scan: index scans off), with the same filters.
async fn exact(
    t: &TestDb,
    q: &[f64],
    source: Option<&str>,
    metadata: Option<serde_json::Value>,
    k: i64,
) -> Vec<Uuid> {
    let txn = t.db.begin().await.unwrap();
    txn.execute_unprepared("SET LOCAL enable_indexscan = off")
        .await
        .unwrap();
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT e.document_id FROM vault.embeddings e \
             JOIN vault.documents d ON d.id = e.document_id \
             WHERE ($2::text IS NULL OR d.source = $2) AND ($3::jsonb IS NULL OR d.metadata @> $3) \
             ORDER BY e.embedding <=> $1::vector, e.document_id LIMIT $4",
            [
                pg_vector(q).into(),
                source.map(str::to_owned).into(),
                metadata.into(),
                k.into(),
            ],
        ))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "document_id").unwrap())
        .collect()
}

fn semantic(q: &[f64]) -> SemanticSearch {
    SemanticSearch {
        embedding: q.to_vec(),
        limit: Some(10),
        threshold: Some(0.0),
        ..SemanticSearch::default()
    }
}

#[tokio::test]
async fn filtered_semantic_search_equals_the_exact_filtered_top_k() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let mut compared = 0;
    let mut hits = 0;
    for q in 0..20 {
        let v = query(q);
        for (source, metadata) in [
            (None, None),
            (Some("github"), None),
            (None, Some(json!({"shard": 3}))),
            (Some("slack"), Some(json!({"cluster": q % 20}))),
        ] {
            let want = exact(&t, &v, source, metadata.clone(), 10).await;
            assert_eq!(want.len(), 10, "query {q} {source:?} {metadata:?}");
            let hits_of_query = vault::semantic_search(
                &t.db,
                SemanticSearch {
                    source: source.map(str::to_owned),
                    metadata: metadata.clone(),
                    ef_search: Some(200),
                    ..semantic(&v)
                },
            )
            .await
            .unwrap();
            for h in &hits_of_query {
                if let Some(s) = source {
                    assert_eq!(h.source, s, "query {q}: a hit outside the source filter");
                }
                if let Some(serde_json::Value::Object(m)) = &metadata {
                    for (k, want_value) in m {
                        assert_eq!(
                            &h.metadata[k], want_value,
                            "query {q}: outside {metadata:?}"
                        );
                    }
                }
            }
            let got: Vec<Uuid> = hits_of_query.into_iter().map(|h| h.id).collect();
            // ANN search is approximate (the HNSW graph is built with random levels), so
            // compare by recall: every hit must be in the filtered set (no leak from the
            // filter), a query may miss at most 3 of the exact top 10 (a rare graph misses
            // 3 for the 1 %-selective filter), and overall recall must stay at least 0.95.
            assert_eq!(got.len(), 10, "query {q} {source:?} {metadata:?}");
            let found = got.iter().filter(|id| want.contains(id)).count();
            assert!(found >= 7, "query {q} {source:?} {metadata:?}: {found}/10");
            hits += found;
            compared += 1;
        }
    }
    assert_eq!(compared, 80);
    let recall = hits as f64 / (compared * 10) as f64;
    assert!(recall >= 0.95, "recall@10 {recall}");
}

#[tokio::test]
async fn filtered_hybrid_search_equals_its_exact_ranking() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let mut total = 0;
    for q in 0..10 {
        let input = HybridSearch {
            text: format!("cluster{} word{}", q % 20, q % 7),
            embedding: query(q),
            limit: Some(10),
            source: Some("github".into()),
            // 40 vector candidates of a 20 % filter: a wide scan, so the HNSW graph (built
            // with random levels) cannot miss one on this small corpus.
            ef_search: Some(400),
            ..HybridSearch::default()
        };
        // The same statement with index scans off: the vector list is exact.
        let stmt = vault::hybrid_search_statement(&input).unwrap();
        let txn = t.db.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL enable_indexscan = off")
            .await
            .unwrap();
        let want: Vec<Uuid> = txn
            .query_all_raw(stmt)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<Uuid>("", "id").unwrap())
            .collect();
        txn.rollback().await.unwrap();
        let hits = vault::hybrid_search(&t.db, input).await.unwrap();
        assert!(hits.iter().all(|h| h.source == "github"));
        assert!(
            hits.iter().any(|h| h.keyword_score.is_some()),
            "query {q}: keyword side matched"
        );
        let got: Vec<Uuid> = hits.into_iter().map(|h| h.id).collect();
        assert_eq!(got.len(), 10);
        // Approximate vector list: at most 2 of the exact fused top 10 may differ.
        let found = got.iter().filter(|id| want.contains(id)).count();
        assert!(found >= 8, "query {q}: {found}/10");
        total += found;
    }
    assert!(total >= 95, "fused recall@10 over 10 queries: {total}/100");
}

/// The plan `stmt` gets as a prepared statement once PostgreSQL switches to a generic
/// plan (parameter values unknown to the planner): `plan_cache_mode = force_generic_plan`.
async fn generic_plan(t: &TestDb, stmt: Statement) -> String {
    let txn = t.db.begin().await.unwrap();
    txn.execute_unprepared(&format!(
        "SET LOCAL plan_cache_mode = force_generic_plan; PREPARE scale_q AS {}",
        stmt.sql
    ))
    .await
    .unwrap();
    let n = stmt.values.as_ref().map_or(0, |v| v.0.len());
    let args: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    // EXECUTE takes no bind parameters: the values go in as literals.
    let explain = Statement {
        sql: format!("EXPLAIN EXECUTE scale_q({})", args.join(", ")),
        ..stmt
    };
    let rows = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            explain.to_string(),
        ))
        .await
        .unwrap();
    // Prepared statements belong to the session, not the transaction.
    txn.execute_unprepared("DEALLOCATE scale_q").await.unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plan of `stmt` with its values (a custom plan).
async fn custom_plan(t: &TestDb, stmt: Statement) -> String {
    let explained = Statement {
        sql: format!("EXPLAIN {}", stmt.sql),
        ..stmt
    };
    t.db.query_all_raw(explained)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

const HNSW: &str = "Index Scan using embeddings_embedding_hnsw_idx";

#[tokio::test]
async fn filtered_searches_plan_the_hnsw_index_where_a_join_would_scan() {
    let t = TestDb::new().await;
    corpus(&t).await;
    // Control: the naive filtered query (filter on a join inside ORDER BY ... LIMIT) gets a
    // sequential scan and a sort in its generic plan on this corpus — the plan the planner
    // prefers because it does not cost reading the out-of-line vectors.
    let naive = "SELECT d.id FROM vault.embeddings e JOIN vault.documents d ON d.id = e.document_id \
                 WHERE ($2::text IS NULL OR d.source = $2) \
                 ORDER BY e.embedding <=> $1::vector LIMIT $3";
    let v = query(1);
    let naive = Statement::from_sql_and_values(
        DbBackend::Postgres,
        naive,
        [pg_vector(&v).into(), "github".into(), 10i64.into()],
    );
    let plan = generic_plan(&t, naive).await;
    assert!(plan.contains("Seq Scan"), "{plan}");
    assert!(!plan.contains(HNSW), "{plan}");

    let filtered = SemanticSearch {
        source: Some("github".into()),
        ..semantic(&v)
    };
    let by_metadata = SemanticSearch {
        metadata: Some(json!({"shard": 3})),
        ..semantic(&v)
    };
    let hybrid = HybridSearch {
        text: "cluster1 word1".into(),
        embedding: v.clone(),
        source: Some("github".into()),
        ..HybridSearch::default()
    };
    let statements = [
        vault::semantic_search_statement(&filtered).unwrap(),
        vault::semantic_search_statement(&by_metadata).unwrap(),
        vault::semantic_search_statement(&semantic(&v)).unwrap(),
        vault::hybrid_search_statement(&hybrid).unwrap(),
    ];
    for stmt in statements {
        let generic = generic_plan(&t, stmt.clone()).await;
        assert!(generic.contains(HNSW), "{generic}");
        assert!(!generic.contains("Seq Scan on embeddings"), "{generic}");
        let custom = custom_plan(&t, stmt).await;
        assert!(custom.contains(HNSW), "{custom}");
        assert!(!custom.contains("Seq Scan on embeddings"), "{custom}");
    }
}

#[tokio::test]
async fn ef_search_and_metadata_are_validated() {
    let t = TestDb::new().await;
    let v = query(0);
    for bad in [0, 39, 1001, 10_000] {
        let e = vault::semantic_search(
            &t.db,
            SemanticSearch {
                ef_search: Some(bad),
                ..semantic(&v)
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "{bad}");
        assert_eq!(fields(e), vec!["ef_search"], "{bad}");
        let e = vault::hybrid_search(
            &t.db,
            HybridSearch {
                text: "x".into(),
                embedding: v.clone(),
                ef_search: Some(bad),
                ..HybridSearch::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), vec!["ef_search"], "{bad}");
    }
    for ok in [40, vault::EF_SEARCH_DEFAULT, 1000] {
        vault::semantic_search(
            &t.db,
            SemanticSearch {
                ef_search: Some(ok),
                ..semantic(&v)
            },
        )
        .await
        .unwrap();
    }
    for bad in [json!([1]), json!("x"), json!(3)] {
        let e = vault::semantic_search(
            &t.db,
            SemanticSearch {
                metadata: Some(bad.clone()),
                ..semantic(&v)
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), vec!["metadata"], "{bad}");
    }
}

/// The `hnsw.ef_search` the last search in `txn` ran with (`SET LOCAL` in a released
/// savepoint lasts until the end of the outer transaction).
async fn ef_in(txn: &sea_orm::DatabaseTransaction) -> String {
    txn.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT current_setting('hnsw.ef_search') || ' ' || current_setting('hnsw.iterative_scan') AS s",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get::<String>("", "s")
    .unwrap()
}

#[tokio::test]
async fn ef_search_sets_the_scan_width_and_widens_to_the_candidates() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let v = query(2);
    let txn = t.db.begin().await.unwrap();
    // Index scan only (no sort fallback): a low ef_search still returns `limit` rows.
    txn.execute_unprepared("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
        .await
        .unwrap();
    let sem = |limit, ef| SemanticSearch {
        limit: Some(limit),
        ef_search: ef,
        ..semantic(&v)
    };
    vault::semantic_search(&txn, sem(10, None)).await.unwrap();
    assert_eq!(
        ef_in(&txn).await,
        format!("{} strict_order", vault::EF_SEARCH_DEFAULT)
    );
    vault::semantic_search(&txn, sem(10, Some(300)))
        .await
        .unwrap();
    assert_eq!(ef_in(&txn).await, "300 strict_order");
    let hits = vault::semantic_search(&txn, sem(100, Some(40)))
        .await
        .unwrap();
    assert_eq!(ef_in(&txn).await, "100 strict_order");
    assert_eq!(hits.len(), 100);
    let hybrid = vault::hybrid_search(
        &txn,
        HybridSearch {
            text: "cluster2".into(),
            embedding: v.clone(),
            limit: Some(100),
            ef_search: Some(40),
            ..HybridSearch::default()
        },
    )
    .await
    .unwrap();
    // 100 hits → 400 candidates per list.
    assert_eq!(ef_in(&txn).await, "400 strict_order");
    assert_eq!(hybrid.len(), 100);
    txn.rollback().await.unwrap();
}

/// GraphQL: `efSearch` is checked by the service, `metadata` filters, both reach the search.
#[tokio::test]
async fn graphql_search_takes_ef_search_and_metadata() {
    let t = TestDb::new().await;
    corpus(&t).await;
    let app = tests::spawn_app::spawn_app(&t).await;
    let gql = |query: &'static str, variables: serde_json::Value| {
        let req = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    const SEMANTIC: &str = "query($e: [Float!]!, $m: JSON, $ef: Int) { vault { \
        semanticSearch(embedding: $e, threshold: 0, metadata: $m, efSearch: $ef) { id metadata } } }";
    const HYBRID: &str = "query($e: [Float!]!, $m: JSON, $ef: Int) { vault { \
        hybridSearch(text: \"cluster4\", embedding: $e, metadata: $m, efSearch: $ef) { id metadata } } }";
    let v = query(4);
    for bad in [39, 1001, -1] {
        for q in [SEMANTIC, HYBRID] {
            let body = gql(q, json!({"e": v, "ef": bad})).await;
            let err = &body["errors"][0];
            assert_eq!(err["extensions"]["code"], "VALIDATION", "{body:#}");
            assert_eq!(
                err["extensions"]["fields"][0]["field"], "ef_search",
                "{body:#}"
            );
        }
    }
    for q in [SEMANTIC, HYBRID] {
        let body = gql(q, json!({"e": v, "ef": 200, "m": {"shard": 3}})).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        let field = if q == SEMANTIC {
            "semanticSearch"
        } else {
            "hybridSearch"
        };
        let hits = body["data"]["vault"][field].as_array().unwrap();
        assert_eq!(hits.len(), 10, "{body:#}");
        assert!(hits.iter().all(|h| h["metadata"]["shard"] == 3), "{body:#}");
    }
    // The same search through the service (owner role): the same ids.
    let want: Vec<String> = vault::semantic_search(
        &t.db,
        SemanticSearch {
            metadata: Some(json!({"shard": 3})),
            ef_search: Some(200),
            ..semantic(&v)
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|h| h.id.to_string())
    .collect();
    let body = gql(SEMANTIC, json!({"e": v, "ef": 200, "m": {"shard": 3}})).await;
    let got: Vec<String> = body["data"]["vault"]["semanticSearch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, want);
}
