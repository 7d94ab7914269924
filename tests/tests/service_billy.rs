//! `service::billy`: organisations, users, the audit log and the TTL caches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeDelta, Utc};
use entity::billy::audit_logs::AuditLogAction;
use entity::billy::users::UserRole;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, Statement};
use serde_json::json;
use service::Error;
use service::billy::audit::{AuditLogFilter, NewAuditLog, list_audit_logs, log_audit};
use service::billy::cache::{
    CacheCounts, CacheKind, DEFAULT_TTL, get_cached, invalidate_cached,
    invalidate_organization_cache, purge_expired_cache, set_cached,
};
use service::billy::crypto::ApiKey;
use service::billy::organizations::{
    NewOrganization, OrganizationFilter, create_organization, find_organization, get_organization,
    list_organizations, set_organization_active, update_organization_settings,
};
use service::billy::users::{
    NewUser, UserFilter, create_user, deactivate_user, find_user, get_user, list_users,
    update_user_role,
};
use service::shared::users::{NewUser as NewSharedUser, upsert_user};
use tests::TestDb;
use tests::builders::billy::{keyring, organization};
use tests::counts::count;
use tests::errors::fields;

fn new_user(organization_id: Uuid, email: &str) -> NewUser {
    NewUser {
        organization_id,
        email: email.to_owned(),
        role: None,
        metadata: None,
    }
}

// ---------------------------------------------------------------- organisations

#[tokio::test]
async fn create_organization_validates_every_field() {
    let t = TestDb::new().await;
    let err = create_organization(
        &t.db,
        &keyring(),
        NewOrganization {
            name: "  ".into(),
            billy_organization_id: "".into(),
            api_key: ApiKey::new("has space"),
            settings: Some(json!([1, 2])),
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(err),
        ["name", "billy_organization_id", "api_key", "settings"]
    );
    let empty_key = create_organization(
        &t.db,
        &keyring(),
        NewOrganization {
            name: "n".into(),
            billy_organization_id: "b".into(),
            api_key: ApiKey::new(""),
            settings: None,
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(empty_key), ["api_key"]);
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.organizations").await,
        0
    );
}

#[tokio::test]
async fn create_organization_stores_trimmed_fields_defaults_and_audits() {
    let t = TestDb::new().await;
    let actor = upsert_user(
        &t.db,
        NewSharedUser {
            email: "admin@tekup.dk".into(),
            name: "Admin".into(),
        },
    )
    .await
    .unwrap();
    let o = create_organization(
        &t.db,
        &keyring(),
        NewOrganization {
            name: "  Rendetalje  ".into(),
            billy_organization_id: " org-1 ".into(),
            api_key: ApiKey::new("abc"),
            settings: Some(json!({"cacheEnabled": true})),
        },
        Some(actor.id),
    )
    .await
    .unwrap();
    assert_eq!(o.name, "Rendetalje");
    assert_eq!(o.billy_organization_id, "org-1");
    assert_eq!(o.settings, json!({"cacheEnabled": true}));
    assert!(o.is_active);
    assert!(o.has_api_key);

    let defaults = organization(&t.db, "plain").await;
    assert_eq!(defaults.settings, json!({}));

    let billy = count(
        &t,
        &format!(
            "SELECT count(*) FROM billy.audit_logs WHERE organization_id = '{}'
               AND tool_name = 'create_organization' AND action = 'create' AND success",
            o.id
        ),
    )
    .await;
    assert_eq!(billy, 1);
    let shared = count(
        &t,
        &format!(
            "SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'billy.organizations'
               AND resource_id = '{}' AND user_id = '{}' AND action = 'create'",
            o.id, actor.id
        ),
    )
    .await;
    assert_eq!(shared, 1);
}

#[tokio::test]
async fn duplicate_billy_organization_id_is_a_conflict() {
    let t = TestDb::new().await;
    organization(&t.db, "dup").await;
    let again = create_organization(
        &t.db,
        &keyring(),
        NewOrganization {
            name: "Other".into(),
            billy_organization_id: "billy-dup".into(),
            api_key: ApiKey::new("k"),
            settings: None,
        },
        None,
    )
    .await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.organizations").await,
        1
    );
    assert_eq!(count(&t, "SELECT count(*) FROM billy.audit_logs").await, 1);
}

