//! `flow`: workflows, executions and their steps and logs, schedules, webhooks, integrations, variables, metrics.

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

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::{Error, Result};

/// Counts one use of the row `id` (webhook request, integration use): `counter + 1` and
/// `at = now` in one atomic statement. The updated row, or `NotFound` naming `entity`.
pub(crate) async fn count_use<Col: ColumnTrait, C: ConnectionTrait>(
    db: &C,
    entity: &'static str,
    (id_column, id): (Col, &str),
    counter: Col,
    at: Col,
) -> Result<<Col::EntityName as EntityTrait>::Model>
where
    Col::EntityName: EntityTrait<Column = Col>,
{
    <Col::EntityName as EntityTrait>::update_many()
        .col_expr(counter, Expr::col(counter).add(1))
        .col_expr(at, Expr::value(Utc::now().fixed_offset()))
        .filter(id_column.eq(id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(entity))
}
