//! `service::billy` API-key encryption: keyring configuration, round trip, tamper
//! detection, the legacy Tekup-Billy format, and key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use entity::billy::organizations;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, Statement};
use service::Error;
use service::billy::crypto::{ApiKey, KeyScheme, Keyring, LegacySecret};
use service::billy::organizations::{
    NewOrganization, Organization, OrganizationFilter, RotationReport, create_organization,
    find_organization, get_organization, list_organizations, replace_api_key, reveal_api_key,
    rotate_api_keys, set_organization_active, update_organization_settings,
};
use tests::TestDb;
use tests::builders::billy::K1;
use tests::errors::fields;

const K2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const K3: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Legacy secret and ciphertexts produced with Node's `crypto` exactly as Tekup-Billy did
/// (`scryptSync(ENCRYPTION_KEY, ENCRYPTION_SALT, 32)`, 16-byte random IV, AES-256-GCM,
/// `hex(iv):hex(tag):hex(ciphertext)`).
const LEGACY_PASSWORD: &str = "legacy-test-encryption-key";
const LEGACY_SALT: &str = "legacy-test-salt";
const LEGACY_PLAIN: &str = "billy-api-key-0123456789abcdef";
const LEGACY_CIPHER: &str = "78c02cbee2423cb588fba523f59736f2:674a4314de2b18d4be29a46cb5376ab7:2b46cf44ae3777a5118ee374f320778cee85e11021c451d2522e92b4c3c1";
const LEGACY_PLAIN_UTF8: &str = "æøå-nøgle";
const LEGACY_CIPHER_UTF8: &str =
    "ccc7380c8b3a738599850d2d7f75894a:e35a7794963ff572eeae69b894cf3f93:9c95f42748d5d9d2a02c100316";

fn keyring(current: &str, keys: &[(&str, &str)]) -> Keyring {
    Keyring::new(current, keys.iter().copied(), None).unwrap()
}

fn k1() -> Keyring {
    keyring("k1", &[("k1", K1)])
}

fn legacy_keyring() -> Keyring {
    Keyring::new(
        "k1",
        [("k1", K1)],
        Some(LegacySecret::new(LEGACY_PASSWORD, LEGACY_SALT)),
    )
    .unwrap()
}

fn new_org(n: &str, key: &str) -> NewOrganization {
    NewOrganization {
        name: format!("Org {n}"),
        billy_organization_id: format!("billy-{n}"),
        api_key: ApiKey::new(key),
        settings: None,
    }
}

async fn stored_key(t: &TestDb, id: Uuid) -> String {
    organizations::Entity::find_by_id(id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap()
        .billy_api_key
}

async fn set_stored_key(t: &TestDb, id: Uuid, value: &str) {
    t.db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE billy.organizations SET billy_api_key = $1 WHERE id = $2",
        [value.into(), id.into()],
    ))
    .await
    .unwrap();
}

/// Inserts an organisation whose key column holds `stored` verbatim (e.g. migrated data).
async fn org_with_stored_key(t: &TestDb, stored: &str) -> Uuid {
    let id = Uuid::new_v4();
    t.db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO billy.organizations (id, name, billy_api_key, billy_organization_id)
         VALUES ($1, 'Legacy org', $2, $3)",
        [id.into(), stored.into(), format!("legacy-{id}").into()],
    ))
    .await
    .unwrap();
    id
}