#[tokio::test]
async fn get_and_find_organization() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "find").await;
    let other = organization(&t.db, "other").await;
    create_user(&t.db, new_user(o.id, "zed@x.dk"), None)
        .await
        .unwrap();
    create_user(&t.db, new_user(o.id, "anna@x.dk"), None)
        .await
        .unwrap();
    create_user(&t.db, new_user(other.id, "bob@x.dk"), None)
        .await
        .unwrap();

    assert_eq!(get_organization(&t.db, o.id).await.unwrap().id, o.id);
    assert!(matches!(
        get_organization(&t.db, Uuid::new_v4()).await,
        Err(Error::NotFound { .. })
    ));

    let found = find_organization(&t.db, " billy-find ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.organization.id, o.id);
    let emails: Vec<&str> = found.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["anna@x.dk", "zed@x.dk"]);

    assert!(
        find_organization(&t.db, "billy-nope")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        fields(find_organization(&t.db, " ").await.unwrap_err()),
        ["billy_organization_id"]
    );

    // Inactive organisations are still found (the caller checks is_active).
    set_organization_active(&t.db, o.id, false, None)
        .await
        .unwrap();
    let inactive = find_organization(&t.db, "billy-find")
        .await
        .unwrap()
        .unwrap();
    assert!(!inactive.organization.is_active);
}

#[tokio::test]
async fn list_organizations_filters_orders_and_limits() {
    let t = TestDb::new().await;
    let c = organization(&t.db, "charlie").await;
    organization(&t.db, "alpha").await;
    organization(&t.db, "bravo").await;
    set_organization_active(&t.db, c.id, false, None)
        .await
        .unwrap();

    let all = list_organizations(&t.db, OrganizationFilter::default())
        .await
        .unwrap();
    let names: Vec<&str> = all.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["alpha", "bravo", "charlie"]);

    let active = list_organizations(
        &t.db,
        OrganizationFilter {
            is_active: Some(true),
            limit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(active.len(), 2);
    assert!(active.iter().all(|o| o.is_active));

    let inactive = list_organizations(
        &t.db,
        OrganizationFilter {
            is_active: Some(false),
            limit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0].id, c.id);

    let first = list_organizations(
        &t.db,
        OrganizationFilter {
            is_active: None,
            limit: Some(1),
        },
    )
    .await
    .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].name, "alpha");
}

#[tokio::test]
async fn set_active_toggles_and_audits_each_call() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "toggle").await;
    assert!(
        !set_organization_active(&t.db, o.id, false, None)
            .await
            .unwrap()
            .is_active
    );
    assert!(
        !set_organization_active(&t.db, o.id, false, None)
            .await
            .unwrap()
            .is_active
    );
    assert!(
        set_organization_active(&t.db, o.id, true, None)
            .await
            .unwrap()
            .is_active
    );
    assert!(get_organization(&t.db, o.id).await.unwrap().is_active);
    let audits = count(
        &t,
        "SELECT count(*) FROM billy.audit_logs WHERE tool_name IN ('activate_organization', 'deactivate_organization')",
    )
    .await;
    assert_eq!(audits, 3);
    assert!(matches!(
        set_organization_active(&t.db, Uuid::new_v4(), true, None).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn update_settings_replaces_the_object() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "settings").await;
    let first = update_organization_settings(&t.db, o.id, json!({"a": 1, "b": 2}), None)
        .await
        .unwrap();
    assert_eq!(first.settings, json!({"a": 1, "b": 2}));
    assert!(first.updated_at >= o.updated_at);
    let second = update_organization_settings(&t.db, o.id, json!({"b": 3}), None)
        .await
        .unwrap();
    assert_eq!(second.settings, json!({"b": 3}));
    assert_eq!(
        get_organization(&t.db, o.id).await.unwrap().settings,
        json!({"b": 3})
    );

    assert_eq!(
        fields(
            update_organization_settings(&t.db, o.id, json!("x"), None)
                .await
                .unwrap_err()
        ),
        ["settings"]
    );
    assert!(matches!(
        update_organization_settings(&t.db, Uuid::new_v4(), json!({}), None).await,
        Err(Error::NotFound { .. })
    ));
    let audited_keys = count(
        &t,
        "SELECT count(*) FROM billy.audit_logs WHERE tool_name = 'update_organization_settings'
           AND input_params->'setting_keys' = '[\"b\"]'::jsonb",
    )
    .await;
    assert_eq!(audited_keys, 1);
}

