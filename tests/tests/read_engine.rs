//! `service::read`, the model-driven read engine, against PostgreSQL: filters on every
//! kind of column, related filters, ordering, cursor and offset pagination, batched
//! children/parents in one statement, aggregates, secrets, bad input and injection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use sea_orm::DatabaseConnection;
use serde_json::{Map, Value as Json, json};
use service::Error;
use service::read::{
    AggregateFn, AggregateQuery, ByPkQuery, ChildrenQuery, Connection, Filter, ListQuery, Nulls,
    Op, OrderBy, Page, ParentsQuery, Reader, catalog,
};
use tests::TestDb;

// ---------------------------------------------------------------- fixtures and helpers

const ANN: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";

/// Shared users, renos users (one without shared user), customers, bookings, leads.
async fn seed(t: &TestDb) {
    t.exec(&format!(
        "INSERT INTO shared.users (id, email, name) VALUES
           ('{ANN}', 'ann@x.dk', 'Ann'), ('{BOB}', 'bob@x.dk', 'Bob');
         INSERT INTO renos.users (id, email, name, password_hash, role, is_active, shared_user_id) VALUES
           ('u1', 'u1@x.dk', 'Ulla', 'hash1', 'admin', true, '{ANN}'),
           ('u2', 'u2@x.dk', 'Uffe', 'hash2', 'employee', false, '{ANN}'),
           ('u3', 'u3@x.dk', 'Uma', 'hash3', 'employee', true, NULL);
         INSERT INTO renos.customers (id, name, email, tags, total_bookings, total_revenue, last_contact_at) VALUES
           ('c1', 'Alpha', 'a@alpha.dk', '{{vip}}', 3, 100.5, '2024-01-10T10:00:00Z'),
           ('c2', 'Beta', NULL, '{{}}', 1, 50, NULL),
           ('c3', 'Gamma', 'g@gamma.dk', '{{vip,new}}', 0, 50, '2024-03-01T00:00:00Z'),
           ('c4', 'O''Brien', 'o@brien.ie', '{{}}', 2, 0, '2024-01-10T10:00:00Z');
         INSERT INTO renos.leads (id, customer_id, name, enrichment_data) VALUES
           ('l1', 'c1', 'Lead one', '{{\"a\": 1}}'), ('l2', NULL, 'Lead two', NULL);
         INSERT INTO renos.bookings (id, customer_id, lead_id, scheduled_at, status, estimated_duration, efficiency_score) VALUES
           ('b11', 'c1', 'l1', '2024-01-01T08:00:00Z', 'completed', 60, 0.9),
           ('b12', 'c1', NULL, '2024-01-02T08:00:00Z', 'scheduled', 120, NULL),
           ('b13', 'c1', 'l1', '2024-01-03T08:00:00Z', 'cancelled', 90, 0.5),
           ('b21', 'c2', NULL, '2024-01-02T08:00:00Z', 'completed', 60, 1.0),
           ('b41', 'c4', NULL, '2024-02-01T08:00:00Z', 'scheduled', 30, NULL),
           ('b42', 'c4', NULL, '2024-02-02T08:00:00Z', 'scheduled', 45, NULL);"
    ))
    .await
    .unwrap();
}

async fn seeded() -> TestDb {
    let t = TestDb::new().await;
    seed(&t).await;
    t
}

