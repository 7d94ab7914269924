//! `tekup backup`, `restore` and `health` against PostgreSQL: a backup restored into an
//! empty database (and over a changed one with `--clean`) gives identical checksums; a
//! tampered manifest or dump makes restore fail; health reports pending migrations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use migration::{Migrator, MigratorTrait};
use seeds::checksum::schema_checksums;
use seeds::ops::backup::{self, ALL_SCHEMAS, BackupArgs};
use seeds::ops::health::{self, HealthArgs};
use seeds::ops::manifest::Manifest;
use seeds::ops::restore::{self, RestoreArgs};
use seeds::ops::{Ctx, OpsError, Report};
use seeds::progress::Mode;
use tests::TestDb;

fn ctx(t: &TestDb) -> Ctx {
    Ctx {
        db: t.db.clone(),
        database_url: t.url.clone(),
        progress: Mode::Quiet,
    }
}

fn temp_dump(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tekup-backup-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.dump"))
}

async fn with_rows() -> TestDb {
    let t = TestDb::new().await;
    let vector: Vec<String> = (0..1536)
        .map(|i| format!("{}", (i % 7) as f32 / 7.0))
        .collect();
    t.exec(&format!(
        "INSERT INTO shared.users (id, email, name) VALUES
           ('11111111-1111-4111-8111-111111111111', 'ann@x.dk', 'Ann');
         INSERT INTO renos.customers (id, name, email, tags) VALUES
           ('c1', 'Alpha', 'a@alpha.dk', '{{vip}}'), ('c2', 'Beta', NULL, '{{}}');
         INSERT INTO renos.bookings (id, customer_id, scheduled_at, estimated_duration) VALUES
           ('b1', 'c1', '2024-01-01T08:00:00Z', 60);
         INSERT INTO vault.documents (id, source, repository, path, content) VALUES
           ('22222222-2222-4222-8222-222222222222', 'github', 'r', 'a.md', 'hello');
         INSERT INTO vault.embeddings (document_id, embedding) VALUES
           ('22222222-2222-4222-8222-222222222222', '[{}]');",
        vector.join(",")
    ))
    .await
    .unwrap();
    t
}

#[tokio::test]
async fn backup_then_restore_into_an_empty_database_gives_identical_checksums() {
    let source = with_rows().await;
    let dump = temp_dump("full");
    let report = backup::run(
        &ctx(&source),
        &BackupArgs {
            schemas: Vec::new(),
            out: Some(dump.clone()),
        },
    )
    .await
    .unwrap();
    assert!(report.dump_bytes > 0);
    let m = Manifest::read(&Manifest::path_for(&dump)).unwrap();
    assert!(m.self_consistent());
    let customers = m
        .tables
        .iter()
        .find(|t| t.table == "renos.customers")
        .unwrap();
    assert_eq!(customers.rows, 2);
    assert!(
        m.tables
            .iter()
            .any(|t| t.table == "public.seaql_migrations" && t.rows > 10)
    );

    let target = TestDb::empty().await;
    let restored = restore::run(
        &ctx(&target),
        &RestoreArgs {
            file: dump.clone(),
            clean: false,
        },
    )
    .await
    .unwrap();
    assert!(restored.ok(), "{}", restored.human());
    assert_eq!(
        schema_checksums(&target.db, &ALL_SCHEMAS).await.unwrap(),
        schema_checksums(&source.db, &ALL_SCHEMAS).await.unwrap()
    );
    // The restored database is a migrated one.
    assert!(migration::migrations_current(&target.db).await.unwrap());
}

#[tokio::test]
async fn restore_with_clean_brings_back_the_backed_up_content() {
    let t = with_rows().await;
    let dump = temp_dump("clean");
    let before = schema_checksums(&t.db, &ALL_SCHEMAS).await.unwrap();
    backup::run(
        &ctx(&t),
        &BackupArgs {
            schemas: Vec::new(),
            out: Some(dump.clone()),
        },
    )
    .await
    .unwrap();
    t.exec("DELETE FROM renos.bookings; UPDATE renos.customers SET name = 'changed'")
        .await
        .unwrap();
    assert_ne!(schema_checksums(&t.db, &ALL_SCHEMAS).await.unwrap(), before);
    let report = restore::run(
        &ctx(&t),
        &RestoreArgs {
            file: dump,
            clean: true,
        },
    )
    .await
    .unwrap();
    assert!(report.ok(), "{}", report.human());
    assert_eq!(schema_checksums(&t.db, &ALL_SCHEMAS).await.unwrap(), before);
}

#[tokio::test]
async fn a_tampered_manifest_or_dump_makes_restore_fail() {
    let source = with_rows().await;
    let dump = temp_dump("tampered");
    backup::run(
        &ctx(&source),
        &BackupArgs {
            schemas: vec!["renos".to_owned()],
            out: Some(dump.clone()),
        },
    )
    .await
    .unwrap();
    let path = Manifest::path_for(&dump);
    let original = Manifest::read(&path).unwrap();
    assert!(
        original
            .tables
            .iter()
            .all(|t| t.table.starts_with("renos."))
    );

    // An edited row count: the manifest no longer adds up.
    let mut edited = original.clone();
    let i = edited
        .tables
        .iter()
        .position(|t| t.table == "renos.customers")
        .unwrap();
    edited.tables[i].rows = 3;
    edited.write(&path).unwrap();
    // A schema backup restores its rows into a migrated database.
    let target = TestDb::new().await;
    let err = restore::run(
        &ctx(&target),
        &RestoreArgs {
            file: dump.clone(),
            clean: false,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, OpsError::Invalid(ref m) if m.contains("manifest")),
        "{err}"
    );

    // Edited consistently (combined recomputed): the restored data disagrees.
    edited.combined = seeds::checksum::combined(&edited.tables);
    edited.write(&path).unwrap();
    let report = restore::run(
        &ctx(&target),
        &RestoreArgs {
            file: dump.clone(),
            clean: false,
        },
    )
    .await
    .unwrap();
    assert!(!report.ok());
    assert_eq!(report.mismatches.len(), 1);
    assert_eq!(report.mismatches[0].table, "renos.customers");

    // A changed dump file.
    original.write(&path).unwrap();
    let mut bytes = std::fs::read(&dump).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&dump, bytes).unwrap();
    let other = TestDb::new().await;
    let err = restore::run(
        &ctx(&other),
        &RestoreArgs {
            file: dump.clone(),
            clean: false,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, OpsError::Invalid(ref m) if m.contains("SHA-256")),
        "{err}"
    );
    // And --clean is for whole-database backups only.
    let err = restore::run(
        &ctx(&other),
        &RestoreArgs {
            file: dump,
            clean: true,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, OpsError::Invalid(ref m) if m.contains("--clean")),
        "{err}"
    );
}

#[tokio::test]
async fn health_reports_tables_and_pending_migrations() {
    let t = with_rows().await;
    let report = health::run(&ctx(&t), &HealthArgs {}).await.unwrap();
    assert!(report.ok(), "{}", report.human());
    assert_eq!(report.server_version.split('.').next(), Some("18"));
    let renos = report.schemas.iter().find(|s| s.schema == "renos").unwrap();
    assert_eq!(renos.tables, 50);
    assert!(renos.bytes > 0);
    assert!(report.migrations_pending.is_empty());

    Migrator::down(&t.db, Some(1)).await.unwrap();
    let report = health::run(&ctx(&t), &HealthArgs {}).await.unwrap();
    assert!(!report.ok());
    assert_eq!(report.migrations_pending.len(), 1);
    assert!(report.human().contains("NOT HEALTHY"), "{}", report.human());
}