// ---------------------------------------------------------------- users

#[tokio::test]
async fn create_user_normalises_links_and_audits() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "users").await;
    let shared = upsert_user(
        &t.db,
        NewSharedUser {
            email: "Mia@Tekup.dk".into(),
            name: "Mia".into(),
        },
    )
    .await
    .unwrap();

    let mia = create_user(&t.db, new_user(o.id, "  MIA@tekup.DK "), None)
        .await
        .unwrap();
    assert_eq!(mia.email, "mia@tekup.dk");
    assert_eq!(mia.role, UserRole::User);
    assert_eq!(mia.metadata, json!({}));
    assert!(mia.is_active);
    assert_eq!(mia.shared_user_id, Some(shared.id));

    let admin = create_user(
        &t.db,
        NewUser {
            organization_id: o.id,
            email: "boss@x.dk".into(),
            role: Some(UserRole::Admin),
            metadata: Some(json!({"team": "ops"})),
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(admin.role, UserRole::Admin);
    assert_eq!(admin.shared_user_id, None);
    assert_eq!(admin.metadata, json!({"team": "ops"}));

    let audits = count(
        &t,
        "SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'billy.users' AND action = 'create'",
    )
    .await;
    assert_eq!(audits, 2);
}

#[tokio::test]
async fn create_user_conflicts_and_bad_input() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "u1").await;
    let other = organization(&t.db, "u2").await;
    create_user(&t.db, new_user(o.id, "same@x.dk"), None)
        .await
        .unwrap();
    let dup = create_user(&t.db, new_user(o.id, "SAME@x.dk"), None).await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "{dup:?}");
    // A legacy mixed-case row is found case-insensitively, too.
    t.exec(&format!(
        "INSERT INTO billy.users (id, email, organization_id) VALUES (gen_random_uuid(), 'Legacy@X.dk', '{}')",
        o.id
    ))
    .await
    .unwrap();
    assert!(matches!(
        create_user(&t.db, new_user(o.id, "legacy@x.dk"), None).await,
        Err(Error::Conflict { .. })
    ));
    // The same email in another organisation is fine.
    create_user(&t.db, new_user(other.id, "same@x.dk"), None)
        .await
        .unwrap();

    let unknown_org = create_user(&t.db, new_user(Uuid::new_v4(), "a@x.dk"), None).await;
    assert!(
        matches!(unknown_org, Err(Error::Validation { .. })),
        "{unknown_org:?}"
    );

    let bad = create_user(
        &t.db,
        NewUser {
            organization_id: o.id,
            email: "not-an-email".into(),
            role: None,
            metadata: Some(json!(3)),
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(bad), ["email", "metadata"]);
    assert_eq!(count(&t, "SELECT count(*) FROM billy.users").await, 3);
}

