//! `service::billy` usage metrics and rate limiting, including exactness under
//! concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, Statement};
use service::Error;
use service::billy::rate_limit::{RateLimitRule, check_rate_limit, purge_rate_limits};
use service::billy::usage::{UsageEvent, get_usage_metrics, track_usage, track_usage_at};
use tests::TestDb;
use tests::builders::billy::organization;
use tests::errors::fields;

fn event(org: Uuid, tool: &str, success: bool, duration_ms: u32) -> UsageEvent {
    UsageEvent {
        organization_id: org,
        tool_name: tool.to_owned(),
        success,
        duration_ms,
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

// ---------------------------------------------------------------- usage metrics

#[tokio::test]
async fn usage_is_bucketed_by_utc_date_and_hour() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "usage").await.id;
    // 23:30 UTC is 00:30 the next day in Copenhagen: the bucket stays on the UTC day.
    let m = track_usage_at(
        &t.db,
        event(o, "list_invoices", true, 100),
        at("2025-03-01T23:30:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(m.date, day("2025-03-01"));
    assert_eq!(m.hour, 23);
    assert_eq!((m.call_count, m.success_count, m.error_count), (1, 1, 0));
    assert_eq!(m.avg_duration_ms, Some(100));

    // Without an explicit instant, the bucket is the current UTC hour.
    let now_row = track_usage(&t.db, event(o, "now_tool", false, 5))
        .await
        .unwrap();
    let after = Utc::now();
    let before = after - TimeDelta::seconds(5);
    let ok_bucket = [before, after].iter().any(|ts| {
        ts.date_naive() == now_row.date && i16::try_from(ts.hour()).unwrap() == now_row.hour
    });
    assert!(ok_bucket, "{now_row:?}");
    assert_eq!((now_row.success_count, now_row.error_count), (0, 1));
}

#[tokio::test]
async fn repeated_usage_increments_counters_and_averages_durations() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "avg").await.id;
    let when = at("2025-03-02T10:15:00Z");
    for (success, d) in [(true, 100), (false, 200), (true, 600)] {
        track_usage_at(&t.db, event(o, "get_invoice", success, d), when)
            .await
            .unwrap();
    }
    let m = track_usage_at(
        &t.db,
        event(o, "get_invoice", true, 300),
        at("2025-03-02T10:59:59Z"),
    )
    .await
    .unwrap();
    assert_eq!((m.call_count, m.success_count, m.error_count), (4, 3, 1));
    assert_eq!(m.avg_duration_ms, Some(300), "mean of 100, 200, 600, 300");

    // Other hour, other tool, other organisation: separate buckets.
    let next_hour = track_usage_at(
        &t.db,
        event(o, "get_invoice", true, 7),
        at("2025-03-02T11:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        (next_hour.call_count, next_hour.avg_duration_ms),
        (1, Some(7))
    );
    let other_tool = track_usage_at(&t.db, event(o, "list_products", true, 9), when)
        .await
        .unwrap();
    assert_eq!(other_tool.call_count, 1);
    let p = organization(&t.db, "avg2").await.id;
    assert_eq!(
        track_usage_at(&t.db, event(p, "get_invoice", true, 1), when)
            .await
            .unwrap()
            .call_count,
        1
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM billy.usage_metrics")
            .await
            .unwrap(),
        4
    );
}

#[tokio::test]
async fn usage_average_starts_from_a_legacy_row_without_average() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "legacyavg").await.id;
    t.exec(&format!(
        "INSERT INTO billy.usage_metrics (id, organization_id, date, hour, tool_name, call_count, success_count)
         VALUES (gen_random_uuid(), '{o}', '2025-01-01', 5, 't', 3, 3)"
    ))
    .await
    .unwrap();
    let m = track_usage_at(&t.db, event(o, "t", true, 80), at("2025-01-01T05:00:00Z"))
        .await
        .unwrap();
    assert_eq!((m.call_count, m.avg_duration_ms), (4, Some(80)));
}

