//! The business operations over HTTP (`api/src/graphql/mutation/ops/`): lead scoring and
//! conversion, the booking timer, invoices with lines and VAT, GDPR export and erasure,
//! vault documents and embeddings, Billy API keys (never in a response), Billy caches,
//! rate limits and usage per tenant, permissions, and rollback of failed requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use api::app::Limits;
use api::auth::Role;
use api::graphql::Services;
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use service::billy::crypto::Keyring;
use service::billy::organizations::reveal_api_key;
use tests::TestDb;
use tests::counts::count;
use tests::spawn_app::{TestApp, spawn_app, spawn_app_with};
use uuid::Uuid;

const ORG_A: &str = "0a0a0a0a-0000-4000-8000-00000000000a";
const ORG_B: &str = "0b0b0b0b-0000-4000-8000-00000000000b";
const K1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const K2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

async fn post(client: &reqwest::Client, app: &TestApp, query: &str) -> Value {
    let res = client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The response body as the service role.
async fn gql(app: &TestApp, query: &str) -> Value {
    post(&app.client, app, query).await
}

/// The data of a response without errors.
fn ok(body: Value) -> Value {
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

/// The code and the sorted field names of the only error of a response.
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

fn code(body: &Value) -> String {
    error(body).0
}

fn iso(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn keyring(current: &str, keys: &[(&str, &str)]) -> Keyring {
    Keyring::new(current, keys.iter().copied(), None).unwrap()
}

async fn app_with_keyring(t: &TestDb, k: Keyring) -> TestApp {
    spawn_app_with(
        t,
        Limits::default(),
        Services {
            keyring: Some(Arc::new(k)),
            ..Services::default()
        },
    )
    .await
}

/// A 1536-number embedding with the given head, zeros after.
fn vector(head: &[f64]) -> Value {
    let mut v = vec![0.0; 1536];
    v[..head.len()].copy_from_slice(head);
    json!(v)
}

// ---------------------------------------------------------------------------------------
// RenOS leads

#[tokio::test]
async fn lead_scoring_is_persisted_and_returned() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.leads (id, name, email, phone, company_name, estimated_value, status, created_at)
         VALUES ('lead-hot', 'Hanne Hansen', 'hanne@firma.dk', '+4512345678', 'Firma ApS', 25000, 'new', now()),
                ('lead-cold', NULL, NULL, NULL, NULL, NULL, 'contacted', now() - interval '60 days'),
                ('lead-lost', 'Lost', 'l@x.dk', NULL, NULL, NULL, 'lost', now())",
    )
    .await
    .unwrap();
    let app = spawn_app(&t).await;

    let d = ok(gql(
        &app,
        r#"mutation { renos { scoreLead(id: "lead-hot") {
            score tier recommendation confidence conversionProbability strengths
            responseSpeed contactQuality serviceValue engagement dataAvailability
            lead { id score priority lastScored scoreMetadata } } } }"#,
    )
    .await);
    let r = &d["renos"]["scoreLead"];
    let score = r["score"].as_i64().unwrap();
    assert!((0..=100).contains(&score));
    assert_eq!(
        score,
        [
            "responseSpeed",
            "contactQuality",
            "serviceValue",
            "engagement"
        ]
        .iter()
        .map(|k| r[*k].as_i64().unwrap())
        .sum::<i64>()
    );
    let tier = match score {
        75.. => "HOT",
        50..=74 => "WARM",
        _ => "COLD",
    };
    assert_eq!(r["tier"], tier);
    assert!(!r["recommendation"].as_str().unwrap().is_empty());
    // The returned lead is the stored row, re-read after scoring.
    assert_eq!(r["lead"]["id"], "lead-hot");
    assert_eq!(r["lead"]["score"], score);
    assert!(r["lead"]["lastScored"].is_string());
    assert_eq!(
        r["lead"]["scoreMetadata"]["tier"].as_str().unwrap(),
        tier.to_lowercase()
    );
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.leads WHERE id = 'lead-hot' AND score = {score}
                 AND last_scored IS NOT NULL AND score_metadata IS NOT NULL"
            )
        )
        .await,
        1
    );

    // The batch scores the two open leads, not the lost one.
    let d = ok(gql(
        &app,
        "mutation { renos { scoreLeads { total hot warm cold } } }",
    )
    .await);
    let s = &d["renos"]["scoreLeads"];
    assert_eq!(s["total"], 2);
    assert_eq!(
        s["hot"].as_i64().unwrap() + s["warm"].as_i64().unwrap() + s["cold"].as_i64().unwrap(),
        2
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.leads WHERE last_scored IS NOT NULL"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.leads WHERE id = 'lead-lost' AND last_scored IS NULL"
        )
        .await,
        1
    );

    // Unknown lead: NOT_FOUND.
    let body = gql(
        &app,
        r#"mutation { renos { scoreLead(id: "nope") { score } } }"#,
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn lead_conversion_creates_one_customer_and_is_idempotent() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.leads (id, name, email, phone, status)
         VALUES ('lead-1', 'Jens Jensen', 'Jens@Example.dk', '+4511111111', 'qualified'),
                ('lead-lost', 'Lost Lead', 'lost@example.dk', NULL, 'lost')",
    )
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    let q = r#"mutation { renos { convertLead(id: "lead-1") {
        createdCustomer lead { id status customerId } customer { id name email leads { totalCount } } } } }"#;

    let d = ok(gql(&app, q).await);
    let c = &d["renos"]["convertLead"];
    assert_eq!(c["createdCustomer"], true);
    assert_eq!(c["lead"]["status"], "CONVERTED");
    let customer = c["customer"]["id"].as_str().unwrap().to_owned();
    assert_eq!(c["lead"]["customerId"], customer.as_str());
    assert_eq!(c["customer"]["name"], "Jens Jensen");
    assert_eq!(c["customer"]["email"], "jens@example.dk");
    assert_eq!(c["customer"]["leads"]["totalCount"], 1);

    // Again: the same customer, nothing new.
    let d = ok(gql(&app, q).await);
    let c = &d["renos"]["convertLead"];
    assert_eq!(c["createdCustomer"], false);
    assert_eq!(c["customer"]["id"], customer.as_str());
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 1);
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.leads WHERE id = 'lead-1' AND status = 'converted'
                 AND customer_id = '{customer}'"
            )
        )
        .await,
        1
    );

    let body = gql(
        &app,
        r#"mutation { renos { convertLead(id: "lead-lost") { createdCustomer } } }"#,
    )
    .await;
    assert_eq!(code(&body), "CONFLICT");
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 1);
}

