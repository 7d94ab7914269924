//! The GraphQL API over HTTP against a real database: by key, lists with filters, order
//! and cursors, relations across schemas, statements per request, aggregates, secrets,
//! limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tests::TestDb;
use tests::spawn_app::{TestApp, spawn_app};

const ANN: &str = "11111111-1111-4111-8111-111111111111";

async fn seeded() -> (TestDb, TestApp) {
    let t = TestDb::new().await;
    t.exec(&format!(
        "INSERT INTO shared.users (id, email, name) VALUES ('{ANN}', 'ann@x.dk', 'Ann');
         INSERT INTO renos.users (id, email, name, password_hash, role, is_active, shared_user_id) VALUES
           ('u1', 'u1@x.dk', 'Ulla', 'hash1', 'admin', true, '{ANN}'),
           ('u2', 'u2@x.dk', 'Uffe', 'hash2', 'employee', false, '{ANN}');
         INSERT INTO renos.customers (id, name, email, total_revenue) VALUES
           ('c1', 'Alpha', 'a@alpha.dk', 100.5), ('c2', 'Beta', NULL, 50),
           ('c3', 'Gamma', 'g@gamma.dk', 50), ('c4', 'Delta', NULL, 0);
         INSERT INTO renos.leads (id, customer_id, name) VALUES ('l1', 'c1', 'Lead one');
         INSERT INTO renos.bookings (id, customer_id, lead_id, scheduled_at, status, estimated_duration) VALUES
           ('b11', 'c1', 'l1', '2024-01-01T08:00:00Z', 'completed', 60),
           ('b12', 'c1', NULL, '2024-01-02T08:00:00Z', 'confirmed', 120),
           ('b13', 'c1', 'l1', '2024-01-03T08:00:00Z', 'cancelled', 90),
           ('b21', 'c2', NULL, '2024-01-02T08:00:00Z', 'completed', 60);"
    ))
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    (t, app)
}

async fn gql(app: &TestApp, query: &str) -> Value {
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

/// The response's data, asserting there are no errors.
async fn data(app: &TestApp, query: &str) -> Value {
    let body = gql(app, query).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

fn statements(body: &Value) -> u64 {
    body["extensions"]["sqlStatements"].as_u64().unwrap()
}

#[tokio::test]
async fn by_primary_key_with_enum_values() {
    let (_t, app) = seeded().await;
    let d = data(
        &app,
        r#"{ renos { booking(id: "b12") { id status timerStatus estimatedDuration scheduledAt }
                    missing: booking(id: "nope") { id } } }"#,
    )
    .await;
    let b = &d["renos"]["booking"];
    assert_eq!(b["id"], "b12");
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(b["timerStatus"], "NOT_STARTED");
    assert_eq!(b["estimatedDuration"], 120);
    assert!(
        b["scheduledAt"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-02T08:00:00")
    );
    assert!(d["renos"]["missing"].is_null());
    // Also over GET.
    let res = app
        .client
        .get(app.url("/graphql?query=%7Brenos%7Bcustomer(id%3A%22c1%22)%7Bname%7D%7D%7D"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["renos"]["customer"]["name"], "Alpha");
}

#[tokio::test]
async fn list_with_filter_order_and_cursor_pages() {
    let (_t, app) = seeded().await;
    let q = |after: &str| {
        format!(
            r#"{{ renos {{ customers(filter: {{ or: [{{ email: {{ isNull: false }} }}, {{ totalRevenue: {{ gte: 50 }} }}] }},
                   orderBy: [{{ field: TOTAL_REVENUE, direction: DESC }}, {{ field: NAME }}],
                   first: 2 {after}) {{
                 totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
                 edges {{ cursor node {{ id totalRevenue }} }} nodes {{ name }} }} }} }}"#
        )
    };
    let d = data(&app, &q("")).await;
    let c = &d["renos"]["customers"];
    assert_eq!(c["totalCount"], 3);
    let names: Vec<&str> = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alpha", "Beta"]);
    assert_eq!(c["edges"][0]["node"]["totalRevenue"], 100.5);
    assert_eq!(c["pageInfo"]["hasNextPage"], true);
    assert_eq!(c["pageInfo"]["endCursor"], c["edges"][1]["cursor"]);
    let end = c["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let d = data(&app, &q(&format!(r#", after: "{end}""#))).await;
    let c = &d["renos"]["customers"];
    assert_eq!(c["nodes"], json!([{ "name": "Gamma" }]));
    assert_eq!(c["pageInfo"]["hasNextPage"], false);
    assert_eq!(c["pageInfo"]["hasPreviousPage"], true);
    // And back: the page before Gamma is Alpha, Beta again.
    let start = c["pageInfo"]["startCursor"].as_str().unwrap().to_owned();
    let back = q(&format!(r#", before: "{start}""#)).replace("first: 2", "last: 2");
    let d = data(&app, &back).await;
    assert_eq!(
        d["renos"]["customers"]["nodes"],
        json!([{ "name": "Alpha" }, { "name": "Beta" }])
    );

    // Enum filters, relation filters and offsets.
    let d = data(
        &app,
        r#"{ renos { bookings(filter: { status: { in: [COMPLETED, CONFIRMED] }, customer: { name: { eq: "Alpha" } } },
                             orderBy: { field: SCHEDULED_AT, direction: DESC }, offset: 1, limit: 5) {
              nodes { id } } } }"#,
    )
    .await;
    assert_eq!(d["renos"]["bookings"]["nodes"], json!([{ "id": "b11" }]));
}

