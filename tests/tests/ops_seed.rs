//! `tekup seed` against PostgreSQL: a second run inserts nothing and keeps the checksum;
//! fresh databases with the same seed get the same checksum, another seed another one;
//! every schema (and the cross-schema links) gets rows; without a Billy keyring the Billy
//! rows are skipped with a note.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use seeds::ops::{Ctx, Report};
use seeds::progress::Mode;
use seeds::seed::{self, SeedArgs, SeedReport, Size};
use service::billy::crypto::Keyring;
use tests::TestDb;

fn ctx(t: &TestDb) -> Ctx {
    Ctx {
        db: t.db.clone(),
        database_url: t.url.clone(),
        progress: Mode::Quiet,
    }
}

fn keyring() -> Keyring {
    Keyring::new("test1", [("test1", "0f".repeat(32))], None).unwrap()
}

fn small(seed: u64) -> SeedArgs {
    SeedArgs {
        size: Size::Small,
        seed,
    }
}

async fn seed_with_keyring(t: &TestDb, seed: u64) -> SeedReport {
    seed::run_with(&ctx(t), &small(seed), Ok(keyring()))
        .await
        .unwrap()
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    t.db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

#[tokio::test]
async fn seeding_small_twice_inserts_nothing_the_second_time_and_keeps_the_checksum() {
    let t = TestDb::new().await;
    let first = seed_with_keyring(&t, 1).await;
    assert!(first.inserted > 3000, "{}", first.human());
    assert!(first.notes.is_empty(), "{:?}", first.notes);
    assert_eq!(first.checksum.len(), 64);

    let second = seed_with_keyring(&t, 1).await;
    assert_eq!(second.inserted, 0);
    for line in &second.tables {
        assert_eq!(line.inserted, 0, "{} inserted rows again", line.table);
    }
    let present: u64 = second.tables.iter().map(|l| l.present).sum();
    assert!(present >= first.inserted - 1000, "{}", second.human());
    assert_eq!(second.checksum, first.checksum);
    assert_eq!(second.checksums, first.checksums);

    // The checksum reflects content: a changed row changes it (and a re-run leaves the
    // changed row alone).
    t.exec("UPDATE renos.leads SET name = 'Changed' WHERE id = 'seed-lead-000007'")
        .await
        .unwrap();
    let third = seed_with_keyring(&t, 1).await;
    assert_eq!(third.inserted, 0);
    assert_ne!(third.checksum, first.checksum);
}

#[tokio::test]
async fn fresh_databases_with_the_same_seed_get_the_same_checksum_and_another_seed_another() {
    let a = TestDb::new().await;
    let b = TestDb::new().await;
    let c = TestDb::new().await;
    let ra = seed_with_keyring(&a, 1).await;
    let rb = seed_with_keyring(&b, 1).await;
    let rc = seed_with_keyring(&c, 2).await;
    assert_eq!(ra.checksum, rb.checksum);
    assert_eq!(ra.checksums, rb.checksums);
    assert_ne!(ra.checksum, rc.checksum);
    // Ids do not depend on the seed; content does.
    let differing = ra
        .checksums
        .iter()
        .zip(&rc.checksums)
        .filter(|(x, y)| x.md5 != y.md5)
        .count();
    assert!(differing > 20, "only {differing} tables differ");
}

#[tokio::test]
async fn every_schema_and_the_cross_schema_links_get_rows() {
    let t = TestDb::new().await;
    let r = seed_with_keyring(&t, 1).await;
    for schema in ["vault", "billy", "renos", "crm", "flow", "shared"] {
        let rows: i64 = r
            .checksums
            .iter()
            .filter(|c| c.table.starts_with(&format!("{schema}.")))
            .map(|c| c.rows)
            .sum();
        assert!(rows > 0, "no rows in {schema}");
    }
    let expect = [
        ("SELECT count(*) AS n FROM shared.users", 10),
        ("SELECT count(*) AS n FROM renos.customers", 100),
        (
            "SELECT count(*) AS n FROM renos.leads WHERE score IS NOT NULL \
             AND last_scored IS NOT NULL AND assigned_user_id IS NOT NULL",
            500,
        ),
        ("SELECT count(*) AS n FROM renos.bookings", 2000),
        (
            "SELECT count(*) AS n FROM renos.bookings WHERE timer_status = 'completed' \
             AND actual_duration IS NOT NULL",
            389,
        ),
        ("SELECT count(*) AS n FROM vault.embeddings", 50),
        (
            "SELECT count(*) AS n FROM renos.users WHERE shared_user_id IS NOT NULL",
            4,
        ),
        (
            "SELECT count(*) AS n FROM billy.users WHERE shared_user_id IS NOT NULL",
            3,
        ),
        (
            "SELECT count(*) AS n FROM shared.party_links \
             WHERE renos_customer_id IS NOT NULL AND crm_contact_id IS NOT NULL",
            100,
        ),
        (
            "SELECT count(*) AS n FROM shared.party_links WHERE billy_contact_id IS NOT NULL",
            10,
        ),
        (
            "SELECT count(*) AS n FROM renos.customers c WHERE total_bookings = 20 \
             AND total_leads = 5",
            100,
        ),
    ];
    for (sql, n) in expect {
        assert_eq!(count(&t, sql).await, n, "{sql}");
    }
    // Embeddings are unit vectors.
    let norm = count(
        &t,
        "SELECT count(*) AS n FROM vault.embeddings \
         WHERE abs(vector_norm(embedding) - 1) > 1e-4",
    )
    .await;
    assert_eq!(norm, 0);
    // The Billy key was encrypted under the final (fixed) organisation id.
    let org = seeds::seed::rng::uuid("org", 0);
    let key = service::billy::organizations::reveal_api_key(&t.db, &keyring(), org)
        .await
        .unwrap();
    assert!(key.expose().starts_with("seed-billy-key-0-"));
}

#[tokio::test]
async fn without_a_keyring_billy_rows_are_skipped_with_a_note() {
    let t = TestDb::new().await;
    let r = seed::run_with(&ctx(&t), &small(1), Err("not configured".into()))
        .await
        .unwrap();
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].contains("BILLY_KEYRING_KEYS"), "{:?}", r.notes);
    assert!(r.human().contains("note: billy organisations"));
    assert_eq!(
        count(&t, "SELECT count(*) AS n FROM billy.organizations").await,
        0
    );
    assert_eq!(
        count(&t, "SELECT count(*) AS n FROM renos.customers").await,
        100
    );
}

#[tokio::test]
async fn the_command_entry_point_reports_tables_and_the_checksum_as_text_and_json() {
    let t = TestDb::new().await;
    // `run` is what `tekup seed` calls (keyring from the environment, if any).
    let r = seed::run(&ctx(&t), &small(1)).await.unwrap();
    assert!(r.ok());
    let text = r.human();
    assert!(text.contains("renos.bookings"), "{text}");
    assert!(text.contains(&format!("checksum {}", r.checksum)), "{text}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["checksum"], r.checksum.as_str());
    assert_eq!(json["size"], "small");
    assert!(json["tables"].as_array().unwrap().len() > 20);
    let again = seed::stable_checksums(&t.db).await.unwrap();
    assert_eq!(seeds::checksum::combined(&again), r.checksum);
}
