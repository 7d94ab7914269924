//! Authentication, roles and tenant isolation over HTTP, and the row-level security under
//! them, against PostgreSQL (the server connects as the API's login role).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use api::app::Limits;
use api::auth::api_keys::{self, KeyVerifier};
use api::auth::tenancy::{TENANT_TABLES, Tenant};
use api::auth::{Principal, RenosOrgId, Role};
use api::graphql::Services;
use api::graphql::request::Kind;
use api::graphql::session;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use tests::TestDb;
use tests::spawn_app::{TestApp, spawn_app, spawn_app_with};
use tests::test_db::connect;
use uuid::Uuid;

const ORG_A: &str = "00000000-0000-4000-8000-00000000000a";
const ORG_B: &str = "00000000-0000-4000-8000-00000000000b";
/// What the organisations' `billy_api_key` column holds (a ciphertext in the v2 format).
const CIPHERTEXT_A: &str = "v2:k1:bm9uY2Vub25jZQ:Y2lwaGVydGV4dC1vZi1vcmctYQ";
const CIPHERTEXT_B: &str = "v2:k1:bm9uY2Vub25jZQ:Y2lwaGVydGV4dC1vZi1vcmctYg";

fn org_a() -> Uuid {
    Uuid::parse_str(ORG_A).unwrap()
}

/// Two Billy organisations with users, caches and RenOS invoices each, and rows in tables
/// that are not tenant-scoped.
async fn two_tenants() -> TestDb {
    let t = TestDb::new().await;
    t.exec(&format!(
        "INSERT INTO billy.organizations (id, name, billy_organization_id, billy_api_key) VALUES
           ('{ORG_A}', 'Org A', 'billy-a', '{CIPHERTEXT_A}'),
           ('{ORG_B}', 'Org B', 'billy-b', '{CIPHERTEXT_B}');
         INSERT INTO billy.users (email, organization_id) VALUES
           ('a1@a.dk', '{ORG_A}'), ('a2@a.dk', '{ORG_A}'), ('b1@b.dk', '{ORG_B}');
         INSERT INTO billy.cached_invoices (organization_id, billy_id, data, expires_at) VALUES
           ('{ORG_A}', 'inv-1', '{{}}', now() + interval '1 day'),
           ('{ORG_B}', 'inv-1', '{{}}', now() + interval '1 day');
         INSERT INTO renos.customers (id, name) VALUES ('c1', 'Alpha');
         INSERT INTO renos.invoices (id, invoice_number, customer_id, customer_name, due_date, subtotal, vat_amount, total, billy_organization_id) VALUES
           ('i-a', 'A-1', 'c1', 'Alpha', now(), 100, 25, 125, '{ORG_A}'),
           ('i-b', 'B-1', 'c1', 'Beta', now(), 200, 50, 250, '{ORG_B}');
         INSERT INTO renos.users (id, email, name, password_hash) VALUES ('u', 'u@x.dk', 'U', 'h');
         INSERT INTO renos.notifications (id, organization_id, user_id, type, title, message) VALUES
           ('n-a', 'renos-a', 'u', 'info', 'For A', 'm'), ('n-b', 'renos-b', 'u', 'info', 'For B', 'm');"
    ))
    .await
    .unwrap();
    t
}

async fn post(client: &reqwest::Client, app: &TestApp, query: &str) -> (u16, Value) {
    let res = client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

fn ids(nodes: &Value, field: &str) -> BTreeSet<String> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n[field].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn anonymous_callers_get_health_only() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;
    let health = app.anonymous.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let (status, body) = post(&app.anonymous, &app, "{ __typename }").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let res = app
        .anonymous
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn bad_credentials_are_refused_with_a_code() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;
    let other = api::auth::jwt::JwtKeys::new(b"some-other-secret-0123456789abcdef");
    let forged = other
        .sign(&api::auth::jwt::Claims {
            sub: "x".into(),
            role: "service".into(),
            exp: api::auth::jwt::now_secs() + 60,
            iat: None,
            billy_org: None,
            renos_org: None,
        })
        .unwrap();
    let expired = api::auth::jwt::JwtKeys::new(tests::spawn_app::JWT_SECRET.as_bytes())
        .sign(&api::auth::jwt::Claims {
            sub: "x".into(),
            role: "service".into(),
            exp: api::auth::jwt::now_secs() - 3600,
            iat: None,
            billy_org: None,
            renos_org: None,
        })
        .unwrap();
    for bad in [
        forged.as_str(),
        expired.as_str(),
        "not-a-jwt",
        "tk_unknownkey",
    ] {
        let client = app.client_with_token(bad);
        let (status, body) = post(&client, &app, "{ __typename }").await;
        assert_eq!(status, 401, "{bad}: {body}");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{bad}");
        assert!(!body.to_string().contains("InvalidSignature"), "{body}");
    }
    let basic = app
        .anonymous
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwdw==")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
}