#[tokio::test]
async fn find_get_and_list_users() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "list").await;
    let other = organization(&t.db, "list2").await;
    let b = create_user(&t.db, new_user(o.id, "b@x.dk"), None)
        .await
        .unwrap();
    let a = create_user(
        &t.db,
        NewUser {
            role: Some(UserRole::Readonly),
            ..new_user(o.id, "a@x.dk")
        },
        None,
    )
    .await
    .unwrap();
    let c = create_user(&t.db, new_user(o.id, "c@x.dk"), None)
        .await
        .unwrap();
    create_user(&t.db, new_user(other.id, "a@x.dk"), None)
        .await
        .unwrap();
    deactivate_user(&t.db, c.id, None).await.unwrap();

    assert_eq!(
        find_user(&t.db, o.id, " B@X.DK ")
            .await
            .unwrap()
            .unwrap()
            .id,
        b.id
    );
    assert!(find_user(&t.db, o.id, "zz@x.dk").await.unwrap().is_none());
    assert!(
        find_user(&t.db, Uuid::new_v4(), "b@x.dk")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        fields(find_user(&t.db, o.id, " ").await.unwrap_err()),
        ["email"]
    );

    assert_eq!(get_user(&t.db, a.id).await.unwrap().email, "a@x.dk");
    assert!(matches!(
        get_user(&t.db, Uuid::new_v4()).await,
        Err(Error::NotFound { .. })
    ));

    let active = list_users(&t.db, o.id, UserFilter::default())
        .await
        .unwrap();
    let emails: Vec<&str> = active.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["a@x.dk", "b@x.dk"]);
    let all = list_users(
        &t.db,
        o.id,
        UserFilter {
            include_inactive: true,
            role: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 3);
    let readonly = list_users(
        &t.db,
        o.id,
        UserFilter {
            include_inactive: true,
            role: Some(UserRole::Readonly),
        },
    )
    .await
    .unwrap();
    assert_eq!(readonly.len(), 1);
    assert_eq!(readonly[0].id, a.id);
}

#[tokio::test]
async fn update_role_and_deactivate() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "roles").await;
    let u = create_user(&t.db, new_user(o.id, "r@x.dk"), None)
        .await
        .unwrap();
    let admin = update_user_role(&t.db, u.id, UserRole::Admin, None)
        .await
        .unwrap();
    assert_eq!(admin.role, UserRole::Admin);
    assert_eq!(get_user(&t.db, u.id).await.unwrap().role, UserRole::Admin);

    let off = deactivate_user(&t.db, u.id, None).await.unwrap();
    assert!(!off.is_active);
    assert!(!deactivate_user(&t.db, u.id, None).await.unwrap().is_active);

    assert!(matches!(
        update_user_role(&t.db, Uuid::new_v4(), UserRole::User, None).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        deactivate_user(&t.db, Uuid::new_v4(), None).await,
        Err(Error::NotFound { .. })
    ));
    let role_audit = count(
        &t,
        "SELECT count(*) FROM billy.audit_logs WHERE tool_name = 'update_user_role'
           AND input_params = '{\"role\": \"admin\", \"previous_role\": \"user\"}'::jsonb",
    )
    .await;
    assert_eq!(role_audit, 1);
    let deactivations = count(
        &t,
        "SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'billy.users' AND action = 'update'",
    )
    .await;
    assert_eq!(deactivations, 3);
}

// ---------------------------------------------------------------- audit log

fn entry(org: Uuid, tool: &str, action: AuditLogAction) -> NewAuditLog {
    NewAuditLog::new(Some(org), tool, action, true)
}

#[tokio::test]
async fn log_audit_writes_both_trails_and_redacts_secrets() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "audit").await;
    let shared = upsert_user(
        &t.db,
        NewSharedUser {
            email: "ops@x.dk".into(),
            name: "Ops".into(),
        },
    )
    .await
    .unwrap();
    let user = create_user(&t.db, new_user(o.id, "ops@x.dk"), None)
        .await
        .unwrap();
    t.exec("DELETE FROM billy.audit_logs; DELETE FROM shared.audit_logs")
        .await
        .unwrap();

    let mut e = entry(o.id, "get_invoice", AuditLogAction::Read);
    e.user_id = Some(user.id);
    e.resource_type = Some(" invoice ".into());
    e.resource_id = Some("inv-7".into());
    e.input_params =
        Some(json!({"id": "inv-7", "apiKey": "sk-live", "nested": [{"password": "pw"}]}));
    e.output_data = Some(json!({"count": 1, "access_token": "t"}));
    e.duration_ms = Some(42);
    e.ip_address = Some(" ::1 ".into());
    e.user_agent = Some("claude".into());
    let row = log_audit(&t.db, e).await.unwrap();

    assert_eq!(row.organization_id, Some(o.id));
    assert_eq!(row.resource_type.as_deref(), Some("invoice"));
    assert_eq!(row.ip_address.as_deref(), Some("::1"));
    assert_eq!(row.duration_ms, Some(42));
    assert_eq!(
        row.input_params,
        Some(
            json!({"id": "inv-7", "apiKey": "<redacted>", "nested": [{"password": "<redacted>"}]})
        )
    );
    assert_eq!(
        row.output_data,
        Some(json!({"count": 1, "access_token": "<redacted>"}))
    );

    let mirrored = count(
        &t,
        &format!(
            "SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'billy.invoice'
               AND resource_id = 'inv-7' AND action = 'read' AND user_id = '{}'
               AND metadata->>'billy_audit_log_id' = '{}' AND metadata->>'tool_name' = 'get_invoice'",
            shared.id, row.id
        ),
    )
    .await;
    assert_eq!(mirrored, 1);

    // Without resource fields, the shared entry points at the billy audit row.
    let bare = log_audit(
        &t.db,
        NewAuditLog::new(None, "ping", AuditLogAction::Read, false),
    )
    .await
    .unwrap();
    let pointer = count(
        &t,
        &format!(
            "SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'billy.audit_logs'
               AND resource_id = '{}' AND user_id IS NULL",
            bare.id
        ),
    )
    .await;
    assert_eq!(pointer, 1);
}