/// The field names of a validation error (panics on any other result).
fn invalid_fields<T: std::fmt::Debug>(r: Result<T, Error>) -> Vec<String> {
    match r {
        Err(Error::Validation { fields }) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn list(table: &str, columns: &[&str]) -> ListQuery {
    ListQuery {
        table: table.into(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        ..Default::default()
    }
}

fn col(column: &str, op: Op) -> Filter {
    Filter::col(column, op)
}

fn strings(rows: &[Json], key: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[key].as_str().unwrap().to_owned())
        .collect()
}

/// Ids of `table` rows matching `filter`, ordered by id.
async fn ids(db: &DatabaseConnection, table: &str, filter: Filter) -> Vec<String> {
    let q = ListQuery {
        filter: Some(filter),
        order: vec![OrderBy::asc("id")],
        ..list(table, &["id"])
    };
    let page = Reader::new(db).list(&q).await.unwrap();
    strings(&page.rows, "id")
}

async fn filter_err(db: &DatabaseConnection, table: &str, filter: Filter) -> Vec<String> {
    let q = ListQuery {
        filter: Some(filter),
        ..list(table, &["id"])
    };
    invalid_fields(Reader::new(db).list(&q).await)
}

// ---------------------------------------------------------------- operators

#[tokio::test]
async fn operators_on_text_columns() {
    let t = seeded().await;
    let db = &t.db;
    let c = "renos.customers";
    assert_eq!(
        ids(db, c, col("name", Op::Eq(json!("Gamma")))).await,
        ["c3"]
    );
    assert_eq!(
        ids(db, c, col("name", Op::Ne(json!("Gamma")))).await,
        ["c1", "c2", "c4"]
    );
    assert_eq!(
        ids(
            db,
            c,
            col("name", Op::In(vec![json!("Alpha"), json!("Beta")]))
        )
        .await,
        ["c1", "c2"]
    );
    assert!(ids(db, c, col("name", Op::In(vec![]))).await.is_empty());
    assert_eq!(ids(db, c, col("name", Op::Lt(json!("Beta")))).await, ["c1"]);
    assert_eq!(
        ids(db, c, col("name", Op::Lte(json!("Beta")))).await,
        ["c1", "c2"]
    );
    assert_eq!(
        ids(db, c, col("name", Op::Gt(json!("Beta")))).await,
        ["c3", "c4"]
    );
    assert_eq!(
        ids(db, c, col("name", Op::Gte(json!("Gamma")))).await,
        ["c3", "c4"]
    );
    assert_eq!(ids(db, c, col("name", Op::Like(json!("G%")))).await, ["c3"]);
    assert!(
        ids(db, c, col("name", Op::Like(json!("g%"))))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(db, c, col("name", Op::ILike(json!("%BRIEN")))).await,
        ["c4"]
    );
    assert_eq!(ids(db, c, col("email", Op::IsNull(true))).await, ["c2"]);
    assert_eq!(
        ids(db, c, col("email", Op::IsNull(false))).await,
        ["c1", "c3", "c4"]
    );
    // Ne follows SQL: NULL emails are neither equal nor unequal.
    assert_eq!(
        ids(db, c, col("email", Op::Ne(json!("a@alpha.dk")))).await,
        ["c3", "c4"]
    );
    // text[]
    assert_eq!(
        ids(db, c, col("tags", Op::Eq(json!(["vip"])))).await,
        ["c1"]
    );
    assert_eq!(
        ids(db, c, col("tags", Op::Eq(json!([])))).await,
        ["c2", "c4"]
    );
}

#[tokio::test]
async fn operators_on_integer_and_float_columns() {
    let t = seeded().await;
    let db = &t.db;
    let c = "renos.customers";
    assert_eq!(
        ids(db, c, col("total_bookings", Op::Eq(json!(3)))).await,
        ["c1"]
    );
    assert_eq!(
        ids(db, c, col("total_bookings", Op::Ne(json!(1)))).await,
        ["c1", "c3", "c4"]
    );
    assert_eq!(
        ids(
            db,
            c,
            col("total_bookings", Op::In(vec![json!(0), json!(3)]))
        )
        .await,
        ["c1", "c3"]
    );
    assert_eq!(
        ids(db, c, col("total_bookings", Op::Lt(json!(1)))).await,
        ["c3"]
    );
    assert_eq!(
        ids(db, c, col("total_bookings", Op::Lte(json!(1)))).await,
        ["c2", "c3"]
    );
    assert_eq!(
        ids(db, c, col("total_bookings", Op::Gt(json!(1)))).await,
        ["c1", "c4"]
    );
    assert_eq!(
        ids(db, c, col("total_bookings", Op::Gte(json!("2")))).await,
        ["c1", "c4"]
    );
    assert_eq!(
        ids(db, c, col("total_revenue", Op::Eq(json!(50)))).await,
        ["c2", "c3"]
    );
    assert_eq!(
        ids(db, c, col("total_revenue", Op::Gt(json!(50.0)))).await,
        ["c1"]
    );
    assert_eq!(
        ids(db, c, col("total_revenue", Op::Lte(json!(50.25)))).await,
        ["c2", "c3", "c4"]
    );
    assert_eq!(
        ids(
            db,
            c,
            col("total_revenue", Op::In(vec![json!(0), json!(100.5)]))
        )
        .await,
        ["c1", "c4"]
    );
    let b = "renos.bookings";
    assert_eq!(
        ids(db, b, col("efficiency_score", Op::Gte(json!(0.9)))).await,
        ["b11", "b21"]
    );
    assert_eq!(
        ids(db, b, col("efficiency_score", Op::IsNull(true))).await,
        ["b12", "b41", "b42"]
    );
}

#[tokio::test]
async fn operators_on_timestamp_uuid_bool_enum_jsonb_numeric() {
    let t = seeded().await;
    let db = &t.db;
    let c = "renos.customers";
    assert_eq!(
        ids(
            db,
            c,
            col("last_contact_at", Op::Gt(json!("2024-02-01T00:00:00Z")))
        )
        .await,
        ["c3"]
    );
    // The same instant in another offset.
    assert_eq!(
        ids(
            db,
            c,
            col(
                "last_contact_at",
                Op::Eq(json!("2024-01-10T11:00:00+01:00"))
            )
        )
        .await,
        ["c1", "c4"]
    );
    assert_eq!(
        ids(
            db,
            c,
            col("last_contact_at", Op::Lte(json!("2024-01-10T10:00:00Z")))
        )
        .await,
        ["c1", "c4"]
    );
    assert_eq!(
        ids(db, c, col("last_contact_at", Op::IsNull(true))).await,
        ["c2"]
    );
    let u = "renos.users";
    assert_eq!(
        ids(db, u, col("shared_user_id", Op::Eq(json!(ANN)))).await,
        ["u1", "u2"]
    );
    assert_eq!(
        ids(
            db,
            u,
            col("shared_user_id", Op::Eq(json!(ANN.to_uppercase())))
        )
        .await,
        ["u1", "u2"]
    );
    assert!(
        ids(db, u, col("shared_user_id", Op::In(vec![json!(BOB)])))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(db, u, col("shared_user_id", Op::IsNull(true))).await,
        ["u3"]
    );
    assert_eq!(
        ids(db, "shared.users", col("id", Op::Ne(json!(ANN)))).await,
        [BOB]
    );
    assert_eq!(
        ids(db, u, col("is_active", Op::Eq(json!(false)))).await,
        ["u2"]
    );
    assert_eq!(
        ids(db, u, col("is_active", Op::Ne(json!(false)))).await,
        ["u1", "u3"]
    );
    assert_eq!(
        ids(db, u, col("role", Op::Eq(json!("admin")))).await,
        ["u1"]
    );
    assert_eq!(
        ids(
            db,
            u,
            col("role", Op::In(vec![json!("employee"), json!("owner")]))
        )
        .await,
        ["u2", "u3"]
    );
    assert_eq!(
        filter_err(db, u, col("role", Op::Eq(json!("wizard")))).await,
        ["filter.role"]
    );
    let l = "renos.leads";
    assert_eq!(
        ids(db, l, col("enrichment_data", Op::IsNull(true))).await,
        ["l2"]
    );
    assert_eq!(
        ids(db, l, col("enrichment_data", Op::IsNull(false))).await,
        ["l1"]
    );
    assert_eq!(
        ids(db, l, col("enrichment_data", Op::Eq(json!({"a": 1})))).await,
        ["l1"]
    );
    t.exec(
        "INSERT INTO renos.subcontractors (id, company_name, contact_name, email, phone, rating) VALUES
           ('33333333-3333-4333-8333-333333333333', 'S1', 'x', 's1@x.dk', '1', 4.75),
           ('44444444-4444-4444-8444-444444444444', 'S2', 'y', 's2@x.dk', '2', 3.10)",
    )
    .await
    .unwrap();
    let s = "renos.subcontractors";
    assert_eq!(
        ids(db, s, col("rating", Op::Gte(json!("4.5")))).await,
        ["33333333-3333-4333-8333-333333333333"]
    );
    assert_eq!(
        ids(db, s, col("rating", Op::Eq(json!(3.1)))).await,
        ["44444444-4444-4444-8444-444444444444"]
    );
    // numeric keys page exactly
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q = ListQuery {
            order: vec![OrderBy::desc("rating")],
            page: Page::After {
                cursor,
                first: Some(1),
            },
            ..list(s, &["company_name"])
        };
        let page = Reader::new(db).list(&q).await.unwrap();
        seen.extend(strings(&page.rows, "company_name"));
        assert!(seen.len() < 10, "pagination does not advance");
        if !page.has_next_page {
            break;
        }
        cursor = page.end_cursor().map(str::to_owned);
    }
    assert_eq!(seen, ["S1", "S2"]);
    // numeric comes back as an exact string
    let q = ListQuery {
        filter: Some(col("company_name", Op::Eq(json!("S1")))),
        ..list(s, &["rating", "company_name"])
    };
    let page = Reader::new(db).list(&q).await.unwrap();
    assert_eq!(page.rows[0]["rating"], json!("4.75"));
    assert_eq!(page.rows[0]["company_name"], json!("S1"));
}

#[tokio::test]
async fn operators_on_date_time_smallint_bigint_and_cursors_over_them() {
    let t = TestDb::new().await;
    let org = "66666666-6666-4666-8666-666666666666";
    let sub = "77777777-7777-4777-8777-777777777777";
    t.exec(&format!(
        "INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id) VALUES ('{org}', 'O', 'k', 'b');
         INSERT INTO billy.usage_metrics (organization_id, date, hour, tool_name, duration_total_ms) VALUES
           ('{org}', '2024-05-01', 9, 'a', 5000000000), ('{org}', '2024-05-01', 10, 'b', 7),
           ('{org}', '2024-05-02', 9, 'c', 5000000000);
         INSERT INTO renos.subcontractors (id, company_name, contact_name, email, phone) VALUES ('{sub}', 'S', 'c', 'e', 'p');
         INSERT INTO renos.subcontractor_availability (subcontractor_id, date, start_time, notes) VALUES
           ('{sub}', '2024-05-01', '08:00', 'early'), ('{sub}', '2024-05-01', '12:30:15.5', 'noon'),
           ('{sub}', '2024-05-03', NULL, 'none')"
    ))
    .await
    .unwrap();
    let r = Reader::new(&t.db);
    let tools = |filter: Filter, order: Vec<OrderBy>| ListQuery {
        filter: Some(filter),
        order,
        ..list(
            "billy.usage_metrics",
            &["tool_name", "date", "hour", "duration_total_ms"],
        )
    };
    let got = |p: Connection| strings(&p.rows, "tool_name");
    let q = tools(
        col("date", Op::Eq(json!("2024-05-01"))),
        vec![OrderBy::asc("tool_name")],
    );
    assert_eq!(got(r.list(&q).await.unwrap()), ["a", "b"]);
    let q = tools(
        col("hour", Op::Lt(json!(10))),
        vec![OrderBy::asc("tool_name")],
    );
    assert_eq!(got(r.list(&q).await.unwrap()), ["a", "c"]);
    let q = tools(
        col("duration_total_ms", Op::Gte(json!(5_000_000_000_i64))),
        vec![OrderBy::asc("tool_name")],
    );
    let page = r.list(&q).await.unwrap();
    assert_eq!(got(page.clone()), ["a", "c"]);
    assert_eq!(page.rows[0]["duration_total_ms"], json!(5_000_000_000_i64));
    assert_eq!(page.rows[0]["date"], json!("2024-05-01"));
    assert_eq!(page.rows[0]["hour"], json!(9));
    let bad = tools(col("hour", Op::Eq(json!(70000))), vec![]);
    assert_eq!(invalid_fields(r.list(&bad).await), ["filter.hour"]);
    let bad = tools(col("date", Op::Gt(json!("May 1st"))), vec![]);
    assert_eq!(invalid_fields(r.list(&bad).await), ["filter.date"]);
    // Cursor pages over date DESC, smallint, bigint keys.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q = ListQuery {
            page: Page::After {
                cursor,
                first: Some(1),
            },
            ..tools(
                Filter::And(vec![]),
                vec![
                    OrderBy::desc("date"),
                    OrderBy::asc("hour"),
                    OrderBy::desc("duration_total_ms"),
                ],
            )
        };
        let page = r.list(&q).await.unwrap();
        seen.extend(got(page.clone()));
        assert!(seen.len() < 10);
        if !page.has_next_page {
            break;
        }
        cursor = page.end_cursor().map(str::to_owned);
    }
    assert_eq!(seen, ["c", "a", "b"]);
    // time
    let slots = |filter: Filter| ListQuery {
        filter: Some(filter),
        order: vec![OrderBy::asc("start_time")],
        ..list("renos.subcontractor_availability", &["notes", "start_time"])
    };
    let p = r
        .list(&slots(col("start_time", Op::Gt(json!("09:00")))))
        .await
        .unwrap();
    assert_eq!(strings(&p.rows, "notes"), ["noon"]);
    assert_eq!(p.rows[0]["start_time"], json!("12:30:15.5"));
    let p = r
        .list(&slots(col(
            "start_time",
            Op::In(vec![json!("08:00:00"), json!("12:30:15.5")]),
        )))
        .await
        .unwrap();
    assert_eq!(strings(&p.rows, "notes"), ["early", "noon"]);
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q = ListQuery {
            page: Page::After {
                cursor,
                first: Some(1),
            },
            ..slots(Filter::And(vec![]))
        };
        let page = r.list(&q).await.unwrap();
        seen.extend(strings(&page.rows, "notes"));
        assert!(seen.len() < 10);
        if !page.has_next_page {
            break;
        }
        cursor = page.end_cursor().map(str::to_owned);
    }
    assert_eq!(seen, ["early", "noon", "none"]);
}