// ---------------------------------------------------------------------------------------
// Bookings

#[tokio::test]
async fn booking_timer_start_pause_resume_stop() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.bookings (id, estimated_duration, status) VALUES ('b-1', 120, 'confirmed')",
    )
    .await
    .unwrap();
    let app = spawn_app(&t).await;
    let t0 = Utc::now() - Duration::hours(3);
    let at = |mins: i64| iso(t0 + Duration::minutes(mins));

    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ startBookingTimer(bookingId: "b-1", at: "{}") {{
                id timerStatus status actualStartTime }} }} }}"#,
            at(0)
        ),
    )
    .await);
    let b = &d["renos"]["startBookingTimer"];
    assert_eq!(b["timerStatus"], "RUNNING");
    assert_eq!(b["status"], "CONFIRMED");
    assert!(b["actualStartTime"].is_string());

    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ pauseBookingTimer(bookingId: "b-1", at: "{}", reason: LUNCH, notes: "frokost") {{
                id reason notes endTime booking {{ timerStatus }} }} }} }}"#,
            at(30)
        ),
    )
    .await);
    let brk = &d["renos"]["pauseBookingTimer"];
    assert_eq!(brk["reason"], "LUNCH");
    assert_eq!(brk["notes"], "frokost");
    assert!(brk["endTime"].is_null());
    assert_eq!(brk["booking"]["timerStatus"], "PAUSED");
    let break_id = brk["id"].as_str().unwrap().to_owned();

    // Ending the break before it started is invalid (the service's `now` is `at`).
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ resumeBookingTimer(bookingId: "b-1", at: "{}") {{ id }} }} }}"#,
            at(20)
        ),
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["at".to_owned()])
    );

    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ resumeBookingTimer(bookingId: "b-1", at: "{}") {{
                id duration endTime booking {{ timerStatus }} }} }} }}"#,
            at(45)
        ),
    )
    .await);
    let brk = &d["renos"]["resumeBookingTimer"];
    assert_eq!(brk["id"], break_id.as_str());
    assert_eq!(brk["duration"], 15);
    assert!(brk["endTime"].is_string());
    assert_eq!(brk["booking"]["timerStatus"], "RUNNING");

    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ stopBookingTimer(bookingId: "b-1", at: "{}") {{
                status timerStatus actualDuration timeVariance efficiencyScore actualEndTime
                breaks {{ totalCount nodes {{ duration }} }} }} }} }}"#,
            at(130)
        ),
    )
    .await);
    let b = &d["renos"]["stopBookingTimer"];
    assert_eq!(b["status"], "COMPLETED");
    assert_eq!(b["timerStatus"], "COMPLETED");
    // 130 minutes minus the 15-minute break.
    assert_eq!(b["actualDuration"], 115);
    assert_eq!(b["timeVariance"], -5);
    let eff = b["efficiencyScore"].as_f64().unwrap();
    assert!((eff - 120.0 / 115.0).abs() < 1e-9, "{eff}");
    assert_eq!(b["breaks"]["totalCount"], 1);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.bookings WHERE id = 'b-1' AND status = 'completed'
             AND timer_status = 'completed' AND actual_duration = 115"
        )
        .await,
        1
    );

    // A completed booking cannot be paused; a bad `at` is a validation error.
    let body = gql(
        &app,
        r#"mutation { renos { pauseBookingTimer(bookingId: "b-1") { id } } }"#,
    )
    .await;
    assert_eq!(code(&body), "CONFLICT");
    let body = gql(
        &app,
        r#"mutation { renos { startBookingTimer(bookingId: "b-1", at: "yesterday") { id } } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["at".to_owned()])
    );
    assert_eq!(count(&t, "SELECT count(*) FROM renos.breaks").await, 1);
}

