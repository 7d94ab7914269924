//! `service::write`, the model-driven write engine, against PostgreSQL: insert, update,
//! delete and upsert round trips on tables of different shapes (generated text ids, uuid
//! ids, a composite key, enums, jsonb, text[], numeric, bigint, date, time, timestamptz),
//! every validation problem reported at once with nothing written, database errors mapped
//! to codes, and secrets refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::DateTime;
use sea_orm::TransactionTrait;
use serde_json::{Map, Value as Json, json};
use service::ErrorCode;
use service::read::catalog;
use service::write::{self, delete, insert, update, upsert};
use tests::TestDb;
use tests::counts::count;
use tests::errors::{assert_conflict, assert_not_found, code, invalid_fields};

fn obj(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The field names of a validation error, sorted.
fn sorted_fields<T: std::fmt::Debug>(r: service::Result<T>) -> Vec<String> {
    let mut f = invalid_fields(r);
    f.sort();
    f
}

const ORG: &str = "0e0e0e0e-0000-4000-8000-000000000001";

/// A Billy organisation (its API key is a secret: not writable through the engine).
async fn org(t: &TestDb) {
    t.exec(&format!(
        "INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id)
         VALUES ('{ORG}', 'Org', 'sealed', 'b-1')"
    ))
    .await
    .unwrap();
}

// ---------------------------------------------------------------- round trips

#[tokio::test]
async fn text_id_is_generated_and_the_row_round_trips() {
    let t = TestDb::new().await;
    let row = insert(
        &t.db,
        "renos.customers",
        obj(json!({
            "name": "Alpha ApS",
            "email": "a@alpha.dk",
            "tags": ["vip", "new"],
            "total_revenue": 1250.5,
            "last_contact_at": "2024-05-01T10:00:00+02:00",
        })),
    )
    .await
    .unwrap();
    let id = row["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() >= 20 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    assert_eq!(row["name"], "Alpha ApS");
    assert_eq!(row["tags"], json!(["vip", "new"]));
    assert_eq!(row["total_revenue"], json!(1250.5));
    assert_eq!(row["status"], "active", "database default");
    assert_eq!(row["total_bookings"], 0);
    let at = DateTime::parse_from_rfc3339(row["last_contact_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        at,
        DateTime::parse_from_rfc3339("2024-05-01T08:00:00Z").unwrap()
    );
    assert!(row["created_at"].is_string() && row["updated_at"].is_string());
    // Stored as returned.
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.customers WHERE id = '{id}' AND tags = '{{vip,new}}' \
                 AND total_revenue = 1250.5 AND last_contact_at = '2024-05-01T08:00:00Z'"
            )
        )
        .await,
        1
    );
    // A second insert gets another id.
    let other = insert(&t.db, "renos.customers", obj(json!({ "name": "Beta" })))
        .await
        .unwrap();
    assert_ne!(other["id"], row["id"]);

    let key = obj(json!({ "id": id }));
    let updated = update(
        &t.db,
        "renos.customers",
        key.clone(),
        obj(json!({ "name": "Alpha A/S", "email": null, "tags": [] })),
    )
    .await
    .unwrap();
    assert_eq!(updated["id"], json!(id));
    assert_eq!(updated["name"], "Alpha A/S");
    assert!(updated["email"].is_null());
    assert_eq!(updated["tags"], json!([]));
    assert_eq!(
        updated["total_revenue"],
        json!(1250.5),
        "untouched column kept"
    );
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.customers WHERE id = '{id}' AND email IS NULL \
                 AND name = 'Alpha A/S' AND updated_at >= created_at"
            )
        )
        .await,
        1
    );

    let deleted = delete(&t.db, "renos.customers", key.clone()).await.unwrap();
    assert_eq!(deleted["name"], "Alpha A/S");
    assert_eq!(
        count(
            &t,
            &format!("SELECT count(*) FROM renos.customers WHERE id = '{id}'")
        )
        .await,
        0
    );
    assert_not_found(delete(&t.db, "renos.customers", key.clone()).await);
    assert_not_found(update(&t.db, "renos.customers", key, obj(json!({ "name": "x" }))).await);
}

