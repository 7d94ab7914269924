//! `service::crm` against PostgreSQL: every public function, with edge cases and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, Utc};
use entity::crm::activities::ActivityType;
use entity::crm::companies::CompanyStatus;
use entity::crm::contacts::ContactStatus;
use entity::crm::deals::{DealStage, DealStatus};
use entity::crm::emails::{EmailDirection, EmailStatus};
use entity::crm::tasks::{TaskPriority, TaskStatus};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use serde_json::json;
use service::ErrorCode;
use service::crm::activities::{ActivityFilter, NewActivity, get_activities, log_activity};
use service::crm::companies::{
    CompanyFilter, NewCompany, create_company, find_companies, get_company,
};
use service::crm::contact_queries::{ContactFilter, find_contact_by_email, find_contacts};
use service::crm::contacts::{
    ContactUpdate, NewContact, create_contact, get_contact, update_contact,
};
use service::crm::deal_products::{NewDealProduct, add_product_to_deal, line_total};
use service::crm::deal_stage::{close_deal, move_deal_to_stage, status_for_stage};
use service::crm::deals::{DealFilter, NewDeal, create_deal, find_deals, get_deal};
use service::crm::emails::{NewEmail, log_email, mark_email_opened};
use service::crm::metrics::{MetricSample, get_metrics, track_metric};
use service::crm::pipeline::{DealTotals, get_pipeline_metrics};
use service::crm::tasks::{NewTask, TaskFilter, complete_task, create_task, get_tasks};
use tests::TestDb;
use tests::builders::dec;
use tests::counts::audit_count;
use tests::errors::{code, invalid_fields};

// ---------------------------------------------------------------- helpers

fn contact_input(first: &str, email: Option<&str>) -> NewContact {
    NewContact {
        first_name: first.into(),
        last_name: "Hansen".into(),
        email: email.map(Into::into),
        ..Default::default()
    }
}

async fn contact(db: &DatabaseConnection, first: &str, email: Option<&str>) -> String {
    create_contact(db, contact_input(first, email), None)
        .await
        .unwrap()
        .contact
        .id
}