#[tokio::test]
async fn usage_rejects_bad_input() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "badusage").await.id;
    assert_eq!(
        fields(
            track_usage(&t.db, event(o, "  ", true, u32::MAX))
                .await
                .unwrap_err()
        ),
        ["tool_name", "duration_ms"]
    );
    let unknown = track_usage(&t.db, event(Uuid::new_v4(), "t", true, 1)).await;
    assert!(
        matches!(unknown, Err(Error::Validation { .. })),
        "{unknown:?}"
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM billy.usage_metrics")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn usage_metrics_by_inclusive_date_range() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "range").await.id;
    let p = organization(&t.db, "range2").await.id;
    for ts in [
        "2025-04-01T09:00:00Z",
        "2025-04-02T08:00:00Z",
        "2025-04-02T07:00:00Z",
        "2025-04-03T23:00:00Z",
        "2025-04-04T00:00:00Z",
    ] {
        track_usage_at(&t.db, event(o, "t", true, 1), at(ts))
            .await
            .unwrap();
    }
    track_usage_at(&t.db, event(o, "a", true, 1), at("2025-04-02T08:00:00Z"))
        .await
        .unwrap();
    track_usage_at(&t.db, event(p, "t", true, 1), at("2025-04-02T08:00:00Z"))
        .await
        .unwrap();

    let rows = get_usage_metrics(&t.db, o, day("2025-04-02"), day("2025-04-03"))
        .await
        .unwrap();
    let got: Vec<(String, i16, String)> = rows
        .iter()
        .map(|m| (m.date.to_string(), m.hour, m.tool_name.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("2025-04-02".to_owned(), 7, "t".to_owned()),
            ("2025-04-02".to_owned(), 8, "a".to_owned()),
            ("2025-04-02".to_owned(), 8, "t".to_owned()),
            ("2025-04-03".to_owned(), 23, "t".to_owned()),
        ]
    );
    assert_eq!(
        get_usage_metrics(&t.db, o, day("2025-04-01"), day("2025-04-01"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        get_usage_metrics(&t.db, o, day("2025-05-01"), day("2025-05-31"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        fields(
            get_usage_metrics(&t.db, o, day("2025-04-03"), day("2025-04-02"))
                .await
                .unwrap_err()
        ),
        ["from"]
    );
}

#[tokio::test]
async fn concurrent_usage_increments_sum_exactly() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "concurrent").await.id;
    let pool = Arc::new(tests::test_db::connect(&t.url, 32).await.unwrap());
    let when = at("2025-06-01T12:00:00Z");
    let tasks: Vec<_> = (0..64u32)
        .map(|task| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                for i in 0..10u32 {
                    let success = (task + i) % 4 != 0;
                    track_usage_at(pool.as_ref(), event(o, "hot_tool", success, 40), when)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let rows = get_usage_metrics(&t.db, o, day("2025-06-01"), day("2025-06-01"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let m = &rows[0];
    println!(
        "usage metrics after 64 tasks x 10 calls: call_count={} success={} error={}",
        m.call_count, m.success_count, m.error_count
    );
    assert_eq!(m.call_count, 640);
    assert_eq!(m.success_count, 480);
    assert_eq!(m.error_count, 160);
    assert_eq!(m.avg_duration_ms, Some(40));
}

// ---------------------------------------------------------------- rate limiting

fn rule(window_secs: u32, max_requests: u32) -> RateLimitRule {
    RateLimitRule {
        window_secs,
        max_requests,
    }
}

#[tokio::test]
async fn rate_limit_admits_up_to_the_limit_then_rejects() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "rl").await.id;
    let r = rule(86_400, 3);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        remaining.push(
            check_rate_limit(&t.db, o, "list_invoices", r)
                .await
                .unwrap()
                .remaining,
        );
    }
    assert_eq!(remaining, [2, 1, 0]);
    for _ in 0..2 {
        match check_rate_limit(&t.db, o, "list_invoices", r).await {
            Err(Error::RateLimited { retry_after_secs }) => {
                assert!(
                    (1..=86_400).contains(&retry_after_secs),
                    "{retry_after_secs}"
                );
                // Seconds to the next UTC midnight (the window is one epoch-aligned day).
                let now = Utc::now();
                let midnight = (now.date_naive() + TimeDelta::days(1))
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    .and_utc();
                let expected = (midnight - now).num_seconds();
                assert!((i64::try_from(retry_after_secs).unwrap() - expected).abs() <= 2);
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }
    // Other endpoints and organisations have their own counters.
    assert_eq!(
        check_rate_limit(&t.db, o, "get_invoice", r)
            .await
            .unwrap()
            .remaining,
        2
    );
    let p = organization(&t.db, "rl2").await.id;
    assert_eq!(
        check_rate_limit(&t.db, p, "list_invoices", r)
            .await
            .unwrap()
            .remaining,
        2
    );
    // One row per window, not one per call (defect 1).
    assert_eq!(
        t.scalar_i64(&format!(
            "SELECT count(*) FROM billy.rate_limits WHERE organization_id = '{o}' AND endpoint = 'list_invoices'"
        ))
        .await
        .unwrap(),
        1
    );
    assert_eq!(
        t.scalar_i64(&format!(
            "SELECT request_count::bigint FROM billy.rate_limits WHERE organization_id = '{o}' AND endpoint = 'list_invoices'"
        ))
        .await
        .unwrap(),
        5
    );
}

#[tokio::test]
async fn rate_limit_windows_are_aligned_on_the_epoch() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "align").await.id;
    let d = check_rate_limit(&t.db, o, "e", rule(900, 10))
        .await
        .unwrap();
    assert_eq!(d.window_start.timestamp() % 900, 0);
    assert_eq!(d.window_start.timestamp_subsec_nanos(), 0);
    let now = Utc::now();
    assert!(d.window_start <= now && now - d.window_start <= TimeDelta::seconds(901));
    let end = d.window_start + TimeDelta::seconds(900);
    assert!((i64::try_from(d.reset_after_secs).unwrap() - (end - now).num_seconds()).abs() <= 2);
    assert!(d.reset_after_secs >= 1);
    let stored = t
        .scalar_i64(&format!(
            "SELECT extract(epoch FROM window_start)::bigint FROM billy.rate_limits WHERE organization_id = '{o}'"
        ))
        .await
        .unwrap();
    assert_eq!(stored, d.window_start.timestamp());
}

#[tokio::test]
async fn rate_limit_rejects_bad_input() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "rlbad").await.id;
    assert_eq!(
        fields(
            check_rate_limit(&t.db, o, " ", rule(0, 0))
                .await
                .unwrap_err()
        ),
        ["endpoint", "window_secs", "max_requests"]
    );
    assert_eq!(
        fields(
            check_rate_limit(&t.db, o, "e", rule(86_401, 1))
                .await
                .unwrap_err()
        ),
        ["window_secs"]
    );
    let unknown = check_rate_limit(&t.db, Uuid::new_v4(), "e", RateLimitRule::default()).await;
    assert!(
        matches!(unknown, Err(Error::Validation { .. })),
        "{unknown:?}"
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM billy.rate_limits")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn rate_limit_is_exact_under_concurrency() {
    const LIMIT: u32 = 20;
    const CALLS: u32 = 100;
    const TASKS: u32 = 64;
    let t = TestDb::new().await;
    let o = organization(&t.db, "race").await.id;
    let pool = Arc::new(tests::test_db::connect(&t.url, 32).await.unwrap());
    let r = rule(86_400, LIMIT);
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                let mut admitted = 0u32;
                let mut rejected = 0u32;
                // Spread CALLS over TASKS tasks (the first CALLS % TASKS make one extra call).
                let calls = CALLS / TASKS + u32::from(task < CALLS % TASKS);
                for _ in 0..calls {
                    match check_rate_limit(pool.as_ref(), o, "hot_endpoint", r).await {
                        Ok(_) => admitted += 1,
                        Err(Error::RateLimited { .. }) => rejected += 1,
                        Err(other) => panic!("unexpected error {other:?}"),
                    }
                }
                (admitted, rejected)
            })
        })
        .collect();
    let (mut admitted, mut rejected) = (0, 0);
    for task in tasks {
        let (a, r) = task.await.unwrap();
        admitted += a;
        rejected += r;
    }
    println!(
        "rate limit: {TASKS} tasks, {CALLS} calls, limit {LIMIT}: admitted={admitted} rejected={rejected}"
    );
    assert_eq!(admitted, LIMIT);
    assert_eq!(rejected, CALLS - LIMIT);
    let counted = t
        .scalar_i64("SELECT sum(request_count)::bigint FROM billy.rate_limits")
        .await
        .unwrap();
    assert_eq!(counted, i64::from(CALLS));
}

