//! Running workflows: starting an execution and completing it, with the workflow's run
//! statistics kept in the same transaction.

use chrono::Utc;
use entity::flow::executions::{self, ExecutionStatus, ExecutionTriggeredBy};
use entity::flow::workflows::{self, WorkflowStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{QuerySelect, TransactionSession, TransactionTrait};

use crate::error::{Error, Result};
use crate::validate::opt_text;

/// Milliseconds from `started_at` to the bound timestamp `$1`, clamped to `0 ..= i32::MAX`.
pub(crate) const DURATION_MS_SQL: &str = "LEAST(GREATEST(round(extract(epoch FROM ($1 - \"started_at\")) * 1000), 0), 2147483647)::integer";

/// Starts an execution of an `active` workflow: inserts it (`running`, `started_at = now`,
/// `triggered_by` default `manual`) and increments the workflow's `execution_count` and
/// sets `last_executed_at`, in one transaction. Runs no node. Unknown workflow: not found;
/// a workflow that is not active: conflict.
pub async fn execute_workflow<C: TransactionTrait>(
    db: &C,
    workflow_id: &str,
    input: Option<Json>,
    triggered_by: Option<ExecutionTriggeredBy>,
) -> Result<executions::Model> {
    let now = Utc::now().fixed_offset();
    let txn = db.begin().await?;
    // The status check and the counter update are one statement, so a concurrent pause
    // cannot slip in between.
    let updated = workflows::Entity::update_many()
        .col_expr(
            workflows::Column::ExecutionCount,
            Expr::col(workflows::Column::ExecutionCount).add(1),
        )
        .col_expr(workflows::Column::LastExecutedAt, Expr::value(now))
        .filter(workflows::Column::Id.eq(workflow_id))
        .filter(workflows::Column::Status.eq(WorkflowStatus::Active))
        .exec_with_returning(&txn)
        .await?;
    if updated.is_empty() {
        let exists = workflows::Entity::find_by_id(workflow_id.to_owned())
            .one(&txn)
            .await?
            .is_some();
        return Err(if exists {
            Error::conflict("workflow is not active")
        } else {
            Error::not_found("workflow")
        });
    }
    let execution = executions::ActiveModel {
        workflow_id: Set(workflow_id.to_owned()),
        status: Set(ExecutionStatus::Running),
        input: Set(input),
        triggered_by: Set(Some(triggered_by.unwrap_or(ExecutionTriggeredBy::Manual))),
        started_at: Set(now),
        completed_steps: Set(Vec::new()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(execution)
}

/// How an execution ended. A non-blank `error` means it failed.
#[derive(Clone, Debug, Default)]
pub struct ExecutionResult {
    pub output: Option<Json>,
    pub error: Option<String>,
}

/// Completes a running execution: status `failed` when `result.error` is set, else
/// `completed`; `completed_at = now`, `duration_ms = now − started_at` (computed in SQL).
/// Then, in the same transaction, the workflow's `failure_count` or `success_count` grows
/// by one, and on success `avg_duration_ms` becomes the running average over its
/// successful executions: `round((avg × n + duration) / (n + 1))` (defect 2).
/// Unknown execution: not found; already completed or failed: conflict.
pub async fn complete_execution<C: TransactionTrait>(
    db: &C,
    id: &str,
    result: ExecutionResult,
) -> Result<executions::Model> {
    let error = opt_text(result.error);
    let status = if error.is_some() {
        ExecutionStatus::Failed
    } else {
        ExecutionStatus::Completed
    };
    let now = Utc::now().fixed_offset();
    let txn = db.begin().await?;
    let current = executions::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("execution"))?;
    if current.status != ExecutionStatus::Running {
        return Err(Error::conflict("execution is already finished"));
    }
    let execution = executions::Entity::update_many()
        .col_expr(executions::Column::Status, Expr::value(status))
        .col_expr(executions::Column::Output, Expr::value(result.output))
        .col_expr(executions::Column::Error, Expr::value(error))
        .col_expr(executions::Column::CompletedAt, Expr::value(now))
        .col_expr(
            executions::Column::DurationMs,
            Expr::cust_with_values(DURATION_MS_SQL, [now]),
        )
        .filter(executions::Column::Id.eq(id))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("execution"))?;
    let counters = workflows::Entity::update_many();
    let counters = if status == ExecutionStatus::Completed {
        let duration = execution.duration_ms.unwrap_or(0);
        counters
            .col_expr(
                workflows::Column::AvgDurationMs,
                Expr::cust_with_values(
                    "CASE WHEN \"avg_duration_ms\" IS NULL OR \"success_count\" <= 0 THEN $1 \
                     ELSE round((\"avg_duration_ms\"::numeric * \"success_count\" + $1) \
                     / (\"success_count\" + 1))::integer END",
                    [duration],
                ),
            )
            .col_expr(
                workflows::Column::SuccessCount,
                Expr::col(workflows::Column::SuccessCount).add(1),
            )
    } else {
        counters.col_expr(
            workflows::Column::FailureCount,
            Expr::col(workflows::Column::FailureCount).add(1),
        )
    };
    counters
        .filter(workflows::Column::Id.eq(execution.workflow_id.clone()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(execution)
}