#[tokio::test]
async fn and_or_not() {
    let t = seeded().await;
    let db = &t.db;
    let c = "renos.customers";
    let f = Filter::And(vec![
        col("total_bookings", Op::Gte(json!(1))),
        Filter::Or(vec![
            col("name", Op::Eq(json!("Alpha"))),
            col("email", Op::IsNull(true)),
        ]),
    ]);
    assert_eq!(ids(db, c, f).await, ["c1", "c2"]);
    let f = Filter::not(col("name", Op::In(vec![json!("Alpha"), json!("Beta")])));
    assert_eq!(ids(db, c, f).await, ["c3", "c4"]);
    assert!(ids(db, c, Filter::Or(vec![])).await.is_empty());
    assert_eq!(ids(db, c, Filter::And(vec![])).await.len(), 4);
    let f = Filter::not(Filter::Or(vec![
        col("total_revenue", Op::Lt(json!(10))),
        Filter::And(vec![
            col("tags", Op::Eq(json!(["vip", "new"]))),
            col("name", Op::Like(json!("G%"))),
        ]),
    ]));
    assert_eq!(ids(db, c, f).await, ["c1", "c2"]);
}

#[tokio::test]
async fn related_filters_both_directions_and_across_schemas() {
    let t = seeded().await;
    let db = &t.db;
    // belongs-to: bookings whose customer is Alpha
    let f = Filter::related("customer", col("name", Op::Eq(json!("Alpha"))));
    assert_eq!(ids(db, "renos.bookings", f).await, ["b11", "b12", "b13"]);
    // has-many: customers with a cancelled booking / with any booking / without
    let f = Filter::related("bookings", col("status", Op::Eq(json!("cancelled"))));
    assert_eq!(ids(db, "renos.customers", f).await, ["c1"]);
    let any = Filter::related("bookings", Filter::And(vec![]));
    assert_eq!(
        ids(db, "renos.customers", any.clone()).await,
        ["c1", "c2", "c4"]
    );
    assert_eq!(ids(db, "renos.customers", Filter::not(any)).await, ["c3"]);
    // two levels: customers with a booking whose lead is named "Lead one"
    let f = Filter::related(
        "bookings",
        Filter::related("lead", col("name", Op::Eq(json!("Lead one")))),
    );
    assert_eq!(ids(db, "renos.customers", f).await, ["c1"]);
    // across schemas, both directions
    let f = Filter::related("shared_user", col("email", Op::Eq(json!("ann@x.dk"))));
    assert_eq!(ids(db, "renos.users", f).await, ["u1", "u2"]);
    let f = Filter::related("renos_users", col("is_active", Op::Eq(json!(false))));
    assert_eq!(ids(db, "shared.users", f).await, [ANN]);
    let f = Filter::not(Filter::related("renos_users", Filter::And(vec![])));
    assert_eq!(ids(db, "shared.users", f).await, [BOB]);
    assert_eq!(
        filter_err(
            db,
            "renos.customers",
            Filter::related("nope", Filter::And(vec![]))
        )
        .await,
        ["filter.nope"]
    );
}

// ---------------------------------------------------------------- ordering and pages

