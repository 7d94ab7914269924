//! `/graphiql` (served entirely by the binary) and `/metrics` (Prometheus text format) over
//! HTTP, against a real database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tests::TestDb;
use tests::spawn_app::{TestApp, spawn_app};

/// The values of every `attr="…"` in `html`.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn graphiql_page_and_its_assets_are_served_locally() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;

    let res = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = res.text().await.unwrap();
    assert!(html.to_lowercase().starts_with("<!doctype html>"));
    assert!(html.contains("url: \"/graphql\""), "{html}");

    // No URL of another host anywhere in the page.
    let own = app.url("");
    for scheme in ["http://", "https://"] {
        for (i, _) in html.match_indices(scheme) {
            assert!(
                html[i..].starts_with(&own),
                "external URL in the page: {html}"
            );
        }
    }

    let scripts = attribute_values(&html, "src");
    let styles = attribute_values(&html, "href");
    assert_eq!(scripts.len(), 3, "{scripts:?}");
    assert_eq!(styles.len(), 1, "{styles:?}");
    for name in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        assert!(
            scripts
                .iter()
                .chain(&styles)
                .any(|u| u.starts_with(&format!("/graphiql/assets/{name}"))),
            "{name} not referenced: {html}"
        );
    }

    for (urls, expected_type) in [(&scripts, "text/javascript"), (&styles, "text/css")] {
        for url in urls {
            assert!(url.starts_with("/graphiql/assets/"), "{url}");
            let res = app.client.get(app.url(url)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{url}");
            let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with(expected_type), "{url}: {ct}");
            let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
            assert!(cache.contains("max-age=31536000"), "{url}: {cache}");
            let body = res.bytes().await.unwrap();
            assert!(body.len() > 1000, "{url}: {} bytes", body.len());
        }
    }

    let missing = app
        .client
        .get(app.url("/graphiql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// `/metrics` as `series → value` (`name{labels}` as written), checking the text format.
async fn scrape(app: &TestApp) -> (String, BTreeMap<String, f64>) {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = res.text().await.unwrap();
    let mut series = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        series.insert(key.to_owned(), value);
    }
    (text, series)
}

async fn post_graphql(app: &TestApp, query: &str) -> Value {
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_latency_errors_and_pool() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;

    for _ in 0..2 {
        let res = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let ok = post_graphql(&app, "{ __typename }").await;
    assert!(ok.get("errors").is_none(), "{ok:#}");
    let bad = post_graphql(&app, "{ noSuchField }").await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION");

    let (text, m) = scrape(&app).await;
    let get = |key: &str| {
        m.get(key)
            .copied()
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
    };

    // Requests by route and status; unknown paths share one label.
    assert_eq!(
        get(r#"http_requests_total{route="/healthz",status="200"}"#),
        2.0
    );
    assert_eq!(
        get(r#"http_requests_total{route="/graphql",status="200"}"#),
        2.0
    );
    assert_eq!(
        get(r#"http_requests_total{route="unmatched",status="404"}"#),
        1.0
    );
    assert!(!text.contains("/no/such/page"), "{text}");
    assert!(text.contains("# TYPE http_requests_total counter"));

    // Latency histogram: cumulative buckets ending in +Inf == count.
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    let buckets: Vec<f64> = m
        .iter()
        .filter(|(k, _)| k.starts_with(r#"http_request_duration_seconds_bucket{route="/healthz","#))
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.len() > 5, "{text}");
    assert_eq!(
        get(r#"http_request_duration_seconds_bucket{route="/healthz",le="+Inf"}"#),
        2.0
    );
    assert_eq!(
        get(r#"http_request_duration_seconds_count{route="/healthz"}"#),
        2.0
    );
    assert!(get(r#"http_request_duration_seconds_sum{route="/healthz"}"#) > 0.0);
    assert!(buckets.iter().all(|&b| b <= 2.0));

    // GraphQL errors by code.
    assert!(text.contains("# TYPE graphql_errors_total counter"));
    assert_eq!(
        get(r#"graphql_errors_total{code="GRAPHQL_VALIDATION"}"#),
        1.0
    );

    // Pool gauges.
    assert!(text.contains("# TYPE db_pool_connections gauge"));
    let in_use = get(r#"db_pool_connections{state="in_use"}"#);
    let idle = get(r#"db_pool_connections{state="idle"}"#);
    let max = get("db_pool_max_connections");
    assert!(max >= 1.0, "{text}");
    assert!(
        in_use >= 0.0 && idle >= 0.0 && in_use + idle <= max,
        "{text}"
    );
    assert!(in_use + idle >= 1.0, "the pool was used: {text}");

    // The scrape itself is counted by the next one.
    let (_, again) = scrape(&app).await;
    assert_eq!(
        again[r#"http_requests_total{route="/metrics",status="200"}"#],
        1.0
    );
}
