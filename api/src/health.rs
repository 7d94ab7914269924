//! `GET /healthz` and `GET /readyz`: whether the database answers and whether its migrations
//! are current.
//!
//! Both endpoints answer with the same JSON document. `/healthz` is 200 whenever the database
//! answers; `/readyz` is 200 only when, in addition, no migration is pending. Database errors
//! are logged, never sent to the client. The check only reads: it never creates the
//! migration bookkeeping table and never migrates.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::app::AppState;

/// How long one check may take before the database counts as not answering.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The body of `/healthz` and `/readyz`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// `ok` (database answers, migrations current), `degraded` (database answers, migrations
    /// pending or unknown) or `unavailable` (database does not answer).
    pub status: Status,
    pub database: DatabaseStatus,
    /// `null` when the migration status could not be read.
    pub migrations: Option<MigrationStatus>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Degraded,
    Unavailable,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseStatus {
    pub connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationStatus {
    pub applied: usize,
    pub pending: usize,
    /// No migration is pending.
    pub current: bool,
}

impl HealthReport {
    fn unavailable() -> Self {
        Self {
            status: Status::Unavailable,
            database: DatabaseStatus {
                connected: false,
                server_version: None,
            },
            migrations: None,
        }
    }

    /// The database answers (`/healthz` passes).
    pub fn is_live(&self) -> bool {
        self.database.connected
    }

    /// The database answers and every migration is applied (`/readyz` passes).
    pub fn is_ready(&self) -> bool {
        self.status == Status::Ok
    }
}

/// Asks the database for its version and migration status. Never fails: problems are logged
/// and show up in the report.
pub async fn check(db: &DatabaseConnection) -> HealthReport {
    match tokio::time::timeout(CHECK_TIMEOUT, check_inner(db)).await {
        Ok(report) => report,
        Err(_) => {
            tracing::error!(timeout = ?CHECK_TIMEOUT, "health check: database did not answer in time");
            HealthReport::unavailable()
        }
    }
}

async fn check_inner(db: &DatabaseConnection) -> HealthReport {
    let server_version = match service::database::server_version(db).await {
        Ok(version) => version,
        Err(err) => {
            tracing::error!(error = %err, "health check: database does not answer");
            return HealthReport::unavailable();
        }
    };
    let migrations = match migration_status(db).await {
        Ok(status) => Some(status),
        Err(err) => {
            tracing::error!(error = %err, "health check: cannot read the migration status");
            None
        }
    };
    let status = match migrations {
        Some(m) if m.current => Status::Ok,
        _ => Status::Degraded,
    };
    HealthReport {
        status,
        database: DatabaseStatus {
            connected: true,
            server_version: Some(server_version),
        },
        migrations,
    }
}

/// Counts applied and pending migrations without writing to the database.
pub async fn migration_status(db: &DatabaseConnection) -> Result<MigrationStatus, sea_orm::DbErr> {
    // One read of the bookkeeping table, so `applied` and `pending` come from the same snapshot.
    let migrations = Migrator::get_migration_with_status_read_only(db).await?;
    let pending = migrations
        .iter()
        .filter(|m| m.status() == sea_orm_migration::MigrationStatus::Pending)
        .count();
    let applied = migrations.len() - pending;
    Ok(MigrationStatus {
        applied,
        pending,
        current: pending == 0,
    })
}

/// `GET /healthz`: 200 when the database answers, else 503.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    let report = check(&state.db).await;
    let code = if report.is_live() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(report))
}

/// `GET /readyz`: 200 when the database answers and no migration is pending, else 503.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    let report = check(&state.db).await;
    let code = if report.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(report))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn healthy_report_shape() {
        let report = HealthReport {
            status: Status::Ok,
            database: DatabaseStatus {
                connected: true,
                server_version: Some("18.6".into()),
            },
            migrations: Some(MigrationStatus {
                applied: 9,
                pending: 0,
                current: true,
            }),
        };
        assert!(report.is_live() && report.is_ready());
        assert_eq!(
            serde_json::to_value(&report).ok(),
            Some(json!({
                "status": "ok",
                "database": {"connected": true, "serverVersion": "18.6"},
                "migrations": {"applied": 9, "pending": 0, "current": true}
            }))
        );
    }

    #[test]
    fn unavailable_report_shape() {
        let report = HealthReport::unavailable();
        assert!(!report.is_live() && !report.is_ready());
        assert_eq!(
            serde_json::to_value(&report).ok(),
            Some(json!({
                "status": "unavailable",
                "database": {"connected": false},
                "migrations": null
            }))
        );
    }
}