#[tokio::test]
async fn multi_column_order_with_ties_is_stable() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let q = ListQuery {
        order: vec![OrderBy::asc("status"), OrderBy::desc("scheduled_at")],
        ..list("renos.bookings", &["id", "status"])
    };
    let page = r.list(&q).await.unwrap();
    assert_eq!(
        strings(&page.rows, "id"),
        ["b13", "b21", "b11", "b42", "b41", "b12"]
    );
    // Ties on every requested key are broken by the primary key.
    let q = ListQuery {
        order: vec![OrderBy::desc("total_revenue")],
        ..list("renos.customers", &["id"])
    };
    for _ in 0..3 {
        assert_eq!(
            strings(&r.list(&q).await.unwrap().rows, "id"),
            ["c1", "c2", "c3", "c4"]
        );
    }
    let q = ListQuery {
        order: vec![OrderBy::desc("last_contact_at"), OrderBy::desc("id")],
        ..list("renos.customers", &["id"])
    };
    assert_eq!(
        strings(&r.list(&q).await.unwrap().rows, "id"),
        ["c2", "c3", "c4", "c1"]
    );
    let q = ListQuery {
        order: vec![OrderBy::desc("last_contact_at").nulls(Nulls::Last)],
        ..list("renos.customers", &["id"])
    };
    assert_eq!(
        strings(&r.list(&q).await.unwrap().rows, "id"),
        ["c3", "c1", "c4", "c2"]
    );
    let q = ListQuery {
        order: vec![OrderBy::asc("email").nulls(Nulls::First)],
        ..list("renos.customers", &["id"])
    };
    assert_eq!(
        strings(&r.list(&q).await.unwrap().rows, "id"),
        ["c2", "c1", "c3", "c4"]
    );
    let bad = ListQuery {
        order: vec![OrderBy::asc("tags")],
        ..list("renos.customers", &["id"])
    };
    assert_eq!(invalid_fields(r.list(&bad).await), ["order.tags"]);
}

/// 30 customers `p00..p29`; `last_contact_at` (with microseconds) has ties and NULLs,
/// `total_revenue` inexact binary fractions with ties.
async fn paging_rows(t: &TestDb) {
    t.exec(
        "INSERT INTO renos.customers (id, name, last_contact_at, total_revenue)
         SELECT 'p' || lpad(i::text, 2, '0'), 'P' || (i % 4),
                CASE WHEN i % 5 = 0 THEN NULL
                     ELSE timestamptz '2024-01-01' + (i % 3) * interval '1 day 0.123457 s' END,
                (i % 7) * 0.1 + 0.2
         FROM generate_series(0, 29) AS i",
    )
    .await
    .unwrap();
}

async fn all_ids(r: &Reader<'_, DatabaseConnection>, q: &ListQuery) -> Vec<String> {
    let q = ListQuery {
        page: Page::After {
            cursor: None,
            first: Some(1000),
        },
        ..q.clone()
    };
    strings(&r.list(&q).await.unwrap().rows, "id")
}

#[tokio::test]
async fn cursor_pages_over_a_changing_list_have_no_duplicates_or_gaps() {
    let t = TestDb::new().await;
    paging_rows(&t).await;
    let r = Reader::new(&t.db);
    // Mixed directions and a nullable key: the expanded keyset condition.
    for order in [
        vec![OrderBy::desc("last_contact_at"), OrderBy::asc("name")],
        vec![
            OrderBy::asc("last_contact_at").nulls(Nulls::First),
            OrderBy::desc("name"),
        ],
        vec![OrderBy::asc("name"), OrderBy::desc("id")],
        vec![OrderBy::desc("total_revenue")],
        vec![OrderBy::asc("last_contact_at")],
        vec![],
    ] {
        let base = ListQuery {
            order: order.clone(),
            ..list("renos.customers", &["id"])
        };
        let before: HashSet<String> = all_ids(&r, &base).await.into_iter().collect();
        let mut seen = Vec::new();
        let mut deleted = HashSet::new();
        let mut cursor = None;
        let mut round = 0;
        loop {
            let q = ListQuery {
                page: Page::After {
                    cursor: cursor.clone(),
                    first: Some(4),
                },
                ..base.clone()
            };
            let page = r.list(&q).await.unwrap();
            seen.extend(strings(&page.rows, "id"));
            if !page.has_next_page {
                assert!(page.rows.len() <= 4);
                break;
            }
            cursor = page.end_cursor().map(str::to_owned);
            // Between pages: new rows anywhere, the cursor row itself and an unseen row
            // deleted.
            round += 1;
            assert!(round < 50, "pagination does not advance under {order:?}");
            t.exec(&format!(
                "INSERT INTO renos.customers (id, name, last_contact_at) VALUES
                   ('n{round}a', 'P0', NULL), ('n{round}b', 'P9', '2024-01-02'),
                   ('n{round}c', 'A', '2030-01-01')"
            ))
            .await
            .unwrap();
            let last = seen.last().unwrap().clone();
            let current = all_ids(&r, &base).await;
            let unseen = current
                .iter()
                .find(|id| !seen.contains(id) && id.starts_with('p'))
                .cloned();
            for id in [Some(last), unseen].into_iter().flatten() {
                t.exec(&format!("DELETE FROM renos.customers WHERE id = '{id}'"))
                    .await
                    .unwrap();
                deleted.insert(id);
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "duplicates under {order:?}");
        for id in before.iter().filter(|id| !deleted.contains(*id)) {
            assert!(seen.contains(id), "{id} missing under {order:?}");
        }
        // What was returned is in the list's order.
        let final_order = all_ids(&r, &base).await;
        let positions: Vec<usize> = seen
            .iter()
            .filter_map(|id| final_order.iter().position(|f| f == id))
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "order under {order:?}"
        );
        t.exec("DELETE FROM renos.customers WHERE id LIKE 'n%'; DELETE FROM renos.customers")
            .await
            .unwrap();
        paging_rows(&t).await;
    }
}

#[tokio::test]
async fn backward_cursor_pages_walk_the_list_in_reverse() {
    let t = TestDb::new().await;
    paging_rows(&t).await;
    let r = Reader::new(&t.db);
    let base = ListQuery {
        order: vec![OrderBy::desc("last_contact_at"), OrderBy::asc("name")],
        with_total: true,
        ..list("renos.customers", &["id"])
    };
    let full = all_ids(&r, &base).await;
    assert_eq!(full.len(), 30);
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut cursor = None;
    loop {
        let q = ListQuery {
            page: Page::Before {
                cursor: cursor.clone(),
                last: Some(7),
            },
            ..base.clone()
        };
        let page = r.list(&q).await.unwrap();
        assert_eq!(page.total_count, Some(30));
        assert_eq!(page.has_next_page, cursor.is_some());
        pages.push(strings(&page.rows, "id"));
        assert!(pages.len() < 50, "backward pagination does not advance");
        if !page.has_previous_page {
            break;
        }
        cursor = page.start_cursor().map(str::to_owned);
    }
    pages.reverse();
    assert_eq!(pages.concat(), full);
    assert_eq!(pages[0].len(), 2);
    // A forward cursor from one page continues where it ended.
    let first = r
        .list(&ListQuery {
            page: Page::After {
                cursor: None,
                first: Some(10),
            },
            ..base.clone()
        })
        .await
        .unwrap();
    let back = r
        .list(&ListQuery {
            page: Page::Before {
                cursor: first.end_cursor().map(str::to_owned),
                last: Some(3),
            },
            ..base.clone()
        })
        .await
        .unwrap();
    assert_eq!(strings(&back.rows, "id"), full[6..9]);
}

