//! The generic mutations over HTTP (`create/update/upsert/delete<Type>` in each schema's
//! mutation object, through `service::write`): round trips of a RenOS customer and a Billy
//! cached customer, relations on the returned row, validation errors with
//! `extensions.code`/`extensions.fields`, failed mutations writing nothing, and the
//! `BigInt` scalar.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tests::TestDb;
use tests::counts::count;
use tests::spawn_app::{TestApp, spawn_app};

const ORG: &str = "0e0e0e0e-0000-4000-8000-000000000001";

async fn setup() -> (TestDb, TestApp) {
    let t = TestDb::new().await;
    t.exec(&format!(
        "INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id)
         VALUES ('{ORG}', 'Org ApS', 'sealed', 'b-1')"
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

/// The one error of a response: its code and its fields' names (sorted).
fn error(body: &Value) -> (String, Vec<String>) {
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body:#}");
    let ext = &errors[0]["extensions"];
    let mut fields: Vec<String> = ext["fields"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| f["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    fields.sort();
    (ext["code"].as_str().unwrap().to_owned(), fields)
}

#[tokio::test]
async fn renos_customer_create_update_upsert_delete() {
    let (t, app) = setup().await;
    let d = data(
        &app,
        r#"mutation { renos { createCustomer(input: {
              name: "Alpha ApS", email: "a@alpha.dk", tags: ["vip"], totalRevenue: 10.5,
              lastContactAt: "2024-05-01T10:00:00+02:00" }) {
            id name email tags totalRevenue status lastContactAt } } }"#,
    )
    .await;
    let c = &d["renos"]["createCustomer"];
    let id = c["id"].as_str().unwrap().to_owned();
    assert!(id.len() >= 20, "generated cuid: {id}");
    assert_eq!(c["name"], "Alpha ApS");
    assert_eq!(c["tags"], json!(["vip"]));
    assert_eq!(c["totalRevenue"], json!(10.5));
    assert_eq!(c["status"], "active");
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.customers WHERE id = '{id}' AND email = 'a@alpha.dk'"
            )
        )
        .await,
        1
    );

    // A booking of it, created with an enum value, returns its customer (relation loaded
    // after the write), and the customer's bookings.
    let d = data(
        &app,
        &format!(
            r#"mutation {{ renos {{ createBooking(input: {{ customerId: "{id}", status: CONFIRMED,
                  scheduledAt: "2024-06-01T08:00:00Z" }}) {{
                id status estimatedDuration customer {{ name bookings {{ totalCount }} }} }} }} }}"#
        ),
    )
    .await;
    let b = &d["renos"]["createBooking"];
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(b["estimatedDuration"], 120);
    assert_eq!(b["customer"]["name"], "Alpha ApS");
    assert_eq!(b["customer"]["bookings"]["totalCount"], 1);
    let booking = b["id"].as_str().unwrap().to_owned();

    let d = data(
        &app,
        &format!(
            r#"mutation {{ renos {{ updateCustomer(id: "{id}", patch: {{ name: "Alpha A/S", email: null }}) {{
                id name email bookings {{ nodes {{ id }} }} }} }} }}"#
        ),
    )
    .await;
    let u = &d["renos"]["updateCustomer"];
    assert_eq!(u["name"], "Alpha A/S");
    assert!(u["email"].is_null());
    assert_eq!(u["bookings"]["nodes"], json!([{ "id": booking }]));

    // Upsert on the unique email: the second call updates the first row.
    let upsert = |name: &str| {
        format!(
            r#"mutation {{ renos {{ upsertCustomer(input: {{ name: "{name}", email: "b@beta.dk" }},
                  onConflict: [EMAIL]) {{ id name email }} }} }}"#
        )
    };
    let first = data(&app, &upsert("Beta")).await;
    let second = data(&app, &upsert("Beta Two")).await;
    assert_eq!(
        first["renos"]["upsertCustomer"]["id"],
        second["renos"]["upsertCustomer"]["id"]
    );
    assert_eq!(second["renos"]["upsertCustomer"]["name"], "Beta Two");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.customers WHERE email = 'b@beta.dk'"
        )
        .await,
        1
    );
    // Upsert on the primary key (the default).
    let d = data(
        &app,
        &format!(
            r#"mutation {{ renos {{ upsertCustomer(input: {{ id: "{id}", name: "Alpha again" }}) {{ id name }} }} }}"#
        ),
    )
    .await;
    assert_eq!(d["renos"]["upsertCustomer"]["name"], "Alpha again");

    let d = data(
        &app,
        &format!(r#"mutation {{ renos {{ deleteCustomer(id: "{id}") {{ id name }} }} }}"#),
    )
    .await;
    assert_eq!(d["renos"]["deleteCustomer"]["name"], "Alpha again");
    assert_eq!(
        count(
            &t,
            &format!("SELECT count(*) FROM renos.customers WHERE id = '{id}'")
        )
        .await,
        0
    );
    // The booking stays (ON DELETE SET NULL).
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.bookings WHERE id = '{booking}' AND customer_id IS NULL"
            )
        )
        .await,
        1
    );
    let body = gql(
        &app,
        &format!(r#"mutation {{ renos {{ deleteCustomer(id: "{id}") {{ id }} }} }}"#),
    )
    .await;
    assert_eq!(error(&body).0, "NOT_FOUND");
}