#[tokio::test]
async fn api_keys_are_stored_hashed_and_work_until_revoked() {
    let t = two_tenants().await;
    let key = api_keys::create(&t.db, "frontend-a", Role::User, Some(org_a()), None)
        .await
        .unwrap();
    let stored: i64 = t
        .scalar_i64(&format!(
            "SELECT count(*) FROM access.api_keys WHERE key_hash = '{}' AND key_prefix = '{}'",
            api_keys::hash(&key),
            &key[..11]
        ))
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let plaintext: i64 = t
        .scalar_i64(&format!(
            "SELECT count(*) FROM access.api_keys WHERE key_hash = '{key}' OR name = '{key}'"
        ))
        .await
        .unwrap();
    assert_eq!(plaintext, 0, "the key itself is not stored");

    let app = spawn_app(&t).await;
    let q = "{ billy { organizations { nodes { id } } } }";
    let bearer = app.client_with_token(&key);
    let (status, body) = post(&bearer, &app, q).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ids(&body["data"]["billy"]["organizations"]["nodes"], "id"),
        set(&[ORG_A])
    );
    let res = app
        .anonymous
        .post(app.url("/graphql"))
        .header("x-api-key", &key)
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The API's login role cannot read the key table; it goes through the lookup function.
    let api_db = connect(&t.api_url(), 1).await.unwrap();
    let direct = api_db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT * FROM access.api_keys",
        ))
        .await;
    assert!(
        direct.is_err(),
        "the API role must not read access.api_keys"
    );

    assert_eq!(api_keys::revoke(&t.db, "frontend-a").await.unwrap(), 1);
    let fresh = KeyVerifier::default();
    assert_eq!(fresh.verify(&api_db, &key).await.unwrap(), None);
    let app2 = spawn_app(&t).await;
    let (status, body) = post(&app2.client_with_token(&key), &app2, q).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn a_user_sees_only_its_tenant_even_with_crafted_queries() {
    let t = two_tenants().await;
    let app = spawn_app(&t).await;
    let user_a = app.client_as_user(Some(org_a()), Some("renos-a"));

    let (_, body) = post(
        &user_a,
        &app,
        &format!(
            r#"{{ billy {{
                all: organizations {{ totalCount nodes {{ id }} }}
                crafted: organizations(filter: {{ or: [{{ id: {{ eq: "{ORG_B}" }} }}, {{ name: {{ like: "%" }} }}] }}) {{ nodes {{ id }} }}
                byKey: organization(id: "{ORG_B}") {{ id }}
                users {{ nodes {{ email organization {{ id }} }} }}
                usersAggregate(groupBy: ORGANIZATION_ID) {{ group count }}
                cachedInvoices(filter: {{ organizationId: {{ in: ["{ORG_A}", "{ORG_B}"] }} }}) {{ totalCount }}
                related: users(filter: {{ organization: {{ name: {{ eq: "Org B" }} }} }}) {{ totalCount }}
              }}
              renos {{
                invoices {{ nodes {{ id billyOrganization {{ id users {{ totalCount }} }} }} }}
                notifications {{ nodes {{ id }} }}
                customers {{ totalCount }}
                customersAggregate {{ count }}
              }} }}"#
        ),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let d = &body["data"];
    assert_eq!(d["billy"]["all"]["totalCount"], 1);
    assert_eq!(ids(&d["billy"]["all"]["nodes"], "id"), set(&[ORG_A]));
    assert_eq!(ids(&d["billy"]["crafted"]["nodes"], "id"), set(&[ORG_A]));
    assert_eq!(d["billy"]["byKey"], Value::Null);
    assert_eq!(
        ids(&d["billy"]["users"]["nodes"], "email"),
        set(&["a1@a.dk", "a2@a.dk"])
    );
    let groups = d["billy"]["usersAggregate"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(d["billy"]["cachedInvoices"]["totalCount"], 1);
    assert_eq!(d["billy"]["related"]["totalCount"], 0);
    assert_eq!(ids(&d["renos"]["invoices"]["nodes"], "id"), set(&["i-a"]));
    assert_eq!(
        d["renos"]["invoices"]["nodes"][0]["billyOrganization"]["users"]["totalCount"],
        2
    );
    assert_eq!(
        ids(&d["renos"]["notifications"]["nodes"], "id"),
        set(&["n-a"])
    );
    assert_eq!(
        d["renos"]["customers"]["totalCount"], 0,
        "not tenant-scoped"
    );
    assert_eq!(d["renos"]["customersAggregate"][0]["count"], 0);

    // Staff see both tenants.
    for role in [Role::Service, Role::Admin] {
        let (_, body) = post(
            &app.client_as(role),
            &app,
            "{ billy { organizations { totalCount } } renos { customers { totalCount } } }",
        )
        .await;
        assert_eq!(body["data"]["billy"]["organizations"]["totalCount"], 2);
        assert_eq!(body["data"]["renos"]["customers"]["totalCount"], 1);
    }
}