#[tokio::test]
async fn offset_pages_and_total_count() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let q = |offset, limit| ListQuery {
        order: vec![OrderBy::asc("name")],
        page: Page::Offset { offset, limit },
        with_total: true,
        ..list("renos.customers", &["id", "name"])
    };
    let p = r.list(&q(0, Some(3))).await.unwrap();
    assert_eq!(strings(&p.rows, "id"), ["c1", "c2", "c3"]);
    assert_eq!(
        (p.total_count, p.has_next_page, p.has_previous_page),
        (Some(4), true, false)
    );
    let p = r.list(&q(3, Some(3))).await.unwrap();
    assert_eq!(strings(&p.rows, "id"), ["c4"]);
    assert_eq!(
        (p.total_count, p.has_next_page, p.has_previous_page),
        (Some(4), false, true)
    );
    // Beyond the end: no rows, the count is still there.
    let p = r.list(&q(10, Some(3))).await.unwrap();
    assert!(p.rows.is_empty());
    assert_eq!(p.total_count, Some(4));
    // Filtered count; no count unless asked.
    let p = r
        .list(&ListQuery {
            filter: Some(col("total_revenue", Op::Eq(json!(50)))),
            ..q(0, Some(1))
        })
        .await
        .unwrap();
    assert_eq!((p.rows.len(), p.total_count), (1, Some(2)));
    let p = r
        .list(&ListQuery {
            with_total: false,
            ..q(0, None)
        })
        .await
        .unwrap();
    assert_eq!((p.rows.len(), p.total_count), (4, None));
    // Every row holds exactly the selected columns and its cursor.
    let keys: Vec<&String> = p.rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["__cursor", "id", "name"]);
    // Page sizes: default 50, at most 1000, at least 1; offsets not negative.
    assert_eq!(
        invalid_fields(r.list(&q(0, Some(1001))).await),
        ["page.limit"]
    );
    assert_eq!(invalid_fields(r.list(&q(0, Some(0))).await), ["page.limit"]);
    assert_eq!(invalid_fields(r.list(&q(-1, None)).await), ["page.offset"]);
    let big = ListQuery {
        page: Page::After {
            cursor: None,
            first: Some(5000),
        },
        ..list("renos.customers", &["id"])
    };
    assert_eq!(invalid_fields(r.list(&big).await), ["page.first"]);
    t.exec(
        "INSERT INTO renos.customers (id, name) SELECT 'z' || i, 'Z' FROM generate_series(1, 60) i",
    )
    .await
    .unwrap();
    let p = r.list(&list("renos.customers", &["id"])).await.unwrap();
    assert_eq!(p.rows.len(), 50);
    assert!(p.has_next_page);
}

// ---------------------------------------------------------------- batching

#[tokio::test]
async fn children_of_three_parents_in_one_statement() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let q = ChildrenQuery {
        table: "renos.customers".into(),
        relation: "bookings".into(),
        parent_keys: vec![
            json!("c1"),
            json!("c2"),
            json!("c3"),
            json!("c1"),
            Json::Null,
        ],
        columns: vec!["id".into(), "status".into()],
        order: vec![OrderBy::desc("scheduled_at")],
        limit: Some(2),
        ..Default::default()
    };
    let m = r.children(&q).await.unwrap();
    assert_eq!(r.statements(), 1);
    assert_eq!(m.len(), 3);
    assert_eq!(strings(&m["c1"].rows, "id"), ["b13", "b12"]);
    assert_eq!((m["c1"].total_count, m["c1"].has_next_page), (3, true));
    assert_eq!(strings(&m["c2"].rows, "id"), ["b21"]);
    assert_eq!((m["c2"].total_count, m["c2"].has_next_page), (1, false));
    assert!(m["c3"].rows.is_empty());
    assert_eq!(m["c3"].total_count, 0);
    assert_eq!(m["c1"].rows[0], json!({"id": "b13", "status": "cancelled"}));
    // Filter and offset apply per parent; a page past the end keeps the total.
    let q2 = ChildrenQuery {
        filter: Some(col("status", Op::Ne(json!("cancelled")))),
        offset: 1,
        ..q.clone()
    };
    let m = r.children(&q2).await.unwrap();
    assert_eq!(strings(&m["c1"].rows, "id"), ["b11"]);
    assert_eq!((m["c1"].total_count, m["c1"].has_previous_page), (2, true));
    assert!(m["c2"].rows.is_empty());
    assert_eq!(m["c2"].total_count, 1);
    let m = r
        .children(&ChildrenQuery {
            offset: 5,
            ..q.clone()
        })
        .await
        .unwrap();
    assert!(m["c1"].rows.is_empty());
    assert_eq!(m["c1"].total_count, 3);
    assert_eq!(r.statements(), 3);
    // No parents: no statement.
    let m = r
        .children(&ChildrenQuery {
            parent_keys: vec![],
            ..q.clone()
        })
        .await
        .unwrap();
    assert!(m.is_empty());
    assert_eq!(r.statements(), 3);
    // Without counting: the pages and `has_next_page` stay exact.
    let m = r
        .children(&ChildrenQuery {
            skip_total: true,
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(strings(&m["c1"].rows, "id"), ["b13", "b12"]);
    assert_eq!((m["c1"].total_count, m["c1"].has_next_page), (0, true));
    assert_eq!(strings(&m["c2"].rows, "id"), ["b21"]);
    assert!(!m["c2"].has_next_page);
    assert!(m["c3"].rows.is_empty());
    // Not a has-many relation.
    let bad = ChildrenQuery {
        table: "renos.bookings".into(),
        relation: "customer".into(),
        ..q.clone()
    };
    assert_eq!(invalid_fields(r.children(&bad).await), ["relation"]);
}

#[tokio::test]
async fn children_and_parents_across_schemas() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let m = r
        .children(&ChildrenQuery {
            table: "shared.users".into(),
            relation: "renos_users".into(),
            parent_keys: vec![json!(ANN), json!(BOB.to_uppercase())],
            columns: vec!["id".into(), "email".into()],
            order: vec![OrderBy::desc("email")],
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(strings(&m[ANN].rows, "id"), ["u2"]);
    assert_eq!(m[ANN].total_count, 2);
    assert_eq!(m[BOB].total_count, 0);
    let m = r
        .parents(&ParentsQuery {
            table: "renos.users".into(),
            relation: "shared_user".into(),
            keys: vec![json!(ANN), Json::Null, json!(ANN)],
            columns: vec!["email".into()],
        })
        .await
        .unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[ANN], json!({"email": "ann@x.dk"}));
    assert_eq!(r.statements(), 2);
}

#[tokio::test]
async fn parents_of_many_rows_in_one_statement() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let m = r
        .parents(&ParentsQuery {
            table: "renos.bookings".into(),
            relation: "customer".into(),
            keys: vec![json!("c1"), json!("c2"), json!("c1"), json!("missing")],
            columns: vec!["id".into(), "name".into()],
        })
        .await
        .unwrap();
    assert_eq!(r.statements(), 1);
    assert_eq!(m.len(), 2);
    assert_eq!(m["c1"]["name"], json!("Alpha"));
    assert_eq!(m["c2"]["name"], json!("Beta"));
    let bad = ParentsQuery {
        table: "renos.customers".into(),
        relation: "bookings".into(),
        ..Default::default()
    };
    assert_eq!(invalid_fields(r.parents(&bad).await), ["relation"]);
}