#[tokio::test]
async fn billy_cached_customer_create_upsert_update_delete() {
    let (t, app) = setup().await;
    let d = data(
        &app,
        &format!(
            r#"mutation {{ billy {{ createCachedCustomer(input: {{ organizationId: "{ORG}", billyId: "cust-1",
                  data: {{ name: "Kunde", vat: 25 }}, expiresAt: "2030-01-01T00:00:00Z" }}) {{
                id billyId data expiresAt organization {{ name }} }} }} }}"#
        ),
    )
    .await;
    let c = &d["billy"]["createCachedCustomer"];
    assert_eq!(c["data"], json!({ "name": "Kunde", "vat": 25 }));
    assert_eq!(c["organization"]["name"], "Org ApS");
    let id = c["id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok());

    let d = data(
        &app,
        &format!(
            r#"mutation {{ billy {{ upsertCachedCustomer(input: {{ organizationId: "{ORG}", billyId: "cust-1",
                  data: {{ name: "Kunde 2" }}, expiresAt: "2031-01-01T00:00:00Z" }},
                  onConflict: [BILLY_ID, ORGANIZATION_ID]) {{ id data expiresAt }} }} }}"#
        ),
    )
    .await;
    let u = &d["billy"]["upsertCachedCustomer"];
    assert_eq!(u["id"], json!(id));
    assert_eq!(u["data"], json!({ "name": "Kunde 2" }));
    assert!(u["expiresAt"].as_str().unwrap().starts_with("2031-01-01"));

    let d = data(
        &app,
        &format!(
            r#"mutation {{ billy {{ updateCachedCustomer(id: "{id}", patch: {{ billyId: "cust-2" }}) {{ billyId }} }} }}"#
        ),
    )
    .await;
    assert_eq!(d["billy"]["updateCachedCustomer"]["billyId"], "cust-2");
    assert_eq!(
        count(
            &t,
            &format!("SELECT count(*) FROM billy.cached_customers WHERE id = '{id}' AND billy_id = 'cust-2' AND data->>'name' = 'Kunde 2'")
        )
        .await,
        1
    );
    let d = data(
        &app,
        &format!(r#"mutation {{ billy {{ deleteCachedCustomer(id: "{id}") {{ billyId }} }} }}"#),
    )
    .await;
    assert_eq!(d["billy"]["deleteCachedCustomer"]["billyId"], "cust-2");
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_customers").await,
        0
    );
}

