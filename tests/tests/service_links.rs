//! Service layer, cross-schema links: identities by normalised email, party links across
//! renos/crm/Billy, and a RenOS invoice's Billy cache row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use sea_orm::entity::prelude::*;
use serde_json::json;
use service::Error;
use service::links::identities;
use service::links::invoices;
use service::links::parties;
use tests::TestDb;
use tests::builders;
use tests::counts::count;
use tests::errors::{assert_conflict, assert_not_found};

async fn renos_user(t: &TestDb, id: &str, email: &str, name: &str) {
    t.exec(&format!(
        "INSERT INTO renos.users (id, email, name, password_hash) \
         VALUES ('{id}', '{email}', '{name}', '$2b$10$xxxxxxxxxxxxxxxxxxxxxx')"
    ))
    .await
    .unwrap();
}

async fn billy_user(t: &TestDb, org: Uuid, email: &str) -> Uuid {
    let id = Uuid::new_v4();
    t.exec(&format!(
        "INSERT INTO billy.users (id, email, organization_id) VALUES ('{id}', '{email}', '{org}')"
    ))
    .await
    .unwrap();
    id
}

async fn shared_id_of_renos(t: &TestDb, id: &str) -> Option<Uuid> {
    entity::renos::users::Entity::find_by_id(id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap()
        .shared_user_id
}

async fn shared_id_of_billy(t: &TestDb, id: Uuid) -> Option<Uuid> {
    entity::billy::users::Entity::find_by_id(id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap()
        .shared_user_id
}

// ---------------------------------------------------------------------------------------
// Identities
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn link_identities_creates_the_shared_user_and_links_every_app_user() {
    let t = TestDb::new().await;
    let org1 = builders::billy_organization(&t.db).await.unwrap();
    let org2 = builders::billy_organization(&t.db).await.unwrap();
    renos_user(&t, "r1", " Anna@Example.COM", "Anna Renos").await;
    renos_user(&t, "r2", "bo@example.com", "Bo").await;
    let b1 = billy_user(&t, org1.id, "anna@example.com").await;
    let b2 = billy_user(&t, org2.id, "ANNA@example.com ").await;
    let b3 = billy_user(&t, org1.id, "bo@example.com").await;

    let link = identities::link_identities(&t.db, "  ANNA@example.com ")
        .await
        .unwrap();
    assert!(link.created);
    assert_eq!(link.shared_user.email, "anna@example.com");
    assert_eq!(link.shared_user.name, "Anna Renos");
    assert_eq!(link.renos_user_ids, vec!["r1"]);
    let mut billy = link.billy_user_ids.clone();
    billy.sort();
    let mut want = vec![b1, b2];
    want.sort();
    assert_eq!(billy, want);
    let sid = Some(link.shared_user.id);
    assert_eq!(shared_id_of_renos(&t, "r1").await, sid);
    assert_eq!(shared_id_of_billy(&t, b1).await, sid);
    assert_eq!(shared_id_of_billy(&t, b2).await, sid);
    assert_eq!(
        shared_id_of_renos(&t, "r2").await,
        None,
        "other emails untouched"
    );
    assert_eq!(shared_id_of_billy(&t, b3).await, None);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM shared.audit_logs WHERE action = 'link_identities'"
        )
        .await,
        1
    );

    // Idempotent: the same identity, nothing changed, nothing audited.
    let again = identities::link_identities(&t.db, "anna@example.com")
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.shared_user.id, link.shared_user.id);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM shared.audit_logs WHERE action = 'link_identities'"
        )
        .await,
        1
    );
    assert_eq!(count(&t, "SELECT count(*) FROM shared.users").await, 1);
}