#[tokio::test]
async fn statements_per_request_depend_on_depth_not_rows() {
    let t = seeded().await;
    t.exec(
        "INSERT INTO renos.customers (id, name) SELECT 'm' || i, 'M' FROM generate_series(1, 40) i;
            INSERT INTO renos.bookings (id, customer_id, lead_id)
              SELECT 'mb' || i, 'm' || (i % 40 + 1), 'l1' FROM generate_series(1, 200) i",
    )
    .await
    .unwrap();
    // customers { bookings(first: 3) { lead { name } } }
    let r = Reader::new(&t.db);
    let customers = r
        .list(&ListQuery {
            page: Page::After {
                cursor: None,
                first: Some(100),
            },
            ..list("renos.customers", &["id"])
        })
        .await
        .unwrap();
    let keys: Vec<Json> = customers.rows.iter().map(|c| c["id"].clone()).collect();
    let bookings = r
        .children(&ChildrenQuery {
            table: "renos.customers".into(),
            relation: "bookings".into(),
            parent_keys: keys,
            columns: vec!["id".into(), "lead_id".into()],
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    let lead_keys: Vec<Json> = bookings
        .values()
        .flat_map(|p| p.rows.iter().map(|b| b["lead_id"].clone()))
        .collect();
    assert!(lead_keys.len() > 100);
    let leads = r
        .parents(&ParentsQuery {
            table: "renos.bookings".into(),
            relation: "lead".into(),
            keys: lead_keys,
            columns: vec!["name".into()],
        })
        .await
        .unwrap();
    assert_eq!(leads["l1"]["name"], json!("Lead one"));
    assert_eq!(bookings["m1"].total_count, 5);
    assert_eq!(r.statements(), 3);
}

// ---------------------------------------------------------------- by key, aggregates

#[tokio::test]
async fn by_primary_key_including_composite_keys() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let key = |pairs: &[(&str, Json)]| -> Map<String, Json> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    let q = ByPkQuery {
        table: "renos.customers".into(),
        columns: vec![
            "name".into(),
            "total_revenue".into(),
            "last_contact_at".into(),
        ],
        key: key(&[("id", json!("c1"))]),
    };
    let row = r.by_pk(&q).await.unwrap().unwrap();
    assert_eq!(row["name"], json!("Alpha"));
    assert_eq!(row["total_revenue"], json!(100.5));
    let at =
        chrono::DateTime::parse_from_rfc3339(row["last_contact_at"].as_str().unwrap()).unwrap();
    assert_eq!(at.to_rfc3339(), "2024-01-10T10:00:00+00:00");
    let absent = ByPkQuery {
        key: key(&[("id", json!("nope"))]),
        ..q.clone()
    };
    assert_eq!(r.by_pk(&absent).await.unwrap(), None);
    let extra = ByPkQuery {
        key: key(&[("id", json!("c1")), ("name", json!("x"))]),
        ..q.clone()
    };
    assert_eq!(invalid_fields(r.by_pk(&extra).await), ["key.name"]);
    let doc = "55555555-5555-4555-8555-555555555555";
    t.exec(&format!(
        "INSERT INTO vault.documents (id, source, repository, path, content) VALUES ('{doc}', 'github', 'o/r', 'p', 'c');
         INSERT INTO vault.document_links (document_id, entity_schema, entity_table, entity_id, relation)
           VALUES ('{doc}', 'renos', 'customers', 'c1', 'about')"
    ))
    .await
    .unwrap();
    let link = ByPkQuery {
        table: "vault.document_links".into(),
        columns: vec!["relation".into()],
        key: key(&[
            ("document_id", json!(doc)),
            ("entity_schema", json!("renos")),
            ("entity_table", json!("customers")),
            ("entity_id", json!("c1")),
        ]),
    };
    assert_eq!(
        r.by_pk(&link).await.unwrap(),
        Some(json!({"relation": "about"}))
    );
    let partial = ByPkQuery {
        key: key(&[("document_id", json!(doc))]),
        ..link.clone()
    };
    assert_eq!(
        invalid_fields(r.by_pk(&partial).await),
        ["key.entity_schema"]
    );
    // Lists order composite keys by every key column.
    let p = r
        .list(&list("vault.document_links", &["entity_id"]))
        .await
        .unwrap();
    assert_eq!(p.rows.len(), 1);
}

#[tokio::test]
async fn aggregates_with_and_without_group() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let q = AggregateQuery {
        table: "renos.bookings".into(),
        group_by: Some("status".into()),
        aggregates: vec![
            (AggregateFn::Count, None),
            (AggregateFn::Count, Some("efficiency_score".into())),
            (AggregateFn::Sum, Some("estimated_duration".into())),
            (AggregateFn::Avg, Some("estimated_duration".into())),
            (AggregateFn::Min, Some("scheduled_at".into())),
            (AggregateFn::Max, Some("efficiency_score".into())),
        ],
        ..Default::default()
    };
    let rows = r.aggregate(&q).await.unwrap();
    let groups: Vec<&str> = rows.iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["cancelled", "completed", "scheduled"]);
    let completed = &rows[1];
    assert_eq!(completed["count"], json!(2));
    assert_eq!(completed["count_efficiency_score"], json!(2));
    assert_eq!(completed["sum_estimated_duration"], json!(120));
    assert_eq!(completed["avg_estimated_duration"].as_f64(), Some(60.0));
    assert_eq!(completed["max_efficiency_score"].as_f64(), Some(1.0));
    let scheduled = &rows[2];
    assert_eq!(scheduled["count"], json!(3));
    assert_eq!(scheduled["count_efficiency_score"], json!(0));
    assert_eq!(scheduled["max_efficiency_score"], Json::Null);
    assert!(
        scheduled["min_scheduled_at"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-02T08:00:00")
    );
    // Filtered, no group: one row.
    let q = AggregateQuery {
        table: "renos.customers".into(),
        filter: Some(Filter::related("bookings", Filter::And(vec![]))),
        aggregates: vec![
            (AggregateFn::Count, None),
            (AggregateFn::Sum, Some("total_revenue".into())),
        ],
        ..Default::default()
    };
    assert_eq!(
        r.aggregate(&q).await.unwrap(),
        [json!({"count": 3, "sum_total_revenue": 150.5})]
    );
    // Sum/avg need numbers; group by a jsonb column is refused.
    let bad = AggregateQuery {
        aggregates: vec![(AggregateFn::Sum, Some("name".into()))],
        ..q.clone()
    };
    assert_eq!(
        invalid_fields(r.aggregate(&bad).await),
        ["aggregates.sum.name"]
    );
    let bad = AggregateQuery {
        aggregates: vec![(AggregateFn::Avg, None)],
        ..q.clone()
    };
    assert_eq!(invalid_fields(r.aggregate(&bad).await), ["aggregates.avg"]);
    let bad = AggregateQuery {
        table: "renos.leads".into(),
        group_by: Some("enrichment_data".into()),
        ..q.clone()
    };
    assert_eq!(invalid_fields(r.aggregate(&bad).await), ["group_by"]);
    // At most 1000 groups.
    t.exec("INSERT INTO renos.customers (id, name) SELECT 'g' || i, 'G' FROM generate_series(1, 1000) i")
        .await
        .unwrap();
    let many = AggregateQuery {
        table: "renos.customers".into(),
        group_by: Some("id".into()),
        aggregates: vec![(AggregateFn::Count, None)],
        ..Default::default()
    };
    assert_eq!(invalid_fields(r.aggregate(&many).await), ["group_by"]);
    // numeric sums are exact strings
    t.exec(
        "INSERT INTO renos.subcontractors (company_name, contact_name, email, phone, rating, status) VALUES
           ('S1', 'x', 's1@x.dk', '1', 4.75, 'active'), ('S2', 'y', 's2@x.dk', '2', 3.10, 'active'),
           ('S3', 'z', 's3@x.dk', '3', NULL, 'inactive')",
    )
    .await
    .unwrap();
    let q = AggregateQuery {
        table: "renos.subcontractors".into(),
        group_by: Some("status".into()),
        aggregates: vec![
            (AggregateFn::Sum, Some("rating".into())),
            (AggregateFn::Max, Some("rating".into())),
        ],
        ..Default::default()
    };
    let rows = r.aggregate(&q).await.unwrap();
    assert_eq!(
        rows[0],
        json!({"group": "active", "sum_rating": "7.85", "max_rating": "4.75"})
    );
    assert_eq!(
        rows[1],
        json!({"group": "inactive", "sum_rating": null, "max_rating": null})
    );
}