// ---------------------------------------------------------------------------------------
// Invoices

#[tokio::test]
async fn invoice_with_lines_and_vat_totals() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;
    let due = iso(Utc::now() + Duration::days(14));
    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ createInvoiceWithLines(input: {{
                invoiceNumber: "INV-2025-001", customerId: "cust-1", customerName: "Kunde ApS",
                customerEmail: "Faktura@Kunde.dk", dueDate: "{due}",
                lines: [
                  {{ description: "Rengøring", quantity: "2.5", unitPrice: "349.00" }},
                  {{ description: "Materialer", quantity: "1", unitPrice: "99.99" }}
                ] }}) {{
                id invoiceNumber status subtotal vatRate vatAmount total customerEmail
                invoiceLineItems(orderBy: [{{ field: SORT_ORDER }}]) {{
                  totalCount nodes {{ description quantity unitPrice amount sortOrder }} }} }} }} }}"#
        ),
    )
    .await);
    let inv = &d["renos"]["createInvoiceWithLines"];
    assert_eq!(inv["invoiceNumber"], "INV-2025-001");
    assert_eq!(inv["status"], "DRAFT");
    assert_eq!(inv["customerEmail"], "faktura@kunde.dk");
    // 2.5 × 349.00 = 872.50; + 99.99 = 972.49; VAT round(243.1225) = 243.12.
    assert_eq!(inv["subtotal"], json!(972.49));
    assert_eq!(inv["vatRate"].as_f64(), Some(25.0));
    assert_eq!(inv["vatAmount"], json!(243.12));
    assert_eq!(inv["total"], json!(1215.61));
    let lines = &inv["invoiceLineItems"];
    assert_eq!(lines["totalCount"], 2);
    assert_eq!(lines["nodes"][0]["amount"], json!(872.5));
    assert_eq!(lines["nodes"][0]["sortOrder"], 0);
    assert_eq!(lines["nodes"][1]["description"], "Materialer");
    assert_eq!(lines["nodes"][1]["amount"], json!(99.99));
    let id = inv["id"].as_str().unwrap();
    assert_eq!(
        count(
            &t,
            &format!("SELECT count(*) FROM renos.invoice_line_items WHERE invoice_id = '{id}'")
        )
        .await,
        2
    );

    // Unparsable and invalid lines are listed together; nothing is written.
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ createInvoiceWithLines(input: {{
                invoiceNumber: "INV-2025-002", customerId: "cust-1", customerName: "Kunde",
                dueDate: "{due}",
                lines: [ {{ description: "x", quantity: "two", unitPrice: "1" }},
                         {{ description: "y", quantity: "1", unitPrice: "bad" }} ] }}) {{ id }} }} }}"#
        ),
    )
    .await;
    assert_eq!(
        error(&body),
        (
            "VALIDATION".to_owned(),
            vec![
                "input.lines[0].quantity".to_owned(),
                "input.lines[1].unitPrice".to_owned()
            ]
        )
    );
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ createInvoiceWithLines(input: {{
                invoiceNumber: "INV-2025-003", customerId: "cust-1", customerName: "Kunde",
                dueDate: "{due}",
                lines: [ {{ description: "x", quantity: "0", unitPrice: "-1" }} ] }}) {{ id }} }} }}"#
        ),
    )
    .await;
    assert_eq!(
        error(&body),
        (
            "VALIDATION".to_owned(),
            vec![
                "input.lines[0].quantity".to_owned(),
                "input.lines[0].unitPrice".to_owned()
            ]
        )
    );
    // A taken number is a conflict.
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ createInvoiceWithLines(input: {{
                invoiceNumber: "INV-2025-001", customerId: "c", customerName: "K", dueDate: "{due}",
                lines: [ {{ description: "x", quantity: "1", unitPrice: "1" }} ] }}) {{ id }} }} }}"#
        ),
    )
    .await;
    assert_eq!(code(&body), "CONFLICT");
    assert_eq!(count(&t, "SELECT count(*) FROM renos.invoices").await, 1);
    assert_eq!(
        count(&t, "SELECT count(*) FROM renos.invoice_line_items").await,
        2
    );
}

// ---------------------------------------------------------------------------------------
// GDPR