#[tokio::test]
async fn link_identities_reuses_an_existing_shared_user_and_handles_billy_only_emails() {
    let t = TestDb::new().await;
    let existing = service::shared::users::upsert_user(
        &t.db,
        service::shared::users::NewUser {
            email: "anna@example.com".into(),
            name: "Anna Shared".into(),
        },
    )
    .await
    .unwrap();
    renos_user(&t, "r1", "anna@example.com", "Anna Renos").await;
    let link = identities::link_identities(&t.db, "anna@example.com")
        .await
        .unwrap();
    assert!(!link.created);
    assert_eq!(link.shared_user.id, existing.id);
    assert_eq!(link.shared_user.name, "Anna Shared", "existing name kept");
    assert_eq!(shared_id_of_renos(&t, "r1").await, Some(existing.id));

    let org = builders::billy_organization(&t.db).await.unwrap();
    let b = billy_user(&t, org.id, "carl@example.com").await;
    let carl = identities::link_identities(&t.db, "carl@example.com")
        .await
        .unwrap();
    assert!(carl.created);
    assert_eq!(
        carl.shared_user.name, "carl",
        "local part when no RenOS user"
    );
    assert!(carl.renos_user_ids.is_empty());
    assert_eq!(shared_id_of_billy(&t, b).await, Some(carl.shared_user.id));

    let nobody = identities::link_identities(&t.db, "nobody@example.com")
        .await
        .unwrap();
    assert!(nobody.created);
    assert!(nobody.renos_user_ids.is_empty() && nobody.billy_user_ids.is_empty());
}

#[tokio::test]
async fn link_identities_rejects_bad_and_anonymised_emails() {
    let t = TestDb::new().await;
    assert!(matches!(
        identities::link_identities(&t.db, "not-an-email").await,
        Err(Error::Validation { .. })
    ));
    assert!(matches!(
        identities::link_identities(&t.db, "deleted-x@deleted.invalid").await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(count(&t, "SELECT count(*) FROM shared.users").await, 0);
    assert!(identities::is_anonymised_email(
        " Deleted-1@DELETED.invalid"
    ));
    assert!(!identities::is_anonymised_email("anna@example.com"));
}

#[tokio::test]
async fn backfill_identities_links_everyone_once() {
    let t = TestDb::new().await;
    let org = builders::billy_organization(&t.db).await.unwrap();
    renos_user(&t, "r1", "Anna@Example.com", "Anna").await;
    renos_user(&t, "r2", "bo@example.com", "Bo").await;
    renos_user(&t, "r3", "deleted-r3@deleted.invalid", "Deleted user").await;
    let b1 = billy_user(&t, org.id, "anna@example.com").await;
    let b2 = billy_user(&t, org.id, "carl@example.com").await;
    let existing = service::shared::users::upsert_user(
        &t.db,
        service::shared::users::NewUser {
            email: "bo@example.com".into(),
            name: "Bo Shared".into(),
        },
    )
    .await
    .unwrap();

    let report = identities::backfill_identities(&t.db).await.unwrap();
    assert_eq!(report.shared_users_created, 2, "anna and carl; bo existed");
    assert_eq!(report.renos_users_linked, 2);
    assert_eq!(report.billy_users_linked, 2);

    let anna = service::shared::users::find_by_email(&t.db, "anna@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(anna.name, "Anna", "RenOS name preferred");
    let carl = service::shared::users::find_by_email(&t.db, "carl@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carl.name, "carl");
    assert_eq!(shared_id_of_renos(&t, "r1").await, Some(anna.id));
    assert_eq!(shared_id_of_renos(&t, "r2").await, Some(existing.id));
    assert_eq!(
        shared_id_of_renos(&t, "r3").await,
        None,
        "anonymised users skipped"
    );
    assert_eq!(shared_id_of_billy(&t, b1).await, Some(anna.id));
    assert_eq!(shared_id_of_billy(&t, b2).await, Some(carl.id));
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM shared.users WHERE email LIKE '%deleted.invalid'"
        )
        .await,
        0
    );

    let again = identities::backfill_identities(&t.db).await.unwrap();
    assert_eq!(again, identities::BackfillReport::default());
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM shared.audit_logs WHERE action = 'backfill_identities'"
        )
        .await,
        1
    );
}

// ---------------------------------------------------------------------------------------
// Parties
// ---------------------------------------------------------------------------------------

async fn renos_customer(t: &TestDb, id: &str, email: Option<&str>) {
    let email = email.map_or("NULL".to_owned(), |e| format!("'{e}'"));
    t.exec(&format!(
        "INSERT INTO renos.customers (id, name, email) VALUES ('{id}', 'C {id}', {email})"
    ))
    .await
    .unwrap();
}

