//! Migrator CLI: `cargo run -p migration -- <up|down|status|fresh|refresh|reset>`.
//! Reads `DATABASE_URL` (run `eval "$(scripts/db env)"` for the local database).

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