#[tokio::test]
async fn uuid_id_from_the_database_or_given() {
    let t = TestDb::new().await;
    let a = insert(
        &t.db,
        "shared.users",
        obj(json!({ "email": "ann@x.dk", "name": "Ann" })),
    )
    .await
    .unwrap();
    assert!(uuid::Uuid::parse_str(a["id"].as_str().unwrap()).is_ok());
    let given = "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE";
    let b = insert(
        &t.db,
        "shared.users",
        obj(json!({ "id": given, "email": "bob@x.dk", "name": "Bob" })),
    )
    .await
    .unwrap();
    assert_eq!(b["id"], given.to_lowercase());
    let u = update(
        &t.db,
        "shared.users",
        obj(json!({ "id": given })),
        obj(json!({ "name": "Robert" })),
    )
    .await
    .unwrap();
    assert_eq!(u["name"], "Robert");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM shared.users WHERE name = 'Robert'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn composite_key_rows() {
    let t = TestDb::new().await;
    let doc = insert(
        &t.db,
        "vault.documents",
        obj(json!({
            "source": "github", "repository": "tekup/db", "path": "README.md",
            "content": "hello", "metadata": { "lang": "en", "tags": [1, 2] },
        })),
    )
    .await
    .unwrap();
    assert_eq!(doc["metadata"], json!({ "lang": "en", "tags": [1, 2] }));
    let doc_id = doc["id"].as_str().unwrap();
    let key = json!({
        "document_id": doc_id, "entity_schema": "renos",
        "entity_table": "customers", "entity_id": "c1",
    });
    let link = insert(&t.db, "vault.document_links", obj(key.clone()))
        .await
        .unwrap();
    assert_eq!(link["relation"], "about", "database default");
    assert_eq!(link["entity_id"], "c1");

    let changed = update(
        &t.db,
        "vault.document_links",
        obj(key.clone()),
        obj(json!({ "relation": "mentions" })),
    )
    .await
    .unwrap();
    assert_eq!(changed["relation"], "mentions");

    // Every key column is needed, and nothing else.
    let mut partial = obj(key.clone());
    partial.remove("entity_id");
    partial.insert("relation".into(), json!("about"));
    assert_eq!(
        sorted_fields(delete(&t.db, "vault.document_links", partial).await),
        strings(&["key.entity_id", "key.relation"])
    );
    // A key column in the patch is refused.
    assert_eq!(
        sorted_fields(
            update(
                &t.db,
                "vault.document_links",
                obj(key.clone()),
                obj(json!({ "entity_id": "c2" }))
            )
            .await
        ),
        strings(&["entity_id"])
    );
    // A missing composite key on insert names every missing column.
    assert_eq!(
        sorted_fields(
            insert(
                &t.db,
                "vault.document_links",
                obj(json!({ "document_id": doc_id }))
            )
            .await
        ),
        strings(&["entity_id", "entity_schema", "entity_table"])
    );

    let gone = delete(&t.db, "vault.document_links", obj(key.clone()))
        .await
        .unwrap();
    assert_eq!(gone["relation"], "mentions");
    assert_eq!(
        count(&t, "SELECT count(*) FROM vault.document_links").await,
        0
    );
    assert_not_found(delete(&t.db, "vault.document_links", obj(key)).await);
}

#[tokio::test]
async fn enums_jsonb_and_text_arrays() {
    let t = TestDb::new().await;
    let lead = insert(
        &t.db,
        "renos.leads",
        obj(json!({
            "name": "Lead",
            "status": "qualified",
            "priority": "high",
            "preferred_dates": ["2024-06-01", "2024-06-02"],
            "enrichment_data": { "cvr": "12345678", "nested": { "a": [true, null] } },
            "square_meters": 85.5,
            "rooms": 4,
        })),
    )
    .await
    .unwrap();
    assert_eq!(lead["status"], "qualified");
    assert_eq!(lead["priority"], "high");
    assert_eq!(lead["preferred_dates"], json!(["2024-06-01", "2024-06-02"]));
    assert_eq!(
        lead["enrichment_data"],
        json!({ "cvr": "12345678", "nested": { "a": [true, null] } })
    );
    assert_eq!(lead["square_meters"], json!(85.5));
    assert_eq!(lead["rooms"], 4);
    assert_eq!(lead["follow_up_attempts"], 0);
    let id = lead["id"].as_str().unwrap();
    assert_eq!(
        sorted_fields(
            update(
                &t.db,
                "renos.leads",
                obj(json!({ "id": id })),
                obj(json!({ "status": "QUALIFIED", "priority": "urgent" }))
            )
            .await
        ),
        strings(&["priority", "status"])
    );
    let lead = update(
        &t.db,
        "renos.leads",
        obj(json!({ "id": id })),
        obj(json!({ "status": "lost", "enrichment_data": null, "priority": null })),
    )
    .await
    .unwrap();
    assert_eq!(lead["status"], "lost");
    assert!(lead["enrichment_data"].is_null());
    assert!(lead["priority"].is_null());
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.leads WHERE id = '{id}' AND status = 'lost' \
                 AND enrichment_data IS NULL"
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn numeric_bigint_smallint_date_and_time() {
    let t = TestDb::new().await;
    org(&t).await;
    let m = insert(
        &t.db,
        "billy.usage_metrics",
        obj(json!({
            "organization_id": ORG, "date": "2024-05-01", "hour": 13, "tool_name": "invoices",
            "cache_hit_rate": "99.5", "duration_total_ms": "5000000000",
            "duration_count": 3,
        })),
    )
    .await
    .unwrap();
    assert_eq!(m["cache_hit_rate"], "99.50", "numeric as exact text");
    assert_eq!(m["duration_total_ms"], json!(5_000_000_000_i64));
    assert_eq!(m["date"], "2024-05-01");
    assert_eq!(m["hour"], 13);
    assert_eq!(m["call_count"], 0);
    // Sizes are checked before SQL: numeric(5,2) holds < 1000; smallint; bad date.
    assert_eq!(
        sorted_fields(
            insert(
                &t.db,
                "billy.usage_metrics",
                obj(json!({
                    "organization_id": ORG, "date": "2024-02-30", "hour": 40000,
                    "tool_name": "x", "cache_hit_rate": 999.995,
                })),
            )
            .await
        ),
        strings(&["cache_hit_rate", "date", "hour"])
    );
    // 999.994 rounds to 999.99 (as PostgreSQL rounds) and fits.
    let ok = insert(
        &t.db,
        "billy.usage_metrics",
        obj(json!({
            "organization_id": ORG, "date": "2024-05-01", "hour": 14, "tool_name": "x",
            "cache_hit_rate": 999.994,
        })),
    )
    .await
    .unwrap();
    assert_eq!(ok["cache_hit_rate"], "999.99");
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.usage_metrics").await,
        2,
        "the rejected insert wrote nothing"
    );

    t.exec(
        "INSERT INTO renos.subcontractors (id, company_name, contact_name, email, phone)
         VALUES ('5ab0c000-0000-4000-8000-000000000001', 'Sub ApS', 'Sub', 's@x.dk', '+45')",
    )
    .await
    .unwrap();
    let avail = insert(
        &t.db,
        "renos.subcontractor_availability",
        obj(json!({
            "subcontractor_id": "5ab0c000-0000-4000-8000-000000000001",
            "date": "2024-07-01", "start_time": "08:30", "end_time": "16:15:30",
        })),
    )
    .await
    .unwrap();
    assert_eq!(avail["start_time"], "08:30:00");
    assert_eq!(avail["end_time"], "16:15:30");
    assert_eq!(avail["is_available"], true);
}

// ---------------------------------------------------------------- upsert

#[tokio::test]
async fn upsert_on_a_unique_constraint_and_on_the_primary_key() {
    let t = TestDb::new().await;
    let email = strings(&["email"]);
    let first = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "email": "u@x.dk", "name": "First", "phone": "1" })),
        &email,
    )
    .await
    .unwrap();
    let second = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "email": "u@x.dk", "name": "Second" })),
        &email,
    )
    .await
    .unwrap();
    assert_eq!(second["id"], first["id"], "same row, id kept");
    assert_eq!(second["name"], "Second");
    assert_eq!(second["phone"], "1", "columns not given are kept");
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 1);

    // Default target: the primary key, which must then be given.
    let id = first["id"].as_str().unwrap();
    let third = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "id": id, "name": "Third", "email": "u@x.dk" })),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(third["name"], "Third");
    let fresh = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "id": "my-own-id", "name": "Fresh" })),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(fresh["id"], "my-own-id");
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 2);
    // Only the conflict columns given: the existing row comes back unchanged.
    let same = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "id": "my-own-id", "name": "Fresh" })),
        &strings(&["id"]),
    )
    .await
    .unwrap();
    assert_eq!(same["name"], "Fresh");

    // Composite unique target, columns in any order.
    org(&t).await;
    let target = strings(&["tool_name", "hour", "date", "organization_id"]);
    let metric = |calls: i64| {
        obj(json!({
            "organization_id": ORG, "date": "2024-05-01", "hour": 9,
            "tool_name": "invoices", "call_count": calls,
        }))
    };
    upsert(&t.db, "billy.usage_metrics", metric(1), &target)
        .await
        .unwrap();
    let m = upsert(&t.db, "billy.usage_metrics", metric(7), &target)
        .await
        .unwrap();
    assert_eq!(m["call_count"], 7);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.usage_metrics WHERE call_count = 7"
        )
        .await,
        1
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.usage_metrics").await,
        1
    );
}