#[tokio::test]
async fn gdpr_export_and_erasure() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.users (id, email, name, password_hash)
         VALUES ('u-1', 'ole@example.dk', 'Ole Olsen', 'hash-of-secret')",
    )
    .await
    .unwrap();
    let app = spawn_app(&t).await;

    let d = ok(gql(
        &app,
        r#"mutation { renos { requestDataExport(userId: "u-1") { id status email user { name } } } }"#,
    )
    .await);
    let req = &d["renos"]["requestDataExport"];
    assert_eq!(req["status"], "PENDING");
    assert_eq!(req["email"], "ole@example.dk");
    assert_eq!(req["user"]["name"], "Ole Olsen");
    let export_id = req["id"].as_str().unwrap().to_owned();
    let body = gql(
        &app,
        r#"mutation { renos { requestDataExport(userId: "u-1") { id } } }"#,
    )
    .await;
    assert_eq!(code(&body), "CONFLICT");

    let d = ok(gql(
        &app,
        &format!(r#"mutation {{ renos {{ startDataExport(id: "{export_id}") {{ status }} }} }}"#),
    )
    .await);
    assert_eq!(d["renos"]["startDataExport"]["status"], "PROCESSING");

    let expires = iso(Utc::now() + Duration::days(7));
    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ completeDataExport(id: "{export_id}",
                downloadUrl: "https://files.tekup.dk/export/1.json", expiresAt: "{expires}") {{
                status downloadUrl }} }} }}"#
        ),
    )
    .await);
    assert_eq!(d["renos"]["completeDataExport"]["status"], "COMPLETED");

    // The export document: a query field, read in the query's snapshot; staff only.
    let d = ok(gql(&app, r#"{ renos { dataExportDocument(userId: "u-1") } }"#).await);
    let doc = &d["renos"]["dataExportDocument"];
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["user"]["email"], "ole@example.dk");
    assert_eq!(doc["data_export_requests"][0]["id"], export_id.as_str());
    assert_eq!(doc["data_export_requests"][0]["status"], "completed");
    assert!(
        !doc.to_string().contains("hash-of-secret"),
        "password hash exported: {doc}"
    );
    let body = gql(
        &app,
        r#"{ renos { dataExportDocument(userId: "nobody") } }"#,
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let admin = app.client_as(Role::Admin);
    let d = ok(post(
        &admin,
        &app,
        r#"{ renos { dataExportDocument(userId: "u-1") } }"#,
    )
    .await);
    assert_eq!(
        d["renos"]["dataExportDocument"]["user"]["name"],
        "Ole Olsen"
    );
    let user = app.client_as_user(None, Some("org-1"));
    let body = post(
        &user,
        &app,
        r#"{ renos { dataExportDocument(userId: "u-1") } }"#,
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN");

    // Erasure: scheduled now, executed, the user anonymised.
    let now = iso(Utc::now());
    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ renos {{ requestDataDeletion(userId: "u-1", scheduledDeletionDate: "{now}",
                reason: "user asked") {{ id status reason }} }} }}"#
        ),
    )
    .await);
    let del = &d["renos"]["requestDataDeletion"];
    assert_eq!(del["status"], "PENDING");
    let del_id = del["id"].as_str().unwrap().to_owned();
    let d = ok(gql(
        &app,
        "mutation { renos { executeDueDeletions { completed failed } } }",
    )
    .await);
    assert_eq!(
        d["renos"]["executeDueDeletions"],
        json!({ "completed": [del_id], "failed": [] })
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.users WHERE id = 'u-1' AND email = 'deleted-u-1@deleted.invalid'
             AND name <> 'Ole Olsen' AND NOT is_active"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.data_deletion_requests WHERE status = 'completed'"
        )
        .await,
        1
    );
}

// ---------------------------------------------------------------------------------------
// Vault

#[tokio::test]
async fn document_upsert_and_embedding_found_by_semantic_search() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;
    let save = |content: &str| {
        format!(
            r#"mutation {{ vault {{ saveDocument(input: {{ source: " github ", repository: "tekup/db",
                path: "README.md", content: "{content}", metadata: {{ lang: "en" }} }}) {{
                id source content metadata embedding {{ id }} }} }} }}"#
        )
    };
    let d = ok(gql(&app, &save("first")).await);
    let doc = &d["vault"]["saveDocument"];
    assert_eq!(doc["source"], "github");
    assert_eq!(doc["content"], "first");
    assert_eq!(doc["metadata"], json!({ "lang": "en" }));
    assert!(doc["embedding"].is_null());
    let id = doc["id"].as_str().unwrap().to_owned();
    let d = ok(gql(&app, &save("second")).await);
    assert_eq!(d["vault"]["saveDocument"]["id"], id.as_str());
    assert_eq!(d["vault"]["saveDocument"]["content"], "second");
    assert_eq!(count(&t, "SELECT count(*) FROM vault.documents").await, 1);

    let v = vector(&[1.0, 0.5, 0.25]);
    let d = ok(gql(
        &app,
        &format!(
            r#"mutation {{ vault {{ setEmbedding(documentId: "{id}", embedding: {v},
                model: "text-embedding-3-small") {{ id documentId model contentHash document {{ path }} }} }} }}"#
        ),
    )
    .await);
    let e = &d["vault"]["setEmbedding"];
    assert_eq!(e["documentId"], id.as_str());
    assert_eq!(e["model"], "text-embedding-3-small");
    assert_eq!(e["contentHash"].as_str().unwrap().len(), 64);
    assert_eq!(e["document"]["path"], "README.md");
    let d = ok(gql(&app, &save("second")).await);
    assert_eq!(d["vault"]["saveDocument"]["embedding"]["id"], e["id"]);
    // The vector column never appears, in the type or in the response.
    assert!(!d.to_string().contains("0.25"));

    let d = ok(gql(
        &app,
        &format!(r#"{{ vault {{ semanticSearch(embedding: {v}, threshold: 0.5) {{ id similarity }} }} }}"#),
    )
    .await);
    let hits = d["vault"]["semanticSearch"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["id"], id.as_str());
    assert!(hits[0]["similarity"].as_f64().unwrap() > 0.99);
}

