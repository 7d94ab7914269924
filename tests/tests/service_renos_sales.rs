//! `service::renos` sales: leads, lead scoring (§3.5), conversion, customers, quotes,
//! invoices, analytics — against PostgreSQL through the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::renos::invoices::{InvoicePaymentMethod, InvoiceStatus};
use entity::renos::leads::{LeadPriority, LeadStatus};
use entity::renos::{customers, leads};
use rust_decimal::Decimal;
use serde_json::json;
use service::money::{from_db, money_product, round_money, to_db, totals_from_subtotal};
use service::renos::analytics::{get_metrics, track_metric};
use service::renos::customer_stats::update_customer_stats;
use service::renos::customers::{
    CustomerUpdate, NewCustomer, create_customer, find_customer_by_email, get_customer,
    update_customer,
};
use service::renos::invoice_status::{
    InvoicePayment, can_transition, mark_invoice_paid, set_invoice_status,
};
use service::renos::invoices::{
    NewInvoice, NewInvoiceLine, create_invoice, get_invoice, invoice_totals,
};
use service::renos::lead_conversion::convert_lead;
use service::renos::lead_list::{LeadFilter, find_leads};
use service::renos::lead_score_updates::{
    ScoreUpdate, prioritized_leads, score_and_save_lead, score_open_leads, update_lead_score,
};
use service::renos::lead_scoring::{LeadTier, Recommendation, score_lead};
use service::renos::leads::{
    LeadEnrichment, LeadUpdate, NewLead, create_lead, enrich_lead, get_lead, update_lead,
};
use service::renos::quotes::{NewQuote, QuoteStatus, create_quote, get_quote, update_quote_status};
use service::shared::users::{NewUser, upsert_user};
use tests::TestDb;
use tests::builders::dec;
use tests::builders::renos::customer;
use tests::counts::audit_count;
use tests::errors::{fields, is_conflict, is_not_found};

// ---------------------------------------------------------------- helpers

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 12, 0, 0).unwrap()
}

