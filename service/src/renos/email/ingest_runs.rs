//! `renos.email_ingest_runs`: one row per Gmail ingestion run, with its counters.

use entity::renos::email_ingest_runs::{self, EmailIngestRunStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::error::{Error, Result};
use crate::renos::transition::Status;
use crate::validate::Problems;

/// Counters and outcome of a finished run.
#[derive(Clone, Debug, Default)]
pub struct IngestOutcome {
    /// `true` → status `failed`, else `completed`.
    pub failed: bool,
    pub total_emails: i32,
    pub new_emails: i32,
    pub updated_emails: i32,
    /// Number of errors; at least the number of `error_log` entries.
    pub errors: i32,
    /// Error messages (stored as a JSON array; `None` when empty).
    pub error_log: Vec<String>,
}

/// The checked states of a run.
const STATUS: Status<email_ingest_runs::Entity, EmailIngestRunStatus> = Status {
    entity: "email ingest run",
    id: email_ingest_runs::Column::Id,
    status: email_ingest_runs::Column::Status,
    of: |r| r.status,
};

/// Starts a run: status `running`, `started_at = now`, counters 0.
pub async fn start_ingest_run<C: ConnectionTrait>(db: &C) -> Result<email_ingest_runs::Model> {
    Ok(email_ingest_runs::ActiveModel {
        status: Set(EmailIngestRunStatus::Running),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Finishes a `running` run with its counters and `finished_at = now`. Counters must be
/// non-negative, `new + updated ≤ total` and `errors ≥ error_log.len()`; a run that is
/// already finished is a conflict.
pub async fn finish_ingest_run<C: ConnectionTrait>(
    db: &C,
    id: &str,
    outcome: IngestOutcome,
) -> Result<email_ingest_runs::Model> {
    let mut f = Problems::new();
    for (field, v) in [
        ("total_emails", outcome.total_emails),
        ("new_emails", outcome.new_emails),
        ("updated_emails", outcome.updated_emails),
        ("errors", outcome.errors),
    ] {
        f.check(v >= 0, field, "must not be negative");
    }
    f.check(
        i64::from(outcome.new_emails) + i64::from(outcome.updated_emails)
            <= i64::from(outcome.total_emails),
        "total_emails",
        "must be at least new_emails + updated_emails",
    );
    f.check(
        usize::try_from(outcome.errors).is_ok_and(|e| e >= outcome.error_log.len()),
        "errors",
        "must be at least the number of error_log entries",
    );
    f.finish()?;
    let status = if outcome.failed {
        EmailIngestRunStatus::Failed
    } else {
        EmailIngestRunStatus::Completed
    };
    let log = (!outcome.error_log.is_empty()).then(|| serde_json::json!(outcome.error_log));
    STATUS
        .transition(
            db,
            id,
            &[EmailIngestRunStatus::Running],
            status,
            vec![
                (email_ingest_runs::Column::FinishedAt, Expr::cust("now()")),
                (
                    email_ingest_runs::Column::TotalEmails,
                    Expr::value(outcome.total_emails),
                ),
                (
                    email_ingest_runs::Column::NewEmails,
                    Expr::value(outcome.new_emails),
                ),
                (
                    email_ingest_runs::Column::UpdatedEmails,
                    Expr::value(outcome.updated_emails),
                ),
                (
                    email_ingest_runs::Column::Errors,
                    Expr::value(outcome.errors),
                ),
                (email_ingest_runs::Column::ErrorLog, Expr::value(log)),
            ],
        )
        .await
}

/// The most recently started run.
pub async fn latest_ingest_run<C: ConnectionTrait>(
    db: &C,
) -> Result<Option<email_ingest_runs::Model>> {
    Ok(email_ingest_runs::Entity::find()
        .order_by_desc(email_ingest_runs::Column::StartedAt)
        .order_by_desc(email_ingest_runs::Column::Id)
        .one(db)
        .await?)
}

/// The run with this id.
pub async fn get_ingest_run<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<email_ingest_runs::Model> {
    email_ingest_runs::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("email ingest run"))
}
