//! `/healthz` and `/readyz` over HTTP, against a real database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use migration::{MIGRATIONS, Migrator, MigratorTrait};
use serde_json::Value;
use tests::TestDb;
use tests::spawn_app::spawn_app;

#[tokio::test]
async fn healthz_reports_database_and_migrations() {
    let t = TestDb::new().await;
    let app = spawn_app(&t).await;

    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["connected"], true);
    assert!(
        body["database"]["serverVersion"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric)
    );
    assert_eq!(body["migrations"]["applied"], MIGRATIONS.len());
    assert_eq!(body["migrations"]["pending"], 0);
    assert_eq!(body["migrations"]["current"], true);

    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn readyz_fails_while_a_migration_is_pending() {
    let t = TestDb::new().await;
    Migrator::down(&t.db, Some(1)).await.unwrap();
    let app = spawn_app(&t).await;

    // The last migration (`access`) grants the API role its read of the bookkeeping table:
    // without it the server cannot tell, and is not ready either.
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    t.exec("GRANT SELECT ON public.seaql_migrations TO tekup_app")
        .await
        .unwrap();

    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["migrations"]["pending"], 1);

    let alive = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        alive.status(),
        200,
        "the server is alive even when not ready"
    );
}
