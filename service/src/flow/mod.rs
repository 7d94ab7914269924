//! `flow`: workflows, executions and their steps and logs, schedules, webhooks, integrations, variables, metrics.

pub(crate) mod audit;
pub mod execution_logs;
pub mod execution_queries;
pub mod execution_steps;
pub mod executions;
pub mod integrations;
pub mod metrics;
pub mod schedules;
pub mod variables;
pub mod webhooks;
pub mod workflow_status;
pub mod workflows;
