//! Lists over HTTP: every filter operator, cursor pages over a list that changes between
//! pages, and nested lists with their own filter, order and page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tests::TestDb;
use tests::spawn_app::{TestApp, spawn_app};

async fn data(app: &TestApp, query: &str) -> Value {
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{query}\n{body:#}");
    body["data"].clone()
}

fn ids(list: &Value) -> BTreeSet<String> {
    list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn customers_and_bookings() -> (TestDb, TestApp) {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.customers (id, name, email, total_revenue, total_bookings, status, tags, last_contact_at) VALUES
           ('c1', 'Alpha',  'a@alpha.dk', 100.5, 3, 'active',   '{vip,north}', '2024-01-01T10:00:00Z'),
           ('c2', 'beta',   NULL,         50,    1, 'inactive', '{north}',     '2024-02-01T10:00:00Z'),
           ('c3', 'Gamma',  'g@gamma.dk', 50,    0, 'active',   '{}',          NULL),
           ('c4', 'Delta',  'd@DELTA.dk', 0,     2, 'lead',     '{south}',     '2024-03-01T10:00:00Z');
         INSERT INTO renos.bookings (id, customer_id, scheduled_at, status, estimated_duration, actual_duration) VALUES
           ('b1', 'c1', '2024-01-01T08:00:00Z', 'completed', 60, 60),
           ('b2', 'c1', '2024-01-02T08:00:00Z', 'confirmed', 120, 100),
           ('b3', 'c1', '2024-01-03T08:00:00Z', 'cancelled', 90, NULL),
           ('b4', 'c4', '2024-01-04T08:00:00Z', 'completed', 30, NULL),
           ('b5', 'c4', '2024-01-05T08:00:00Z', 'scheduled', 45, NULL);",
    )
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    (t, app)
}

#[tokio::test]
async fn every_filter_operator() {
    let (_t, app) = customers_and_bookings().await;
    let cases: &[(&str, &[&str])] = &[
        // text
        (r#"{ name: { eq: "Alpha" } }"#, &["c1"]),
        (r#"{ name: { ne: "Alpha" } }"#, &["c2", "c3", "c4"]),
        (
            r#"{ name: { in: ["Alpha", "Gamma", "nobody"] } }"#,
            &["c1", "c3"],
        ),
        (r#"{ name: { lt: "Delta" } }"#, &["c1"]),
        (r#"{ name: { lte: "Delta" } }"#, &["c1", "c4"]),
        (r#"{ name: { gt: "Delta" } }"#, &["c2", "c3"]),
        (r#"{ name: { gte: "Gamma" } }"#, &["c2", "c3"]),
        (r#"{ email: { like: "%.dk" } }"#, &["c1", "c3", "c4"]),
        (r#"{ email: { like: "%delta%" } }"#, &[]),
        (r#"{ email: { ilike: "%delta%" } }"#, &["c4"]),
        (r#"{ email: { isNull: true } }"#, &["c2"]),
        (r#"{ email: { isNull: false } }"#, &["c1", "c3", "c4"]),
        // numbers
        (r#"{ totalRevenue: { eq: 50 } }"#, &["c2", "c3"]),
        (r#"{ totalRevenue: { gt: 50 } }"#, &["c1"]),
        (r#"{ totalRevenue: { lte: 50 } }"#, &["c2", "c3", "c4"]),
        (r#"{ totalBookings: { in: [0, 2] } }"#, &["c3", "c4"]),
        (r#"{ totalBookings: { ne: 3 } }"#, &["c2", "c3", "c4"]),
        // timestamps
        (
            r#"{ lastContactAt: { gte: "2024-02-01T10:00:00Z" } }"#,
            &["c2", "c4"],
        ),
        (
            r#"{ lastContactAt: { lt: "2024-02-01T10:00:00+00:00" } }"#,
            &["c1"],
        ),
        (r#"{ lastContactAt: { isNull: true } }"#, &["c3"]),
        // open-text status
        (r#"{ status: { eq: "active" } }"#, &["c1", "c3"]),
        (r#"{ status: { in: ["inactive", "lead"] } }"#, &["c2", "c4"]),
        // boolean combinations
        (
            r#"{ and: [{ totalRevenue: { gte: 50 } }, { email: { isNull: false } }] }"#,
            &["c1", "c3"],
        ),
        (
            r#"{ or: [{ name: { eq: "beta" } }, { totalBookings: { gte: 3 } }] }"#,
            &["c1", "c2"],
        ),
        (
            r#"{ not: { name: { in: ["Alpha", "beta"] } } }"#,
            &["c3", "c4"],
        ),
        (
            r#"{ not: { or: [{ email: { isNull: true } }, { status: { eq: "active" } }] } }"#,
            &["c4"],
        ),
        // fields of one input are ANDed
        (
            r#"{ totalRevenue: { gte: 0, lt: 100 } }"#,
            &["c2", "c3", "c4"],
        ),
        // related rows: some booking matches
        (
            r#"{ bookings: { status: { eq: COMPLETED } } }"#,
            &["c1", "c4"],
        ),
        (
            r#"{ bookings: { estimatedDuration: { gt: 100 } }, name: { eq: "Alpha" } }"#,
            &["c1"],
        ),
        (
            r#"{ not: { bookings: { id: { isNull: false } } } }"#,
            &["c2", "c3"],
        ),
    ];
    for (filter, expected) in cases {
        let d = data(
            &app,
            &format!(
                "{{ renos {{ customers(filter: {filter}) {{ totalCount nodes {{ id }} }} }} }}"
            ),
        )
        .await;
        let list = &d["renos"]["customers"];
        assert_eq!(ids(list), set(expected), "filter {filter}");
        assert_eq!(list["totalCount"], expected.len(), "filter {filter}");
    }
    // Enums, and a nullable integer (NULL is neither equal nor unequal).
    let enum_cases: &[(&str, &[&str])] = &[
        (r#"{ status: { eq: COMPLETED } }"#, &["b1", "b4"]),
        (r#"{ status: { ne: COMPLETED } }"#, &["b2", "b3", "b5"]),
        (
            r#"{ status: { in: [SCHEDULED, CANCELLED] } }"#,
            &["b3", "b5"],
        ),
        (r#"{ actualDuration: { ne: 60 } }"#, &["b2"]),
        (
            r#"{ actualDuration: { isNull: true } }"#,
            &["b3", "b4", "b5"],
        ),
    ];
    for (filter, expected) in enum_cases {
        let d = data(
            &app,
            &format!("{{ renos {{ bookings(filter: {filter}) {{ nodes {{ id }} }} }} }}"),
        )
        .await;
        assert_eq!(
            ids(&d["renos"]["bookings"]),
            set(expected),
            "filter {filter}"
        );
    }
    // Belongs-to filters, from the other side.
    let d = data(
        &app,
        r#"{ renos { bookings(filter: { customer: { tags: { eq: ["south"] } } }) { nodes { id } } } }"#,
    )
    .await;
    assert_eq!(ids(&d["renos"]["bookings"]), set(&["b4", "b5"]));
}

#[tokio::test]
async fn nested_lists_take_their_own_filter_order_and_page() {
    let (_t, app) = customers_and_bookings().await;
    let d = data(
        &app,
        r#"{ renos { customers(orderBy: { field: NAME }, filter: { totalBookings: { gt: 0 } }) { nodes { id
              bookings(filter: { status: { ne: CANCELLED } }, orderBy: { field: SCHEDULED_AT, direction: DESC }, limit: 1, offset: 0) {
                totalCount nodes { id } }
              all: bookings(orderBy: { field: SCHEDULED_AT }, offset: 1, limit: 5) { totalCount nodes { id } } } } } }"#,
    )
    .await;
    let nodes = d["renos"]["customers"]["nodes"].as_array().unwrap();
    let by_id = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap().clone();
    let alpha = by_id("c1");
    assert_eq!(alpha["bookings"]["totalCount"], 2);
    assert_eq!(alpha["bookings"]["nodes"], json!([{ "id": "b2" }]));
    assert_eq!(alpha["all"]["totalCount"], 3);
    assert_eq!(
        alpha["all"]["nodes"],
        json!([{ "id": "b2" }, { "id": "b3" }])
    );
    let delta = by_id("c4");
    assert_eq!(delta["bookings"]["nodes"], json!([{ "id": "b5" }]));
    assert_eq!(delta["all"]["nodes"], json!([{ "id": "b5" }]));
    let beta = by_id("c2");
    assert_eq!(beta["bookings"]["totalCount"], 0);
    assert_eq!(beta["all"]["nodes"], json!([]));
}

/// Pages through customers ordered by name while rows are inserted and deleted on both
/// sides of the cursor between pages: no row is returned twice, and every row that existed
/// for the whole walk is returned.
#[tokio::test]
async fn cursor_pages_over_a_changing_list_have_no_duplicates_or_gaps() {
    let t = TestDb::new().await;
    let values: Vec<String> = (0..40)
        .map(|i| format!("('k{i:02}', 'name {:02}')", i * 2))
        .collect();
    t.exec(&format!(
        "INSERT INTO renos.customers (id, name) VALUES {}",
        values.join(", ")
    ))
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    let stable: BTreeSet<String> = (0..40)
        .filter(|i| i % 5 != 3) // rows k03, k08, ... are deleted during the walk
        .map(|i| format!("k{i:02}"))
        .collect();

    let mut seen: Vec<String> = Vec::new();
    let mut after = String::new();
    let mut page = 0;
    loop {
        let d = data(
            &app,
            &format!(
                r#"{{ renos {{ customers(orderBy: [{{ field: NAME }}], first: 6 {after}) {{
                     pageInfo {{ hasNextPage endCursor }} nodes {{ id name }} }} }} }}"#
            ),
        )
        .await;
        let c = &d["renos"]["customers"];
        for n in c["nodes"].as_array().unwrap() {
            seen.push(n["id"].as_str().unwrap().to_owned());
        }
        if c["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = format!(
            r#", after: "{}""#,
            c["pageInfo"]["endCursor"].as_str().unwrap()
        );
        // Between pages: insert names before and after the cursor (odd numbers sort between
        // existing ones) and delete one row on each side of it.
        page += 1;
        t.exec(&format!(
            "INSERT INTO renos.customers (id, name) VALUES ('n{page}a', 'name {:02}'), ('n{page}b', 'name 79');
             DELETE FROM renos.customers WHERE id IN ('k{:02}', 'k{:02}');",
            page * 6 - 5,
            page * 5 - 2,
            page * 5 + 3,
        ))
        .await
        .unwrap();
        assert!(page < 50, "runaway pagination");
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "duplicates in {seen:?}");
    let missing: Vec<&String> = stable.difference(&unique).collect();
    assert!(missing.is_empty(), "gaps: {missing:?} not seen in {seen:?}");
    // Names are ascending across all pages, as one walk.
    let names_in_order = seen
        .iter()
        .filter(|id| id.starts_with('k'))
        .cloned()
        .collect::<Vec<_>>();
    let mut sorted = names_in_order.clone();
    sorted.sort();
    assert_eq!(names_in_order, sorted);
}
