//! Steps of an execution: starting one and completing it.

use chrono::Utc;
use entity::flow::execution_steps::{self, ExecutionStepStatus};
use entity::flow::executions::{self, ExecutionStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{QuerySelect, TransactionSession, TransactionTrait};

use super::executions::DURATION_MS_SQL;
use crate::error::{Error, Result};
use crate::validate::{Problems, non_empty, opt_text};

/// Input of [`create_execution_step`].
#[derive(Clone, Debug)]
pub struct NewExecutionStep {
    pub execution_id: String,
    /// Node id from the workflow's `nodes`.
    pub step_id: String,
    pub step_name: String,
    /// e.g. `action`, `condition`, `loop`.
    pub step_type: String,
    pub input: Option<Json>,
}

/// Starts a step of a running execution: status `running`, `started_at = now`, attempt 1
/// of 3. Unknown execution: not found; a finished execution: conflict.
pub async fn create_execution_step<C: TransactionTrait>(
    db: &C,
    input: NewExecutionStep,
) -> Result<execution_steps::Model> {
    let mut p = Problems::new();
    let step_id = p.take(non_empty("step_id", &input.step_id));
    let step_name = p.take(non_empty("step_name", &input.step_name));
    let step_type = p.take(non_empty("step_type", &input.step_type));
    p.finish()?;
    let txn = db.begin().await?;
    // A shared lock: completing the execution waits until this step is in.
    let execution = executions::Entity::find_by_id(input.execution_id.clone())
        .lock_shared()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("execution"))?;
    if execution.status != ExecutionStatus::Running {
        return Err(Error::conflict("execution is already finished"));
    }
    let step = execution_steps::ActiveModel {
        execution_id: Set(execution.id),
        step_id: Set(step_id.unwrap_or_default()),
        step_name: Set(step_name.unwrap_or_default()),
        step_type: Set(step_type.unwrap_or_default()),
        status: Set(ExecutionStepStatus::Running),
        input: Set(input.input),
        started_at: Set(Some(Utc::now().fixed_offset())),
        attempt_number: Set(1),
        max_attempts: Set(3),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(step)
}

/// Completes a running step: status `failed` when `error` is set (non-blank), else
/// `completed`; `completed_at = now`, `duration_ms` from `started_at`. Unknown step: not
/// found; a step that was never started or is already finished: conflict.
pub async fn complete_execution_step<C: ConnectionTrait>(
    db: &C,
    id: &str,
    output: Option<Json>,
    error: Option<String>,
) -> Result<execution_steps::Model> {
    let error = opt_text(error);
    let status = if error.is_some() {
        ExecutionStepStatus::Failed
    } else {
        ExecutionStepStatus::Completed
    };
    let now = Utc::now().fixed_offset();
    let updated = execution_steps::Entity::update_many()
        .col_expr(execution_steps::Column::Status, Expr::value(status))
        .col_expr(execution_steps::Column::Output, Expr::value(output))
        .col_expr(execution_steps::Column::Error, Expr::value(error))
        .col_expr(execution_steps::Column::CompletedAt, Expr::value(now))
        .col_expr(
            execution_steps::Column::DurationMs,
            Expr::cust_with_values(DURATION_MS_SQL, [now]),
        )
        .filter(execution_steps::Column::Id.eq(id))
        .filter(execution_steps::Column::Status.eq(ExecutionStepStatus::Running))
        .filter(execution_steps::Column::StartedAt.is_not_null())
        .exec_with_returning(db)
        .await?;
    if let Some(step) = updated.into_iter().next() {
        return Ok(step);
    }
    match execution_steps::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    {
        None => Err(Error::not_found("execution step")),
        Some(s) if s.started_at.is_none() => Err(Error::conflict("step was not started")),
        Some(_) => Err(Error::conflict("step is already finished")),
    }
}