#[tokio::test]
async fn no_response_contains_an_api_key_or_its_ciphertext() {
    let t = two_tenants().await;
    let app = spawn_app(&t).await;
    let queries = [
        "{ billy { organizations { nodes { id name billyOrganizationId settings isActive apiKeyRotatedAt createdAt updatedAt } } } }",
        "{ billy { organizationsAggregate(groupBy: NAME) { group count min { name } max { name } } } }",
        "{ billy { users { nodes { organization { id name } } } } }",
        "{ billy { organizations(filter: { name: { like: \"%\" } }) { edges { cursor node { id } } } } }",
        "{ billy { organizations { nodes { billyApiKey } } } }",
        "{ __type(name: \"BillyOrganization\") { fields { name } } }",
    ];
    for q in queries {
        for client in [&app.client, &app.client_as(Role::Admin)] {
            let res = client
                .post(app.url("/graphql"))
                .json(&json!({ "query": q }))
                .send()
                .await
                .unwrap();
            let text = res.text().await.unwrap();
            for secret in [
                CIPHERTEXT_A,
                CIPHERTEXT_B,
                "v2:k1",
                "billyApiKey\":\"",
                "billy_api_key",
            ] {
                assert!(!text.contains(secret), "{q} leaked {secret}: {text}");
            }
        }
    }
}

