//! A database per test, cloned from a migrated template.

use std::sync::atomic::{AtomicU32, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Serialises template creation across concurrent test processes.
const TEMPLATE_LOCK: i64 = 0x7465_6b75_7001;

/// One test's own database. Dropped (with `DROP DATABASE ... WITH (FORCE)`) when the value
/// goes out of scope, also when the test panics.
pub struct TestDb {
    /// Connection pool to the test database, as the owner (migrating) role.
    pub db: DatabaseConnection,
    /// Name of the test database.
    pub name: String,
    /// URL of the test database, as the owner role.
    pub url: String,
    admin_url: String,
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> Self {
        Self::try_new()
            .await
            .unwrap_or_else(|e| panic!("test database: {e}"))
    }

    /// A fresh, empty database (no migrations), for tests of the migrations themselves.
    pub async fn empty() -> Self {
        Self::create(None)
            .await
            .unwrap_or_else(|e| panic!("test database: {e}"))
    }

    async fn try_new() -> Result<Self, DbErr> {
        let template = ensure_template().await?;
        Self::create(Some(&template)).await
    }

    async fn create(template: Option<&str>) -> Result<Self, DbErr> {
        let admin_url = admin_url();
        let name = format!(
            "tekup_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = connect(&admin_url, 1).await?;
        exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await?;
        let create = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {name}"),
        };
        exec(&admin, &create).await?;
        admin.close().await?;
        let url = with_database(&admin_url, &name);
        let db = connect(&url, 5).await?;
        Ok(Self {
            db,
            name,
            url,
            admin_url,
        })
    }

    /// Runs one SQL statement (or several, separated by `;`) without parameters.
    pub async fn exec(&self, sql: &str) -> Result<(), DbErr> {
        exec(&self.db, sql).await
    }

    /// The single `bigint` (or `integer`) value a query returns, e.g. a `count(*)`.
    pub async fn scalar_i64(&self, sql: &str) -> Result<i64, DbErr> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(sql.to_owned()))?;
        row.try_get_by_index::<i64>(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = connect(&admin_url, 1).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = exec(&admin, &sql).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

impl TestDb {
    /// URL of the test database as the API's login role (`TEKUP_API_DATABASE_URL`, set by
    /// `scripts/db env`; the owner URL when unset, and then row-level security does not bind).
    pub fn api_url(&self) -> String {
        let base = std::env::var("TEKUP_API_DATABASE_URL").unwrap_or_else(|_| admin_url());
        with_database(&base, &self.name)
    }
}

/// The server/role URL from `DATABASE_URL`.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("DATABASE_URL is not set: run the tests with scripts/test (or eval \"$(scripts/db env)\")")
    })
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A small pool without statement logging.
pub async fn connect(url: &str, max: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(max)
        .min_connections(0)
        .sqlx_logging(false);
    Database::connect(opt).await
}

/// Runs SQL without parameters.
pub async fn exec<C: ConnectionTrait>(db: &C, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

/// Creates the template database for the current migrations once per server (concurrent
/// test processes wait on an advisory lock), and drops templates of older migrations.
async fn ensure_template() -> Result<String, DbErr> {
    let admin_url = admin_url();
    let template = format!("tekup_tpl_{}", migration::fingerprint());
    let admin = connect(&admin_url, 1).await?;
    exec(&admin, &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})")).await?;
    let result = build_template(&admin, &admin_url, &template).await;
    exec(
        &admin,
        &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"),
    )
    .await?;
    admin.close().await?;
    result.map(|()| template)
}

async fn build_template(
    admin: &DatabaseConnection,
    admin_url: &str,
    template: &str,
) -> Result<(), DbErr> {
    let existing = database_names(admin, "tekup_tpl_%").await?;
    if existing.iter().any(|n| n == template) {
        return Ok(());
    }
    for old in existing {
        exec(admin, &format!("ALTER DATABASE {old} IS_TEMPLATE false")).await?;
        exec(admin, &format!("DROP DATABASE {old} WITH (FORCE)")).await?;
    }
    let building = format!("{template}_building");
    exec(
        admin,
        &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
    )
    .await?;
    exec(admin, &format!("CREATE DATABASE {building}")).await?;
    let db = connect(&with_database(admin_url, &building), 1).await?;
    Migrator::up(&db, None).await?;
    db.close().await?;
    exec(
        admin,
        &format!("ALTER DATABASE {building} RENAME TO {template}"),
    )
    .await?;
    exec(
        admin,
        &format!("ALTER DATABASE {template} IS_TEMPLATE true"),
    )
    .await
}

async fn database_names(admin: &DatabaseConnection, like: &str) -> Result<Vec<String>, DbErr> {
    let rows = admin
        .query_all_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE '%\\_building'",
            [like.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "datname"))
        .collect()
}
