//! A migration made of two SQL scripts.

use sea_orm_migration::prelude::*;

/// Runs `up` or `down` as one multi-statement script (simple query protocol). The migrator
/// wraps each migration in a transaction on PostgreSQL, so a failing script leaves nothing.
#[derive(Clone, Copy, Debug)]
pub struct SqlMigration {
    pub name: &'static str,
    pub up: &'static str,
    pub down: &'static str,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.up).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(self.down)
            .await?;
        Ok(())
    }
}