#[tokio::test]
async fn embedding_of_the_wrong_length_is_invalid_and_writes_nothing() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;
    let d = ok(gql(
        &app,
        r#"mutation { vault { saveDocument(input: { source: "github", repository: "r",
            path: "a.md", content: "a" }) { id } } }"#,
    )
    .await);
    let id = d["vault"]["saveDocument"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for bad in [json!([1.0, 2.0, 3.0]), json!(vec![0.5; 1537])] {
        let body = gql(
            &app,
            &format!(
                r#"mutation {{ vault {{ setEmbedding(documentId: "{id}", embedding: {bad}, model: "m") {{ id }} }} }}"#
            ),
        )
        .await;
        assert_eq!(
            error(&body),
            ("VALIDATION".to_owned(), vec!["embedding".to_owned()])
        );
    }
    assert_eq!(count(&t, "SELECT count(*) FROM vault.embeddings").await, 0);
    // Unknown document: NOT_FOUND; not a UUID: VALIDATION on documentId.
    let v = vector(&[1.0]);
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ vault {{ setEmbedding(documentId: "{}", embedding: {v}, model: "m") {{ id }} }} }}"#,
            Uuid::new_v4()
        ),
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ vault {{ setEmbedding(documentId: "x", embedding: {v}, model: "m") {{ id }} }} }}"#
        ),
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["documentId".to_owned()])
    );
    assert_eq!(count(&t, "SELECT count(*) FROM vault.embeddings").await, 0);
}

// ---------------------------------------------------------------------------------------
// Billy API keys

/// Asserts that a response body shows neither a plaintext key nor any ciphertext.
fn assert_no_secret(body: &Value, plaintexts: &[&str]) {
    let text = body.to_string();
    for p in plaintexts {
        assert!(!text.contains(p), "plaintext key in {text}");
    }
    assert!(!text.contains("v2:"), "ciphertext in {text}");
}

#[tokio::test]
async fn billy_keys_create_replace_rotate_never_in_a_response() {
    let t = TestDb::new().await;
    let app = app_with_keyring(&t, keyring("k1", &[("k1", K1)])).await;
    let (first, second) = ("billy-key-FIRST-0123456789", "billy-key-SECOND-9876543210");
    let keys = &[first, second];

    let body = gql(
        &app,
        &format!(
            r#"mutation {{ billy {{ createOrganization(input: {{ name: " Rengøring ApS ",
                billyOrganizationId: "billy-1", apiKey: "{first}", settings: {{ locale: "da" }} }}) {{
                hasApiKey apiKeyRotatedAt apiKeyId
                organization {{ id name billyOrganizationId settings isActive apiKeyRotatedAt }} }} }} }}"#
        ),
    )
    .await;
    assert_no_secret(&body, keys);
    let d = ok(body);
    let r = &d["billy"]["createOrganization"];
    assert_eq!(r["hasApiKey"], true);
    assert_eq!(r["apiKeyId"], "k1");
    assert_eq!(r["organization"]["name"], "Rengøring ApS");
    assert_eq!(r["organization"]["settings"], json!({ "locale": "da" }));
    let org: Uuid = r["organization"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM billy.organizations WHERE id = '{org}'
                 AND billy_api_key LIKE 'v2:k1:%' AND strpos(billy_api_key, '{first}') = 0"
            )
        )
        .await,
        1
    );
    let kr1 = keyring("k1", &[("k1", K1)]);
    assert_eq!(
        reveal_api_key(&t.db, &kr1, org).await.unwrap().expose(),
        first
    );

    // Replace: a new key, a newer rotation time, still nothing secret in the response.
    let body = gql(
        &app,
        &format!(
            r#"mutation {{ billy {{ replaceApiKey(organizationId: "{org}", apiKey: "{second}") {{
                hasApiKey apiKeyRotatedAt apiKeyId organization {{ id }} }} }} }}"#
        ),
    )
    .await;
    assert_no_secret(&body, keys);
    let d = ok(body);
    let r2 = &d["billy"]["replaceApiKey"];
    assert_eq!(r2["organization"]["id"], org.to_string());
    let before =
        chrono::DateTime::parse_from_rfc3339(r["apiKeyRotatedAt"].as_str().unwrap()).unwrap();
    let after =
        chrono::DateTime::parse_from_rfc3339(r2["apiKeyRotatedAt"].as_str().unwrap()).unwrap();
    assert!(after > before, "{before} < {after}");
    assert_eq!(
        reveal_api_key(&t.db, &kr1, org).await.unwrap().expose(),
        second
    );
    // A duplicate Billy id is a conflict; a blank key is invalid (named, not shown).
    let body = gql(
        &app,
        r#"mutation { billy { createOrganization(input: { name: "X", billyOrganizationId: "billy-1",
            apiKey: "another-key-123" }) { hasApiKey } } }"#,
    )
    .await;
    assert_eq!(code(&body), "CONFLICT");
    let body = gql(
        &app,
        r#"mutation { billy { createOrganization(input: { name: "", billyOrganizationId: "billy-2",
            apiKey: " " }) { hasApiKey } } }"#,
    )
    .await;
    let (c, fields) = error(&body);
    assert_eq!(c, "VALIDATION");
    assert!(fields.contains(&"input.name".to_owned()), "{fields:?}");
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.organizations").await,
        1
    );

    // Rotation to a new current key, served by a server with the new keyring.
    let app2 = app_with_keyring(&t, keyring("k2", &[("k1", K1), ("k2", K2)])).await;
    let q = "mutation { billy { rotateApiKeys(batchSize: 10) { rotated alreadyCurrent failed currentKeyId } } }";
    let body = gql(&app2, q).await;
    assert_no_secret(&body, keys);
    assert_eq!(
        ok(body)["billy"]["rotateApiKeys"],
        json!({ "rotated": 1, "alreadyCurrent": 0, "failed": 0, "currentKeyId": "k2" })
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.organizations WHERE billy_api_key LIKE 'v2:k2:%'"
        )
        .await,
        1
    );
    let kr2 = keyring("k2", &[("k1", K1), ("k2", K2)]);
    assert_eq!(
        reveal_api_key(&t.db, &kr2, org).await.unwrap().expose(),
        second
    );
    let body = gql(&app2, q).await;
    assert_eq!(
        ok(body)["billy"]["rotateApiKeys"],
        json!({ "rotated": 0, "alreadyCurrent": 1, "failed": 0, "currentKeyId": "k2" })
    );
}

