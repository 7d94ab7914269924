//! Connecting to PostgreSQL and checking that it answers.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

/// Connection pool settings.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens a connection pool to `url`. SQL statement logging stays off: statements may carry
/// personal data.
pub async fn connect(url: &str, pool: &PoolConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool.max_connections)
        .connect_timeout(pool.connect_timeout)
        .acquire_timeout(pool.connect_timeout)
        .sqlx_logging(false);
    Database::connect(options).await
}

/// The server's version string, which also proves the connection works.
pub async fn server_version(db: &DatabaseConnection) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT current_setting('server_version') AS v",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("server_version".into()))?;
    row.try_get::<String>("", "v")
}
