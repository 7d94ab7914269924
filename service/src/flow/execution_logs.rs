//! Log lines of an execution.

use chrono::Utc;
use entity::flow::execution_logs::{self, ExecutionLogLevel};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use crate::error::Result;
use crate::validate::{non_empty, opt_text};

/// Input of [`write_log`].
#[derive(Clone, Debug)]
pub struct NewLogLine {
    /// An existing `flow.executions` id.
    pub execution_id: String,
    pub level: ExecutionLogLevel,
    pub message: String,
    pub data: Option<Json>,
    /// The step's node id, when the line belongs to a step.
    pub step_id: Option<String>,
}

/// Appends a log line with `timestamp = now`. An unknown execution is a validation error.
pub async fn write_log<C: ConnectionTrait>(
    db: &C,
    line: NewLogLine,
) -> Result<execution_logs::Model> {
    let message = non_empty("message", &line.message)?;
    let am = execution_logs::ActiveModel {
        execution_id: Set(line.execution_id),
        level: Set(line.level),
        message: Set(message),
        data: Set(line.data),
        step_id: Set(opt_text(line.step_id)),
        timestamp: Set(Utc::now().fixed_offset()),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}