#[tokio::test]
async fn key_operations_are_for_the_service_role_with_a_keyring() {
    let t = TestDb::new().await;
    t.exec(&format!(
        "INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id)
         VALUES ('{ORG_A}', 'A', 'sealed-a', 'b-a')"
    ))
    .await
    .unwrap();
    let app = app_with_keyring(&t, keyring("k1", &[("k1", K1)])).await;
    let admin = app.client_as(Role::Admin);
    let user = app.client_as_user(Some(Uuid::parse_str(ORG_A).unwrap()), None);
    for client in [&admin, &user] {
        let body = post(
            client,
            &app,
            "mutation { billy { rotateApiKeys { rotated } } }",
        )
        .await;
        assert_eq!(code(&body), "FORBIDDEN");
        let body = post(
            client,
            &app,
            &format!(
                r#"mutation {{ billy {{ replaceApiKey(organizationId: "{ORG_A}", apiKey: "new-key-123456") {{ hasApiKey }} }} }}"#
            ),
        )
        .await;
        assert_eq!(code(&body), "FORBIDDEN");
        let body = post(
            client,
            &app,
            r#"mutation { billy { createOrganization(input: { name: "N", billyOrganizationId: "b-n",
                apiKey: "new-key-123456" }) { hasApiKey } } }"#,
        )
        .await;
        assert_eq!(code(&body), "FORBIDDEN");
    }
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.organizations WHERE billy_api_key = 'sealed-a'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.organizations").await,
        1
    );
    assert_eq!(count(&t, "SELECT count(*) FROM billy.audit_logs").await, 0);

    // A server without a keyring: INTERNAL, the key not echoed.
    let bare = spawn_app(&t).await;
    let body = gql(
        &bare,
        &format!(
            r#"mutation {{ billy {{ replaceApiKey(organizationId: "{ORG_A}", apiKey: "new-key-123456") {{ hasApiKey }} }} }}"#
        ),
    )
    .await;
    assert_eq!(code(&body), "INTERNAL");
    assert!(!body.to_string().contains("new-key-123456"));
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.organizations WHERE billy_api_key = 'sealed-a'"
        )
        .await,
        1
    );
}

// ---------------------------------------------------------------------------------------
// Billy tenant operations

async fn two_orgs() -> TestDb {
    let t = TestDb::new().await;
    t.exec(&format!(
        "INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id)
         VALUES ('{ORG_A}', 'A', 'sealed-a', 'b-a'), ('{ORG_B}', 'B', 'sealed-b', 'b-b')"
    ))
    .await
    .unwrap();
    t
}