#[tokio::test]
async fn a_relation_across_schemas_both_ways() {
    let (_t, app) = seeded().await;
    let d = data(
        &app,
        &format!(
            r#"{{ shared {{ user(id: "{ANN}") {{ name
                   renosUsers(orderBy: [{{ field: NAME }}], filter: {{ isActive: {{ eq: true }} }}) {{
                     totalCount nodes {{ id name sharedUser {{ email }} }} }} }} }} }}"#
        ),
    )
    .await;
    let u = &d["shared"]["user"];
    assert_eq!(u["name"], "Ann");
    assert_eq!(u["renosUsers"]["totalCount"], 1);
    assert_eq!(
        u["renosUsers"]["nodes"],
        json!([{ "id": "u1", "name": "Ulla", "sharedUser": { "email": "ann@x.dk" } }])
    );
    let d = data(
        &app,
        r#"{ renos { users(orderBy: [{ field: ID }]) { nodes { id sharedUser { name } } } } }"#,
    )
    .await;
    assert_eq!(
        d["renos"]["users"]["nodes"],
        json!([
            { "id": "u1", "sharedUser": { "name": "Ann" } },
            { "id": "u2", "sharedUser": { "name": "Ann" } }
        ])
    );
}

const THREE_LEVELS: &str = r#"{ renos { customers(first: 100, orderBy: [{ field: ID }]) {
    totalCount nodes { id bookings(limit: 3, orderBy: [{ field: SCHEDULED_AT }]) {
      totalCount nodes { id lead { name customer { name } } } } } } } }"#;

#[tokio::test]
async fn statements_depend_on_depth_not_rows() {
    let (t, app) = seeded().await;
    t.exec("DELETE FROM renos.customers WHERE id = 'c4'")
        .await
        .unwrap();
    // 3 customers: customers, bookings, lead, lead.customer = 4 statements.
    let small = gql(&app, THREE_LEVELS).await;
    assert!(small.get("errors").is_none(), "{small:#}");
    let c1 = &small["data"]["renos"]["customers"]["nodes"][0];
    assert_eq!(c1["bookings"]["totalCount"], 3);
    assert_eq!(c1["bookings"]["nodes"][0]["lead"]["name"], "Lead one");
    assert_eq!(
        c1["bookings"]["nodes"][0]["lead"]["customer"]["name"],
        "Alpha"
    );
    assert!(c1["bookings"]["nodes"][1]["lead"].is_null());
    assert_eq!(small["data"]["renos"]["customers"]["totalCount"], 3);
    assert_eq!(statements(&small), 4);

    t.exec(
        "INSERT INTO renos.customers (id, name) SELECT 'm' || i, 'M' FROM generate_series(1, 27) i;
         INSERT INTO renos.bookings (id, customer_id, lead_id)
           SELECT 'mb' || i, 'm' || (i % 27 + 1), 'l1' FROM generate_series(1, 200) i",
    )
    .await
    .unwrap();
    let big = gql(&app, THREE_LEVELS).await;
    assert!(big.get("errors").is_none(), "{big:#}");
    assert_eq!(big["data"]["renos"]["customers"]["totalCount"], 30);
    assert_eq!(statements(&big), statements(&small));

    // Without relations: one statement.
    let flat = gql(&app, "{ renos { customers { nodes { id } } } }").await;
    assert_eq!(statements(&flat), 1);
}

#[tokio::test]
async fn aggregates_with_and_without_groups() {
    let (_t, app) = seeded().await;
    let d = data(
        &app,
        r#"{ renos {
             all: bookingsAggregate { count sum { estimatedDuration } max { scheduledAt status } }
             byStatus: bookingsAggregate(groupBy: STATUS, filter: { customerId: { eq: "c1" } }) {
               group count avg { estimatedDuration } }
             revenue: customersAggregate { sum { totalRevenue } min { name } } } }"#,
    )
    .await;
    let r = &d["renos"];
    assert_eq!(r["all"][0]["count"], 4);
    assert_eq!(r["all"][0]["sum"]["estimatedDuration"], 330);
    assert_eq!(r["all"][0]["max"]["status"], "CONFIRMED");
    assert_eq!(
        r["byStatus"],
        json!([
            { "group": "cancelled", "count": 1, "avg": { "estimatedDuration": 90 } },
            { "group": "completed", "count": 1, "avg": { "estimatedDuration": 60 } },
            { "group": "confirmed", "count": 1, "avg": { "estimatedDuration": 120 } }
        ])
    );
    assert_eq!(r["revenue"][0]["sum"]["totalRevenue"], 200.5);
    assert_eq!(r["revenue"][0]["min"]["name"], "Alpha");
}