#[tokio::test]
async fn row_level_security_holds_without_the_api() {
    let t = two_tenants().await;
    let api_db = connect(&t.api_url(), 2).await.unwrap();
    let count = |sql: &'static str| {
        let db = api_db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    // No role set: nothing is visible to the API's login role.
    assert_eq!(count("SELECT count(*) FROM billy.organizations").await, 0);
    assert_eq!(count("SELECT count(*) FROM renos.customers").await, 0);

    // A user of organisation A, set as the API sets it.
    let who = Principal {
        role: Role::User,
        subject: "t".into(),
        billy_organization_id: Some(org_a()),
        renos_organization_id: RenosOrgId::parse("renos-a"),
    };
    let txn = session::begin(&api_db, Kind::Mutation, &who, 5000)
        .await
        .unwrap();
    let n = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let visible = txn
        .query_one_raw(n("SELECT count(*) FROM billy.users"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(visible, 2);
    let moved = txn
        .execute_raw(n(&format!(
            "UPDATE billy.users SET organization_id = '{ORG_B}' WHERE email = 'a1@a.dk'"
        )))
        .await;
    assert!(
        moved.is_err(),
        "WITH CHECK forbids moving a row to another tenant"
    );
    txn.rollback().await.unwrap();

    let txn = session::begin(&api_db, Kind::Mutation, &who, 5000)
        .await
        .unwrap();
    let hidden = txn
        .execute_raw(n(
            "UPDATE billy.users SET role = 'admin' WHERE email = 'b1@b.dk'",
        ))
        .await
        .unwrap();
    assert_eq!(hidden.rows_affected(), 0, "B's rows cannot be updated");
    let foreign = txn
        .execute_raw(n(&format!(
            "INSERT INTO billy.users (email, organization_id) VALUES ('x@b.dk', '{ORG_B}')"
        )))
        .await;
    assert!(foreign.is_err(), "cannot insert into another tenant");
    txn.rollback().await.unwrap();

    // The settings end with the transaction (SET LOCAL semantics).
    assert_eq!(count("SELECT count(*) FROM billy.users").await, 0);
    let role = api_db
        .query_one_raw(n(
            "SELECT coalesce(current_setting('tekup.role', true), '')",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(role, "");
}

#[tokio::test]
async fn the_statement_timeout_is_set_per_request() {
    let t = TestDb::new().await;
    let api_db = connect(&t.api_url(), 1).await.unwrap();
    let who = Principal::staff(Role::Service, "t");
    let txn = session::begin(&api_db, Kind::Query, &who, 50)
        .await
        .unwrap();
    let slow = txn
        .execute_unprepared("SELECT pg_sleep(0.5)")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(slow.contains("statement timeout"), "{slow}");
    txn.rollback().await.unwrap();
    let txn = api_db.begin().await.unwrap();
    txn.execute_unprepared("SELECT pg_sleep(0.1)")
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn policies_cover_every_table_and_match_the_tenancy_list() {
    let t = TestDb::new().await;
    let rows = t
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT n.nspname || '.' || c.relname AS t, c.relrowsecurity AS rls,
                    (SELECT string_agg(p.polname, ',' ORDER BY p.polname) FROM pg_policy p
                     WHERE p.polrelid = c.oid) AS policies,
                    (SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
                     WHERE p.polrelid = c.oid AND p.polname = 'tekup_tenant') AS qual
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('vault','billy','renos','crm','flow','shared') AND c.relkind = 'r'",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 82);
    let mut tenant_tables = BTreeSet::new();
    for row in rows {
        let table: String = row.try_get("", "t").unwrap();
        let rls: bool = row.try_get("", "rls").unwrap();
        let policies: Option<String> = row.try_get("", "policies").unwrap();
        let qual: Option<String> = row.try_get("", "qual").unwrap();
        assert!(rls, "{table} has no row-level security");
        let policies = policies.unwrap_or_default();
        assert!(
            policies.contains("tekup_tenant") != policies.contains("tekup_staff"),
            "{table}: {policies}"
        );
        if let Some(qual) = qual {
            tenant_tables.insert((table, qual));
        }
    }
    let expected: BTreeSet<(String, String)> = TENANT_TABLES
        .iter()
        .map(|(s, n, c, tenant)| {
            let f = match tenant {
                Tenant::Billy => "billy_organization_id",
                Tenant::Renos => "renos_organization_id",
            };
            (
                format!("{s}.{n}"),
                format!("(( SELECT access.is_staff() AS is_staff) OR ({c} = ( SELECT access.{f}() AS {f})))"),
            )
        })
        .collect();
    assert_eq!(tenant_tables, expected);
}

#[tokio::test]
async fn limits_body_size_get_mutations_and_introspection() {
    let t = TestDb::new().await;
    let limits = Limits {
        max_body_bytes: 2048,
        statement_timeout_ms: 5000,
        introspection: false,
    };
    let app = spawn_app_with(&t, limits, Services::default()).await;
    let big = format!("{{ __typename {} }}", " ".repeat(4096));
    let (status, body) = post(&app.client, &app, &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body), "PAYLOAD_TOO_LARGE");

    let (status, body) = post(&app.client, &app, "{ __schema { types { name } } }").await;
    assert_eq!(status, 200);
    assert!(body["errors"].is_array(), "{body}");
    assert!(
        body.get("data")
            .is_none_or(|d| d.get("__schema").is_none_or(Value::is_null))
    );

    let res = app
        .client
        .get(app.url("/graphql?query=mutation%20%7B__typename%7D"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "METHOD_NOT_ALLOWED");

    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "BAD_REQUEST");

    // The same server with introspection on answers it.
    let open = spawn_app(&t).await;
    let (_, body) = post(&open.client, &open, "{ __schema { queryType { name } } }").await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn organisations_show_whether_a_key_is_set_never_the_key() {
    let t = two_tenants().await;
    t.exec(&format!(
        "UPDATE billy.organizations SET billy_api_key = '' WHERE id = '{ORG_B}'"
    ))
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    let (_, body) = post(
        &app.client,
        &app,
        r#"{ billy {
              organizations(orderBy: [{ field: NAME }]) { nodes { name hasApiKey apiKeyRotatedAt } }
              withKey: organizations(filter: { hasApiKey: { eq: true } }) { totalCount nodes { id } } } }"#,
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let nodes = &body["data"]["billy"]["organizations"]["nodes"];
    assert_eq!(nodes[0]["name"], "Org A");
    assert_eq!(nodes[0]["hasApiKey"], true);
    assert_eq!(nodes[1]["hasApiKey"], false);
    assert!(nodes[0]["apiKeyRotatedAt"].is_string());
    assert_eq!(body["data"]["billy"]["withKey"]["totalCount"], 1);
    assert_eq!(
        ids(&body["data"]["billy"]["withKey"]["nodes"], "id"),
        set(&[ORG_A])
    );
    assert!(!body.to_string().contains(CIPHERTEXT_A));
}