#[tokio::test]
async fn a_user_manages_the_cache_of_its_own_organization_only() {
    let t = two_orgs().await;
    let app = spawn_app(&t).await;
    let user_a = app.client_as_user(Some(Uuid::parse_str(ORG_A).unwrap()), None);
    let set = |org: &str| {
        format!(
            r#"mutation {{ billy {{ setCachedInvoice(organizationId: "{org}", billyId: "inv-1",
                data: {{ amount: 100, lines: [1, 2] }}, ttlSeconds: 600) {{
                id organizationId billyId data cachedAt expiresAt organization {{ name }} }} }} }}"#
        )
    };

    let d = ok(post(&user_a, &app, &set(ORG_A)).await);
    let e = &d["billy"]["setCachedInvoice"];
    assert_eq!(e["organizationId"], ORG_A);
    assert_eq!(e["billyId"], "inv-1");
    assert_eq!(e["data"], json!({ "amount": 100, "lines": [1, 2] }));
    assert_eq!(e["organization"]["name"], "A");
    let cached = chrono::DateTime::parse_from_rfc3339(e["cachedAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(e["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - cached).num_seconds(), 600);
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM billy.cached_invoices WHERE organization_id = '{ORG_A}'"
            )
        )
        .await,
        1
    );

    // Organisation B: FORBIDDEN, nothing written.
    let body = post(&user_a, &app, &set(ORG_B)).await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = post(
        &user_a,
        &app,
        &format!(
            r#"mutation {{ billy {{ invalidateCached(organizationId: "{ORG_B}", kind: INVOICES, billyId: "inv-1") }} }}"#
        ),
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = post(
        &user_a,
        &app,
        &format!(r#"mutation {{ billy {{ invalidateOrganizationCache(organizationId: "{ORG_B}") {{ invoices }} }} }}"#),
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN");
    // A user without a Billy organisation, or a bad id: FORBIDDEN too.
    let renos_user = app.client_as_user(None, Some("renos-1"));
    assert_eq!(
        code(&post(&renos_user, &app, &set(ORG_A)).await),
        "FORBIDDEN"
    );
    assert_eq!(code(&post(&user_a, &app, &set("nope")).await), "FORBIDDEN");
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM billy.cached_invoices WHERE organization_id = '{ORG_B}'"
            )
        )
        .await,
        0
    );

    // The service sets B's entry; the user of A cannot remove it but removes its own.
    ok(gql(&app, &set(ORG_B)).await);
    let d = ok(post(
        &user_a,
        &app,
        &format!(
            r#"mutation {{ billy {{ invalidateCached(organizationId: "{ORG_A}", kind: INVOICES, billyId: "inv-1") }} }}"#
        ),
    )
    .await);
    assert_eq!(d["billy"]["invalidateCached"], true);
    let d = ok(post(
        &user_a,
        &app,
        &format!(
            r#"mutation {{ billy {{ again: invalidateCached(organizationId: "{ORG_A}", kind: INVOICES, billyId: "inv-1") }} }}"#
        ),
    )
    .await);
    assert_eq!(d["billy"]["again"], false);
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_invoices").await,
        1
    );
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT count(*) FROM billy.cached_invoices WHERE organization_id = '{ORG_B}'"
            )
        )
        .await,
        1
    );

    // Whole-organisation invalidation counts per table.
    ok(post(
        &user_a,
        &app,
        &format!(
            r#"mutation {{ billy {{
                setCachedCustomer(organizationId: "{ORG_A}", billyId: "c-1", data: {{}}) {{ id }}
                setCachedProduct(organizationId: "{ORG_A}", billyId: "p-1", data: {{}}) {{ id }} }} }}"#
        ),
    )
    .await);
    let d = ok(post(
        &user_a,
        &app,
        &format!(r#"mutation {{ billy {{ invalidateOrganizationCache(organizationId: "{ORG_A}") {{ invoices customers products }} }} }}"#),
    )
    .await);
    assert_eq!(
        d["billy"]["invalidateOrganizationCache"],
        json!({ "invoices": 0, "customers": 1, "products": 1 })
    );
    // A TTL out of range is a validation error.
    let body = post(
        &user_a,
        &app,
        &format!(
            r#"mutation {{ billy {{ setCachedInvoice(organizationId: "{ORG_A}", billyId: "i", data: {{}}, ttlSeconds: 0) {{ id }} }} }}"#
        ),
    )
    .await;
    assert_eq!(
        error(&body),
        ("VALIDATION".to_owned(), vec!["ttlSeconds".to_owned()])
    );
}