#[tokio::test]
async fn secrets_are_absent_from_the_schema() {
    let sdl = api::graphql::sdl().unwrap();
    assert!(sdl.contains("type BillyOrganization {"));
    for secret in ["billyApiKey", "passwordHash"] {
        assert!(!sdl.contains(secret), "{secret}");
    }
    // The vector column of vault.embeddings (a `VaultEmbedding.embedding` relation
    // elsewhere is fine).
    let emb = sdl.split("type VaultEmbedding {").nth(1).unwrap();
    let emb = emb.split('}').next().unwrap();
    assert!(emb.contains("\tid: "), "{emb}");
    assert!(!emb.contains("\tembedding:"), "{emb}");
    let (_t, app) = seeded().await;
    let d = data(
        &app,
        r#"{ org: __type(name: "BillyOrganization") { fields { name } }
             user: __type(name: "RenosUser") { fields { name } } }"#,
    )
    .await;
    let names = |k: &str| -> Vec<String> {
        d[k]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(names("org").contains(&"name".to_owned()));
    assert!(!names("org").contains(&"billyApiKey".to_owned()));
    assert!(names("user").contains(&"email".to_owned()));
    assert!(!names("user").contains(&"passwordHash".to_owned()));
    // Asking for it is a GraphQL validation error, not a database read.
    let body = gql(&app, r#"{ renos { user(id: "u1") { passwordHash } } }"#).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION"
    );
    assert_eq!(statements(&body), 0);
}

#[tokio::test]
async fn limits_and_errors_have_codes() {
    let (_t, app) = seeded().await;
    let mut q = String::from("id");
    for _ in 0..6 {
        q = format!("id customer {{ id bookings {{ nodes {{ {q} }} }} }}");
    }
    let body = gql(
        &app,
        &format!("{{ renos {{ bookings {{ nodes {{ {q} }} }} }} }}"),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "DEPTH_LIMIT_EXCEEDED",
        "{body:#}"
    );
    assert!(body["data"].is_null());
    assert_eq!(statements(&body), 0);

    let many: String = (0..2600)
        .map(|i| format!("a{i}: customers {{ totalCount }} "))
        .collect();
    let body = gql(&app, &format!("{{ renos {{ {many} }} }}")).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "COMPLEXITY_LIMIT_EXCEEDED"
    );
    assert_eq!(statements(&body), 0);

    let body = gql(
        &app,
        r#"{ renos { customers(first: 5000) { nodes { id } } } }"#,
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"][0]["field"],
        "page.first"
    );
    let body = gql(
        &app,
        r#"{ renos { customers(after: "bogus") { nodes { id } } } }"#,
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    assert!(!body.to_string().contains("SELECT"));
}

#[tokio::test]
async fn the_documented_examples_run() {
    let (_t, app) = seeded().await;
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let examples: Vec<&str> = doc
        .split("```graphql")
        .skip(1)
        .filter_map(|s| s.split("```").next())
        .collect();
    assert!(!examples.is_empty(), "no graphql block in the README");
    let queries: Vec<String> = examples[0]
        .split("\n\n")
        .map(|q| {
            q.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|q| !q.trim().is_empty())
        .collect();
    assert_eq!(queries.len(), 3);
    for q in &queries {
        let body = gql(&app, q).await;
        assert!(body.get("errors").is_none(), "{q}\n{body:#}");
    }
    let d = data(&app, &queries[1]).await;
    let alpha = &d["renos"]["customers"]["edges"][0]["node"];
    assert_eq!(alpha["name"], "Alpha");
    // A has-many filter applies per parent: only b12 (confirmed) of Alpha's three.
    assert_eq!(alpha["bookings"]["totalCount"], 1);
}

#[tokio::test]
async fn full_introspection_fits_the_limits() {
    let (_t, app) = seeded().await;
    let q = r#"query IntrospectionQuery { __schema {
        queryType { name } mutationType { name } subscriptionType { name }
        types { ...FullType }
        directives { name description locations args { ...InputValue } } } }
      fragment FullType on __Type { kind name description
        fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
        inputFields { ...InputValue } interfaces { ...TypeRef }
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
        possibleTypes { ...TypeRef } }
      fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;
    let body = gql(&app, q).await;
    assert!(body.get("errors").is_none(), "{:#}", body["errors"]);
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "RenosCustomer"));
    assert_eq!(statements(&body), 0);
}