async fn crm_company(t: &TestDb, id: &str) {
    t.exec(&format!(
        "INSERT INTO crm.companies (id, name) VALUES ('{id}', 'Co {id}')"
    ))
    .await
    .unwrap();
}

async fn crm_contact(t: &TestDb, id: &str, email: Option<&str>, company: Option<&str>) {
    let email = email.map_or("NULL".to_owned(), |e| format!("'{e}'"));
    let company = company.map_or("NULL".to_owned(), |c| format!("'{c}'"));
    t.exec(&format!(
        "INSERT INTO crm.contacts (id, first_name, last_name, email, company_id) \
         VALUES ('{id}', 'F', 'L', {email}, {company})"
    ))
    .await
    .unwrap();
}

async fn billy_contact(t: &TestDb, org: Uuid, billy_id: &str, data: serde_json::Value) {
    entity::billy::cached_customers::ActiveModel {
        organization_id: sea_orm::ActiveValue::Set(org),
        billy_id: sea_orm::ActiveValue::Set(billy_id.into()),
        data: sea_orm::ActiveValue::Set(data),
        expires_at: sea_orm::ActiveValue::Set((Utc::now() - Duration::hours(1)).fixed_offset()),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn parties_join_renos_crm_and_billy_by_email() {
    let t = TestDb::new().await;
    let org = builders::billy_organization(&t.db).await.unwrap();
    renos_customer(&t, "rc1", Some("Kunde@Example.com")).await;
    crm_company(&t, "co1").await;
    crm_contact(&t, "cc1", Some("kunde@example.com"), Some("co1")).await;
    billy_contact(
        &t,
        org.id,
        "bc1",
        json!({"name": "Kunde", "contactPersons": [
            {"email": "other@example.com", "isPrimary": false},
            {"email": " KUNDE@example.com", "isPrimary": true}
        ]}),
    )
    .await;

    let p1 = parties::upsert_party_from_renos_customer(&t.db, "rc1")
        .await
        .unwrap();
    assert_eq!(p1.email_norm.as_deref(), Some("kunde@example.com"));
    assert_eq!(p1.renos_customer_id.as_deref(), Some("rc1"));
    let p2 = parties::upsert_party_from_crm_contact(&t.db, "cc1")
        .await
        .unwrap();
    assert_eq!(p2.id, p1.id);
    assert_eq!(p2.crm_contact_id.as_deref(), Some("cc1"));
    assert_eq!(p2.crm_company_id.as_deref(), Some("co1"));
    let p3 = parties::upsert_party_from_billy_contact(&t.db, org.id, "bc1")
        .await
        .unwrap();
    assert_eq!(p3.id, p1.id);
    assert_eq!(p3.billy_organization_id, Some(org.id));
    assert_eq!(p3.billy_contact_id.as_deref(), Some("bc1"));
    assert_eq!(
        p3.renos_customer_id.as_deref(),
        Some("rc1"),
        "merged, not replaced"
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM shared.party_links").await,
        1
    );

    // Upserting again changes nothing.
    let again = parties::upsert_party_from_renos_customer(&t.db, "rc1")
        .await
        .unwrap();
    assert_eq!(again.id, p1.id);
    let found = parties::find_party_by_email(&t.db, " KUNDE@example.com")
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.id), Some(p1.id));
    assert!(
        parties::find_party_by_email(&t.db, "x@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn parties_found_by_key_and_by_email_are_merged() {
    let t = TestDb::new().await;
    // The customer had no email when first linked.
    renos_customer(&t, "rc1", None).await;
    let by_key = parties::upsert_party_from_renos_customer(&t.db, "rc1")
        .await
        .unwrap();
    assert!(by_key.email_norm.is_none());
    crm_contact(&t, "cc1", Some("kunde@example.com"), None).await;
    let by_email = parties::upsert_party_from_crm_contact(&t.db, "cc1")
        .await
        .unwrap();
    assert_ne!(by_key.id, by_email.id);
    assert_eq!(
        count(&t, "SELECT count(*) FROM shared.party_links").await,
        2
    );

    t.exec("UPDATE renos.customers SET email = 'kunde@example.com' WHERE id = 'rc1'")
        .await
        .unwrap();
    let merged = parties::upsert_party_from_renos_customer(&t.db, "rc1")
        .await
        .unwrap();
    assert_eq!(merged.id, by_email.id, "the email party is kept");
    assert_eq!(merged.renos_customer_id.as_deref(), Some("rc1"));
    assert_eq!(merged.crm_contact_id.as_deref(), Some("cc1"));
    assert_eq!(
        count(&t, "SELECT count(*) FROM shared.party_links").await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM shared.audit_logs WHERE action = 'merge_parties'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn parties_conflict_when_one_email_has_two_records_of_a_kind() {
    let t = TestDb::new().await;
    // renos.customers.email is unique but case-sensitive: two customers, one address.
    renos_customer(&t, "rc1", Some("kunde@example.com")).await;
    renos_customer(&t, "rc2", Some("Kunde@example.com")).await;
    parties::upsert_party_from_renos_customer(&t.db, "rc1")
        .await
        .unwrap();
    assert_conflict(parties::upsert_party_from_renos_customer(&t.db, "rc2").await);
    let p = parties::find_party_by_email(&t.db, "kunde@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.renos_customer_id.as_deref(),
        Some("rc1"),
        "unchanged after the conflict"
    );
}

#[tokio::test]
async fn parties_without_email_and_unknown_sources() {
    let t = TestDb::new().await;
    let org = builders::billy_organization(&t.db).await.unwrap();
    renos_customer(&t, "rc1", Some("not an email")).await;
    let p = parties::upsert_party_from_renos_customer(&t.db, "rc1")
        .await
        .unwrap();
    assert!(p.email_norm.is_none());
    billy_contact(&t, org.id, "bc1", json!({"name": "No mail"})).await;
    let b = parties::upsert_party_from_billy_contact(&t.db, org.id, "bc1")
        .await
        .unwrap();
    assert!(b.email_norm.is_none());
    assert_ne!(b.id, p.id);
    // Linking the same source again finds it by key.
    let b2 = parties::upsert_party_from_billy_contact(&t.db, org.id, "bc1")
        .await
        .unwrap();
    assert_eq!(b2.id, b.id);
    assert_not_found(parties::upsert_party_from_renos_customer(&t.db, "nope").await);
    assert_not_found(parties::upsert_party_from_crm_contact(&t.db, "nope").await);
    assert_not_found(parties::upsert_party_from_billy_contact(&t.db, org.id, "nope").await);
}

#[tokio::test]
async fn crm_company_follows_the_contact() {
    let t = TestDb::new().await;
    crm_company(&t, "co1").await;
    crm_company(&t, "co2").await;
    crm_contact(&t, "cc1", Some("a@example.com"), Some("co1")).await;
    parties::upsert_party_from_crm_contact(&t.db, "cc1")
        .await
        .unwrap();
    t.exec("UPDATE crm.contacts SET company_id = 'co2' WHERE id = 'cc1'")
        .await
        .unwrap();
    let p = parties::upsert_party_from_crm_contact(&t.db, "cc1")
        .await
        .unwrap();
    assert_eq!(p.crm_company_id.as_deref(), Some("co2"));
}

#[test]
fn billy_contact_email_prefers_top_level_then_primary_then_first() {
    assert_eq!(
        parties::billy_contact_email(
            &json!({"email": "Top@X.dk", "contactPersons": [{"email": "p@x.dk", "isPrimary": true}]})
        ),
        Some("top@x.dk".into())
    );
    assert_eq!(
        parties::billy_contact_email(&json!({"contactPersons": [
            {"email": "first@x.dk"}, {"email": "primary@x.dk", "isPrimary": true}]})),
        Some("primary@x.dk".into())
    );
    assert_eq!(
        parties::billy_contact_email(&json!({"email": "bad", "contactPersons": [
            {"email": ""}, {"email": "second@x.dk"}]})),
        Some("second@x.dk".into())
    );
    assert_eq!(parties::billy_contact_email(&json!({"name": "x"})), None);
    assert_eq!(
        parties::billy_contact_email(&json!({"contactPersons": "x"})),
        None
    );
}

// ---------------------------------------------------------------------------------------
// Invoice ↔ Billy cache
// ---------------------------------------------------------------------------------------

async fn invoice(
    t: &TestDb,
    id: &str,
    org: Option<Uuid>,
    billy_invoice: Option<&str>,
    contact: Option<&str>,
) {
    let q = |v: Option<String>| v.map_or("NULL".to_owned(), |s| format!("'{s}'"));
    t.exec(&format!(
        "INSERT INTO renos.invoices (id, invoice_number, customer_id, customer_name, due_date, \
         subtotal, vat_amount, total, billy_organization_id, billy_invoice_id, billy_contact_id) \
         VALUES ('{id}', 'N-{id}', 'c', 'C', now(), 100, 25, 125, {}, {}, {})",
        q(org.map(|o| o.to_string())),
        q(billy_invoice.map(str::to_owned)),
        q(contact.map(str::to_owned)),
    ))
    .await
    .unwrap();
}

async fn cached_invoice(t: &TestDb, org: Uuid, billy_id: &str, expires_in_hours: i64) {
    entity::billy::cached_invoices::ActiveModel {
        organization_id: sea_orm::ActiveValue::Set(org),
        billy_id: sea_orm::ActiveValue::Set(billy_id.into()),
        data: sea_orm::ActiveValue::Set(json!({"id": billy_id})),
        expires_at: sea_orm::ActiveValue::Set(
            (Utc::now() + Duration::hours(expires_in_hours)).fixed_offset(),
        ),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn billy_cached_invoice_for_finds_fresh_rows_of_the_right_organisation() {
    let t = TestDb::new().await;
    let org = builders::billy_organization(&t.db).await.unwrap();
    let other = builders::billy_organization(&t.db).await.unwrap();
    cached_invoice(&t, org.id, "bi1", 1).await;
    cached_invoice(&t, other.id, "bi2", 1).await;
    cached_invoice(&t, org.id, "bi3", -1).await;
    invoice(&t, "i1", Some(org.id), Some("bi1"), None).await;
    invoice(&t, "i2", Some(org.id), Some("bi2"), None).await;
    invoice(&t, "i3", Some(org.id), Some("bi3"), None).await;
    invoice(&t, "i4", None, Some("bi4"), None).await;
    invoice(&t, "i5", Some(org.id), None, None).await;

    let hit = invoices::billy_cached_invoice_for(&t.db, "i1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.billy_id, "bi1");
    assert_eq!(hit.organization_id, org.id);
    assert!(
        invoices::billy_cached_invoice_for(&t.db, "i2")
            .await
            .unwrap()
            .is_none(),
        "cached under another organisation"
    );
    assert!(
        invoices::billy_cached_invoice_for(&t.db, "i3")
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        invoices::billy_cached_invoice_for(&t.db, "i4")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        invoices::billy_cached_invoice_for(&t.db, "i5")
            .await
            .unwrap()
            .is_none()
    );
    assert_not_found(invoices::billy_cached_invoice_for(&t.db, "nope").await);
}

#[tokio::test]
async fn billy_cached_contact_for_uses_the_contact_id() {
    let t = TestDb::new().await;
    let org = builders::billy_organization(&t.db).await.unwrap();
    entity::billy::cached_customers::ActiveModel {
        organization_id: sea_orm::ActiveValue::Set(org.id),
        billy_id: sea_orm::ActiveValue::Set("bc1".into()),
        data: sea_orm::ActiveValue::Set(json!({"name": "Kunde"})),
        expires_at: sea_orm::ActiveValue::Set((Utc::now() + Duration::hours(1)).fixed_offset()),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();
    billy_contact(&t, org.id, "bc-old", json!({})).await;
    invoice(&t, "i1", Some(org.id), None, Some("bc1")).await;
    invoice(&t, "i2", Some(org.id), None, Some("bc-old")).await;
    invoice(&t, "i3", None, None, Some("bc1")).await;
    let hit = invoices::billy_cached_contact_for(&t.db, "i1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.data["name"], json!("Kunde"));
    assert!(
        invoices::billy_cached_contact_for(&t.db, "i2")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        invoices::billy_cached_contact_for(&t.db, "i3")
            .await
            .unwrap()
            .is_none()
    );
    assert_not_found(invoices::billy_cached_contact_for(&t.db, "nope").await);
}
