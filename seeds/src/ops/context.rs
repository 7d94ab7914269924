//! What every operator command gets: the database (owner role), its URL (for pg_dump and
//! pg_restore) and how to show progress.

use sea_orm::DatabaseConnection;

use crate::progress::Mode;

/// The environment of one command run.
pub struct Ctx {
    /// Connection pool to the target database, as the owner (migrating) role.
    pub db: DatabaseConnection,
    /// The target database's URL (never printed unredacted).
    pub database_url: String,
    /// How to show progress.
    pub progress: Mode,
}