#[tokio::test]
async fn purge_removes_old_windows_and_returns_the_count() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "purge").await.id;
    check_rate_limit(&t.db, o, "live", rule(60, 5))
        .await
        .unwrap();
    for hours in [2, 3, 30] {
        t.db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO billy.rate_limits (id, organization_id, endpoint, window_start, request_count)
             VALUES (gen_random_uuid(), $1, 'old', now() - $2::bigint * interval '1 hour', 7)",
            [o.into(), i64::from(hours).into()],
        ))
        .await
        .unwrap();
    }
    assert_eq!(
        purge_rate_limits(&t.db, TimeDelta::days(1)).await.unwrap(),
        1
    );
    assert_eq!(
        purge_rate_limits(&t.db, TimeDelta::hours(1)).await.unwrap(),
        2
    );
    assert_eq!(
        purge_rate_limits(&t.db, TimeDelta::hours(1)).await.unwrap(),
        0
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM billy.rate_limits WHERE endpoint = 'live'")
            .await
            .unwrap(),
        1
    );
    for bad in [
        TimeDelta::zero(),
        TimeDelta::milliseconds(999),
        TimeDelta::seconds(-1),
    ] {
        assert_eq!(
            fields(purge_rate_limits(&t.db, bad).await.unwrap_err()),
            ["older_than"]
        );
    }
}