fn flip_last_hex(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let last = chars.last_mut().unwrap();
    *last = if *last == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

// ---------------------------------------------------------------- keyring configuration

#[test]
fn keyring_reports_every_configuration_problem() {
    let err = Keyring::new(
        "missing",
        [
            ("bad id!", K1),
            ("short", "abcd"),
            ("nothex", &"zz".repeat(32)[..]),
            ("zero", &"0".repeat(64)[..]),
            ("dup", K1),
            ("dup", K2),
        ],
        Some(LegacySecret::new("", "")),
    )
    .unwrap_err();
    let f = fields(err);
    for expected in [
        "keys",
        "keys.short",
        "keys.nothex",
        "keys.zero",
        "keys.dup",
        "current_key_id",
        "legacy.encryption_key",
        "legacy.encryption_salt",
    ] {
        assert!(
            f.contains(&expected.to_owned()),
            "{expected} missing in {f:?}"
        );
    }
}

#[test]
fn keyring_without_keys_or_current_id_is_refused() {
    assert_eq!(
        fields(Keyring::new("k1", Vec::<(&str, &str)>::new(), None).unwrap_err()),
        ["current_key_id"]
    );
    assert!(
        fields(Keyring::new("", [("k1", K1)], None).unwrap_err())
            .contains(&"current_key_id".to_owned())
    );
    let too_long = "k".repeat(33);
    assert!(Keyring::new(&too_long, [(too_long.as_str(), K1)], None).is_err());
}

#[test]
fn keyring_accepts_valid_configuration_and_reports_ids() {
    let kr = Keyring::new("k2", [("k1", K1), ("k2", K2.to_uppercase().as_str())], None).unwrap();
    assert_eq!(kr.current_key_id().as_str(), "k2");
    let ids: Vec<&str> = kr.key_ids().map(|k| k.as_str()).collect();
    assert_eq!(ids, ["k1", "k2"]);
    assert!(!kr.has_legacy_key());
    assert!(legacy_keyring().has_legacy_key());
}

#[test]
fn keyring_from_lookup_needs_every_variable() {
    let empty: HashMap<&str, &str> = HashMap::new();
    let f = fields(Keyring::from_lookup(|k| empty.get(k).map(|v| (*v).to_owned())).unwrap_err());
    assert_eq!(f, ["BILLY_KEYRING_CURRENT_KEY_ID", "BILLY_KEYRING_KEYS"]);

    let only_legacy_key: HashMap<&str, String> = HashMap::from([
        ("BILLY_KEYRING_CURRENT_KEY_ID", "k1".to_owned()),
        ("BILLY_KEYRING_KEYS", format!("k1={K1}")),
        ("ENCRYPTION_KEY", "pw".to_owned()),
    ]);
    let f = fields(Keyring::from_lookup(|k| only_legacy_key.get(k).cloned()).unwrap_err());
    assert_eq!(f, ["ENCRYPTION_SALT"]);

    let only_salt: HashMap<&str, String> = HashMap::from([
        ("BILLY_KEYRING_CURRENT_KEY_ID", "k1".to_owned()),
        ("BILLY_KEYRING_KEYS", format!("k1={K1}")),
        ("ENCRYPTION_SALT", "salt".to_owned()),
    ]);
    let f = fields(Keyring::from_lookup(|k| only_salt.get(k).cloned()).unwrap_err());
    assert_eq!(f, ["ENCRYPTION_KEY"]);

    let malformed: HashMap<&str, String> = HashMap::from([
        ("BILLY_KEYRING_CURRENT_KEY_ID", "k1".to_owned()),
        ("BILLY_KEYRING_KEYS", K1.to_owned()),
    ]);
    let f = fields(Keyring::from_lookup(|k| malformed.get(k).cloned()).unwrap_err());
    assert_eq!(f, ["BILLY_KEYRING_KEYS"]);
}

#[test]
fn keyring_from_lookup_builds_rotation_and_legacy_keys() {
    let vars: HashMap<&str, String> = HashMap::from([
        ("BILLY_KEYRING_CURRENT_KEY_ID", "k2".to_owned()),
        ("BILLY_KEYRING_KEYS", format!(" k1={K1} , k2={K2} ")),
        ("ENCRYPTION_KEY", LEGACY_PASSWORD.to_owned()),
        ("ENCRYPTION_SALT", LEGACY_SALT.to_owned()),
    ]);
    let kr = Keyring::from_lookup(|k| vars.get(k).cloned()).unwrap();
    assert_eq!(kr.current_key_id().as_str(), "k2");
    assert_eq!(kr.key_ids().count(), 2);
    assert!(kr.has_legacy_key());
}

#[test]
fn debug_output_of_secrets_is_redacted() {
    let kr = Keyring::new(
        "k1",
        [("k1", K3)],
        Some(LegacySecret::new(LEGACY_PASSWORD, LEGACY_SALT)),
    )
    .unwrap();
    let dbg = format!("{kr:?}");
    assert!(dbg.contains("k1"), "{dbg}");
    for secret in [K3, LEGACY_PASSWORD, LEGACY_SALT, "01234567", "[1, 35"] {
        assert!(!dbg.contains(secret), "{dbg} leaks {secret}");
    }
    let legacy = format!("{:?}", LegacySecret::new(LEGACY_PASSWORD, LEGACY_SALT));
    assert!(!legacy.contains(LEGACY_PASSWORD) && !legacy.contains(LEGACY_SALT));

    let key = ApiKey::new("super-secret-value");
    assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    assert_eq!(key.to_string(), "<redacted>");
    assert_eq!(key.expose(), "super-secret-value");
}

#[test]
fn key_scheme_reads_the_stored_format_without_a_key() {
    assert_eq!(
        KeyScheme::of(&format!("v2:k7:{}:{}", "00".repeat(12), "ab".repeat(20))),
        KeyScheme::Keyring {
            key_id: "k7".into()
        }
    );
    assert_eq!(KeyScheme::of(LEGACY_CIPHER), KeyScheme::Legacy);
    for bad in [
        "encrypted_test_key",
        "",
        "a:b",
        "::",
        "00:00:",
        "v2:k1:00:00",
        "zz:zz:zz",
    ] {
        assert_eq!(KeyScheme::of(bad), KeyScheme::Unrecognised, "{bad}");
    }
    assert_eq!(KeyScheme::of(LEGACY_CIPHER).key_id(), None);
}

// ---------------------------------------------------------------- round trip and views

#[tokio::test]
async fn api_key_round_trips_and_is_stored_encrypted() {
    let t = TestDb::new().await;
    let kr = k1();
    let plain = "billy-live-key-abc123";
    let a = create_organization(&t.db, &kr, new_org("a", plain), None)
        .await
        .unwrap();
    let b = create_organization(&t.db, &kr, new_org("b", plain), None)
        .await
        .unwrap();

    assert_eq!(
        reveal_api_key(&t.db, &kr, a.id).await.unwrap().expose(),
        plain
    );
    assert_eq!(
        reveal_api_key(&t.db, &kr, b.id).await.unwrap().expose(),
        plain
    );

    let stored_a = stored_key(&t, a.id).await;
    let stored_b = stored_key(&t, b.id).await;
    assert!(stored_a.starts_with("v2:k1:"), "{stored_a}");
    assert!(!stored_a.contains(plain));
    assert!(!stored_a.contains(&hex_of(plain)));
    assert_ne!(stored_a, stored_b, "a fresh nonce per encryption");
    assert!(a.has_api_key);
    assert_eq!(a.api_key_id(), Some("k1"));
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn no_view_debug_or_audit_entry_contains_the_key_or_its_ciphertext() {
    let t = TestDb::new().await;
    let kr = k1();
    let plain = "plain-key-must-not-leak-42";
    let org = create_organization(&t.db, &kr, new_org("leak", plain), None)
        .await
        .unwrap();
    let ciphertext = stored_key(&t, org.id).await;
    let sealed_part = ciphertext.rsplit(':').next().unwrap().to_owned();

    let mut views: Vec<Organization> = vec![org.clone()];
    views.push(get_organization(&t.db, org.id).await.unwrap());
    views.extend(
        list_organizations(&t.db, OrganizationFilter::default())
            .await
            .unwrap(),
    );
    views.push(
        find_organization(&t.db, "billy-leak")
            .await
            .unwrap()
            .unwrap()
            .organization,
    );
    views.push(
        set_organization_active(&t.db, org.id, false, None)
            .await
            .unwrap(),
    );
    views.push(
        set_organization_active(&t.db, org.id, true, None)
            .await
            .unwrap(),
    );
    views.push(
        update_organization_settings(
            &t.db,
            org.id,
            serde_json::json!({"cacheEnabled": true}),
            None,
        )
        .await
        .unwrap(),
    );
    let replaced = replace_api_key(
        &t.db,
        &kr,
        org.id,
        ApiKey::new("second-secret-key-99"),
        None,
    )
    .await
    .unwrap();
    views.push(replaced);
    let new_ciphertext = stored_key(&t, org.id).await;

    for v in &views {
        let dbg = format!("{v:?}");
        let json = serde_json::to_string(v).unwrap();
        for text in [&dbg, &json] {
            for secret in [plain, "second-secret-key-99", &sealed_part, &new_ciphertext] {
                assert!(!text.contains(secret), "view leaks a secret: {text}");
            }
        }
    }
    let revealed = reveal_api_key(&t.db, &kr, org.id).await.unwrap();
    assert!(!format!("{revealed:?}").contains("second-secret-key-99"));
    // The entity row itself holds the ciphertext; its Debug does not show it.
    let row = organizations::Entity::find_by_id(org.id)
        .one(&t.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.billy_api_key, new_ciphertext);
    let dbg = format!("{row:?}");
    assert!(!dbg.contains(&new_ciphertext), "{dbg}");
    assert!(dbg.contains("billy_api_key: \"***\""), "{dbg}");

    // The audit trails record the operations but not the key.
    let trail_rows = t
        .scalar_i64(
            "SELECT count(*) FROM billy.audit_logs a JOIN shared.audit_logs s
               ON s.metadata->>'billy_audit_log_id' = a.id::text",
        )
        .await
        .unwrap();
    assert_eq!(
        trail_rows, 5,
        "create, 2 x set active, settings, replace key"
    );
    let leaks = t
        .scalar_i64(&format!(
            "SELECT (SELECT count(*) FROM billy.audit_logs WHERE row_to_json(audit_logs)::text LIKE '%{plain}%'
                        OR row_to_json(audit_logs)::text LIKE '%second-secret-key-99%'
                        OR row_to_json(audit_logs)::text LIKE '%{sealed_part}%')
                  + (SELECT count(*) FROM shared.audit_logs WHERE row_to_json(audit_logs)::text LIKE '%{plain}%'
                        OR row_to_json(audit_logs)::text LIKE '%second-secret-key-99%')"
        ))
        .await
        .unwrap();
    assert_eq!(leaks, 0);
}

#[tokio::test]
async fn reveal_rejects_unknown_and_inactive_organizations() {
    let t = TestDb::new().await;
    let kr = k1();
    assert!(matches!(
        reveal_api_key(&t.db, &kr, Uuid::new_v4()).await,
        Err(Error::NotFound { .. })
    ));
    let org = create_organization(&t.db, &kr, new_org("off", "key-1"), None)
        .await
        .unwrap();
    set_organization_active(&t.db, org.id, false, None)
        .await
        .unwrap();
    assert!(matches!(
        reveal_api_key(&t.db, &kr, org.id).await,
        Err(Error::Forbidden)
    ));
}

#[tokio::test]
async fn replace_api_key_re_encrypts_and_stamps_the_rotation_time() {
    let t = TestDb::new().await;
    let kr = k1();
    let org = create_organization(&t.db, &kr, new_org("r", "old-key"), None)
        .await
        .unwrap();
    t.exec(&format!(
        "UPDATE billy.organizations SET api_key_rotated_at = now() - interval '1 day' WHERE id = '{}'",
        org.id
    ))
    .await
    .unwrap();
    let before = get_organization(&t.db, org.id)
        .await
        .unwrap()
        .api_key_rotated_at;
    let after = replace_api_key(&t.db, &kr, org.id, ApiKey::new("new-key"), None)
        .await
        .unwrap();
    assert!(after.api_key_rotated_at > before);
    assert_eq!(
        reveal_api_key(&t.db, &kr, org.id).await.unwrap().expose(),
        "new-key"
    );

    assert_eq!(
        fields(
            replace_api_key(&t.db, &kr, org.id, ApiKey::new(" has space"), None)
                .await
                .unwrap_err()
        ),
        ["api_key"]
    );
    assert!(matches!(
        replace_api_key(&t.db, &kr, Uuid::new_v4(), ApiKey::new("k"), None).await,
        Err(Error::NotFound { .. })
    ));
}

// ---------------------------------------------------------------- tamper detection

#[tokio::test]
async fn modified_ciphertext_nonce_tag_or_key_id_fails_without_plaintext() {
    let t = TestDb::new().await;
    let kr = keyring("k1", &[("k1", K1), ("k2", K1)]); // k2 has the same bytes as k1
    let plain = "tamper-target-key";
    let org = create_organization(&t.db, &kr, new_org("t", plain), None)
        .await
        .unwrap();
    let other = create_organization(&t.db, &kr, new_org("u", "other-key"), None)
        .await
        .unwrap();
    let good = stored_key(&t, org.id).await;
    let parts: Vec<&str> = good.split(':').collect();
    assert_eq!(parts.len(), 4);

    let sealed = parts[3];
    let tag_start = sealed.len() - 32;
    let flipped_tag = format!(
        "{}{}",
        &sealed[..tag_start],
        flip_last_hex(&sealed[tag_start..])
    );
    let flipped_body = format!(
        "{}{}",
        flip_last_hex(&sealed[..tag_start]),
        &sealed[tag_start..]
    );
    let cases = [
        ("ciphertext", format!("v2:k1:{}:{}", parts[2], flipped_body)),
        ("tag", format!("v2:k1:{}:{}", parts[2], flipped_tag)),
        (
            "nonce",
            format!("v2:k1:{}:{}", flip_last_hex(parts[2]), sealed),
        ),
        (
            "key id, same key bytes",
            format!("v2:k2:{}:{}", parts[2], sealed),
        ),
        ("unknown key id", format!("v2:k9:{}:{}", parts[2], sealed)),
        (
            "truncated",
            format!("v2:k1:{}:{}", parts[2], &sealed[..sealed.len() - 2]),
        ),
        ("other organization's value", stored_key(&t, other.id).await),
        ("placeholder", "encrypted_test_key".to_owned()),
    ];
    for (what, value) in cases {
        set_stored_key(&t, org.id, &value).await;
        let res = reveal_api_key(&t.db, &kr, org.id).await;
        assert!(matches!(res, Err(Error::Internal)), "{what}: {res:?}");
    }
    set_stored_key(&t, org.id, &good).await;
    assert_eq!(
        reveal_api_key(&t.db, &kr, org.id).await.unwrap().expose(),
        plain
    );
}

// ---------------------------------------------------------------- legacy format

#[tokio::test]
async fn legacy_values_written_by_tekup_billy_decrypt() {
    let t = TestDb::new().await;
    let kr = legacy_keyring();
    let a = org_with_stored_key(&t, LEGACY_CIPHER).await;
    let b = org_with_stored_key(&t, LEGACY_CIPHER_UTF8).await;
    assert_eq!(
        reveal_api_key(&t.db, &kr, a).await.unwrap().expose(),
        LEGACY_PLAIN
    );
    assert_eq!(
        reveal_api_key(&t.db, &kr, b).await.unwrap().expose(),
        LEGACY_PLAIN_UTF8
    );
    let view = get_organization(&t.db, a).await.unwrap();
    assert_eq!(view.api_key_scheme, KeyScheme::Legacy);
    assert_eq!(view.api_key_id(), None);

    // Without the legacy secret, or with the wrong one, nothing decrypts.
    assert!(matches!(
        reveal_api_key(&t.db, &k1(), a).await,
        Err(Error::Internal)
    ));
    let wrong = Keyring::new(
        "k1",
        [("k1", K1)],
        Some(LegacySecret::new(LEGACY_PASSWORD, "other-salt")),
    )
    .unwrap();
    assert!(matches!(
        reveal_api_key(&t.db, &wrong, a).await,
        Err(Error::Internal)
    ));
}

#[tokio::test]
async fn tampered_or_malformed_legacy_values_are_rejected() {
    let t = TestDb::new().await;
    let kr = legacy_keyring();
    let parts: Vec<&str> = LEGACY_CIPHER.split(':').collect();
    let bad = [
        format!("{}:{}:{}", parts[0], parts[1], flip_last_hex(parts[2])),
        format!("{}:{}:{}", parts[0], flip_last_hex(parts[1]), parts[2]),
        format!("{}:{}:{}", flip_last_hex(parts[0]), parts[1], parts[2]),
        format!("{}:{}:", parts[0], parts[1]),
        format!(":{}:{}", parts[1], parts[2]),
        format!("{}:{}", parts[0], parts[2]),
        format!("{}:{}:{}:{}", parts[0], parts[1], parts[2], parts[2]),
        format!("{}:{}:{}", &parts[0][..24], parts[1], parts[2]), // 12-byte IV
        format!("{}:{}:{}x", parts[0], parts[1], parts[2]),
    ];
    for value in bad {
        let id = org_with_stored_key(&t, &value).await;
        let res = reveal_api_key(&t.db, &kr, id).await;
        assert!(matches!(res, Err(Error::Internal)), "{value}: {res:?}");
    }
}

// ---------------------------------------------------------------- rotation

#[tokio::test]
async fn rotation_moves_every_key_to_the_current_key_and_is_idempotent() {
    let t = TestDb::new().await;
    let old = keyring("k1", &[("k1", K1)]);
    let mut orgs = Vec::new();
    for n in 0..5 {
        let org = create_organization(
            &t.db,
            &old,
            new_org(&format!("rot{n}"), &format!("key-{n}")),
            None,
        )
        .await
        .unwrap();
        orgs.push(org);
    }
    let legacy_org = org_with_stored_key(&t, LEGACY_CIPHER).await;
    t.exec("UPDATE billy.organizations SET api_key_rotated_at = now() - interval '1 day'")
        .await
        .unwrap();

    let new = Keyring::new(
        "k2",
        [("k1", K1), ("k2", K2)],
        Some(LegacySecret::new(LEGACY_PASSWORD, LEGACY_SALT)),
    )
    .unwrap();
    // Before rotation, the old key still decrypts through the new keyring.
    assert_eq!(
        reveal_api_key(&t.db, &new, orgs[0].id)
            .await
            .unwrap()
            .expose(),
        "key-0"
    );

    let report = rotate_api_keys(&t.db, &new, Some(2), None).await.unwrap();
    assert_eq!(
        report,
        RotationReport {
            rotated: 6,
            already_current: 0,
            failed: 0
        }
    );
    for (n, org) in orgs.iter().enumerate() {
        assert!(stored_key(&t, org.id).await.starts_with("v2:k2:"));
        let view = get_organization(&t.db, org.id).await.unwrap();
        assert_eq!(view.api_key_id(), Some("k2"));
        assert!(view.api_key_rotated_at > chrono::Utc::now() - chrono::Duration::hours(1));
        // Readable with only the new key; no longer with only the old one.
        let only_new = keyring("k2", &[("k2", K2)]);
        assert_eq!(
            reveal_api_key(&t.db, &only_new, org.id)
                .await
                .unwrap()
                .expose(),
            format!("key-{n}")
        );
        assert!(matches!(
            reveal_api_key(&t.db, &old, org.id).await,
            Err(Error::Internal)
        ));
    }
    assert_eq!(
        reveal_api_key(&t.db, &keyring("k2", &[("k2", K2)]), legacy_org)
            .await
            .unwrap()
            .expose(),
        LEGACY_PLAIN
    );

    let again = rotate_api_keys(&t.db, &new, None, None).await.unwrap();
    assert_eq!(
        again,
        RotationReport {
            rotated: 0,
            already_current: 6,
            failed: 0
        }
    );

    let audits = t
        .scalar_i64(
            "SELECT count(*) FROM billy.audit_logs WHERE tool_name = 'rotate_api_keys'
               AND organization_id IS NULL AND output_data->>'key_id' = 'k2'",
        )
        .await
        .unwrap();
    assert_eq!(audits, 2);
    let rotated_total = t
        .scalar_i64(
            "SELECT sum((output_data->>'rotated')::bigint)::bigint FROM billy.audit_logs
              WHERE tool_name = 'rotate_api_keys'",
        )
        .await
        .unwrap();
    assert_eq!(rotated_total, 6);
    let shared = t
        .scalar_i64("SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'billy.organizations' AND resource_id = '*'")
        .await
        .unwrap();
    assert_eq!(shared, 2);
}

#[tokio::test]
async fn rotation_counts_undecryptable_rows_as_failed_and_leaves_them() {
    let t = TestDb::new().await;
    let old = keyring("k1", &[("k1", K1)]);
    let ok = create_organization(&t.db, &old, new_org("ok", "fine-key"), None)
        .await
        .unwrap();
    let placeholder = org_with_stored_key(&t, "encrypted_test_key").await;
    let lost_key = create_organization(
        &t.db,
        &keyring("k0", &[("k0", K3)]),
        new_org("lost", "gone"),
        None,
    )
    .await
    .unwrap();
    let legacy_without_secret = org_with_stored_key(&t, LEGACY_CIPHER).await;
    let lost_before = stored_key(&t, lost_key.id).await;

    let new = keyring("k2", &[("k1", K1), ("k2", K2)]);
    let report = rotate_api_keys(&t.db, &new, Some(1), None).await.unwrap();
    assert_eq!(
        report,
        RotationReport {
            rotated: 1,
            already_current: 0,
            failed: 3
        }
    );
    assert!(stored_key(&t, ok.id).await.starts_with("v2:k2:"));
    assert_eq!(stored_key(&t, placeholder).await, "encrypted_test_key");
    assert_eq!(stored_key(&t, lost_key.id).await, lost_before);
    assert_eq!(stored_key(&t, legacy_without_secret).await, LEGACY_CIPHER);
    let unsuccessful = t
        .scalar_i64("SELECT count(*) FROM billy.audit_logs WHERE tool_name = 'rotate_api_keys' AND NOT success")
        .await
        .unwrap();
    assert_eq!(unsuccessful, 1);
}

#[tokio::test]
async fn rotation_of_an_empty_table_and_bad_batch_sizes() {
    let t = TestDb::new().await;
    let kr = k1();
    assert_eq!(
        rotate_api_keys(&t.db, &kr, None, None).await.unwrap(),
        RotationReport::default()
    );
    for bad in [0, 10_001] {
        assert_eq!(
            fields(
                rotate_api_keys(&t.db, &kr, Some(bad), None)
                    .await
                    .unwrap_err()
            ),
            ["batch_size"]
        );
    }
}

#[tokio::test]
async fn rotation_skips_rows_locked_by_another_transaction() {
    use sea_orm::TransactionTrait;
    let t = TestDb::new().await;
    let old = keyring("k1", &[("k1", K1)]);
    let a = create_organization(&t.db, &old, new_org("la", "ka"), None)
        .await
        .unwrap();
    let b = create_organization(&t.db, &old, new_org("lb", "kb"), None)
        .await
        .unwrap();
    let new = keyring("k2", &[("k1", K1), ("k2", K2)]);

    let holder = tests::test_db::connect(&t.url, 1).await.unwrap();
    let txn = holder.begin().await.unwrap();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT 1 FROM billy.organizations WHERE id = $1 FOR UPDATE",
        [a.id.into()],
    ))
    .await
    .unwrap();
    let first = rotate_api_keys(&t.db, &new, None, None).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(first.rotated, 1);
    assert!(stored_key(&t, a.id).await.starts_with("v2:k1:"));
    assert!(stored_key(&t, b.id).await.starts_with("v2:k2:"));

    let second = rotate_api_keys(&t.db, &new, None, None).await.unwrap();
    assert_eq!(
        second,
        RotationReport {
            rotated: 1,
            already_current: 1,
            failed: 0
        }
    );
    assert_eq!(
        reveal_api_key(&t.db, &new, a.id).await.unwrap().expose(),
        "ka"
    );
}