#[tokio::test]
async fn rate_limit_and_usage_for_the_users_own_organization() {
    let t = two_orgs().await;
    let app = spawn_app(&t).await;
    let user_a = app.client_as_user(Some(Uuid::parse_str(ORG_A).unwrap()), None);
    let check = |org: &str| {
        format!(
            r#"mutation {{ billy {{ checkRateLimit(organizationId: "{org}", endpoint: "/invoices",
                windowSecs: 3600, maxRequests: 2) {{ remaining windowStart resetAfterSecs }} }} }}"#
        )
    };
    let d = ok(post(&user_a, &app, &check(ORG_A)).await);
    assert_eq!(d["billy"]["checkRateLimit"]["remaining"], 1);
    let reset = d["billy"]["checkRateLimit"]["resetAfterSecs"]
        .as_i64()
        .unwrap();
    assert!((1..=3600).contains(&reset));
    let d = ok(post(&user_a, &app, &check(ORG_A)).await);
    assert_eq!(d["billy"]["checkRateLimit"]["remaining"], 0);
    let body = post(&user_a, &app, &check(ORG_A)).await;
    assert_eq!(code(&body), "RATE_LIMITED");
    let retry = body["errors"][0]["extensions"]["retryAfterSecs"]
        .as_i64()
        .unwrap();
    assert!((1..=3600).contains(&retry));
    assert_eq!(code(&post(&user_a, &app, &check(ORG_B)).await), "FORBIDDEN");
    assert_eq!(
        count(
            &t,
            &format!("SELECT count(*) FROM billy.rate_limits WHERE organization_id = '{ORG_B}'")
        )
        .await,
        0
    );

    let track = |org: &str, success: bool, ms: i32| {
        format!(
            r#"mutation {{ billy {{ trackUsage(organizationId: "{org}", toolName: "list_invoices",
                success: {success}, durationMs: {ms}) {{
                id toolName callCount successCount errorCount avgDurationMs organization {{ name }} }} }} }}"#
        )
    };
    let d = ok(post(&user_a, &app, &track(ORG_A, true, 100)).await);
    let m = &d["billy"]["trackUsage"];
    assert_eq!(m["callCount"], 1);
    assert_eq!(m["organization"]["name"], "A");
    let d = ok(post(&user_a, &app, &track(ORG_A, false, 300)).await);
    let m = &d["billy"]["trackUsage"];
    assert_eq!(m["callCount"], 2);
    assert_eq!(m["successCount"], 1);
    assert_eq!(m["errorCount"], 1);
    assert_eq!(m["avgDurationMs"], 200);
    assert_eq!(
        code(&post(&user_a, &app, &track(ORG_B, true, 1)).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&post(&user_a, &app, &track(ORG_A, true, -1)).await),
        "VALIDATION"
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.usage_metrics").await,
        1
    );
}

// ---------------------------------------------------------------------------------------
// Permissions and transactions

#[tokio::test]
async fn users_cannot_run_renos_or_vault_operations() {
    let t = TestDb::new().await;
    t.exec("INSERT INTO renos.leads (id, name, status) VALUES ('lead-1', 'L', 'new')")
        .await
        .unwrap();
    let app = spawn_app(&t).await;
    let user = app.client_as_user(Some(Uuid::parse_str(ORG_A).unwrap()), Some("renos-1"));
    for q in [
        r#"mutation { renos { scoreLead(id: "lead-1") { score } } }"#,
        r#"mutation { renos { convertLead(id: "lead-1") { createdCustomer } } }"#,
        r#"mutation { vault { saveDocument(input: { source: "s", repository: "r", path: "p", content: "" }) { id } } }"#,
    ] {
        assert_eq!(code(&post(&user, &app, q).await), "FORBIDDEN", "{q}");
    }
    // Admins may.
    let admin = app.client_as(Role::Admin);
    ok(post(
        &admin,
        &app,
        r#"mutation { renos { scoreLead(id: "lead-1") { score } } }"#,
    )
    .await);
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 0);
    assert_eq!(count(&t, "SELECT count(*) FROM vault.documents").await, 0);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.leads WHERE last_scored IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_mutation_that_fails_midway_writes_nothing() {
    let t = TestDb::new().await;
    t.exec("INSERT INTO renos.leads (id, name, email, status) VALUES ('lead-1', 'Lone', 'lone@x.dk', 'new')")
        .await
        .unwrap();
    let app = spawn_app(&t).await;
    // Three operations; the third fails, so the first two are rolled back.
    let body = gql(
        &app,
        r#"mutation {
            vault { saveDocument(input: { source: "github", repository: "r", path: "p.md", content: "x" }) { id } }
            renos { convertLead(id: "lead-1") { createdCustomer } }
            again: renos { convertLead(id: "missing") { createdCustomer } } }"#,
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND");
    assert!(
        body["data"]["vault"]["saveDocument"]["id"].is_string(),
        "{body:#}"
    );
    assert_eq!(
        body["data"]["renos"]["convertLead"]["createdCustomer"],
        true
    );
    assert_eq!(count(&t, "SELECT count(*) FROM vault.documents").await, 0);
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 0);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM renos.leads WHERE status = 'new' AND customer_id IS NULL"
        )
        .await,
        1
    );
    assert_eq!(count(&t, "SELECT count(*) FROM shared.audit_logs").await, 0);

    // The same without the failing field commits.
    ok(gql(
        &app,
        r#"mutation {
            vault { saveDocument(input: { source: "github", repository: "r", path: "p.md", content: "x" }) { id } }
            renos { convertLead(id: "lead-1") { createdCustomer } } }"#,
    )
    .await);
    assert_eq!(count(&t, "SELECT count(*) FROM vault.documents").await, 1);
    assert_eq!(count(&t, "SELECT count(*) FROM renos.customers").await, 1);
}