#[tokio::test]
async fn the_average_duration_is_exact_where_a_rounded_running_mean_sticks() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "exact-avg").await.id;
    let when = at("2025-03-02T11:00:00Z");
    // A running mean rounded on every update stays at 1 forever for 1, 0, 0, 0, 0, 0
    // (round((1·k + 0) / (k + 1)) = 1 for k ≥ 1); the exact mean is 1/6, which rounds to 0.
    let mut last = None;
    for d in [1, 0, 0, 0, 0, 0] {
        last = Some(
            track_usage_at(&t.db, event(o, "list_products", true, d), when)
                .await
                .unwrap(),
        );
    }
    let m = last.unwrap();
    assert_eq!((m.duration_total_ms, m.duration_count), (1, 6));
    assert_eq!(m.avg_duration_ms, Some(0));
}

#[tokio::test]
async fn a_legacy_bucket_with_only_an_average_is_continued_from_it() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "legacy-avg").await.id;
    t.exec(&format!(
        "INSERT INTO billy.usage_metrics (organization_id, date, hour, tool_name, call_count,
                                          success_count, avg_duration_ms)
         VALUES ('{o}', '2025-03-02', 12, 'list_invoices', 3, 3, 100)"
    ))
    .await
    .unwrap();
    let m = track_usage_at(
        &t.db,
        event(o, "list_invoices", true, 500),
        at("2025-03-02T12:30:00Z"),
    )
    .await
    .unwrap();
    // Three legacy calls of 100 ms on average, then one of 500 ms: (300 + 500) / 4 = 200.
    assert_eq!(
        (m.call_count, m.duration_total_ms, m.duration_count),
        (4, 800, 4)
    );
    assert_eq!(m.avg_duration_ms, Some(200));
}
