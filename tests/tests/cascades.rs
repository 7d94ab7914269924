//! ON DELETE behaviour of data-model.md, exercised on real rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, Utc};
use entity::{billy, vault};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use serde_json::json;
use tests::TestDb;
use tests::builders::{self, DocumentBuilder};

#[tokio::test]
async fn deleting_a_document_removes_its_embedding() {
    let t = TestDb::new().await;
    let doc = DocumentBuilder::default().insert(&t.db).await.unwrap();
    let other = DocumentBuilder::default().insert(&t.db).await.unwrap();
    builders::embedding(&t.db, doc.id, builders::vector(&[1.0]))
        .await
        .unwrap();
    builders::embedding(&t.db, other.id, builders::vector(&[0.0, 1.0]))
        .await
        .unwrap();

    vault::documents::Entity::delete_by_id(doc.id)
        .exec(&t.db)
        .await
        .unwrap();

    let left = vault::embeddings::Entity::find().all(&t.db).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].document_id, other.id);
}

#[tokio::test]
async fn deleting_an_organization_removes_its_rows_but_keeps_audit_logs() {
    let t = TestDb::new().await;
    let org = builders::billy_organization(&t.db).await.unwrap();
    let keep = builders::billy_organization(&t.db).await.unwrap();
    let user = builders::billy_user(&t.db, org.id).await.unwrap();
    builders::billy_user(&t.db, keep.id).await.unwrap();
    let expires = (Utc::now() + chrono::Duration::hours(1)).fixed_offset();
    for org_id in [org.id, keep.id] {
        billy::cached_invoices::ActiveModel {
            organization_id: Set(org_id),
            billy_id: Set("inv-1".into()),
            data: Set(json!({"id": "inv-1"})),
            expires_at: Set(expires),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        billy::cached_customers::ActiveModel {
            organization_id: Set(org_id),
            billy_id: Set("c-1".into()),
            data: Set(json!({})),
            expires_at: Set(expires),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        billy::cached_products::ActiveModel {
            organization_id: Set(org_id),
            billy_id: Set("p-1".into()),
            data: Set(json!({})),
            expires_at: Set(expires),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        billy::usage_metrics::ActiveModel {
            organization_id: Set(org_id),
            date: Set(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
            hour: Set(10),
            tool_name: Set("list_invoices".into()),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        billy::rate_limits::ActiveModel {
            organization_id: Set(org_id),
            endpoint: Set("list_invoices".into()),
            window_start: Set(Utc::now().fixed_offset()),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
    }
    let audit = billy::audit_logs::ActiveModel {
        organization_id: Set(Some(org.id)),
        user_id: Set(Some(user.id)),
        tool_name: Set("list_invoices".into()),
        action: Set(billy::audit_logs::AuditLogAction::Read),
        success: Set(true),
        ..Default::default()
    }
    .insert(&t.db)
    .await
    .unwrap();

    billy::organizations::Entity::delete_by_id(org.id)
        .exec(&t.db)
        .await
        .unwrap();

    for table in [
        "users",
        "cached_invoices",
        "cached_customers",
        "cached_products",
        "usage_metrics",
        "rate_limits",
    ] {
        let gone = t
            .scalar_i64(&format!(
                "SELECT count(*) FROM billy.{table} WHERE organization_id = '{}'",
                org.id
            ))
            .await
            .unwrap();
        assert_eq!(
            gone, 0,
            "billy.{table} kept rows of the deleted organisation"
        );
        let kept = t
            .scalar_i64(&format!(
                "SELECT count(*) FROM billy.{table} WHERE organization_id = '{}'",
                keep.id
            ))
            .await
            .unwrap();
        assert_eq!(kept, 1, "billy.{table} lost rows of another organisation");
    }
    let log = billy::audit_logs::Entity::find_by_id(audit.id)
        .one(&t.db)
        .await
        .unwrap();
    let log = log.expect("the audit log survives its organisation");
    assert_eq!(log.organization_id, None);
    assert_eq!(
        log.user_id, None,
        "its user was deleted with the organisation"
    );
    assert_eq!(log.tool_name, "list_invoices");
}

#[tokio::test]
async fn a_renos_lead_with_an_email_response_cannot_be_deleted() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO renos.leads (id) VALUES ('lead1');
         INSERT INTO renos.bookings (id, lead_id) VALUES ('b1', 'lead1');
         INSERT INTO renos.breaks (id, booking_id, start_time) VALUES ('br1', 'b1', now());",
    )
    .await
    .unwrap();
    t.exec(
        "INSERT INTO renos.email_responses (id, lead_id, recipient_email, subject, body)
         VALUES ('r1', 'lead1', 'a@example.com', 's', 'b')",
    )
    .await
    .unwrap();
    let blocked = t.exec("DELETE FROM renos.leads WHERE id = 'lead1'").await;
    assert!(
        blocked.is_err(),
        "RESTRICT from email_responses must block the delete"
    );

    t.exec("DELETE FROM renos.email_responses").await.unwrap();
    t.exec("DELETE FROM renos.leads WHERE id = 'lead1'")
        .await
        .unwrap();
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.bookings")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.breaks")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn updated_at_is_kept_current_by_the_trigger_for_raw_sql() {
    let t = TestDb::new().await;
    t.exec(
        "INSERT INTO shared.users (email, name, updated_at)
         VALUES ('x@example.com', 'X', '2020-01-01T00:00:00Z')",
    )
    .await
    .unwrap();
    t.exec("UPDATE shared.users SET name = 'Y'").await.unwrap();
    let fresh = t
        .scalar_i64(
            "SELECT count(*) FROM shared.users WHERE updated_at > now() - interval '1 minute'",
        )
        .await
        .unwrap();
    assert_eq!(fresh, 1, "a raw update must refresh updated_at");
    t.exec("UPDATE shared.users SET name = 'Z', updated_at = '2021-05-05T00:00:00Z'")
        .await
        .unwrap();
    let explicit = t
        .scalar_i64("SELECT count(*) FROM shared.users WHERE updated_at = '2021-05-05T00:00:00Z'")
        .await
        .unwrap();
    assert_eq!(explicit, 1, "an explicit updated_at is kept");
}

#[tokio::test]
async fn unknown_status_values_are_rejected() {
    let t = TestDb::new().await;
    let bad = t
        .exec("INSERT INTO renos.bookings (id, status) VALUES ('b1', 'teleported')")
        .await;
    assert!(bad.is_err());
    t.exec("INSERT INTO renos.bookings (id, status) VALUES ('b2', 'confirmed')")
        .await
        .unwrap();
}