// ---------------------------------------------------------------- secrets, bad input, injection

#[tokio::test]
async fn secret_columns_are_never_readable() {
    let t = seeded().await;
    let db = &t.db;
    let r = Reader::new(db);
    let cat = catalog().unwrap();
    for (table, column) in [
        ("renos.users", "password_hash"),
        ("billy.organizations", "billy_api_key"),
        ("flow.webhooks", "secret"),
        ("flow.integrations", "config"),
        ("vault.embeddings", "embedding"),
    ] {
        assert!(
            !cat.table(table)
                .unwrap()
                .readable_columns()
                .contains(&column.to_owned())
        );
        let selected = r.list(&list(table, &["id", column])).await;
        assert_eq!(invalid_fields(selected), [format!("columns.{column}")]);
        let filtered = filter_err(db, table, col(column, Op::IsNull(false))).await;
        assert_eq!(filtered, [format!("filter.{column}")]);
        let ordered = ListQuery {
            order: vec![OrderBy::asc(column)],
            ..list(table, &["id"])
        };
        assert_eq!(
            invalid_fields(r.list(&ordered).await),
            [format!("order.{column}")]
        );
        let counted = AggregateQuery {
            table: table.into(),
            aggregates: vec![(AggregateFn::Count, Some(column.into()))],
            ..Default::default()
        };
        assert_eq!(
            invalid_fields(r.aggregate(&counted).await),
            [format!("aggregates.count.{column}")]
        );
    }
    let through = Filter::related("renos_users", col("password_hash", Op::Like(json!("h%"))));
    assert_eq!(
        filter_err(db, "shared.users", through).await,
        ["filter.renos_users.password_hash"]
    );
    let children = ChildrenQuery {
        table: "shared.users".into(),
        relation: "renos_users".into(),
        parent_keys: vec![json!(ANN)],
        columns: vec!["password_hash".into()],
        ..Default::default()
    };
    assert_eq!(
        invalid_fields(r.children(&children).await),
        ["columns.password_hash"]
    );
    let parents = ParentsQuery {
        table: "shared.users".into(),
        relation: "renos_users".into(),
        ..Default::default()
    };
    assert!(r.parents(&parents).await.is_err());
    let by_pk = ByPkQuery {
        table: "renos.users".into(),
        columns: vec!["password_hash".into()],
        key: [("id".to_owned(), json!("u1"))].into_iter().collect(),
    };
    assert_eq!(
        invalid_fields(r.by_pk(&by_pk).await),
        ["columns.password_hash"]
    );
    assert_eq!(r.statements(), 0);
}

#[tokio::test]
async fn bad_values_are_validation_errors_naming_the_field() {
    let t = seeded().await;
    let db = &t.db;
    let c = "renos.customers";
    let cases = [
        (
            c,
            col("total_bookings", Op::Eq(json!("abc"))),
            "filter.total_bookings",
        ),
        (
            c,
            col("total_bookings", Op::Eq(json!(1.5))),
            "filter.total_bookings",
        ),
        (
            c,
            col("total_bookings", Op::Gt(json!(10_000_000_000_i64))),
            "filter.total_bookings",
        ),
        (
            c,
            col("total_revenue", Op::Lt(json!("much"))),
            "filter.total_revenue",
        ),
        (
            c,
            col("last_contact_at", Op::Gt(json!("yesterday"))),
            "filter.last_contact_at",
        ),
        (c, col("name", Op::Eq(json!(5))), "filter.name"),
        (c, col("name", Op::Eq(Json::Null)), "filter.name"),
        (
            c,
            col("name", Op::In(vec![json!("a"), Json::Null])),
            "filter.name",
        ),
        (
            c,
            col("total_bookings", Op::Like(json!("1%"))),
            "filter.total_bookings",
        ),
        (c, col("tags", Op::Lt(json!(["a"]))), "filter.tags"),
        (c, col("tags", Op::Eq(json!("vip"))), "filter.tags"),
        (c, col("nope", Op::IsNull(true)), "filter.nope"),
        (c, col("name", Op::Eq(json!("a\u{0}b"))), "filter.name"),
        (c, col("name", Op::ILike(json!("%\u{0}%"))), "filter.name"),
        (c, col("tags", Op::Eq(json!(["\u{0}"]))), "filter.tags"),
        (
            "renos.leads",
            col("enrichment_data", Op::Eq(json!({"k": "\u{0}"}))),
            "filter.enrichment_data",
        ),
        (
            "renos.users",
            col("shared_user_id", Op::Eq(json!("not-a-uuid"))),
            "filter.shared_user_id",
        ),
        (
            "renos.users",
            col("is_active", Op::Eq(json!("yes"))),
            "filter.is_active",
        ),
        (
            "renos.leads",
            col("enrichment_data", Op::Gt(json!({}))),
            "filter.enrichment_data",
        ),
        (
            "renos.bookings",
            Filter::related("customer", col("total_revenue", Op::Eq(json!([1])))),
            "filter.customer.total_revenue",
        ),
    ];
    for (table, filter, field) in cases {
        assert_eq!(
            filter_err(db, table, filter.clone()).await,
            [field],
            "{filter:?}"
        );
    }
    let r = Reader::new(db);
    assert_eq!(
        invalid_fields(r.list(&list("renos.nope", &["id"])).await),
        ["table"]
    );
    assert_eq!(
        invalid_fields(r.list(&list(c, &["id", "nope"])).await),
        ["columns.nope"]
    );
    let mut deep = col("name", Op::IsNull(false));
    for _ in 0..40 {
        deep = Filter::not(deep);
    }
    assert_eq!(filter_err(db, c, deep).await, ["filter"]);
    // Cursors: garbage, another ordering, another table.
    let with = |cursor: &str| ListQuery {
        order: vec![OrderBy::asc("name")],
        page: Page::After {
            cursor: Some(cursor.to_owned()),
            first: None,
        },
        ..list(c, &["id"])
    };
    assert_eq!(
        invalid_fields(r.list(&with("zz-not-hex")).await),
        ["page.after"]
    );
    assert_eq!(invalid_fields(r.list(&with("7b7d")).await), ["page.after"]);
    let page = r
        .list(&ListQuery {
            order: vec![OrderBy::desc("name")],
            ..list(c, &["id"])
        })
        .await
        .unwrap();
    let other = page.start_cursor().unwrap();
    assert_eq!(invalid_fields(r.list(&with(other)).await), ["page.after"]);
    let forged = hex_of(&json!({"o": "renos.customers|name:a:l,id:a:l", "k": [1, "c1"]}));
    assert_eq!(invalid_fields(r.list(&with(&forged)).await), ["page.after"]);
    let ok = hex_of(&json!({"o": "renos.customers|name:a:l,id:a:l", "k": ["Beta", "c2"]}));
    let page = r.list(&with(&ok)).await.unwrap();
    assert_eq!(strings(&page.rows, "id"), ["c3", "c4"]);
}

