//! `service::shared`: identities by normalised email and the cross-app audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use serde_json::json;
use service::ErrorCode;
use service::shared::audit::{AuditEntry, AuditFilter, list, record};
use service::shared::users::{NewUser, find_by_email, get, normalize_email, upsert_user};
use tests::TestDb;

fn user(email: &str, name: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: name.into(),
    }
}

#[tokio::test]
async fn upsert_user_normalises_the_email_and_updates_the_name() {
    let t = TestDb::new().await;
    let a = upsert_user(&t.db, user("  Ann@Example.COM ", "Ann"))
        .await
        .unwrap();
    assert_eq!(a.email, "ann@example.com");
    let b = upsert_user(&t.db, user("ann@example.com", "Ann Berg"))
        .await
        .unwrap();
    assert_eq!(b.id, a.id, "same identity");
    assert_eq!(b.name, "Ann Berg");
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM shared.users")
            .await
            .unwrap(),
        1
    );
    let found = find_by_email(&t.db, "ANN@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, a.id);
    assert_eq!(get(&t.db, a.id).await.unwrap().name, "Ann Berg");
    assert_eq!(normalize_email(" X@Y.dk "), "x@y.dk");
}

#[tokio::test]
async fn upsert_user_rejects_bad_input_and_unknown_ids() {
    let t = TestDb::new().await;
    for (email, name, field) in [
        ("not-an-email", "A", "email"),
        ("a@b.dk", "  ", "name"),
        ("a@@b.dk", "A", "email"),
    ] {
        let err = upsert_user(&t.db, user(email, name)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation);
        match err {
            service::Error::Validation { fields } => assert_eq!(fields[0].field, field),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM shared.users")
            .await
            .unwrap(),
        0
    );
    let missing = get(&t.db, uuid::Uuid::new_v4()).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
    assert!(
        find_by_email(&t.db, "nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn concurrent_upserts_of_one_email_make_one_identity() {
    let t = TestDb::new().await;
    let pool = tests::test_db::connect(&t.url, 8).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let db = pool.clone();
            tokio::spawn(async move {
                upsert_user(&db, user("Race@Example.com", &format!("R{i}"))).await
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM shared.users")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn audit_entries_are_recorded_and_listed_with_both_date_bounds() {
    let t = TestDb::new().await;
    let u = upsert_user(&t.db, user("auditor@example.com", "Auditor"))
        .await
        .unwrap();
    for (i, resource) in ["renos.bookings", "renos.bookings", "crm.deals"]
        .iter()
        .enumerate()
    {
        record(
            &t.db,
            AuditEntry {
                user_id: Some(u.id),
                action: "update".into(),
                resource_type: (*resource).into(),
                resource_id: format!("r{i}"),
                metadata: json!({"i": i}),
            },
        )
        .await
        .unwrap();
    }
    t.exec("UPDATE shared.audit_logs SET created_at = now() - interval '10 days' WHERE resource_id = 'r0'")
        .await
        .unwrap();

    let bookings = list(
        &t.db,
        AuditFilter {
            resource_type: Some("renos.bookings".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        bookings
            .iter()
            .map(|e| e.resource_id.as_str())
            .collect::<Vec<_>>(),
        ["r1", "r0"]
    );

    let now = Utc::now().fixed_offset();
    let window = AuditFilter {
        since: Some(now - Duration::days(11)),
        until: Some(now - Duration::days(9)),
        ..Default::default()
    };
    let old = list(&t.db, window).await.unwrap();
    assert_eq!(old.len(), 1, "both bounds apply (defect 3)");
    assert_eq!(old[0].resource_id, "r0");

    let one = list(
        &t.db,
        AuditFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(one.len(), 1);
    let by_id = list(
        &t.db,
        AuditFilter {
            resource_id: Some("r2".into()),
            user_id: Some(u.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_id[0].resource_type, "crm.deals");
}

#[tokio::test]
async fn audit_entries_need_action_and_resource() {
    let t = TestDb::new().await;
    let err = record(
        &t.db,
        AuditEntry {
            user_id: None,
            action: " ".into(),
            resource_type: "renos.leads".into(),
            resource_id: "x".into(),
            metadata: json!({}),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    let unknown_user = record(
        &t.db,
        AuditEntry {
            user_id: Some(uuid::Uuid::new_v4()),
            action: "create".into(),
            resource_type: "renos.leads".into(),
            resource_id: "x".into(),
            metadata: json!({}),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        unknown_user.code(),
        ErrorCode::Validation,
        "the user FK is enforced (P7)"
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM shared.audit_logs")
            .await
            .unwrap(),
        0
    );
}