#[tokio::test]
async fn validation_errors_name_every_field_and_write_nothing() {
    let (t, app) = setup().await;
    // Several bad values: one VALIDATION error naming each input field.
    let body = gql(
        &app,
        r#"mutation { renos { createLead(input: { name: "L", lastFollowUpDate: "yesterday",
              assignedUserId: "not-a-uuid", customerId: "c1" }) { id } } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        (
            "VALIDATION".to_owned(),
            vec![
                "input.assignedUserId".to_owned(),
                "input.lastFollowUpDate".to_owned()
            ]
        )
    );
    assert!(
        body["data"].is_null() || body["data"]["renos"].is_null(),
        "{body:#}"
    );
    // An empty patch, a NOT NULL column set to null.
    let body = gql(
        &app,
        r#"mutation { renos { updateCustomer(id: "c1", patch: {}) { id } } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["patch".to_owned()])
    );
    let body = gql(
        &app,
        r#"mutation { renos { updateCustomer(id: "c1", patch: { name: null }) { id } } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["patch.name".to_owned()])
    );
    // onConflict must be the key or a unique constraint.
    let body = gql(
        &app,
        r#"mutation { renos { upsertCustomer(input: { id: "x", name: "X", email: "x@x.dk" },
              onConflict: [ID, EMAIL]) { id } } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["onConflict".to_owned()])
    );
    // A missing required input field is a GraphQL validation error, before any SQL.
    let body = gql(
        &app,
        r#"mutation { renos { createCustomer(input: { email: "x@x.dk" }) { id } } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "GRAPHQL_VALIDATION");
    // Secrets are not in the inputs.
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ billy {{ updateOrganization(id: "{ORG}", patch: {{ billyApiKey: "plain" }}) {{ id }} }} }}"#
        ),
    )
    .await;
    assert_eq!(error(&body).0, "GRAPHQL_VALIDATION");

    // A failed field rolls back the whole request: the first create is not kept.
    let body = gql(
        &app,
        r#"mutation { renos {
              ok: createCustomer(input: { name: "Kept?", email: "k@x.dk" }) { id }
              dup: createCustomer(input: { name: "Dup", email: "k@x.dk" }) { id } } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "CONFLICT");
    // A foreign key to nothing.
    let body = gql(
        &app,
        r#"mutation { renos { createLead(input: { name: "L", customerId: "nope" }) { id } } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "VALIDATION");
    for table in ["renos.customers", "renos.leads"] {
        assert_eq!(
            count(&t, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.organizations WHERE billy_api_key = 'sealed'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn bigint_columns_are_strings_in_and_out() {
    let (t, app) = setup().await;
    let d = data(
        &app,
        &format!(
            r#"mutation {{ billy {{
                a: createUsageMetric(input: {{ organizationId: "{ORG}", date: "2024-05-01", hour: 9,
                    toolName: "invoices", durationTotalMs: "5000000000", cacheHitRate: "12.5" }}) {{
                  durationTotalMs cacheHitRate date }}
                b: createUsageMetric(input: {{ organizationId: "{ORG}", date: "2024-05-01", hour: 10,
                    toolName: "invoices", durationTotalMs: 7 }}) {{ durationTotalMs }} }} }}"#
        ),
    )
    .await;
    assert_eq!(d["billy"]["a"]["durationTotalMs"], "5000000000");
    assert_eq!(d["billy"]["a"]["cacheHitRate"], "12.50");
    assert_eq!(d["billy"]["a"]["date"], "2024-05-01");
    assert_eq!(d["billy"]["b"]["durationTotalMs"], "7");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.usage_metrics WHERE duration_total_ms = 5000000000"
        )
        .await,
        1
    );
    let d = data(
        &app,
        r#"{ billy { usageMetrics(filter: { durationTotalMs: { gt: "4000000000" } }) {
              nodes { hour durationTotalMs } }
            usageMetricsAggregate { sum { durationTotalMs } max { durationTotalMs } } } }"#,
    )
    .await;
    assert_eq!(
        d["billy"]["usageMetrics"]["nodes"],
        json!([{ "hour": 9, "durationTotalMs": "5000000000" }])
    );
    let agg = &d["billy"]["usageMetricsAggregate"][0];
    assert_eq!(agg["sum"]["durationTotalMs"], "5000000007");
    assert_eq!(agg["max"]["durationTotalMs"], "5000000000");
    // Not an integer: a GraphQL validation error.
    let body = gql(
        &app,
        r#"{ billy { usageMetrics(filter: { durationTotalMs: { gt: "4e9" } }) { nodes { hour } } } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "GRAPHQL_VALIDATION");
}

#[tokio::test]
async fn a_user_writes_only_its_own_tenant() {
    let (t, app) = setup().await;
    let other = uuid::Uuid::parse_str("0e0e0e0e-0000-4000-8000-000000000002").unwrap();
    let mine = uuid::Uuid::parse_str(ORG).unwrap();
    let query = format!(
        r#"mutation {{ billy {{ createCachedCustomer(input: {{ organizationId: "{ORG}", billyId: "c",
              data: {{}}, expiresAt: "2030-01-01T00:00:00Z" }}) {{ billyId }} }} }}"#
    );
    let send = |client: reqwest::Client| {
        let url = app.url("/graphql");
        let query = query.clone();
        async move {
            client
                .post(url)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let body = send(app.client_as_user(Some(other), None)).await;
    assert_eq!(error(&body).0, "FORBIDDEN", "{body:#}");
    // Not a tenant table: refused before any SQL.
    let body = gql_as(
        &app.client_as_user(Some(mine), None),
        &app,
        r#"mutation { renos { createCustomer(input: { name: "X" }) { id } } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "FORBIDDEN", "{body:#}");
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_customers").await,
        0
    );
    let body = send(app.client_as_user(Some(mine), None)).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(
        body["data"]["billy"]["createCachedCustomer"]["billyId"],
        "c"
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_customers").await,
        1
    );
}

async fn gql_as(client: &reqwest::Client, app: &TestApp, query: &str) -> Value {
    client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