async fn lead(t: &TestDb, source: &str) -> leads::Model {
    create_lead(
        &t.db,
        NewLead {
            source: source.into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
}

/// An in-memory lead `age` old at [`now`], with nothing but its status set.
fn bare_lead(age: Duration) -> leads::Model {
    let created = (now() - age).fixed_offset();
    leads::Model {
        id: "lead".into(),
        session_id: None,
        customer_id: None,
        source: None,
        name: None,
        email: None,
        phone: None,
        address: None,
        square_meters: None,
        rooms: None,
        task_type: None,
        preferred_dates: vec![],
        status: LeadStatus::New,
        email_thread_id: None,
        follow_up_attempts: 0,
        last_follow_up_date: None,
        idempotency_key: None,
        company_name: None,
        industry: None,
        estimated_size: None,
        estimated_value: None,
        enrichment_data: None,
        last_enriched: None,
        score: Some(0),
        priority: Some(LeadPriority::Medium),
        last_scored: None,
        score_metadata: None,
        assigned_user_id: None,
        created_at: created,
        updated_at: created,
    }
}

fn bare_customer(email: Option<&str>, phone: Option<&str>) -> customers::Model {
    let at = now().fixed_offset();
    customers::Model {
        id: "cust".into(),
        name: "Kunde".into(),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        address: None,
        company_name: None,
        notes: None,
        status: "active".into(),
        tags: vec![],
        total_leads: 0,
        total_bookings: 0,
        total_revenue: 0.0,
        last_contact_at: None,
        created_at: at,
        updated_at: at,
    }
}

fn line(desc: &str, q: &str, u: &str) -> NewInvoiceLine {
    NewInvoiceLine {
        description: desc.into(),
        quantity: dec(q),
        unit_price: dec(u),
    }
}

fn invoice(number: &str, customer_id: &str, lines: Vec<NewInvoiceLine>) -> NewInvoice {
    NewInvoice {
        invoice_number: number.into(),
        booking_id: None,
        customer_id: customer_id.into(),
        customer_name: "Kunde A/S".into(),
        customer_email: Some("Faktura@Kunde.dk".into()),
        customer_address: None,
        due_date: now() + Duration::days(14),
        notes: None,
        lines,
    }
}

// ---------------------------------------------------------------- money

#[test]
fn money_rounds_half_away_from_zero_to_two_decimals() {
    assert_eq!(round_money(dec("0.005")), dec("0.01"));
    assert_eq!(round_money(dec("0.0049999")), dec("0.00"));
    assert_eq!(round_money(dec("2.675")), dec("2.68"));
    assert_eq!(round_money(dec("-0.005")), dec("-0.01"));
    // 3 × 33.333 = 99.999 → 100.00
    assert_eq!(
        money_product("a", dec("3"), dec("33.333")).unwrap(),
        dec("100.00")
    );
    // out of range
    let e = money_product("amount", dec("1000000"), dec("10000000")).unwrap_err();
    assert_eq!(fields(e), ["amount"]);
}

#[test]
fn money_totals_and_storage_conversion() {
    // subtotal 0.06 → VAT 0.015 → 0.02; total 0.08
    let t = totals_from_subtotal(dec("0.06"));
    assert_eq!(
        (t.subtotal, t.vat_amount, t.total),
        (dec("0.06"), dec("0.02"), dec("0.08"))
    );
    let t = totals_from_subtotal(dec("1125"));
    assert_eq!((t.vat_amount, t.total), (dec("281.25"), dec("1406.25")));
    assert_eq!(to_db(dec("0.3")), 0.3);
    assert_eq!(from_db(0.1), dec("0.1"));
    assert_eq!(from_db(f64::NAN), Decimal::ZERO);
}

// ---------------------------------------------------------------- lead scoring (pure)

/// Response speed alone (no contact, value or engagement): each bracket and its edge.
#[test]
fn scoring_response_speed_brackets() {
    let cases = [
        (Duration::zero(), 25),
        (Duration::hours(1), 25),                        // ≤ 1 h
        (Duration::hours(1) + Duration::seconds(1), 20), // just over 1 h
        (Duration::hours(4), 20),                        // ≤ 4 h
        (Duration::hours(4) + Duration::seconds(1), 15),
        (Duration::hours(24), 15), // ≤ 24 h
        (Duration::hours(24) + Duration::seconds(1), 10),
        (Duration::hours(72), 10), // ≤ 72 h
        (Duration::hours(72) + Duration::seconds(1), 5),
        (Duration::days(365), 5),
    ];
    for (age, expected) in cases {
        let s = score_lead(&bare_lead(age), None, now());
        assert_eq!(s.factors.response_speed, expected, "age {age}");
        // score = responseSpeed + 0 + 0 + 0
        assert_eq!(s.score, expected, "age {age}");
        assert_eq!(s.tier, LeadTier::Cold);
        assert_eq!(s.priority, LeadPriority::Low);
        // cold and contactQuality 0 < 10
        assert_eq!(s.recommendation, Recommendation::MissingContactInfo);
    }
}

#[test]
fn scoring_service_value_brackets() {
    let cases = [
        (Some(25_000.0), 25),
        (Some(10_000.0), 25),
        (Some(9_999.99), 20),
        (Some(5_000.0), 20),
        (Some(4_999.99), 15),
        (Some(2_500.0), 15),
        (Some(2_499.99), 10),
        (Some(1_000.0), 10),
        (Some(999.99), 5),
        (Some(0.01), 5),
        (Some(0.0), 0),
        (None, 0),
    ];
    for (value, expected) in cases {
        let mut l = bare_lead(Duration::days(10));
        l.estimated_value = value;
        let s = score_lead(&l, None, now());
        assert_eq!(s.factors.service_value, expected, "value {value:?}");
        // 5 (old lead) + serviceValue
        assert_eq!(s.score, 5 + expected, "value {value:?}");
    }
}

/// (lead email, customer email, customer phone, lead phone, expected contactQuality)
type ContactCase = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    i32,
);

#[test]
fn scoring_contact_quality_rules() {
    // (lead email, customer email, customer phone, lead phone) → contactQuality
    let cases: [ContactCase; 10] = [
        // email only, free mail: 15
        (Some("anna@gmail.com"), None, None, None, 15),
        // free mail in capitals is still free mail: 15
        (Some("Anna@GMAIL.COM"), None, None, None, 15),
        // email only, company domain: 15 + 5 = 20
        (Some("anna@firma.dk"), None, None, None, 20),
        // email + customer phone: 25; company bonus capped at 25
        (Some("anna@firma.dk"), None, Some("+4512345678"), None, 25),
        (
            Some("anna@hotmail.com"),
            None,
            Some("+4512345678"),
            None,
            25,
        ),
        // customer phone only: 10
        (None, None, Some("+4512345678"), None, 10),
        // a lead phone does not count for contact quality: 0
        (None, None, None, Some("+4512345678"), 0),
        // customer email used when the lead has none; yahoo is free mail: 15
        (None, Some("kunde@yahoo.com"), None, None, 15),
        // customer email with company domain: 15 + 5 = 20
        (None, Some("kunde@kunde.dk"), None, None, 20),
        // lead email wins for the domain: outlook.com (free) although customer is a company: 15
        (
            Some("x@outlook.com"),
            Some("kunde@kunde.dk"),
            None,
            None,
            15,
        ),
    ];
    for (le, ce, cp, lp, expected) in cases {
        let mut l = bare_lead(Duration::days(10));
        l.email = le.map(Into::into);
        l.phone = lp.map(Into::into);
        let c = bare_customer(ce, cp);
        let with_customer = ce.is_some() || cp.is_some();
        let s = score_lead(&l, with_customer.then_some(&c), now());
        assert_eq!(
            s.factors.contact_quality, expected,
            "{le:?} {ce:?} {cp:?} {lp:?}"
        );
    }
}

#[test]
fn scoring_engagement_rules_and_cap() {
    let name20 = "Abcdefghij Klmnopqrs"; // exactly 20 characters: no points
    let name21 = "Abcdefghij Klmnopqrst"; // 21 characters: +10
    assert_eq!(name20.chars().count(), 20);
    assert_eq!(name21.chars().count(), 21);
    let cases = [
        (Some(name20), None, LeadStatus::New, 0),
        (Some(name21), None, LeadStatus::New, 10),
        // Danish letters count as one character each: "Søren Østergård Ærø" = 19 chars
        (Some("Søren Østergård Ærø"), None, LeadStatus::New, 0),
        (None, Some("+4511111111"), LeadStatus::New, 5),
        (None, None, LeadStatus::Contacted, 5),
        (None, None, LeadStatus::Qualified, 0),
        (None, None, LeadStatus::Quoted, 10),
        (None, None, LeadStatus::Converted, 15),
        (None, None, LeadStatus::Lost, 0),
        // 10 + 5 + 10 = 25
        (Some(name21), Some("+4511111111"), LeadStatus::Quoted, 25),
        // 10 + 5 + 15 = 30 → capped at 25
        (Some(name21), Some("+4511111111"), LeadStatus::Converted, 25),
    ];
    for (name, phone, status, expected) in cases {
        let mut l = bare_lead(Duration::days(10));
        l.name = name.map(Into::into);
        l.phone = phone.map(Into::into);
        l.status = status;
        let s = score_lead(&l, None, now());
        assert_eq!(
            s.factors.engagement, expected,
            "{name:?} {phone:?} {status:?}"
        );
    }
}

/// Whole leads with every factor, tiers and recommendations (all arithmetic by hand).
#[test]
fn scoring_full_cases_tiers_and_recommendations() {
    // Hot: 30 min old → 25; company email + customer phone → 25 (15+10 → 25, +5 capped);
    // 12,000 DKK → 25; name of 23 chars +10, lead phone +5, contacted +5 = 20.
    // 25 + 25 + 25 + 20 = 95 → hot / high, contact immediately.
    let mut l = bare_lead(Duration::minutes(30));
    l.email = Some("anna@firma.dk".into());
    l.name = Some("Anna Kristine Jørgensen".into());
    l.phone = Some("+4520202020".into());
    l.status = LeadStatus::Contacted;
    l.estimated_value = Some(12_000.0);
    l.address = Some("Vej 1".into());
    l.source = Some("email".into());
    l.task_type = Some("Privatrengøring".into());
    let c = bare_customer(Some("anna@firma.dk"), Some("+4520202020"));
    let s = score_lead(&l, Some(&c), now());
    assert_eq!(
        (
            s.factors.response_speed,
            s.factors.contact_quality,
            s.factors.service_value,
            s.factors.engagement
        ),
        (25, 25, 25, 20)
    );
    assert_eq!(s.score, 95);
    assert_eq!((s.tier, s.priority), (LeadTier::Hot, LeadPriority::High));
    assert_eq!(s.recommendation, Recommendation::ContactImmediately);
    // all ten inputs present → 100
    assert_eq!(s.data_availability, 100);
    assert!((s.conversion_probability - 0.95).abs() < 1e-12);
    assert_eq!(s.strengths.len(), 4);
    assert_eq!(
        s.metadata(),
        json!({
            "dataAvailability": 100, "responseSpeed": 25, "contactQuality": 25,
            "serviceValue": 25, "engagement": 20, "tier": "hot",
            "recommendation": Recommendation::ContactImmediately.text(),
        })
    );

    // Exactly 75 → hot: 2 h → 20; company email, no phone → 20; 10,000 → 25;
    // lead phone +5, contacted +5 = 10. 20 + 20 + 25 + 10 = 75.
    let mut l = bare_lead(Duration::hours(2));
    l.email = Some("ole@virksomhed.dk".into());
    l.phone = Some("+4530303030".into());
    l.status = LeadStatus::Contacted;
    l.estimated_value = Some(10_000.0);
    let s = score_lead(&l, None, now());
    assert_eq!(s.score, 75);
    assert_eq!(s.tier, LeadTier::Hot);

    // 70 → warm (one bracket lower value): 20 + 20 + 20 (5,000) + 10 = 70.
    l.estimated_value = Some(5_000.0);
    let s = score_lead(&l, None, now());
    assert_eq!(s.score, 70);
    assert_eq!((s.tier, s.priority), (LeadTier::Warm, LeadPriority::Medium));
    // responseSpeed 20 ≥ 15 and serviceValue 20 ≥ 20 → high value
    assert_eq!(s.recommendation, Recommendation::HighValue);

    // Warm, contact today: 30 h → 10; company email + customer phone → 25; 10,000 → 25;
    // engagement 0. 10 + 25 + 25 + 0 = 60; responseSpeed 10 < 15.
    let mut l = bare_lead(Duration::hours(30));
    l.email = Some("kim@firma.dk".into());
    l.estimated_value = Some(10_000.0);
    let c = bare_customer(None, Some("+4540404040"));
    let s = score_lead(&l, Some(&c), now());
    assert_eq!(s.score, 60);
    assert_eq!(s.recommendation, Recommendation::ContactToday);

    // Exactly 50 → warm, high value: 10 h → 15; gmail only → 15; 5,000 → 20; 0.
    // 15 + 15 + 20 + 0 = 50; responseSpeed 15 (not < 15), serviceValue 20.
    let mut l = bare_lead(Duration::hours(10));
    l.email = Some("kim@gmail.com".into());
    l.estimated_value = Some(5_000.0);
    let s = score_lead(&l, None, now());
    assert_eq!(s.score, 50);
    assert_eq!(s.tier, LeadTier::Warm);
    assert_eq!(s.recommendation, Recommendation::HighValue);

    // Warm, within 24 h: 10 h → 15; company email + customer phone → 25; 2,500 → 15; 0.
    // 15 + 25 + 15 = 55; responseSpeed 15, serviceValue 15 < 20.
    let mut l = bare_lead(Duration::hours(10));
    l.email = Some("kim@firma.dk".into());
    l.estimated_value = Some(2_500.0);
    let s = score_lead(&l, Some(&c), now());
    assert_eq!(s.score, 55);
    assert_eq!(s.recommendation, Recommendation::ContactWithin24Hours);

    // 45 → cold, low priority: 100 h → 5; gmail → 15; 1,000 → 10; name 21 chars +10,
    // lead phone +5 = 15. 5 + 15 + 10 + 15 = 45; contactQuality 15 ≥ 10, value > 0.
    let mut l = bare_lead(Duration::hours(100));
    l.email = Some("x@gmail.com".into());
    l.estimated_value = Some(1_000.0);
    l.name = Some("Abcdefghij Klmnopqrst".into());
    l.phone = Some("+4550505050".into());
    let s = score_lead(&l, None, now());
    assert_eq!(s.score, 45);
    assert_eq!((s.tier, s.priority), (LeadTier::Cold, LeadPriority::Low));
    assert_eq!(s.recommendation, Recommendation::LowPriority);
    // present: lead email, lead name, value, lead phone → 4 of 10 → 40
    assert_eq!(s.data_availability, 40);

    // Cold, unclear need: 100 h → 5; gmail → 15; no value → 0; 0. 5 + 15 = 20.
    let mut l = bare_lead(Duration::hours(100));
    l.email = Some("x@gmail.com".into());
    let s = score_lead(&l, None, now());
    assert_eq!(s.score, 20);
    assert_eq!(s.recommendation, Recommendation::UnclearNeed);
    assert!(s.strengths.is_empty());
}

#[test]
fn scoring_data_availability_counts_customer_fields_and_blank_text_as_missing() {
    let mut l = bare_lead(Duration::hours(1));
    l.source = Some("email".into());
    l.name = Some("   ".into()); // blank: not present
    l.estimated_value = Some(0.0); // zero: not present
    let c = bare_customer(Some("a@b.dk"), None);
    // lead.source, customer.email, customer.name → 3 of 10 → 30
    assert_eq!(score_lead(&l, Some(&c), now()).data_availability, 30);
    // without the customer: lead.source only → 10
    assert_eq!(score_lead(&l, None, now()).data_availability, 10);
}

// ---------------------------------------------------------------- leads

#[tokio::test]
async fn create_lead_sets_defaults_normalises_and_audits() {
    let t = TestDb::new().await;
    let user = upsert_user(
        &t.db,
        NewUser {
            email: "sælger@tekup.dk".into(),
            name: "Sælger".into(),
        },
    )
    .await
    .unwrap();
    let l = create_lead(
        &t.db,
        NewLead {
            source: " email ".into(),
            name: Some(" Anna ".into()),
            email: Some(" Anna@Firma.DK ".into()),
            phone: Some("   ".into()),
            estimated_value: Some(4200.0),
            preferred_dates: vec!["mandag".into(), " ".into()],
            ..Default::default()
        },
        Some(user.id),
    )
    .await
    .unwrap();
    assert_eq!(l.source.as_deref(), Some("email"));
    assert_eq!(l.name.as_deref(), Some("Anna"));
    assert_eq!(l.email.as_deref(), Some("anna@firma.dk"));
    assert_eq!(l.phone, None);
    assert_eq!(l.preferred_dates, vec!["mandag".to_owned()]);
    assert_eq!(l.status, LeadStatus::New);
    assert_eq!(l.score, Some(0));
    assert_eq!(l.priority, Some(LeadPriority::Medium));
    assert_eq!(l.follow_up_attempts, 0);
    assert_eq!(get_lead(&t.db, &l.id).await.unwrap(), l);
    let by_user = t
        .scalar_i64(&format!(
            "SELECT count(*) FROM shared.audit_logs WHERE user_id = '{}' AND resource_type = 'renos.leads' AND resource_id = '{}' AND action = 'create'",
            user.id, l.id
        ))
        .await
        .unwrap();
    assert_eq!(by_user, 1);
}

#[tokio::test]
async fn create_lead_rejects_bad_input_listing_every_field() {
    let t = TestDb::new().await;
    let e = create_lead(
        &t.db,
        NewLead {
            source: "  ".into(),
            email: Some("not-an-email".into()),
            estimated_value: Some(-1.0),
            square_meters: Some(0.0),
            rooms: Some(-2),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(
        f,
        [
            "email",
            "estimated_value",
            "rooms",
            "source",
            "square_meters"
        ]
    );
    let e = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            estimated_value: Some(f64::NAN),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["estimated_value"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.leads")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn create_lead_duplicate_idempotency_key_conflicts_and_unknown_customer_is_invalid() {
    let t = TestDb::new().await;
    let input = NewLead {
        source: "email".into(),
        idempotency_key: Some("msg-1".into()),
        ..Default::default()
    };
    create_lead(&t.db, input.clone(), None).await.unwrap();
    let e = create_lead(&t.db, input, None).await.unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    let e = create_lead(
        &t.db,
        NewLead {
            source: "email".into(),
            customer_id: Some("nope".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["leads_customer_id"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.leads")
            .await
            .unwrap(),
        1
    );
    assert_eq!(audit_count(&t, "renos.leads", "create").await, 1);
}

#[tokio::test]
async fn get_lead_unknown_is_not_found() {
    let t = TestDb::new().await;
    assert!(is_not_found(&get_lead(&t.db, "missing").await.unwrap_err()));
}

#[tokio::test]
async fn update_lead_changes_only_given_fields_and_clears_with_some_none() {
    let t = TestDb::new().await;
    let l = create_lead(
        &t.db,
        NewLead {
            source: "phone".into(),
            name: Some("Bo".into()),
            phone: Some("+4560606060".into()),
            address: Some("Gade 2".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let u = update_lead(
        &t.db,
        &l.id,
        LeadUpdate {
            status: Some(LeadStatus::Contacted),
            priority: Some(LeadPriority::High),
            phone: Some(None),
            email: Some(Some("BO@X.DK".into())),
            estimated_value: Some(Some(3000.0)),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(u.status, LeadStatus::Contacted);
    assert_eq!(u.priority, Some(LeadPriority::High));
    assert_eq!(u.phone, None);
    assert_eq!(u.email.as_deref(), Some("bo@x.dk"));
    assert_eq!(u.estimated_value, Some(3000.0));
    assert_eq!(u.name.as_deref(), Some("Bo"));
    assert_eq!(u.address.as_deref(), Some("Gade 2"));
    assert_eq!(audit_count(&t, "renos.leads", "update").await, 1);

    // an empty update writes nothing
    let same = update_lead(&t.db, &l.id, LeadUpdate::default(), None)
        .await
        .unwrap();
    assert_eq!(same, u);
    assert_eq!(audit_count(&t, "renos.leads", "update").await, 1);
}

#[tokio::test]
async fn update_lead_rejects_converted_status_bad_values_and_unknown_ids() {
    let t = TestDb::new().await;
    let l = lead(&t, "web").await;
    let e = update_lead(
        &t.db,
        &l.id,
        LeadUpdate {
            status: Some(LeadStatus::Converted),
            source: Some(" ".into()),
            email: Some(Some("bad".into())),
            rooms: Some(Some(-1)),
            square_meters: Some(Some(-3.0)),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(f, ["email", "rooms", "source", "square_meters", "status"]);
    assert_eq!(
        get_lead(&t.db, &l.id).await.unwrap().status,
        LeadStatus::New
    );
    let e = update_lead(
        &t.db,
        "missing",
        LeadUpdate {
            name: Some(Some("x".into())),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(is_not_found(&e));
}

#[tokio::test]
async fn enrich_lead_sets_given_fields_and_last_enriched() {
    let t = TestDb::new().await;
    let l = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            estimated_value: Some(100.0),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let e = enrich_lead(
        &t.db,
        &l.id,
        LeadEnrichment {
            company_name: Some("Firma ApS".into()),
            industry: Some("  ".into()),
            estimated_size: Some("10-50".into()),
            estimated_value: None,
            enrichment_data: Some(json!({"site": "firma.dk"})),
        },
        now(),
    )
    .await
    .unwrap();
    assert_eq!(e.company_name.as_deref(), Some("Firma ApS"));
    assert_eq!(e.industry, None);
    assert_eq!(e.estimated_size.as_deref(), Some("10-50"));
    assert_eq!(e.estimated_value, Some(100.0));
    assert_eq!(e.enrichment_data, Some(json!({"site": "firma.dk"})));
    assert_eq!(e.last_enriched, Some(now().fixed_offset()));

    let bad = enrich_lead(
        &t.db,
        &l.id,
        LeadEnrichment {
            estimated_value: Some(-5.0),
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(bad), ["estimated_value"]);
    let missing = enrich_lead(&t.db, "missing", LeadEnrichment::default(), now())
        .await
        .unwrap_err();
    assert!(is_not_found(&missing));
}

#[tokio::test]
async fn find_leads_orders_by_priority_then_value_then_newest() {
    let t = TestDb::new().await;
    // (name, priority, value, hours ago)
    let spec: [(&str, Option<&str>, Option<f64>, i64); 7] = [
        ("a", Some("high"), Some(100.0), 10),
        ("b", Some("high"), None, 9),
        ("c", Some("high"), Some(5000.0), 8),
        ("d", Some("medium"), Some(99_999.0), 7),
        ("e", Some("low"), Some(10.0), 6),
        ("f", None, Some(1_000_000.0), 5),
        ("g", Some("medium"), Some(99_999.0), 4),
    ];
    for (name, prio, value, hours) in spec {
        let l = create_lead(
            &t.db,
            NewLead {
                source: "web".into(),
                name: Some(name.into()),
                estimated_value: value,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let prio = prio.map_or("NULL".to_owned(), |p| format!("'{p}'"));
        t.exec(&format!(
            "UPDATE renos.leads SET priority = {prio}, created_at = now() - interval '{hours} hours' WHERE id = '{}'",
            l.id
        ))
        .await
        .unwrap();
    }
    let names = |v: Vec<service::renos::lead_list::LeadDetails>| {
        v.into_iter()
            .map(|d| d.lead.name.unwrap())
            .collect::<Vec<_>>()
            .join("")
    };
    let all = find_leads(&t.db, LeadFilter::default()).await.unwrap();
    // high: c (5000) > a (100) > b (NULL value last); medium: g newer than d at equal
    // value; then low e; NULL priority f last despite the largest value.
    assert_eq!(names(all), "cabgdef");

    let high = find_leads(
        &t.db,
        LeadFilter {
            priority: Some(LeadPriority::High),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(names(high), "cab");
    let rich = find_leads(
        &t.db,
        LeadFilter {
            estimated_value_min: Some(5000.0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // ≥ 5000 inclusive; the lead without value is excluded
    assert_eq!(names(rich), "cgdf");
    let two = find_leads(
        &t.db,
        LeadFilter {
            limit: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(names(two), "ca");
    let e = find_leads(
        &t.db,
        LeadFilter {
            estimated_value_min: Some(f64::INFINITY),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["estimated_value_min"]);
}

#[tokio::test]
async fn find_leads_filters_status_and_source_and_includes_relations() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", Some("k@k.dk")).await;
    let a = create_lead(
        &t.db,
        NewLead {
            source: "email".into(),
            customer_id: Some(c.id.clone()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let b = lead(&t, "phone").await;
    update_lead(
        &t.db,
        &b.id,
        LeadUpdate {
            status: Some(LeadStatus::Lost),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    create_quote(
        &t.db,
        NewQuote {
            lead_id: a.id.clone(),
            hourly_rate: dec("400"),
            estimated_hours: dec("2"),
            notes: None,
            valid_until: None,
        },
        None,
    )
    .await
    .unwrap();

    let by_source = find_leads(
        &t.db,
        LeadFilter {
            source: Some("email".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_source.len(), 1);
    assert_eq!(by_source[0].lead.id, a.id);
    assert_eq!(by_source[0].customer.as_ref().unwrap().id, c.id);
    assert_eq!(by_source[0].quotes.len(), 1);
    assert!(by_source[0].bookings.is_empty());

    let lost = find_leads(
        &t.db,
        LeadFilter {
            status: Some(LeadStatus::Lost),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].lead.id, b.id);
    assert!(lost[0].customer.is_none());
}

// ---------------------------------------------------------------- lead scores (stored)

#[tokio::test]
async fn update_lead_score_stores_values_and_keeps_metadata_when_omitted() {
    let t = TestDb::new().await;
    let l = lead(&t, "web").await;
    let s = update_lead_score(
        &t.db,
        &l.id,
        ScoreUpdate {
            score: 80,
            priority: LeadPriority::High,
            metadata: Some(json!({"tier": "hot"})),
        },
        now(),
    )
    .await
    .unwrap();
    assert_eq!((s.score, s.priority), (Some(80), Some(LeadPriority::High)));
    assert_eq!(s.last_scored, Some(now().fixed_offset()));
    let later = now() + Duration::hours(1);
    let s = update_lead_score(
        &t.db,
        &l.id,
        ScoreUpdate {
            score: 40,
            priority: LeadPriority::Low,
            metadata: None,
        },
        later,
    )
    .await
    .unwrap();
    assert_eq!(s.score, Some(40));
    assert_eq!(s.score_metadata, Some(json!({"tier": "hot"})));
    assert_eq!(s.last_scored, Some(later.fixed_offset()));

    for bad in [-1, 101] {
        let e = update_lead_score(
            &t.db,
            &l.id,
            ScoreUpdate {
                score: bad,
                priority: LeadPriority::Low,
                metadata: None,
            },
            now(),
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["score"]);
    }
    let e = update_lead_score(
        &t.db,
        "missing",
        ScoreUpdate {
            score: 1,
            priority: LeadPriority::Low,
            metadata: None,
        },
        now(),
    )
    .await
    .unwrap_err();
    assert!(is_not_found(&e));
}

#[tokio::test]
async fn score_and_save_lead_uses_the_customer_and_persists_metadata() {
    let t = TestDb::new().await;
    let c = create_customer(
        &t.db,
        NewCustomer {
            name: "Firma".into(),
            email: Some("info@firma.dk".into()),
            phone: Some("+4570707070".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let l = create_lead(
        &t.db,
        NewLead {
            source: "email".into(),
            customer_id: Some(c.id.clone()),
            estimated_value: Some(2_500.0),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    // 3 h after creation → 20; customer email (company) + customer phone → 25;
    // 2,500 → 15; engagement 0. 20 + 25 + 15 = 60 → warm / medium.
    // responseSpeed 20 ≥ 15, serviceValue 15 < 20 → contact within 24 h.
    // present: customer email, customer phone, value, customer name, source → 50.
    let at = l.created_at.to_utc() + Duration::hours(3);
    let scored = score_and_save_lead(&t.db, &l.id, at).await.unwrap();
    assert_eq!(scored.score.score, 60);
    assert_eq!(scored.lead.score, Some(60));
    assert_eq!(scored.lead.priority, Some(LeadPriority::Medium));
    assert_eq!(scored.lead.last_scored, Some(at.fixed_offset()));
    assert_eq!(
        scored.lead.score_metadata,
        Some(json!({
            "dataAvailability": 50, "responseSpeed": 20, "contactQuality": 25,
            "serviceValue": 15, "engagement": 0, "tier": "warm",
            "recommendation": Recommendation::ContactWithin24Hours.text(),
        }))
    );
    let stored = get_lead(&t.db, &l.id).await.unwrap();
    assert_eq!(stored, scored.lead);
    assert!(is_not_found(
        &score_and_save_lead(&t.db, "missing", at).await.unwrap_err()
    ));
}

#[tokio::test]
async fn score_open_leads_counts_tiers_and_skips_converted_and_lost() {
    let t = TestDb::new().await;
    let at = now();
    let mk = |email: Option<&str>, value: Option<f64>, phone: Option<&str>| NewLead {
        source: "web".into(),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        estimated_value: value,
        ..Default::default()
    };
    // Leads are created "now" by the DB; their created_at is moved to `at − 30 min`.
    // hot: 25 (fresh) + 20 (company email) + 25 (10,000) + 5 (phone) = 75
    let hot = create_lead(
        &t.db,
        mk(Some("a@firma.dk"), Some(10_000.0), Some("+451")),
        None,
    )
    .await
    .unwrap();
    // warm: 25 + 15 (gmail) + 10 (1,000) + 0 = 50
    let warm = create_lead(&t.db, mk(Some("a@gmail.com"), Some(1_000.0), None), None)
        .await
        .unwrap();
    // cold: 25 + 0 + 0 + 0 = 25
    let cold = create_lead(&t.db, mk(None, None, None), None)
        .await
        .unwrap();
    let lost = create_lead(&t.db, mk(None, None, None), None)
        .await
        .unwrap();
    let converted = create_lead(&t.db, mk(None, None, None), None)
        .await
        .unwrap();
    t.exec(&format!(
        "UPDATE renos.leads SET created_at = '{}'::timestamptz - interval '30 minutes'; \
         UPDATE renos.leads SET status = 'lost' WHERE id = '{}'; \
         UPDATE renos.leads SET status = 'converted' WHERE id = '{}'",
        at.to_rfc3339(),
        lost.id,
        converted.id
    ))
    .await
    .unwrap();

    let s = score_open_leads(&t.db, at).await.unwrap();
    assert_eq!((s.total, s.hot, s.warm, s.cold), (3, 1, 1, 1));
    assert_eq!(get_lead(&t.db, &hot.id).await.unwrap().score, Some(75));
    assert_eq!(get_lead(&t.db, &warm.id).await.unwrap().score, Some(50));
    let c = get_lead(&t.db, &cold.id).await.unwrap();
    assert_eq!((c.score, c.priority), (Some(25), Some(LeadPriority::Low)));
    for id in [&lost.id, &converted.id] {
        assert_eq!(get_lead(&t.db, id).await.unwrap().last_scored, None);
    }
}

#[tokio::test]
async fn prioritized_leads_scores_twice_the_limit_newest_and_returns_the_best() {
    let t = TestDb::new().await;
    let at = now();
    // oldest → newest; created_at = at − hours
    // old: 5 (100 h) + 20 (company email) + 25 + 0 = 50 — best score, but outside 2·limit
    let old = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            email: Some("x@firma.dk".into()),
            estimated_value: Some(50_000.0),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    // mid: 20 (2 h) + 0 + 10 (1,000) = 30
    let mid = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            estimated_value: Some(1_000.0),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    // new: 25 (10 min) + 0 + 0 = 25
    let new = lead(&t, "web").await;
    for (l, hours) in [(&old, "100"), (&mid, "2"), (&new, "0.1667")] {
        t.exec(&format!(
            "UPDATE renos.leads SET created_at = '{}'::timestamptz - interval '{hours} hours' WHERE id = '{}'",
            at.to_rfc3339(),
            l.id
        ))
        .await
        .unwrap();
    }
    let top = prioritized_leads(&t.db, Some(1), at).await.unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].lead.id, mid.id);
    assert_eq!(top[0].score.score, 30);
    // the two newest were scored (and stored), the oldest was not looked at
    assert_eq!(get_lead(&t.db, &new.id).await.unwrap().score, Some(25));
    assert_eq!(get_lead(&t.db, &old.id).await.unwrap().last_scored, None);

    let all = prioritized_leads(&t.db, None, at).await.unwrap();
    let ids: Vec<_> = all.iter().map(|s| s.lead.id.clone()).collect();
    assert_eq!(ids, [old.id.clone(), mid.id.clone(), new.id.clone()]);
    assert_eq!(all[0].score.score, 50);
}

// ---------------------------------------------------------------- conversion

#[tokio::test]
async fn convert_lead_creates_customer_links_and_is_idempotent() {
    let t = TestDb::new().await;
    let l = create_lead(
        &t.db,
        NewLead {
            source: "email".into(),
            name: Some("Anna Hansen".into()),
            email: Some("Anna@Firma.dk".into()),
            phone: Some("+4580808080".into()),
            address: Some("Vej 3".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let first = convert_lead(&t.db, &l.id, now(), None).await.unwrap();
    assert!(first.created_customer);
    assert_eq!(first.lead.status, LeadStatus::Converted);
    assert_eq!(
        first.lead.customer_id.as_deref(),
        Some(first.customer.id.as_str())
    );
    assert_eq!(first.customer.name, "Anna Hansen");
    assert_eq!(first.customer.email.as_deref(), Some("anna@firma.dk"));
    assert_eq!(first.customer.phone.as_deref(), Some("+4580808080"));
    assert_eq!(first.customer.address.as_deref(), Some("Vej 3"));
    assert_eq!(first.customer.total_leads, 1);
    assert_eq!(first.customer.last_contact_at, Some(now().fixed_offset()));

    let later = now() + Duration::days(1);
    let again = convert_lead(&t.db, &l.id, later, None).await.unwrap();
    assert!(!again.created_customer);
    assert_eq!(again.customer.id, first.customer.id);
    assert_eq!(again.lead, first.lead);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.customers")
            .await
            .unwrap(),
        1
    );
    assert_eq!(audit_count(&t, "renos.leads", "convert").await, 1);
}

#[tokio::test]
async fn convert_lead_reuses_the_customer_with_the_same_email_in_any_case() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Eksisterende", Some("ole@firma.dk")).await;
    // a legacy row with mixed case must be found too
    let legacy = customer(&t.db, "Legacy", None).await;
    t.exec(&format!(
        "UPDATE renos.customers SET email = 'Mixed@Case.dk' WHERE id = '{}'",
        legacy.id
    ))
    .await
    .unwrap();
    for (email, expected) in [("OLE@FIRMA.DK", &c.id), ("mixed@case.dk", &legacy.id)] {
        let l = create_lead(
            &t.db,
            NewLead {
                source: "web".into(),
                email: Some(email.into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let conv = convert_lead(&t.db, &l.id, now(), None).await.unwrap();
        assert!(!conv.created_customer);
        assert_eq!(&conv.customer.id, expected);
        assert_eq!(conv.customer.total_leads, 1);
    }
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.customers")
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn convert_lead_uses_an_already_linked_customer() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Linket", Some("linket@firma.dk")).await;
    let l = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            email: Some("anden@firma.dk".into()),
            customer_id: Some(c.id.clone()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let conv = convert_lead(&t.db, &l.id, now(), None).await.unwrap();
    assert!(!conv.created_customer);
    assert_eq!(conv.customer.id, c.id);
    assert_eq!(conv.lead.status, LeadStatus::Converted);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.customers")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn convert_lead_names_the_customer_by_company_or_email_and_refuses_nameless_and_lost() {
    let t = TestDb::new().await;
    let by_email = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            email: Some("kontakt@firma.dk".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let conv = convert_lead(&t.db, &by_email.id, now(), None)
        .await
        .unwrap();
    assert_eq!(conv.customer.name, "kontakt@firma.dk");

    let by_company = lead(&t, "web").await;
    enrich_lead(
        &t.db,
        &by_company.id,
        LeadEnrichment {
            company_name: Some("Firma ApS".into()),
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap();
    let conv = convert_lead(&t.db, &by_company.id, now(), None)
        .await
        .unwrap();
    assert_eq!(conv.customer.name, "Firma ApS");
    assert_eq!(conv.customer.email, None);

    let nameless = lead(&t, "web").await;
    let e = convert_lead(&t.db, &nameless.id, now(), None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["name"]);
    assert_eq!(
        get_lead(&t.db, &nameless.id).await.unwrap().status,
        LeadStatus::New
    );

    let lost = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            name: Some("Tabt".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    update_lead(
        &t.db,
        &lost.id,
        LeadUpdate {
            status: Some(LeadStatus::Lost),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let e = convert_lead(&t.db, &lost.id, now(), None)
        .await
        .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    assert!(is_not_found(
        &convert_lead(&t.db, "missing", now(), None)
            .await
            .unwrap_err()
    ));
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.customers")
            .await
            .unwrap(),
        2
    );
}

// ---------------------------------------------------------------- customers

#[tokio::test]
async fn create_customer_normalises_and_rejects_duplicates_in_any_case() {
    let t = TestDb::new().await;
    let c = create_customer(
        &t.db,
        NewCustomer {
            name: " Kunde ".into(),
            email: Some(" Kunde@Firma.DK ".into()),
            tags: vec!["vip".into(), "vip".into(), " ".into(), "erhverv".into()],
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(c.name, "Kunde");
    assert_eq!(c.email.as_deref(), Some("kunde@firma.dk"));
    assert_eq!(c.status, "active");
    assert_eq!(c.tags, ["vip", "erhverv"]);
    assert_eq!(
        (c.total_leads, c.total_bookings, c.total_revenue),
        (0, 0, 0.0)
    );
    assert_eq!(get_customer(&t.db, &c.id).await.unwrap(), c);
    assert_eq!(audit_count(&t, "renos.customers", "create").await, 1);

    let e = create_customer(
        &t.db,
        NewCustomer {
            name: "Dublet".into(),
            email: Some("KUNDE@firma.dk".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    // customers without email never collide
    customer(&t.db, "Uden 1", None).await;
    customer(&t.db, "Uden 2", None).await;
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.customers")
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn create_customer_rejects_bad_input_and_get_unknown_is_not_found() {
    let t = TestDb::new().await;
    let e = create_customer(
        &t.db,
        NewCustomer {
            name: "".into(),
            email: Some("x@".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(f, ["email", "name"]);
    assert!(is_not_found(
        &get_customer(&t.db, "missing").await.unwrap_err()
    ));
}

#[tokio::test]
async fn find_customer_by_email_is_case_insensitive_with_relations() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", Some("kunde@firma.dk")).await;
    create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            customer_id: Some(c.id.clone()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let found = find_customer_by_email(&t.db, "  KUNDE@Firma.dk ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.customer.id, c.id);
    assert_eq!(found.leads.len(), 1);
    assert!(found.bookings.is_empty());
    assert!(found.cleaning_plans.is_empty());
    assert!(
        find_customer_by_email(&t.db, "andre@firma.dk")
            .await
            .unwrap()
            .is_none()
    );
    let e = find_customer_by_email(&t.db, "no-at-sign")
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["email"]);
}

#[tokio::test]
async fn update_customer_partial_clears_and_guards_email() {
    let t = TestDb::new().await;
    let a = create_customer(
        &t.db,
        NewCustomer {
            name: "A".into(),
            email: Some("a@firma.dk".into()),
            phone: Some("+4511".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    customer(&t.db, "B", Some("b@firma.dk")).await;
    let u = update_customer(
        &t.db,
        &a.id,
        CustomerUpdate {
            name: Some("A2".into()),
            phone: Some(None),
            email: Some(Some("A.NY@firma.dk".into())),
            status: Some("inactive".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(u.name, "A2");
    assert_eq!(u.phone, None);
    assert_eq!(u.email.as_deref(), Some("a.ny@firma.dk"));
    assert_eq!(u.status, "inactive");
    // keeping its own email (other case) is fine
    let same = update_customer(
        &t.db,
        &a.id,
        CustomerUpdate {
            email: Some(Some("a.ny@FIRMA.dk".into())),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(same.email.as_deref(), Some("a.ny@firma.dk"));
    let e = update_customer(
        &t.db,
        &a.id,
        CustomerUpdate {
            email: Some(Some("B@firma.dk".into())),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    let e = update_customer(
        &t.db,
        &a.id,
        CustomerUpdate {
            name: Some(" ".into()),
            email: Some(Some("bad".into())),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(f, ["email", "name"]);
    let noop = update_customer(&t.db, &a.id, CustomerUpdate::default(), None)
        .await
        .unwrap();
    assert_eq!(noop.updated_at, same.updated_at);
    assert_eq!(audit_count(&t, "renos.customers", "update").await, 2);
    let e = update_customer(
        &t.db,
        "missing",
        CustomerUpdate {
            name: Some("x".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(is_not_found(&e));
}

#[tokio::test]
async fn update_customer_stats_counts_and_sums_only_paid_invoices() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", Some("k@firma.dk")).await;
    let other = customer(&t.db, "Anden", None).await;
    for _ in 0..2 {
        create_lead(
            &t.db,
            NewLead {
                source: "web".into(),
                customer_id: Some(c.id.clone()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    }
    t.exec(&format!(
        "INSERT INTO renos.bookings (id, customer_id) VALUES ('b1', '{c}'); \
         INSERT INTO renos.invoices (id, invoice_number, customer_id, customer_name, due_date, status, subtotal, vat_amount, total) VALUES \
           ('i1', 'N1', '{c}', 'K', now(), 'paid', 0, 0, 100.1), \
           ('i2', 'N2', '{c}', 'K', now(), 'paid', 0, 0, 200.2), \
           ('i3', 'N3', '{c}', 'K', now(), 'draft', 0, 0, 1000), \
           ('i4', 'N4', '{o}', 'O', now(), 'paid', 0, 0, 50)",
        c = c.id,
        o = other.id
    ))
    .await
    .unwrap();
    let s = update_customer_stats(&t.db, &c.id).await.unwrap();
    assert_eq!((s.total_leads, s.total_bookings), (2, 1));
    // 100.1 + 200.2 = 300.3 (rounded to cents, no float residue)
    assert_eq!(s.total_revenue, 300.3);
    assert_eq!(s.last_contact_at, None);
    let o = update_customer_stats(&t.db, &other.id).await.unwrap();
    assert_eq!(
        (o.total_leads, o.total_bookings, o.total_revenue),
        (0, 0, 50.0)
    );
    assert!(is_not_found(
        &update_customer_stats(&t.db, "missing").await.unwrap_err()
    ));
}

// ---------------------------------------------------------------- quotes

#[tokio::test]
async fn create_quote_prices_with_decimals() {
    let t = TestDb::new().await;
    let l = lead(&t, "web").await;
    // 450 × 2.5 = 1125.00; VAT 281.25; total 1406.25
    let q = create_quote(
        &t.db,
        NewQuote {
            lead_id: l.id.clone(),
            hourly_rate: dec("450"),
            estimated_hours: dec("2.5"),
            notes: Some(" Inkl. vinduer ".into()),
            valid_until: Some(now() + Duration::days(30)),
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!((q.subtotal, q.vat_rate, q.total), (1125.0, 25.0, 1406.25));
    assert_eq!(q.status, "draft");
    assert_eq!(q.notes.as_deref(), Some("Inkl. vinduer"));
    assert_eq!(
        q.valid_until,
        Some((now() + Duration::days(30)).fixed_offset())
    );
    // 333.33 × 1.5 = 499.995 → 500.00; VAT 125.00; total 625.00
    let q2 = create_quote(
        &t.db,
        NewQuote {
            lead_id: l.id.clone(),
            hourly_rate: dec("333.33"),
            estimated_hours: dec("1.5"),
            notes: None,
            valid_until: None,
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!((q2.subtotal, q2.total), (500.0, 625.0));
    // 0.1 × 3 = 0.30 exactly (a float product would be 0.30000000000000004); VAT 0.075 → 0.08
    let q3 = create_quote(
        &t.db,
        NewQuote {
            lead_id: l.id.clone(),
            hourly_rate: dec("0.1"),
            estimated_hours: dec("3"),
            notes: None,
            valid_until: None,
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!((q3.subtotal, q3.total), (0.3, 0.38));
    assert_eq!(get_quote(&t.db, &q3.id).await.unwrap(), q3);
    assert_eq!(audit_count(&t, "renos.quotes", "create").await, 3);
}

#[tokio::test]
async fn create_quote_rejects_bad_input_and_unknown_leads() {
    let t = TestDb::new().await;
    let e = create_quote(
        &t.db,
        NewQuote {
            lead_id: " ".into(),
            hourly_rate: dec("0"),
            estimated_hours: dec("-1"),
            notes: None,
            valid_until: None,
        },
        None,
    )
    .await
    .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(f, ["estimated_hours", "hourly_rate", "lead_id"]);
    let e = create_quote(
        &t.db,
        NewQuote {
            lead_id: "missing".into(),
            hourly_rate: dec("100"),
            estimated_hours: dec("1"),
            notes: None,
            valid_until: None,
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["quotes_lead_id"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.quotes")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn update_quote_status_sets_text_and_rejects_unknown() {
    let t = TestDb::new().await;
    let l = lead(&t, "web").await;
    let q = create_quote(
        &t.db,
        NewQuote {
            lead_id: l.id,
            hourly_rate: dec("100"),
            estimated_hours: dec("1"),
            notes: None,
            valid_until: None,
        },
        None,
    )
    .await
    .unwrap();
    let status = QuoteStatus::parse("status", " Accepted ").unwrap();
    let u = update_quote_status(&t.db, &q.id, status, None)
        .await
        .unwrap();
    assert_eq!(u.status, "accepted");
    assert_eq!(audit_count(&t, "renos.quotes", "update_status").await, 1);
    assert_eq!(
        fields(QuoteStatus::parse("status", "maybe").unwrap_err()),
        ["status"]
    );
    for s in [
        QuoteStatus::Draft,
        QuoteStatus::Sent,
        QuoteStatus::Accepted,
        QuoteStatus::Rejected,
        QuoteStatus::Expired,
    ] {
        assert_eq!(QuoteStatus::parse("s", s.as_str()).unwrap(), s);
    }
    let e = update_quote_status(&t.db, "missing", QuoteStatus::Sent, None)
        .await
        .unwrap_err();
    assert!(is_not_found(&e));
    assert!(is_not_found(
        &get_quote(&t.db, "missing").await.unwrap_err()
    ));
}

// ---------------------------------------------------------------- invoices

#[test]
fn invoice_totals_round_each_line_then_vat_on_the_subtotal() {
    // 3 × 33.333 = 99.999 → 100.00; subtotal 100.00; VAT 25.00; total 125.00
    let (amounts, t) = invoice_totals(&[line("Rengøring", "3", "33.333")]).unwrap();
    assert_eq!(amounts, [dec("100.00")]);
    assert_eq!(
        (t.subtotal, t.vat_amount, t.total),
        (dec("100"), dec("25"), dec("125"))
    );

    // 0.005 boundaries: 1 × 0.005 → 0.01 (half up); 1 × 0.0049 → 0.00; 0.5 × 0.01 → 0.01
    let (amounts, t) = invoice_totals(&[
        line("a", "1", "0.005"),
        line("b", "1", "0.0049"),
        line("c", "0.5", "0.01"),
    ])
    .unwrap();
    assert_eq!(amounts, [dec("0.01"), dec("0.00"), dec("0.01")]);
    // subtotal 0.02; VAT 0.005 → 0.01; total 0.03
    assert_eq!(
        (t.subtotal, t.vat_amount, t.total),
        (dec("0.02"), dec("0.01"), dec("0.03"))
    );

    // line rounding before summing: 3 × (1 × 0.335 → 0.34) = 1.02 (not round(1.005) = 1.01);
    // VAT 0.255 → 0.26; total 1.28
    let (_, t) = invoice_totals(&vec![line("x", "1", "0.335"); 3]).unwrap();
    assert_eq!(
        (t.subtotal, t.vat_amount, t.total),
        (dec("1.02"), dec("0.26"), dec("1.28"))
    );

    // many lines: 100 × (1.5 × 19.99 = 29.985 → 29.99) = 2999.00; VAT 749.75; total 3748.75
    let (amounts, t) = invoice_totals(&vec![line("x", "1.5", "19.99"); 100]).unwrap();
    assert_eq!(amounts.len(), 100);
    assert_eq!(
        (t.subtotal, t.vat_amount, t.total),
        (dec("2999"), dec("749.75"), dec("3748.75"))
    );
}

#[test]
fn invoice_totals_reject_bad_lines_listing_every_field() {
    let e = invoice_totals(&[]).unwrap_err();
    assert_eq!(fields(e), ["lines"]);
    let e = invoice_totals(&[
        line("ok", "1", "100"),
        line(" ", "0", "-1"),
        line("ok", "-2", "0"),
    ])
    .unwrap_err();
    assert_eq!(
        fields(e),
        [
            "lines[1].description",
            "lines[1].quantity",
            "lines[1].unit_price",
            "lines[2].quantity"
        ]
    );
    let e = invoice_totals(&[line("big", "1000000", "1000000000")]).unwrap_err();
    assert_eq!(fields(e), ["lines[0].amount"]);
}

#[tokio::test]
async fn create_invoice_writes_invoice_and_lines_in_one_transaction() {
    let t = TestDb::new().await;
    let inv = create_invoice(
        &t.db,
        invoice(
            "INV-2025-001",
            "cust-1",
            vec![
                line("Rengøring", "3", "33.333"),
                line("Kørsel", "1", "49.50"),
            ],
        ),
        now(),
        None,
    )
    .await
    .unwrap();
    let i = &inv.invoice;
    // 100.00 + 49.50 = 149.50; VAT 37.375 → 37.38; total 186.88
    assert_eq!(
        (i.subtotal, i.vat_rate, i.vat_amount, i.total),
        (149.5, 25.0, 37.38, 186.88)
    );
    assert_eq!(i.status, InvoiceStatus::Draft);
    assert_eq!(i.issue_date, now().fixed_offset());
    assert_eq!(i.customer_email.as_deref(), Some("faktura@kunde.dk"));
    let amounts: Vec<_> = inv.lines.iter().map(|l| (l.sort_order, l.amount)).collect();
    assert_eq!(amounts, [(0, 100.0), (1, 49.5)]);
    assert_eq!(inv.lines[0].quantity, 3.0);
    assert_eq!(inv.lines[0].unit_price, 33.333);
    assert_eq!(get_invoice(&t.db, &i.id).await.unwrap(), inv);
    assert_eq!(audit_count(&t, "renos.invoices", "create").await, 1);

    // a taken number is a conflict and leaves no partial rows
    let e = create_invoice(
        &t.db,
        invoice("INV-2025-001", "cust-1", vec![line("x", "1", "1")]),
        now(),
        None,
    )
    .await
    .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.invoices")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.invoice_line_items")
            .await
            .unwrap(),
        2
    );
    assert!(is_not_found(
        &get_invoice(&t.db, "missing").await.unwrap_err()
    ));
}

#[tokio::test]
async fn create_invoice_rejects_bad_headers_lines_and_unknown_booking() {
    let t = TestDb::new().await;
    let mut bad = invoice(" ", " ", vec![line("x", "0", "1")]);
    bad.customer_name = "".into();
    bad.customer_email = Some("nope".into());
    bad.due_date = now() - Duration::days(1);
    let e = create_invoice(&t.db, bad, now(), None).await.unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(
        f,
        [
            "customer_email",
            "customer_id",
            "customer_name",
            "due_date",
            "invoice_number",
            "lines[0].quantity"
        ]
    );
    // due the same day as issued is fine
    let mut same_day = invoice("INV-SAME", "c", vec![line("x", "1", "1")]);
    same_day.due_date = now() - Duration::hours(1);
    create_invoice(&t.db, same_day, now(), None).await.unwrap();

    let mut unknown_booking = invoice("INV-B", "c", vec![line("x", "1", "1")]);
    unknown_booking.booking_id = Some("missing".into());
    let e = create_invoice(&t.db, unknown_booking, now(), None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["invoices_booking_id"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.invoices")
            .await
            .unwrap(),
        1
    );
}

#[test]
fn invoice_transitions_table() {
    use InvoiceStatus::*;
    let all = [Draft, Sent, Paid, Overdue, Cancelled];
    let allowed = [
        (Draft, Sent),
        (Sent, Overdue),
        (Draft, Paid),
        (Sent, Paid),
        (Overdue, Paid),
        (Draft, Cancelled),
        (Sent, Cancelled),
        (Overdue, Cancelled),
    ];
    for from in all {
        for to in all {
            assert_eq!(
                can_transition(from, to),
                allowed.contains(&(from, to)),
                "{from:?} → {to:?}"
            );
        }
    }
}

#[tokio::test]
async fn set_invoice_status_follows_transitions() {
    let t = TestDb::new().await;
    let inv = create_invoice(
        &t.db,
        invoice("N-1", "c", vec![line("x", "1", "100")]),
        now(),
        None,
    )
    .await
    .unwrap()
    .invoice;
    let e = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Overdue, now(), None)
        .await
        .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    let sent_at = now() + Duration::hours(1);
    let sent = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Sent, sent_at, None)
        .await
        .unwrap();
    assert_eq!(sent.status, InvoiceStatus::Sent);
    assert_eq!(sent.sent_at, Some(sent_at.fixed_offset()));
    // same status again: unchanged, not audited twice
    let again = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Sent, now(), None)
        .await
        .unwrap();
    assert_eq!(again.sent_at, Some(sent_at.fixed_offset()));
    let overdue = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Overdue, now(), None)
        .await
        .unwrap();
    assert_eq!(overdue.status, InvoiceStatus::Overdue);
    let e = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Paid, now(), None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["status"]);
    let cancelled = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Cancelled, now(), None)
        .await
        .unwrap();
    assert_eq!(cancelled.status, InvoiceStatus::Cancelled);
    let e = set_invoice_status(&t.db, &inv.id, InvoiceStatus::Sent, now(), None)
        .await
        .unwrap_err();
    assert!(is_conflict(&e));
    assert_eq!(audit_count(&t, "renos.invoices", "update_status").await, 3);
    let e = set_invoice_status(&t.db, "missing", InvoiceStatus::Sent, now(), None)
        .await
        .unwrap_err();
    assert!(is_not_found(&e));
}

#[tokio::test]
async fn mark_invoice_paid_records_payment_and_refreshes_customer_revenue() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", Some("k@firma.dk")).await;
    let inv = create_invoice(
        &t.db,
        invoice("N-1", &c.id, vec![line("Rengøring", "2", "349.995")]),
        now(),
        None,
    )
    .await
    .unwrap()
    .invoice;
    // 2 × 349.995 = 699.99; VAT 174.9975 → 175.00; total 874.99
    assert_eq!(inv.total, 874.99);
    let paid_at = now() + Duration::days(3);
    let paid = mark_invoice_paid(
        &t.db,
        &inv.id,
        InvoicePayment {
            amount: dec("874.985"),
            method: InvoicePaymentMethod::Mobilepay,
            reference: Some(" MP-1 ".into()),
        },
        paid_at,
        None,
    )
    .await
    .unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert_eq!(paid.paid_at, Some(paid_at.fixed_offset()));
    assert_eq!(paid.paid_amount, Some(874.99));
    assert_eq!(paid.payment_method, Some(InvoicePaymentMethod::Mobilepay));
    assert_eq!(paid.payment_ref.as_deref(), Some("MP-1"));
    assert_eq!(
        get_customer(&t.db, &c.id).await.unwrap().total_revenue,
        874.99
    );
    assert_eq!(audit_count(&t, "renos.invoices", "mark_paid").await, 1);

    let pay = || InvoicePayment {
        amount: dec("1"),
        method: InvoicePaymentMethod::Cash,
        reference: None,
    };
    let e = mark_invoice_paid(&t.db, &inv.id, pay(), now(), None)
        .await
        .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    let e = mark_invoice_paid(
        &t.db,
        &inv.id,
        InvoicePayment {
            amount: dec("0"),
            ..pay()
        },
        now(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["amount"]);
    assert!(is_not_found(
        &mark_invoice_paid(&t.db, "missing", pay(), now(), None)
            .await
            .unwrap_err()
    ));
    // an invoice whose customer_id names no customer is still payable
    let loose = create_invoice(
        &t.db,
        invoice("N-2", "billy-only", vec![line("x", "1", "10")]),
        now(),
        None,
    )
    .await
    .unwrap()
    .invoice;
    let p = mark_invoice_paid(&t.db, &loose.id, pay(), now(), None)
        .await
        .unwrap();
    assert_eq!(p.status, InvoiceStatus::Paid);
}

// ---------------------------------------------------------------- analytics

#[tokio::test]
async fn track_metric_upserts_per_utc_date_replacing_value_and_metadata() {
    let t = TestDb::new().await;
    // 23:30 UTC is already the next day in Copenhagen; the row must use the UTC date
    let late = Utc.with_ymd_and_hms(2025, 6, 2, 23, 30, 0).unwrap();
    let first = track_metric(
        &t.db,
        "leads_created",
        3.0,
        Some(json!({"src": "web"})),
        late,
    )
    .await
    .unwrap();
    assert_eq!(first.date, NaiveDate::from_ymd_opt(2025, 6, 2).unwrap());
    let second = track_metric(&t.db, "leads_created", 5.0, None, late - Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.value, 5.0);
    assert_eq!(second.metadata, None);
    let next_day = track_metric(&t.db, "leads_created", 1.0, None, late + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(next_day.date, NaiveDate::from_ymd_opt(2025, 6, 3).unwrap());
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.analytics")
            .await
            .unwrap(),
        2
    );

    assert_eq!(
        fields(track_metric(&t.db, " ", 1.0, None, late).await.unwrap_err()),
        ["metric"]
    );
    assert_eq!(
        fields(
            track_metric(&t.db, "m", f64::NAN, None, late)
                .await
                .unwrap_err()
        ),
        ["value"]
    );
}

#[tokio::test]
async fn get_metrics_returns_the_inclusive_range_oldest_first() {
    let t = TestDb::new().await;
    let day = |d: u32| Utc.with_ymd_and_hms(2025, 6, d, 8, 0, 0).unwrap();
    for d in [1, 2, 3, 4, 5] {
        track_metric(&t.db, "revenue", f64::from(d) * 10.0, None, day(d))
            .await
            .unwrap();
    }
    track_metric(&t.db, "other", 99.0, None, day(3))
        .await
        .unwrap();
    let date = |d: u32| NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
    let rows = get_metrics(&t.db, "revenue", date(2), date(4))
        .await
        .unwrap();
    let values: Vec<_> = rows.iter().map(|r| (r.date, r.value)).collect();
    assert_eq!(values, [(date(2), 20.0), (date(3), 30.0), (date(4), 40.0)]);
    let one = get_metrics(&t.db, "revenue", date(5), date(5))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(
        get_metrics(&t.db, "missing", date(1), date(5))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        fields(
            get_metrics(&t.db, "revenue", date(4), date(2))
                .await
                .unwrap_err()
        ),
        ["from"]
    );
    assert_eq!(
        fields(get_metrics(&t.db, "", date(1), date(2)).await.unwrap_err()),
        ["metric"]
    );
}