#[tokio::test]
async fn upsert_rejects_other_targets_and_missing_target_values() {
    let t = TestDb::new().await;
    let r = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "name": "X", "email": "x@x.dk" })),
        &strings(&["name"]),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["on_conflict"]));
    let r = upsert(
        &t.db,
        "renos.customers",
        obj(json!({ "name": "X", "phone": "1" })),
        &strings(&["email"]),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["email"]));
    let r = upsert(&t.db, "renos.customers", obj(json!({ "name": "X" })), &[]).await;
    assert_eq!(sorted_fields(r), strings(&["id"]));
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 0);
    // A conflict on another unique constraint than the target is a conflict.
    insert(
        &t.db,
        "renos.customers",
        obj(json!({ "id": "c1", "name": "A", "email": "a@x.dk" })),
    )
    .await
    .unwrap();
    assert_conflict(
        upsert(
            &t.db,
            "renos.customers",
            obj(json!({ "id": "c2", "name": "B", "email": "a@x.dk" })),
            &strings(&["id"]),
        )
        .await,
    );
}

// ---------------------------------------------------------------- validation

#[tokio::test]
async fn every_problem_is_reported_at_once_and_nothing_is_written() {
    let t = TestDb::new().await;
    let r = insert(
        &t.db,
        "renos.leads",
        obj(json!({
            "nope": 1,
            "status": "bogus",
            "rooms": "many",
            "square_meters": "big",
            "created_at": "yesterday",
            "preferred_dates": null,
            "enrichment_data": { "bad": "nul\u{0}" },
            "idempotency_key": 7,
            "assigned_user_id": "not-a-uuid",
            "follow_up_attempts": 2.5,
        })),
    )
    .await;
    assert_eq!(
        sorted_fields(r),
        strings(&[
            "assigned_user_id",
            "created_at",
            "enrichment_data",
            "follow_up_attempts",
            "idempotency_key",
            "nope",
            "preferred_dates",
            "rooms",
            "square_meters",
            "status",
        ])
    );
    // Required columns (NOT NULL without default) on insert, with the bad ones.
    let r = insert(
        &t.db,
        "vault.documents",
        obj(json!({ "repository": "r".repeat(256), "sha": null })),
    )
    .await;
    assert_eq!(
        sorted_fields(r),
        strings(&["content", "path", "repository", "source"])
    );
    // Update: NOT NULL columns cannot become null; an empty patch; a bad key.
    let r = update(
        &t.db,
        "renos.customers",
        obj(json!({ "id": "c1" })),
        obj(json!({ "name": null, "tags": null, "total_leads": "x", "email": "ok@x.dk" })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["name", "tags", "total_leads"]));
    let r = update(&t.db, "renos.customers", obj(json!({})), Map::new()).await;
    assert_eq!(sorted_fields(r), strings(&["key.id", "patch"]));
    let r = update(
        &t.db,
        "shared.users",
        obj(json!({ "id": "nope" })),
        obj(json!({ "name": "x" })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["key.id"]));
    for table in [
        "renos.leads",
        "vault.documents",
        "renos.customers",
        "shared.users",
    ] {
        assert_eq!(
            count(&t, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    // Unknown table.
    let r = insert(&t.db, "renos.nothing", obj(json!({ "a": 1 }))).await;
    assert_eq!(sorted_fields(r), strings(&["table"]));
}

#[tokio::test]
async fn secrets_and_vectors_are_not_writable() {
    let t = TestDb::new().await;
    org(&t).await;
    let r = insert(
        &t.db,
        "renos.users",
        obj(json!({ "email": "u@x.dk", "name": "U", "password_hash": "x" })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["password_hash"]));
    // Missing and not writable: still reported, and the table is not insertable here.
    let r = insert(
        &t.db,
        "billy.organizations",
        obj(json!({ "name": "O", "billy_organization_id": "b-2" })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["billy_api_key"]));
    let r = update(
        &t.db,
        "billy.organizations",
        obj(json!({ "id": ORG })),
        obj(json!({ "billy_api_key": "plain", "name": "Renamed" })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["billy_api_key"]));
    let r = update(
        &t.db,
        "vault.embeddings",
        obj(json!({ "id": ORG })),
        obj(json!({ "embedding": [0.0, 1.0] })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["embedding"]));
    let r = update(
        &t.db,
        "flow.webhooks",
        obj(json!({ "id": "w1" })),
        obj(json!({ "secret": "s" })),
    )
    .await;
    assert_eq!(sorted_fields(r), strings(&["secret"]));
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.organizations WHERE name = 'Org' AND billy_api_key = 'sealed'"
        )
        .await,
        1
    );
    // Non-secret columns of such tables are writable; the secret never comes back.
    let o = update(
        &t.db,
        "billy.organizations",
        obj(json!({ "id": ORG })),
        obj(json!({ "name": "Renamed" })),
    )
    .await
    .unwrap();
    assert_eq!(o["name"], "Renamed");
    assert!(o.get("billy_api_key").is_none());
    let cat = catalog().unwrap();
    let insertable = |k: &str| write::insertable(cat.table(k).unwrap()).unwrap();
    assert!(!insertable("billy.organizations"));
    assert!(!insertable("renos.users"));
    assert!(!insertable("vault.embeddings"));
    assert!(insertable("flow.webhooks"), "its secret is nullable");
    assert!(insertable("renos.customers"));
    let required = |k: &str, c: &str| write::required_on_insert(cat.table(k).unwrap(), c).unwrap();
    assert!(required("renos.customers", "name"));
    assert!(!required("renos.customers", "id"), "generated cuid");
    assert!(!required("renos.customers", "status"), "database default");
    assert!(!required("renos.customers", "email"), "nullable");
    assert!(
        required("vault.document_links", "entity_id"),
        "composite key"
    );
}

// ---------------------------------------------------------------- database errors

#[tokio::test]
async fn unique_conflict_and_foreign_key_violation() {
    let t = TestDb::new().await;
    insert(
        &t.db,
        "renos.customers",
        obj(json!({ "name": "A", "email": "a@x.dk" })),
    )
    .await
    .unwrap();
    let dup = insert(
        &t.db,
        "renos.customers",
        obj(json!({ "name": "B", "email": "a@x.dk" })),
    )
    .await;
    assert_eq!(code(dup), ErrorCode::Conflict);
    let fk = insert(
        &t.db,
        "renos.leads",
        obj(json!({ "name": "L", "customer_id": "nope" })),
    )
    .await;
    let fields = invalid_fields(fk);
    assert_eq!(fields.len(), 1);
    assert!(fields[0].contains("customer_id"), "{fields:?}");
    // Deleting a row that is still referenced (escalations → leads: ON DELETE RESTRICT).
    let lead = insert(&t.db, "renos.leads", obj(json!({ "name": "L" })))
        .await
        .unwrap();
    let esc = insert(
        &t.db,
        "renos.escalations",
        obj(json!({
            "lead_id": lead["id"], "customer_email": "c@x.dk", "thread_id": "t1",
            "severity": "high", "conflict_score": 80, "email_snippet": "…",
            "escalated_by": "system",
        })),
    )
    .await
    .unwrap();
    assert_eq!(esc["severity"], "high");
    let del = delete(&t.db, "renos.leads", obj(json!({ "id": lead["id"] }))).await;
    let fields = invalid_fields(del);
    assert!(
        fields.len() == 1 && fields[0].contains("lead_id"),
        "{fields:?}"
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM renos.leads").await,
        1,
        "the referenced lead is still there"
    );
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 1);
}

#[tokio::test]
async fn runs_in_the_callers_transaction_and_binds_every_value() {
    let t = TestDb::new().await;
    let txn = t.db.begin().await.unwrap();
    let evil = "x'); DELETE FROM renos.customers; --";
    let row = insert(
        &txn,
        "renos.customers",
        obj(json!({ "name": evil, "notes": "\"quoted\" \\ back" })),
    )
    .await
    .unwrap();
    assert_eq!(row["name"], evil);
    assert_eq!(row["notes"], "\"quoted\" \\ back");
    let r = insert(
        &txn,
        "renos.customers",
        obj(json!({ "name": "ok", "name\"; DROP TABLE renos.customers; --": 1 })),
    )
    .await;
    assert_eq!(
        sorted_fields(r),
        strings(&["name\"; DROP TABLE renos.customers; --"])
    );
    txn.rollback().await.unwrap();
    assert_eq!(
        count(&t, "SELECT count(*) FROM renos.customers").await,
        0,
        "rolled back with the caller's transaction"
    );
}