#[tokio::test]
async fn log_audit_rejects_bad_input_and_writes_nothing() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "badaudit").await;
    t.exec("DELETE FROM billy.audit_logs; DELETE FROM shared.audit_logs")
        .await
        .unwrap();
    let mut e = entry(o.id, " ", AuditLogAction::Create);
    e.resource_type = Some(" ".into());
    e.resource_id = Some("".into());
    e.duration_ms = Some(u32::MAX);
    e.ip_address = Some("999.1.1.1".into());
    assert_eq!(
        fields(log_audit(&t.db, e).await.unwrap_err()),
        [
            "tool_name",
            "resource_type",
            "resource_id",
            "duration_ms",
            "ip_address"
        ]
    );
    let unknown_org = log_audit(&t.db, entry(Uuid::new_v4(), "x", AuditLogAction::Read)).await;
    assert!(
        matches!(unknown_org, Err(Error::Validation { .. })),
        "{unknown_org:?}"
    );
    let mut unknown_user = entry(o.id, "x", AuditLogAction::Read);
    unknown_user.user_id = Some(Uuid::new_v4());
    assert!(matches!(
        log_audit(&t.db, unknown_user).await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(count(&t, "SELECT count(*) FROM billy.audit_logs").await, 0);
    assert_eq!(count(&t, "SELECT count(*) FROM shared.audit_logs").await, 0);
}

#[tokio::test]
async fn list_audit_logs_applies_both_date_bounds_and_filters() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "range").await;
    let other = organization(&t.db, "range2").await;
    let user = create_user(&t.db, new_user(o.id, "u@x.dk"), None)
        .await
        .unwrap();
    t.exec("DELETE FROM billy.audit_logs").await.unwrap();

    let days = ["2025-01-01", "2025-01-10", "2025-01-20", "2025-01-30"];
    for (i, day) in days.iter().enumerate() {
        let mut e = entry(
            o.id,
            if i % 2 == 0 {
                "list_invoices"
            } else {
                "create_invoice"
            },
            AuditLogAction::Read,
        );
        if i == 2 {
            e.user_id = Some(user.id);
            e.action = AuditLogAction::Update;
        }
        let row = log_audit(&t.db, e).await.unwrap();
        t.exec(&format!(
            "UPDATE billy.audit_logs SET created_at = '{day}T12:00:00Z' WHERE id = '{}'",
            row.id
        ))
        .await
        .unwrap();
    }
    log_audit(
        &t.db,
        entry(other.id, "list_invoices", AuditLogAction::Read),
    )
    .await
    .unwrap();

    let at = |s: &str| s.parse::<chrono::DateTime<Utc>>().unwrap();
    let window = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            since: Some(at("2025-01-05T00:00:00Z")),
            until: Some(at("2025-01-25T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let got: Vec<String> = window
        .iter()
        .map(|r| r.created_at.format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(
        got,
        ["2025-01-20", "2025-01-10"],
        "both bounds, newest first"
    );

    // Inclusive bounds.
    let exact = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            since: Some(at("2025-01-10T12:00:00Z")),
            until: Some(at("2025-01-10T12:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(exact.len(), 1);

    let since_only = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            since: Some(at("2025-01-15T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(since_only.len(), 2);
    let until_only = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            until: Some(at("2025-01-15T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(until_only.len(), 2);

    let by_tool = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            tool_name: Some("create_invoice".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_tool.len(), 2);
    let by_user = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            user_id: Some(user.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_user.len(), 1);
    let by_action = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            action: Some(AuditLogAction::Update),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_action.len(), 1);
    assert_eq!(by_action[0].user_id, Some(user.id));

    let all = list_audit_logs(&t.db, o.id, AuditLogFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 4, "other organisations excluded");
    assert_eq!(
        all[0].created_at.format("%Y-%m-%d").to_string(),
        "2025-01-30"
    );
    let limited = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            limit: Some(3),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(limited.len(), 3);

    let reversed = list_audit_logs(
        &t.db,
        o.id,
        AuditLogFilter {
            since: Some(at("2025-02-01T00:00:00Z")),
            until: Some(at("2025-01-01T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(reversed), ["since"]);
}

// ---------------------------------------------------------------- caches

async fn expire(t: &TestDb, kind: CacheKind, org: Uuid, billy_id: &str) {
    t.db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "UPDATE {} SET expires_at = now() - interval '1 second' WHERE organization_id = $1 AND billy_id = $2",
            kind.table()
        ),
        [org.into(), billy_id.into()],
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn cache_set_and_get_for_every_kind_are_independent() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "cache").await;
    for (i, kind) in CacheKind::ALL.into_iter().enumerate() {
        let e = set_cached(&t.db, kind, o.id, "id-1", json!({"kind": i}), None)
            .await
            .unwrap();
        assert_eq!(e.billy_id, "id-1");
        let ttl = e.expires_at - e.cached_at;
        assert!((ttl - DEFAULT_TTL).num_seconds().abs() <= 1, "{ttl}");
    }
    for (i, kind) in CacheKind::ALL.into_iter().enumerate() {
        let hit = get_cached(&t.db, kind, o.id, " id-1 ")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hit.data, json!({"kind": i}));
        assert_eq!(hit.organization_id, o.id);
    }
    assert!(
        get_cached(&t.db, CacheKind::Invoices, o.id, "id-2")
            .await
            .unwrap()
            .is_none()
    );
    let other = organization(&t.db, "cache2").await;
    assert!(
        get_cached(&t.db, CacheKind::Invoices, other.id, "id-1")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        fields(
            get_cached(&t.db, CacheKind::Invoices, o.id, "  ")
                .await
                .unwrap_err()
        ),
        ["billy_id"]
    );
}

#[tokio::test]
async fn expired_entries_are_misses_and_are_deleted() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "exp").await;
    set_cached(
        &t.db,
        CacheKind::Products,
        o.id,
        "p1",
        json!({}),
        Some(TimeDelta::seconds(30)),
    )
    .await
    .unwrap();
    set_cached(&t.db, CacheKind::Products, o.id, "p2", json!({}), None)
        .await
        .unwrap();
    expire(&t, CacheKind::Products, o.id, "p1").await;
    assert!(
        get_cached(&t.db, CacheKind::Products, o.id, "p1")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM billy.cached_products WHERE billy_id = 'p1'"
        )
        .await,
        0
    );
    assert!(
        get_cached(&t.db, CacheKind::Products, o.id, "p2")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn set_cached_upserts_and_validates() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "upsert").await;
    let first = set_cached(
        &t.db,
        CacheKind::Customers,
        o.id,
        "c1",
        json!({"v": 1}),
        Some(TimeDelta::seconds(10)),
    )
    .await
    .unwrap();
    expire(&t, CacheKind::Customers, o.id, "c1").await;
    let second = set_cached(
        &t.db,
        CacheKind::Customers,
        o.id,
        "c1",
        json!({"v": 2}),
        Some(TimeDelta::hours(2)),
    )
    .await
    .unwrap();
    assert_eq!(second.id, first.id, "same row updated");
    assert_eq!(second.data, json!({"v": 2}));
    assert!(second.expires_at > Utc::now() + TimeDelta::minutes(119));
    assert!(second.cached_at >= first.cached_at);
    assert_eq!(
        get_cached(&t.db, CacheKind::Customers, o.id, "c1")
            .await
            .unwrap()
            .unwrap()
            .data,
        json!({"v": 2})
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_customers").await,
        1
    );

    for bad in [
        TimeDelta::zero(),
        TimeDelta::seconds(-5),
        TimeDelta::days(367),
    ] {
        assert_eq!(
            fields(
                set_cached(&t.db, CacheKind::Invoices, o.id, "x", json!({}), Some(bad))
                    .await
                    .unwrap_err()
            ),
            ["ttl"]
        );
    }
    assert_eq!(
        fields(
            set_cached(
                &t.db,
                CacheKind::Invoices,
                o.id,
                " ",
                json!({}),
                Some(TimeDelta::zero())
            )
            .await
            .unwrap_err()
        ),
        ["billy_id", "ttl"]
    );
    let unknown = set_cached(
        &t.db,
        CacheKind::Invoices,
        Uuid::new_v4(),
        "x",
        json!({}),
        None,
    )
    .await;
    assert!(
        matches!(unknown, Err(Error::Validation { .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn invalidate_one_entry_or_a_whole_organization() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "inv").await;
    let keep = organization(&t.db, "keep").await;
    for id in ["a", "b"] {
        set_cached(&t.db, CacheKind::Invoices, o.id, id, json!({}), None)
            .await
            .unwrap();
    }
    set_cached(&t.db, CacheKind::Customers, o.id, "c", json!({}), None)
        .await
        .unwrap();
    set_cached(&t.db, CacheKind::Invoices, keep.id, "a", json!({}), None)
        .await
        .unwrap();

    assert!(
        invalidate_cached(&t.db, CacheKind::Invoices, o.id, "a")
            .await
            .unwrap()
    );
    assert!(
        !invalidate_cached(&t.db, CacheKind::Invoices, o.id, "a")
            .await
            .unwrap()
    );
    assert!(
        !invalidate_cached(&t.db, CacheKind::Products, o.id, "b")
            .await
            .unwrap()
    );
    assert_eq!(
        fields(
            invalidate_cached(&t.db, CacheKind::Invoices, o.id, "")
                .await
                .unwrap_err()
        ),
        ["billy_id"]
    );

    let removed = invalidate_organization_cache(&t.db, o.id).await.unwrap();
    assert_eq!(
        removed,
        CacheCounts {
            invoices: 1,
            customers: 1,
            products: 0
        }
    );
    assert!(
        get_cached(&t.db, CacheKind::Invoices, keep.id, "a")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        invalidate_organization_cache(&t.db, o.id).await.unwrap(),
        CacheCounts::default()
    );
}

#[tokio::test]
async fn purge_removes_only_expired_rows_and_counts_per_table() {
    let t = TestDb::new().await;
    let o = organization(&t.db, "purge").await;
    let p = organization(&t.db, "purge2").await;
    for kind in CacheKind::ALL {
        for id in ["live", "old1", "old2"] {
            set_cached(&t.db, kind, o.id, id, json!({}), None)
                .await
                .unwrap();
        }
        set_cached(&t.db, kind, p.id, "old", json!({}), None)
            .await
            .unwrap();
        expire(&t, kind, p.id, "old").await;
    }
    expire(&t, CacheKind::Invoices, o.id, "old1").await;
    expire(&t, CacheKind::Invoices, o.id, "old2").await;
    expire(&t, CacheKind::Products, o.id, "old1").await;

    let only_o = purge_expired_cache(&t.db, Some(o.id)).await.unwrap();
    assert_eq!(
        only_o,
        CacheCounts {
            invoices: 2,
            customers: 0,
            products: 1
        }
    );
    let rest = purge_expired_cache(&t.db, None).await.unwrap();
    assert_eq!(
        rest,
        CacheCounts {
            invoices: 1,
            customers: 1,
            products: 1
        }
    );
    assert_eq!(
        purge_expired_cache(&t.db, None).await.unwrap(),
        CacheCounts::default()
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_invoices").await,
        1
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_customers").await,
        3
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM billy.cached_products").await,
        2
    );
}
