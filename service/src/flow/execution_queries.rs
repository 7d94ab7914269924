//! Reading executions: one with its steps and logs, and filtered lists.

use entity::flow::executions::{self, ExecutionStatus};
use entity::flow::{execution_logs, execution_steps, workflows};
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect};

use crate::error::{Error, Result};
use crate::validate::{limit, opt_text};

/// An execution with its workflow, steps (oldest first) and log lines (in time order).
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionDetails {
    pub execution: executions::Model,
    pub workflow: workflows::Model,
    pub steps: Vec<execution_steps::Model>,
    pub logs: Vec<execution_logs::Model>,
}

/// The execution with this id and everything it produced.
pub async fn get_execution<C: ConnectionTrait>(db: &C, id: &str) -> Result<ExecutionDetails> {
    let execution = executions::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("execution"))?;
    let workflow = execution
        .find_related(workflows::Entity)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("workflow"))?;
    let steps = execution
        .find_related(execution_steps::Entity)
        .order_by_asc(execution_steps::Column::CreatedAt)
        .order_by_asc(execution_steps::Column::Id)
        .all(db)
        .await?;
    let logs = execution
        .find_related(execution_logs::Entity)
        .order_by_asc(execution_logs::Column::Timestamp)
        .order_by_asc(execution_logs::Column::Id)
        .all(db)
        .await?;
    Ok(ExecutionDetails {
        execution,
        workflow,
        steps,
        logs,
    })
}

/// Filters of [`get_executions`]; `None` (or blank text) means "any".
#[derive(Clone, Debug, Default)]
pub struct ExecutionFilter {
    pub workflow_id: Option<String>,
    pub status: Option<ExecutionStatus>,
    /// Page size: default 100, at most 1000.
    pub limit: Option<u64>,
}

/// An execution with the name of its workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionSummary {
    pub execution: executions::Model,
    pub workflow_name: String,
}

/// Executions matching `filter`, most recently started first.
pub async fn get_executions<C: ConnectionTrait>(
    db: &C,
    filter: ExecutionFilter,
) -> Result<Vec<ExecutionSummary>> {
    let mut q = executions::Entity::find();
    if let Some(w) = opt_text(filter.workflow_id) {
        q = q.filter(executions::Column::WorkflowId.eq(w));
    }
    if let Some(s) = filter.status {
        q = q.filter(executions::Column::Status.eq(s));
    }
    let rows = q
        .order_by_desc(executions::Column::StartedAt)
        .order_by_asc(executions::Column::Id)
        .limit(limit(filter.limit, 100, 1000))
        .all(db)
        .await?;
    let workflows = rows.load_one(workflows::Entity, db).await?;
    Ok(rows
        .into_iter()
        .zip(workflows)
        .map(|(execution, workflow)| ExecutionSummary {
            execution,
            workflow_name: workflow.map(|w| w.name).unwrap_or_default(),
        })
        .collect())
}
