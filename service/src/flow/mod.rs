//! `flow`: workflows, executions and their steps and logs, schedules, webhooks, integrations, variables, metrics.