async fn company(db: &DatabaseConnection, name: &str) -> String {
    create_company(
        db,
        NewCompany {
            name: name.into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .id
}

fn deal_input(title: &str, value: &str, owner: &str) -> NewDeal {
    NewDeal {
        title: title.into(),
        value: dec(value),
        owner: owner.into(),
        contact_id: None,
        company_id: None,
        stage: None,
        expected_close_date: None,
    }
}

async fn deal(db: &DatabaseConnection, value: &str, owner: &str, stage: DealStage) -> String {
    let mut input = deal_input("Deal", value, owner);
    input.stage = Some(stage);
    create_deal(db, input, None).await.unwrap().deal.id
}

fn product(deal_id: &str, qty: i32, price: &str, discount: Option<&str>) -> NewDealProduct {
    NewDealProduct {
        deal_id: deal_id.into(),
        product_name: "Window cleaning".into(),
        quantity: qty,
        unit_price: dec(price),
        discount: discount.map(dec),
        description: None,
    }
}

fn activity(owner: &str, contact_id: Option<&str>) -> NewActivity {
    NewActivity {
        r#type: ActivityType::Call,
        subject: Some("Intro".into()),
        description: None,
        contact_id: contact_id.map(Into::into),
        company_id: None,
        deal_id: None,
        owner: owner.into(),
        duration_minutes: Some(15),
        outcome: None,
    }
}

fn email_input(direction: EmailDirection) -> NewEmail {
    NewEmail {
        subject: "Offer".into(),
        body: "Hello".into(),
        from: " Sales@Tekup.DK ".into(),
        to: vec!["Kunde@Example.com".into()],
        direction,
        contact_id: None,
        status: None,
    }
}

fn task_input(title: &str, priority: Option<TaskPriority>, due_in_days: Option<i64>) -> NewTask {
    NewTask {
        title: title.into(),
        description: None,
        assigned_to: "user-1".into(),
        contact_id: None,
        due_date: due_in_days.map(|d| Utc::now() + Duration::days(d)),
        priority,
    }
}

// ---------------------------------------------------------------- contacts

#[tokio::test]
async fn create_contact_sets_defaults_normalises_email_loads_company_and_audits() {
    let t = TestDb::new().await;
    let company_id = company(&t.db, "Rendetalje ApS").await;
    let created = create_contact(
        &t.db,
        NewContact {
            first_name: "  Anna ".into(),
            last_name: "Jensen".into(),
            email: Some("  Anna.Jensen@Example.COM ".into()),
            phone: Some("   ".into()),
            company_id: Some(company_id.clone()),
            title: Some("CEO".into()),
            owner: Some("user-1".into()),
            source: Some("website".into()),
        },
        None,
    )
    .await
    .unwrap();
    let c = &created.contact;
    assert_eq!(c.first_name, "Anna");
    assert_eq!(c.email.as_deref(), Some("anna.jensen@example.com"));
    assert_eq!(c.phone, None, "blank optional text is stored as NULL");
    assert_eq!(c.status, ContactStatus::Active);
    assert_eq!(c.country.as_deref(), Some("Denmark"));
    assert_eq!(c.title.as_deref(), Some("CEO"));
    assert_eq!(
        created.company.as_ref().map(|co| co.id.as_str()),
        Some(company_id.as_str())
    );
    assert_eq!(audit_count(&t, "crm.contacts", "create").await, 1);
    assert_eq!(get_contact(&t.db, &c.id).await.unwrap(), *c);
}

#[tokio::test]
async fn create_contact_without_company_has_none() {
    let t = TestDb::new().await;
    let created = create_contact(&t.db, contact_input("Bo", None), None)
        .await
        .unwrap();
    assert!(created.company.is_none());
    assert_eq!(created.contact.email, None);
}

#[tokio::test]
async fn create_contact_reports_every_bad_field_and_writes_nothing() {
    let t = TestDb::new().await;
    let r = create_contact(
        &t.db,
        NewContact {
            first_name: " ".into(),
            last_name: String::new(),
            email: Some("not-an-email".into()),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(invalid_fields(r), ["first_name", "last_name", "email"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.contacts")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn create_contact_with_a_taken_email_is_a_conflict_in_any_case() {
    let t = TestDb::new().await;
    contact(&t.db, "Anna", Some("anna@example.com")).await;
    let r = create_contact(
        &t.db,
        contact_input("Other", Some("ANNA@example.com")),
        None,
    )
    .await;
    assert_eq!(code(r), ErrorCode::Conflict);
    assert_eq!(
        audit_count(&t, "crm.contacts", "create").await,
        1,
        "rolled back"
    );
}

#[tokio::test]
async fn create_contact_with_an_unknown_company_is_a_validation_error() {
    let t = TestDb::new().await;
    let mut input = contact_input("Anna", None);
    input.company_id = Some("no-such-company".into());
    let r = create_contact(&t.db, input, None).await;
    assert_eq!(code(r), ErrorCode::Validation);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.contacts")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn get_contact_unknown_is_not_found() {
    let t = TestDb::new().await;
    assert_eq!(code(get_contact(&t.db, "nope").await), ErrorCode::NotFound);
}

#[tokio::test]
async fn update_contact_changes_and_clears_fields_and_audits_them() {
    let t = TestDb::new().await;
    let company_id = company(&t.db, "Acme").await;
    let mut input = contact_input("Anna", Some("anna@example.com"));
    input.phone = Some("+45 1234".into());
    let id = create_contact(&t.db, input, None).await.unwrap().contact.id;
    t.exec(&format!(
        "UPDATE crm.contacts SET updated_at = now() - interval '1 day' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    let before = get_contact(&t.db, &id).await.unwrap();
    let follow_up = Utc::now() + Duration::days(3);
    let updated = update_contact(
        &t.db,
        &id,
        ContactUpdate {
            first_name: Some("Annie".into()),
            email: Some(Some("ANNIE@example.com".into())),
            phone: Some(None),
            city: Some(Some(" Aarhus ".into())),
            company_id: Some(Some(company_id.clone())),
            status: Some(ContactStatus::Lead),
            tags: Some(vec!["vip".into(), " ".into()]),
            next_follow_up: Some(Some(follow_up)),
            custom_fields: Some(Some(json!({"size": "L"}))),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(updated.first_name, "Annie");
    assert_eq!(updated.last_name, "Hansen", "untouched");
    assert_eq!(updated.email.as_deref(), Some("annie@example.com"));
    assert_eq!(updated.phone, None);
    assert_eq!(updated.city.as_deref(), Some("Aarhus"));
    assert_eq!(updated.company_id.as_deref(), Some(company_id.as_str()));
    assert_eq!(updated.status, ContactStatus::Lead);
    assert_eq!(updated.tags, ["vip"]);
    assert_eq!(
        updated.next_follow_up.map(|d| d.timestamp()),
        Some(follow_up.timestamp())
    );
    assert_eq!(updated.custom_fields, Some(json!({"size": "L"})));
    assert!(updated.updated_at > before.updated_at);
    let meta = t
        .scalar_i64(
            "SELECT jsonb_array_length(metadata->'fields')::bigint FROM shared.audit_logs \
             WHERE resource_type = 'crm.contacts' AND action = 'update'",
        )
        .await
        .unwrap();
    assert_eq!(meta, 9);
}

#[tokio::test]
async fn update_contact_without_changes_writes_nothing() {
    let t = TestDb::new().await;
    let id = contact(&t.db, "Anna", None).await;
    let before = get_contact(&t.db, &id).await.unwrap();
    let same = update_contact(&t.db, &id, ContactUpdate::default(), None)
        .await
        .unwrap();
    assert_eq!(same, before);
    assert_eq!(audit_count(&t, "crm.contacts", "update").await, 0);
}

#[tokio::test]
async fn update_contact_errors() {
    let t = TestDb::new().await;
    let id = contact(&t.db, "Anna", None).await;
    contact(&t.db, "Bo", Some("bo@example.com")).await;
    let unknown = update_contact(
        &t.db,
        "nope",
        ContactUpdate {
            first_name: Some("X".into()),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(code(unknown), ErrorCode::NotFound);
    let bad = update_contact(
        &t.db,
        &id,
        ContactUpdate {
            first_name: Some(" ".into()),
            last_name: Some(String::new()),
            email: Some(Some("x@".into())),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(invalid_fields(bad), ["first_name", "last_name", "email"]);
    let taken = update_contact(
        &t.db,
        &id,
        ContactUpdate {
            email: Some(Some("Bo@example.com".into())),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(code(taken), ErrorCode::Conflict);
    let bad_company = update_contact(
        &t.db,
        &id,
        ContactUpdate {
            company_id: Some(Some("missing".into())),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(code(bad_company), ErrorCode::Validation);
    assert_eq!(get_contact(&t.db, &id).await.unwrap().first_name, "Anna");
}

#[tokio::test]
async fn find_contacts_filters_orders_limits_and_includes_company_and_deals() {
    let t = TestDb::new().await;
    let acme = company(&t.db, "Acme").await;
    let mut a = contact_input("A", None);
    a.company_id = Some(acme.clone());
    a.owner = Some("u1".into());
    let a = create_contact(&t.db, a, None).await.unwrap().contact.id;
    let b = contact(&t.db, "B", None).await;
    let c = contact(&t.db, "C", None).await;
    update_contact(
        &t.db,
        &c,
        ContactUpdate {
            status: Some(ContactStatus::Inactive),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    // Deterministic creation order: A oldest, C newest.
    for (id, age) in [(&a, 3), (&b, 2), (&c, 1)] {
        t.exec(&format!(
            "UPDATE crm.contacts SET created_at = now() - interval '{age} hours' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    }
    let mut d = deal_input("For A", "100", "u1");
    d.contact_id = Some(a.clone());
    create_deal(&t.db, d, None).await.unwrap();

    let all = find_contacts(&t.db, ContactFilter::default())
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|c| c.contact.id.clone()).collect();
    assert_eq!(ids, [c.clone(), b.clone(), a.clone()], "newest first");
    let first_a = all.iter().find(|x| x.contact.id == a).unwrap();
    assert_eq!(first_a.company.as_ref().unwrap().id, acme);
    assert_eq!(first_a.deals.len(), 1);
    assert!(
        all.iter()
            .find(|x| x.contact.id == b)
            .unwrap()
            .deals
            .is_empty()
    );

    let active = find_contacts(
        &t.db,
        ContactFilter {
            status: Some(ContactStatus::Active),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(active.len(), 2);
    let of_acme = find_contacts(
        &t.db,
        ContactFilter {
            company_id: Some(acme),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_acme.len(), 1);
    let of_owner = find_contacts(
        &t.db,
        ContactFilter {
            owner: Some("u1".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_owner[0].contact.id, a);
    let blank_owner = find_contacts(
        &t.db,
        ContactFilter {
            owner: Some("  ".into()),
            limit: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(blank_owner.len(), 2, "blank filter = any; limit applies");
}

#[tokio::test]
async fn find_contact_by_email_is_case_insensitive_and_has_the_ten_newest_activities() {
    let t = TestDb::new().await;
    let acme = company(&t.db, "Acme").await;
    let mut input = contact_input("Anna", Some("anna@example.com"));
    input.company_id = Some(acme.clone());
    let id = create_contact(&t.db, input, None).await.unwrap().contact.id;
    for i in 0..12 {
        let a = log_activity(&t.db, activity("u1", Some(&id)))
            .await
            .unwrap();
        t.exec(&format!(
            "UPDATE crm.activities SET occurred_at = now() - interval '{i} minutes', subject = 'a{i}' WHERE id = '{}'",
            a.id
        ))
        .await
        .unwrap();
    }
    let mut d = deal_input("D", "10", "u1");
    d.contact_id = Some(id.clone());
    create_deal(&t.db, d, None).await.unwrap();

    let profile = find_contact_by_email(&t.db, "  ANNA@Example.com ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(profile.contact.id, id);
    assert_eq!(profile.company.unwrap().id, acme);
    assert_eq!(profile.deals.len(), 1);
    let subjects: Vec<_> = profile
        .recent_activities
        .iter()
        .map(|a| a.subject.clone().unwrap())
        .collect();
    let expected: Vec<_> = (0..10).map(|i| format!("a{i}")).collect();
    assert_eq!(subjects, expected);

    assert!(
        find_contact_by_email(&t.db, "nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(find_contact_by_email(&t.db, "   ").await.unwrap().is_none());
}

// ---------------------------------------------------------------- companies

#[tokio::test]
async fn create_company_sets_defaults_and_audits() {
    let t = TestDb::new().await;
    let c = create_company(
        &t.db,
        NewCompany {
            name: " Acme ".into(),
            website: Some("https://acme.dk".into()),
            industry: Some("cleaning".into()),
            owner: Some(" ".into()),
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(c.name, "Acme");
    assert_eq!(c.status, CompanyStatus::Active);
    assert_eq!(c.country.as_deref(), Some("Denmark"));
    assert_eq!(c.owner, None);
    assert_eq!(c.industry.as_deref(), Some("cleaning"));
    assert_eq!(audit_count(&t, "crm.companies", "create").await, 1);
    assert_eq!(get_company(&t.db, &c.id).await.unwrap(), c);
}

#[tokio::test]
async fn create_company_needs_a_name_and_get_company_unknown_is_not_found() {
    let t = TestDb::new().await;
    let r = create_company(&t.db, NewCompany::default(), None).await;
    assert_eq!(invalid_fields(r), ["name"]);
    assert_eq!(code(get_company(&t.db, "nope").await), ErrorCode::NotFound);
}

#[tokio::test]
async fn find_companies_filters_and_includes_contacts_and_deals() {
    let t = TestDb::new().await;
    let a = create_company(
        &t.db,
        NewCompany {
            name: "A".into(),
            industry: Some("cleaning".into()),
            owner: Some("u1".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .id;
    let b = company(&t.db, "B").await;
    t.exec(&format!(
        "UPDATE crm.companies SET created_at = now() - interval '1 hour', status = 'prospect' WHERE id = '{a}'"
    ))
    .await
    .unwrap();
    let mut ci = contact_input("X", None);
    ci.company_id = Some(a.clone());
    create_contact(&t.db, ci, None).await.unwrap();
    let mut d = deal_input("D", "1", "u1");
    d.company_id = Some(a.clone());
    create_deal(&t.db, d, None).await.unwrap();

    let all = find_companies(&t.db, CompanyFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|c| c.company.id.clone()).collect::<Vec<_>>(),
        [b.clone(), a.clone()]
    );
    assert_eq!(all[1].contacts.len(), 1);
    assert_eq!(all[1].deals.len(), 1);
    assert!(all[0].contacts.is_empty());
    for filter in [
        CompanyFilter {
            status: Some(CompanyStatus::Prospect),
            ..Default::default()
        },
        CompanyFilter {
            industry: Some("cleaning".into()),
            ..Default::default()
        },
        CompanyFilter {
            owner: Some("u1".into()),
            ..Default::default()
        },
    ] {
        let found = find_companies(&t.db, filter).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].company.id, a);
    }
    let limited = find_companies(
        &t.db,
        CompanyFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(limited.len(), 1);
}

// ---------------------------------------------------------------- deals

#[tokio::test]
async fn create_deal_defaults_rounds_value_and_loads_parties() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let company_id = company(&t.db, "Acme").await;
    let close = Utc::now() + Duration::days(30);
    let mut input = deal_input("  Big deal ", "1234.565", "u1");
    input.contact_id = Some(contact_id.clone());
    input.company_id = Some(company_id.clone());
    input.expected_close_date = Some(close);
    let created = create_deal(&t.db, input, None).await.unwrap();
    let d = &created.deal;
    assert_eq!(d.title, "Big deal");
    assert!(
        (d.value - 1234.57).abs() < 1e-9,
        "rounded half away from zero"
    );
    assert_eq!(d.stage, DealStage::Qualification);
    assert_eq!(d.status, DealStatus::Open);
    assert_eq!(d.currency, "DKK");
    assert_eq!(d.actual_close_date, None);
    assert_eq!(
        d.expected_close_date.map(|x| x.timestamp()),
        Some(close.timestamp())
    );
    assert_eq!(created.contact.unwrap().id, contact_id);
    assert_eq!(created.company.unwrap().id, company_id);
    assert_eq!(audit_count(&t, "crm.deals", "create").await, 1);
    assert_eq!(get_deal(&t.db, &d.id).await.unwrap(), *d);
}

#[tokio::test]
async fn create_deal_in_a_closed_stage_is_closed() {
    let t = TestDb::new().await;
    let mut input = deal_input("Won already", "10", "u1");
    input.stage = Some(DealStage::ClosedWon);
    let d = create_deal(&t.db, input, None).await.unwrap().deal;
    assert_eq!(d.status, DealStatus::Won);
    assert!(d.actual_close_date.is_some());
    let mut input = deal_input("Lost already", "10", "u1");
    input.stage = Some(DealStage::ClosedLost);
    let d = create_deal(&t.db, input, None).await.unwrap().deal;
    assert_eq!(d.status, DealStatus::Lost);
}

#[tokio::test]
async fn create_deal_bad_input() {
    let t = TestDb::new().await;
    let r = create_deal(&t.db, deal_input(" ", "-0.01", ""), None).await;
    assert_eq!(invalid_fields(r), ["title", "owner", "value"]);
    let r = create_deal(&t.db, deal_input("T", "1000000000000.01", "u"), None).await;
    assert_eq!(invalid_fields(r), ["value"]);
    let mut input = deal_input("T", "1", "u");
    input.contact_id = Some("missing".into());
    assert_eq!(
        code(create_deal(&t.db, input, None).await),
        ErrorCode::Validation
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.deals")
            .await
            .unwrap(),
        0
    );
    assert_eq!(code(get_deal(&t.db, "nope").await), ErrorCode::NotFound);
}

#[tokio::test]
async fn find_deals_filters_and_includes_contact_company_and_products() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let mut input = deal_input("A", "0", "u1");
    input.contact_id = Some(contact_id.clone());
    let a = create_deal(&t.db, input, None).await.unwrap().deal.id;
    let b = deal(&t.db, "5", "u2", DealStage::Proposal).await;
    let c = deal(&t.db, "5", "u2", DealStage::ClosedWon).await;
    for (id, age) in [(&a, 3), (&b, 2), (&c, 1)] {
        t.exec(&format!(
            "UPDATE crm.deals SET created_at = now() - interval '{age} hours' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    }
    add_product_to_deal(&t.db, product(&a, 1, "10", None), None)
        .await
        .unwrap();
    add_product_to_deal(&t.db, product(&a, 2, "10", None), None)
        .await
        .unwrap();

    let all = find_deals(&t.db, DealFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|d| d.deal.id.clone()).collect::<Vec<_>>(),
        [c.clone(), b.clone(), a.clone()]
    );
    let da = &all[2];
    assert_eq!(da.contact.as_ref().unwrap().id, contact_id);
    assert!(da.company.is_none());
    assert_eq!(da.products.len(), 2);
    assert_eq!(da.products[0].quantity, 1, "oldest line first");

    let proposal = find_deals(
        &t.db,
        DealFilter {
            stage: Some(DealStage::Proposal),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(proposal.len(), 1);
    assert_eq!(proposal[0].deal.id, b);
    let won = find_deals(
        &t.db,
        DealFilter {
            status: Some(DealStatus::Won),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(won[0].deal.id, c);
    let of_u2 = find_deals(
        &t.db,
        DealFilter {
            owner: Some("u2".into()),
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_u2.len(), 1);
    assert_eq!(of_u2[0].deal.id, c);
}

#[test]
fn status_for_stage_maps_closed_stages() {
    assert_eq!(status_for_stage(DealStage::ClosedWon), DealStatus::Won);
    assert_eq!(status_for_stage(DealStage::ClosedLost), DealStatus::Lost);
    for s in [
        DealStage::Qualification,
        DealStage::Proposal,
        DealStage::Negotiation,
    ] {
        assert_eq!(status_for_stage(s), DealStatus::Open);
    }
}

#[tokio::test]
async fn move_deal_to_stage_keeps_status_consistent() {
    let t = TestDb::new().await;
    let id = deal(&t.db, "100", "u1", DealStage::Qualification).await;

    let d = move_deal_to_stage(&t.db, &id, DealStage::Proposal, None)
        .await
        .unwrap();
    assert_eq!((d.stage, d.status), (DealStage::Proposal, DealStatus::Open));
    assert_eq!(d.actual_close_date, None);

    let d = move_deal_to_stage(&t.db, &id, DealStage::ClosedWon, None)
        .await
        .unwrap();
    assert_eq!((d.stage, d.status), (DealStage::ClosedWon, DealStatus::Won));
    assert!(d.actual_close_date.is_some());

    let d = move_deal_to_stage(&t.db, &id, DealStage::Negotiation, None)
        .await
        .unwrap();
    assert_eq!(
        (d.stage, d.status),
        (DealStage::Negotiation, DealStatus::Open)
    );
    assert_eq!(d.actual_close_date, None, "reopened");

    close_deal(&t.db, &id, false, Some("price".into()), None)
        .await
        .unwrap();
    let d = move_deal_to_stage(&t.db, &id, DealStage::Proposal, None)
        .await
        .unwrap();
    assert_eq!(d.lost_reason, None, "reopening clears the lost reason");

    let d = move_deal_to_stage(&t.db, &id, DealStage::ClosedLost, None)
        .await
        .unwrap();
    assert_eq!(
        (d.stage, d.status),
        (DealStage::ClosedLost, DealStatus::Lost)
    );
    assert!(d.actual_close_date.is_some());

    let before = audit_count(&t, "crm.deals", "move_stage").await;
    assert_eq!(before, 5);
    let same = move_deal_to_stage(&t.db, &id, DealStage::ClosedLost, None)
        .await
        .unwrap();
    assert_eq!(same, d, "same stage writes nothing");
    assert_eq!(audit_count(&t, "crm.deals", "move_stage").await, before);

    let r = move_deal_to_stage(&t.db, "nope", DealStage::Proposal, None).await;
    assert_eq!(code(r), ErrorCode::NotFound);
}

#[tokio::test]
async fn close_deal_sets_status_stage_date_and_reason() {
    let t = TestDb::new().await;
    let id = deal(&t.db, "100", "u1", DealStage::Negotiation).await;

    let lost = close_deal(&t.db, &id, false, Some("  too expensive ".into()), None)
        .await
        .unwrap();
    assert_eq!(
        (lost.status, lost.stage),
        (DealStatus::Lost, DealStage::ClosedLost)
    );
    assert_eq!(lost.lost_reason.as_deref(), Some("too expensive"));
    assert!(lost.actual_close_date.is_some());

    let won = close_deal(&t.db, &id, true, Some("ignored".into()), None)
        .await
        .unwrap();
    assert_eq!(
        (won.status, won.stage),
        (DealStatus::Won, DealStage::ClosedWon)
    );
    assert_eq!(won.lost_reason, None);

    let blank = close_deal(&t.db, &id, false, Some("  ".into()), None)
        .await
        .unwrap();
    assert_eq!(blank.lost_reason, None);
    assert_eq!(audit_count(&t, "crm.deals", "close").await, 3);

    assert_eq!(
        code(close_deal(&t.db, "nope", true, None, None).await),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------- deal products

#[test]
fn line_total_is_decimal_and_rounded() {
    assert_eq!(
        line_total(3, dec("19.99"), dec("12.5")).unwrap(),
        dec("52.47")
    );
    assert_eq!(line_total(1, dec("10"), dec("0")).unwrap(), dec("10"));
    assert_eq!(line_total(7, dec("10"), dec("100")).unwrap(), dec("0"));
    // 0.1 × 3 is exactly 0.3 in decimals (0.30000000000000004 in floats).
    assert_eq!(line_total(3, dec("0.1"), dec("0")).unwrap(), dec("0.3"));
    // 1 × 0.05 × 0.5 = 0.025 → 0.03 (half away from zero).
    assert_eq!(line_total(1, dec("0.05"), dec("50")).unwrap(), dec("0.03"));
}

#[test]
fn line_total_rejects_out_of_range_input() {
    assert_eq!(
        invalid_fields(line_total(0, dec("1"), dec("0"))),
        ["quantity"]
    );
    assert_eq!(
        invalid_fields(line_total(-1, dec("-1"), dec("100.01"))),
        ["quantity", "unit_price", "discount"]
    );
    assert_eq!(
        invalid_fields(line_total(1, dec("1"), dec("-0.5"))),
        ["discount"]
    );
    assert_eq!(
        invalid_fields(line_total(i32::MAX, dec("1000000000000"), dec("0"))),
        ["quantity"]
    );
}

#[tokio::test]
async fn add_product_to_deal_stores_the_line_and_sets_the_deal_value_to_the_sum() {
    let t = TestDb::new().await;
    let id = deal(&t.db, "999", "u1", DealStage::Proposal).await;
    let first = add_product_to_deal(&t.db, product(&id, 3, "19.99", Some("12.5")), None)
        .await
        .unwrap();
    assert_eq!(first.product.deal_id, id);
    assert!((first.product.total - 52.47).abs() < 1e-9);
    assert!((first.product.discount - 12.5).abs() < 1e-9);
    assert!(
        (first.deal.value - 52.47).abs() < 1e-9,
        "value = Σ totals, not the estimate"
    );

    let second = add_product_to_deal(&t.db, product(&id, 1, "0.1", None), None)
        .await
        .unwrap();
    assert!((second.product.discount).abs() < 1e-9, "default discount 0");
    assert!((second.deal.value - 52.57).abs() < 1e-9);
    assert!((get_deal(&t.db, &id).await.unwrap().value - 52.57).abs() < 1e-9);
    assert_eq!(audit_count(&t, "crm.deals", "add_product").await, 2);
}

#[tokio::test]
async fn add_product_to_deal_errors_write_nothing() {
    let t = TestDb::new().await;
    let id = deal(&t.db, "5", "u1", DealStage::Proposal).await;
    let r = add_product_to_deal(&t.db, product("nope", 1, "1", None), None).await;
    assert_eq!(code(r), ErrorCode::NotFound);
    let mut bad = product(&id, 0, "-1", Some("101"));
    bad.product_name = " ".into();
    assert_eq!(
        invalid_fields(add_product_to_deal(&t.db, bad, None).await),
        ["product_name", "quantity", "unit_price", "discount"]
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.deal_products")
            .await
            .unwrap(),
        0
    );
    assert!((get_deal(&t.db, &id).await.unwrap().value - 5.0).abs() < 1e-9);
}

// ---------------------------------------------------------------- activities

#[tokio::test]
async fn log_activity_inserts_with_occurred_at_now() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let before = Utc::now() - Duration::seconds(1);
    let a = log_activity(&t.db, activity(" u1 ", Some(&contact_id)))
        .await
        .unwrap();
    assert_eq!(a.owner, "u1");
    assert_eq!(a.r#type, ActivityType::Call);
    assert_eq!(a.duration_minutes, Some(15));
    assert!(a.occurred_at >= before);
    assert_eq!(a.contact_id.as_deref(), Some(contact_id.as_str()));
}

#[tokio::test]
async fn log_activity_bad_input() {
    let t = TestDb::new().await;
    let mut bad = activity(" ", None);
    bad.duration_minutes = Some(-1);
    assert_eq!(
        invalid_fields(log_activity(&t.db, bad).await),
        ["owner", "duration_minutes"]
    );
    let mut dangling = activity("u1", None);
    dangling.deal_id = Some("missing".into());
    assert_eq!(
        code(log_activity(&t.db, dangling).await),
        ErrorCode::Validation
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.activities")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn get_activities_filters_orders_and_includes_relations() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let company_id = company(&t.db, "Acme").await;
    let deal_id = deal(&t.db, "1", "u1", DealStage::Proposal).await;
    let mut full = activity("u1", Some(&contact_id));
    full.company_id = Some(company_id.clone());
    full.deal_id = Some(deal_id.clone());
    let old = log_activity(&t.db, full).await.unwrap();
    t.exec(&format!(
        "UPDATE crm.activities SET occurred_at = now() - interval '1 day' WHERE id = '{}'",
        old.id
    ))
    .await
    .unwrap();
    let new = log_activity(&t.db, activity("u2", None)).await.unwrap();

    let all = get_activities(&t.db, ActivityFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .map(|a| a.activity.id.clone())
            .collect::<Vec<_>>(),
        [new.id.clone(), old.id.clone()]
    );
    assert_eq!(all[1].contact.as_ref().unwrap().id, contact_id);
    assert_eq!(all[1].company.as_ref().unwrap().id, company_id);
    assert_eq!(all[1].deal.as_ref().unwrap().id, deal_id);
    assert!(all[0].contact.is_none());

    for filter in [
        ActivityFilter {
            contact_id: Some(contact_id.clone()),
            ..Default::default()
        },
        ActivityFilter {
            company_id: Some(company_id.clone()),
            ..Default::default()
        },
        ActivityFilter {
            deal_id: Some(deal_id.clone()),
            ..Default::default()
        },
        ActivityFilter {
            owner: Some("u1".into()),
            ..Default::default()
        },
    ] {
        let found = get_activities(&t.db, filter).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].activity.id, old.id);
    }
    let limited = get_activities(
        &t.db,
        ActivityFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(limited[0].activity.id, new.id);
    assert_eq!(limited.len(), 1);
}

// ---------------------------------------------------------------- emails

#[tokio::test]
async fn log_email_sets_sent_at_only_for_outbound_mail() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let mut input = email_input(EmailDirection::Outbound);
    input.contact_id = Some(contact_id.clone());
    let out = log_email(&t.db, input).await.unwrap();
    assert!(out.sent_at.is_some());
    assert_eq!(out.status, EmailStatus::Sent);
    assert_eq!(out.from, "sales@tekup.dk");
    assert_eq!(out.to, ["kunde@example.com"]);
    assert_eq!(out.contact_id.as_deref(), Some(contact_id.as_str()));

    let mut input = email_input(EmailDirection::Inbound);
    input.status = Some(EmailStatus::Delivered);
    let inbound = log_email(&t.db, input).await.unwrap();
    assert_eq!(inbound.sent_at, None);
    assert_eq!(inbound.status, EmailStatus::Delivered);
}

#[tokio::test]
async fn log_email_bad_input() {
    let t = TestDb::new().await;
    let mut bad = email_input(EmailDirection::Outbound);
    bad.subject = " ".into();
    bad.from = "nobody".into();
    bad.to = vec!["ok@example.com".into(), "broken".into()];
    assert_eq!(
        invalid_fields(log_email(&t.db, bad).await),
        ["subject", "from", "to"]
    );
    let mut none = email_input(EmailDirection::Outbound);
    none.to = Vec::new();
    assert_eq!(invalid_fields(log_email(&t.db, none).await), ["to"]);
    let mut dangling = email_input(EmailDirection::Outbound);
    dangling.contact_id = Some("missing".into());
    assert_eq!(
        code(log_email(&t.db, dangling).await),
        ErrorCode::Validation
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.emails")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn mark_email_opened_keeps_the_first_open_and_never_downgrades_clicked() {
    let t = TestDb::new().await;
    let e = log_email(&t.db, email_input(EmailDirection::Outbound))
        .await
        .unwrap();
    let first = mark_email_opened(&t.db, &e.id).await.unwrap();
    assert_eq!(first.status, EmailStatus::Opened);
    let opened_at = first.opened_at.expect("opened_at set");
    t.exec(&format!(
        "UPDATE crm.emails SET opened_at = opened_at - interval '1 hour' WHERE id = '{}'",
        e.id
    ))
    .await
    .unwrap();
    let again = mark_email_opened(&t.db, &e.id).await.unwrap();
    assert_eq!(
        again.opened_at,
        Some(opened_at - Duration::hours(1)),
        "first open kept"
    );

    t.exec(&format!(
        "UPDATE crm.emails SET status = 'clicked' WHERE id = '{}'",
        e.id
    ))
    .await
    .unwrap();
    let clicked = mark_email_opened(&t.db, &e.id).await.unwrap();
    assert_eq!(clicked.status, EmailStatus::Clicked);

    assert_eq!(
        code(mark_email_opened(&t.db, "nope").await),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------- tasks

#[tokio::test]
async fn create_task_defaults_and_bad_input() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let mut input = task_input(" Call back ", None, Some(1));
    input.contact_id = Some(contact_id.clone());
    let task = create_task(&t.db, input, None).await.unwrap();
    assert_eq!(task.title, "Call back");
    assert_eq!(task.status, TaskStatus::Todo);
    assert_eq!(task.priority, TaskPriority::Medium);
    assert!(task.due_date.is_some());
    assert_eq!(task.completed_at, None);
    assert_eq!(audit_count(&t, "crm.tasks", "create").await, 1);

    let mut bad = task_input(" ", None, None);
    bad.assigned_to = String::new();
    assert_eq!(
        invalid_fields(create_task(&t.db, bad, None).await),
        ["title", "assigned_to"]
    );
    let mut dangling = task_input("T", None, None);
    dangling.contact_id = Some("missing".into());
    assert_eq!(
        code(create_task(&t.db, dangling, None).await),
        ErrorCode::Validation
    );
}

#[tokio::test]
async fn get_tasks_orders_by_due_date_then_true_priority_with_undated_last() {
    let t = TestDb::new().await;
    let due = Utc::now() + Duration::days(2);
    let mut ids = std::collections::HashMap::new();
    for (name, prio) in [
        ("low", TaskPriority::Low),
        ("high", TaskPriority::High),
        ("medium", TaskPriority::Medium),
        ("urgent", TaskPriority::Urgent),
    ] {
        let mut input = task_input(name, Some(prio), None);
        input.due_date = Some(due);
        ids.insert(name, create_task(&t.db, input, None).await.unwrap().id);
    }
    create_task(
        &t.db,
        task_input("undated-urgent", Some(TaskPriority::Urgent), None),
        None,
    )
    .await
    .unwrap();
    create_task(
        &t.db,
        task_input("soonest-low", Some(TaskPriority::Low), Some(1)),
        None,
    )
    .await
    .unwrap();

    let titles: Vec<_> = get_tasks(&t.db, TaskFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.task.title)
        .collect();
    assert_eq!(
        titles,
        [
            "soonest-low",
            "urgent",
            "high",
            "medium",
            "low",
            "undated-urgent"
        ]
    );
}

#[tokio::test]
async fn get_tasks_filters_and_includes_contact() {
    let t = TestDb::new().await;
    let contact_id = contact(&t.db, "Anna", None).await;
    let mut mine = task_input("mine", None, None);
    mine.contact_id = Some(contact_id.clone());
    mine.assigned_to = "u9".into();
    let mine = create_task(&t.db, mine, None).await.unwrap();
    let other = create_task(&t.db, task_input("other", None, None), None)
        .await
        .unwrap();
    complete_task(&t.db, &other.id, None).await.unwrap();

    let by_user = get_tasks(
        &t.db,
        TaskFilter {
            assigned_to: Some("u9".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_user.len(), 1);
    assert_eq!(by_user[0].contact.as_ref().unwrap().id, contact_id);
    let by_contact = get_tasks(
        &t.db,
        TaskFilter {
            contact_id: Some(contact_id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_contact[0].task.id, mine.id);
    let done = get_tasks(
        &t.db,
        TaskFilter {
            status: Some(TaskStatus::Done),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].task.id, other.id);
    assert!(done[0].contact.is_none());
    let limited = get_tasks(
        &t.db,
        TaskFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(limited.len(), 1);
}

#[tokio::test]
async fn complete_task_is_idempotent_and_refuses_cancelled_tasks() {
    let t = TestDb::new().await;
    let task = create_task(&t.db, task_input("T", None, None), None)
        .await
        .unwrap();
    let done = complete_task(&t.db, &task.id, None).await.unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    let at = done.completed_at.expect("completed_at set");
    let again = complete_task(&t.db, &task.id, None).await.unwrap();
    assert_eq!(again.completed_at, Some(at));
    assert_eq!(audit_count(&t, "crm.tasks", "complete").await, 1);

    let cancelled = create_task(&t.db, task_input("C", None, None), None)
        .await
        .unwrap();
    t.exec(&format!(
        "UPDATE crm.tasks SET status = 'cancelled' WHERE id = '{}'",
        cancelled.id
    ))
    .await
    .unwrap();
    assert_eq!(
        code(complete_task(&t.db, &cancelled.id, None).await),
        ErrorCode::Conflict
    );
    assert_eq!(
        code(complete_task(&t.db, "nope", None).await),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------- metrics

#[tokio::test]
async fn track_metric_uses_the_utc_date_and_replaces_the_value() {
    let t = TestDb::new().await;
    let first = track_metric(
        &t.db,
        MetricSample {
            metric: " deals_won ".into(),
            value: 3.0,
            metadata: Some(json!({"src": "a"})),
            date: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(first.date, Utc::now().date_naive());
    assert_eq!(first.metric, "deals_won");
    let second = track_metric(
        &t.db,
        MetricSample {
            metric: "deals_won".into(),
            value: 5.0,
            metadata: None,
            date: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(second.id, first.id, "same row");
    assert!(
        (second.value - 5.0).abs() < f64::EPSILON,
        "replaced, not added"
    );
    assert_eq!(second.metadata, None, "metadata replaced too");
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM crm.metrics")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn track_metric_bad_input() {
    let t = TestDb::new().await;
    let r = track_metric(
        &t.db,
        MetricSample {
            metric: " ".into(),
            value: f64::NAN,
            metadata: None,
            date: None,
        },
    )
    .await;
    assert_eq!(invalid_fields(r), ["metric", "value"]);
}

#[tokio::test]
async fn get_metrics_is_an_inclusive_range_oldest_first() {
    let t = TestDb::new().await;
    let day = |d| NaiveDate::from_ymd_opt(2025, 3, d).unwrap();
    for (d, v) in [(3, 3.0), (1, 1.0), (2, 2.0), (4, 4.0)] {
        track_metric(
            &t.db,
            MetricSample {
                metric: "revenue".into(),
                value: v,
                metadata: None,
                date: Some(day(d)),
            },
        )
        .await
        .unwrap();
    }
    track_metric(
        &t.db,
        MetricSample {
            metric: "other".into(),
            value: 9.0,
            metadata: None,
            date: Some(day(2)),
        },
    )
    .await
    .unwrap();
    let rows = get_metrics(&t.db, "revenue", day(1), day(3)).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.date).collect::<Vec<_>>(),
        [day(1), day(2), day(3)]
    );
    assert_eq!(
        get_metrics(&t.db, "revenue", day(2), day(2))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        invalid_fields(get_metrics(&t.db, "revenue", day(3), day(1)).await),
        ["end_date"]
    );
}

// ---------------------------------------------------------------- pipeline

#[tokio::test]
async fn pipeline_metrics_of_an_empty_pipeline_list_every_stage_and_status() {
    let t = TestDb::new().await;
    let m = get_pipeline_metrics(&t.db, None).await.unwrap();
    assert_eq!(m.total_value, Decimal::ZERO);
    assert_eq!(m.deal_count, 0);
    assert_eq!(m.by_stage.len(), 5);
    assert_eq!(m.by_status.len(), 3);
    assert!(m.by_stage.iter().all(|(_, x)| *x == DealTotals::default()));
}

#[tokio::test]
async fn pipeline_metrics_are_grouped_in_sql_and_exclude_lost_value_from_the_total() {
    let t = TestDb::new().await;
    deal(&t.db, "100.10", "u1", DealStage::Qualification).await;
    deal(&t.db, "200.20", "u1", DealStage::Qualification).await;
    deal(&t.db, "50", "u2", DealStage::Proposal).await;
    deal(&t.db, "1000", "u1", DealStage::ClosedWon).await;
    deal(&t.db, "7", "u2", DealStage::ClosedLost).await;

    let m = get_pipeline_metrics(&t.db, None).await.unwrap();
    assert_eq!(m.deal_count, 5);
    assert_eq!(m.total_value, dec("1350.30"), "open + won, lost excluded");
    let stage = |s: DealStage| m.by_stage.iter().find(|(x, _)| *x == s).unwrap().1;
    assert_eq!(
        stage(DealStage::Qualification),
        DealTotals {
            count: 2,
            value: dec("300.30")
        }
    );
    assert_eq!(stage(DealStage::Proposal).count, 1);
    assert_eq!(stage(DealStage::Negotiation), DealTotals::default());
    assert_eq!(stage(DealStage::ClosedLost).value, dec("7"));
    let status = |s: DealStatus| m.by_status.iter().find(|(x, _)| *x == s).unwrap().1;
    assert_eq!(
        status(DealStatus::Open),
        DealTotals {
            count: 3,
            value: dec("350.30")
        }
    );
    assert_eq!(status(DealStatus::Won).value, dec("1000"));
    assert_eq!(status(DealStatus::Lost).count, 1);

    let u2 = get_pipeline_metrics(&t.db, Some("u2")).await.unwrap();
    assert_eq!(u2.deal_count, 2);
    assert_eq!(u2.total_value, dec("50"));
    let blank = get_pipeline_metrics(&t.db, Some("  ")).await.unwrap();
    assert_eq!(blank.deal_count, 5, "blank owner = all");
    let nobody = get_pipeline_metrics(&t.db, Some("nobody")).await.unwrap();
    assert_eq!(nobody.deal_count, 0);
}