fn hex_of(v: &Json) -> String {
    v.to_string().bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn injection_attempts_are_inert_or_rejected() {
    let t = seeded().await;
    let db = &t.db;
    let r = Reader::new(db);
    let c = "renos.customers";
    let evil = "x'; DROP TABLE renos.customers; --";
    assert!(
        ids(db, c, col("name", Op::Eq(json!(evil))))
            .await
            .is_empty()
    );
    assert!(
        ids(db, c, col("name", Op::Like(json!("%' OR '1'='1"))))
            .await
            .is_empty()
    );
    assert!(
        ids(
            db,
            c,
            col("name", Op::In(vec![json!(evil), json!("') OR TRUE --")]))
        )
        .await
        .is_empty()
    );
    assert_eq!(
        ids(db, c, col("name", Op::Eq(json!("O'Brien")))).await,
        ["c4"]
    );
    t.exec(&format!(
        "INSERT INTO renos.customers (id, name) VALUES ('evil', '{}')",
        evil.replace('\'', "''")
    ))
    .await
    .unwrap();
    assert_eq!(ids(db, c, col("name", Op::Eq(json!(evil)))).await, ["evil"]);
    let evil_col = "name\" FROM renos.users; --";
    assert_eq!(
        filter_err(db, c, col(evil_col, Op::IsNull(true))).await,
        [format!("filter.{evil_col}")]
    );
    assert_eq!(
        invalid_fields(
            r.list(&list(
                c,
                &[
                    "id",
                    "id) || (SELECT password_hash FROM renos.users LIMIT 1"
                ]
            ))
            .await
        ),
        ["columns.id) || (SELECT password_hash FROM renos.users LIMIT 1"]
    );
    let q = ListQuery {
        order: vec![OrderBy::asc("name; DROP TABLE renos.customers")],
        ..list(c, &["id"])
    };
    assert!(matches!(r.list(&q).await, Err(Error::Validation { .. })));
    assert_eq!(
        invalid_fields(
            r.list(&list("renos.customers; DROP TABLE renos.users", &["id"]))
                .await
        ),
        ["table"]
    );
    assert_eq!(
        filter_err(
            db,
            c,
            Filter::related("bookings) OR TRUE --", Filter::And(vec![]))
        )
        .await,
        ["filter.bookings) OR TRUE --"]
    );
    let q = AggregateQuery {
        table: c.into(),
        group_by: Some("status, password_hash".into()),
        aggregates: vec![(AggregateFn::Count, None)],
        ..Default::default()
    };
    assert_eq!(invalid_fields(r.aggregate(&q).await), ["group_by"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.customers")
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.users")
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn list_result_shape() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let p: Connection = r
        .list(&ListQuery {
            filter: Some(col("id", Op::Eq(json!("c1")))),
            ..list(
                "renos.customers",
                &["id", "tags", "total_bookings", "total_revenue", "email"],
            )
        })
        .await
        .unwrap();
    let row = &p.rows[0];
    assert_eq!(row["tags"], json!(["vip"]));
    assert_eq!(row["total_bookings"], json!(3));
    assert_eq!(row["total_revenue"], json!(100.5));
    assert!(
        row["__cursor"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_hexdigit())
    );
    assert_eq!(r.statements(), 1);
    let empty = r.list(&list("renos.customers", &[])).await.unwrap();
    assert_eq!(empty.rows.len(), 4);
    assert_eq!(empty.rows[0].as_object().unwrap().len(), 1);
}

/// EXPLAIN of a children query on 10k bookings of 1k customers (run by hand:
/// `cargo test -p tests --test read_engine -- --ignored --nocapture`).
#[tokio::test]
#[ignore = "benchmark-style check, run by hand"]
async fn explain_children_query_uses_the_foreign_key_index() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.customers (id, name) SELECT 'c' || i, 'C' || i FROM generate_series(1, 1000) i;
         INSERT INTO renos.bookings (id, customer_id, scheduled_at, status)
           SELECT 'b' || i, 'c' || (i % 1000 + 1), timestamptz '2024-01-01' + i * interval '1 hour',
                  (ARRAY['scheduled','confirmed','completed','cancelled'])[i % 4 + 1]
           FROM generate_series(1, 10000) i;
         ANALYZE renos.customers; ANALYZE renos.bookings;",
    )
    .await
    .unwrap();
    let keys: Vec<Json> = (1..=50).map(|i| json!(format!("c{i}"))).collect();
    let plan = ChildrenQuery {
        table: "renos.customers".into(),
        relation: "bookings".into(),
        parent_keys: keys,
        columns: vec!["id".into(), "status".into()],
        filter: Some(col("status", Op::Ne(json!("cancelled")))),
        order: vec![OrderBy::desc("scheduled_at")],
        limit: Some(3),
        ..Default::default()
    }
    .build()
    .unwrap();
    let built = plan.built.unwrap();
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let rows =
        t.db.query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN (ANALYZE, BUFFERS) {}", built.sql),
            built.values.clone(),
        ))
        .await
        .unwrap();
    let text: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    println!("{}\n{}", built.sql, text.join("\n"));
    assert!(text.iter().any(|l| l.contains("bookings_customer_id")));
}

/// The GraphQL layer needs `Send` futures over a transaction (compile-time check).
#[allow(dead_code)]
fn reader_futures_are_send(txn: &sea_orm::DatabaseTransaction) {
    fn send<T: Send>(_: T) {}
    let r = Reader::new(txn);
    send(r.list(&ListQuery::default()));
    send(r.children(&ChildrenQuery::default()));
    send(r.parents(&ParentsQuery::default()));
    send(r.aggregate(&AggregateQuery::default()));
    send(r.by_pk(&ByPkQuery::default()));
}

#[tokio::test]
async fn row_cursors_only_at_the_ends_when_edges_are_not_asked_for() {
    let t = seeded().await;
    let r = Reader::new(&t.db);
    let q = ListQuery {
        order: vec![OrderBy::asc("id")],
        skip_row_cursors: true,
        ..list("renos.customers", &["id"])
    };
    let page = r.list(&q).await.unwrap();
    assert!(page.rows.len() >= 3, "{:?}", page.rows);
    let with_cursor: Vec<bool> = page
        .rows
        .iter()
        .map(|row| row.get("__cursor").is_some())
        .collect();
    let last = with_cursor.len() - 1;
    for (i, has) in with_cursor.iter().enumerate() {
        assert_eq!(*has, i == 0 || i == last, "row {i}");
    }
    // The end cursors are the same as with every row's cursor.
    let all = r
        .list(&ListQuery {
            skip_row_cursors: false,
            ..q.clone()
        })
        .await
        .unwrap();
    assert!(all.rows.iter().all(|row| row.get("__cursor").is_some()));
    assert_eq!(all.end_cursor(), page.end_cursor());
    assert_eq!(all.start_cursor(), page.start_cursor());
}
