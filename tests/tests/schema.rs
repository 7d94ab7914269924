//! The migrations build exactly the schema of data-model.md (`spec/model.json`), and undo it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use migration::{MIGRATIONS, Migrator, MigratorTrait};
use tests::TestDb;
use tests::catalog::Catalog;
use tests::model::Model;

#[tokio::test]
async fn database_matches_the_model_of_data_model_md() {
    let t = TestDb::new().await;
    // Access control (migration `access`) is not in the model: tests/tests/api_auth.rs checks it.
    // Derived (generated) columns are hand-written beside the model: checked below.
    let catalog = Catalog::read(&t.db).await.unwrap();
    assert_eq!(
        catalog.kind("derived").into_iter().collect::<Vec<_>>(),
        [
            "derived vault.documents.content_tsv tsvector AS to_tsvector('simple'::regconfig, content)"
        ]
    );
    let live = catalog.without(&[
        "function",
        "derived",
        "access",
        "acl",
        "default-acl",
        "rls",
        "policy",
    ]);
    let expected = Model::load().expected_catalog();
    let diff = live.diff(&expected);
    assert!(
        diff.is_empty(),
        "the database differs from spec/model.json:\n{diff}"
    );
}

#[tokio::test]
async fn every_spec_table_exists_with_the_specified_count_per_schema() {
    let t = TestDb::new().await;
    let live = Catalog::read(&t.db).await.unwrap();
    let model = Model::load();
    let mut spec_tables: BTreeMap<String, usize> = BTreeMap::new();
    let mut live_tables: BTreeMap<String, usize> = BTreeMap::new();
    for table in model.tables.iter().filter(|t| !t.link_table) {
        *spec_tables.entry(table.schema.clone()).or_default() += 1;
    }
    for line in live.kind("table") {
        let name = line.trim_start_matches("table ");
        let schema = name.split('.').next().unwrap().to_owned();
        let is_link = model
            .tables
            .iter()
            .any(|t| t.link_table && format!("{}.{}", t.schema, t.name) == name);
        if !is_link {
            *live_tables.entry(schema).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, usize> = [
        ("vault", 3),
        ("billy", 8),
        ("renos", 50),
        ("crm", 8),
        ("flow", 9),
        ("shared", 2),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_owned(), n))
    .collect();
    assert_eq!(
        spec_tables, expected,
        "spec/model.json lost a table of data-model.md"
    );
    assert_eq!(live_tables, expected);
    assert_eq!(live_tables.values().sum::<usize>(), 80);
}

#[tokio::test]
async fn down_all_the_way_then_up_gives_an_identical_catalog() {
    let t = TestDb::new().await;
    let before = Catalog::read(&t.db).await.unwrap();
    Migrator::down(&t.db, None).await.unwrap();
    let empty = Catalog::read(&t.db).await.unwrap();
    assert_eq!(
        empty.without(&["extension"]).lines.len(),
        0,
        "down left objects behind: {:?}",
        empty.lines
    );
    assert!(
        Migrator::get_applied_migrations(&t.db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&t.db, None).await.unwrap();
    let after = Catalog::read(&t.db).await.unwrap();
    let diff = after.diff(&before);
    assert!(diff.is_empty(), "down + up changed the catalog:\n{diff}");
}

#[tokio::test]
async fn each_migration_down_undoes_exactly_its_up() {
    let t = TestDb::empty().await;
    let mut snapshots = vec![Catalog::read(&t.db).await.unwrap()];
    for _ in MIGRATIONS {
        Migrator::up(&t.db, Some(1)).await.unwrap();
        snapshots.push(Catalog::read(&t.db).await.unwrap());
    }
    for (step, m) in MIGRATIONS.iter().enumerate().rev() {
        assert_ne!(
            snapshots[step],
            snapshots[step + 1],
            "{} changed nothing",
            m.name
        );
        Migrator::down(&t.db, Some(1)).await.unwrap();
        let now = Catalog::read(&t.db).await.unwrap();
        let diff = now.diff(&snapshots[step]);
        assert!(
            diff.is_empty(),
            "down of {} left a different catalog:\n{diff}",
            m.name
        );
    }
}

#[tokio::test]
async fn fresh_rebuilds_the_same_schema() {
    let t = TestDb::new().await;
    let before = Catalog::read(&t.db).await.unwrap();
    t.exec("INSERT INTO shared.users (email, name) VALUES ('a@example.com', 'A')")
        .await
        .unwrap();
    Migrator::fresh(&t.db).await.unwrap();
    let after = Catalog::read(&t.db).await.unwrap();
    assert!(after.diff(&before).is_empty(), "{}", after.diff(&before));
    let rows = t
        .scalar_i64("SELECT count(*) FROM shared.users")
        .await
        .unwrap();
    assert_eq!(rows, 0, "fresh kept data");
}
