//! Daily flow metrics, global or per workflow: one row per (UTC date, metric, workflow).
//!
//! Fixes defect 5 for metrics: the unique key is `UNIQUE NULLS NOT DISTINCT (date, metric,
//! workflow_id)`, so global rows upsert in place; [`MetricScope::Global`] reads
//! `workflow_id IS NULL` explicitly.

use chrono::NaiveDate;
use entity::flow::metrics;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use crate::clock::utc_today;
use crate::error::Result;
use crate::validate::{Problems, date_range, finite, non_empty, opt_text};

/// Input of [`track_metric`].
#[derive(Clone, Debug, Default)]
pub struct FlowMetricSample {
    /// e.g. `executions`, `success_rate`, `avg_duration`.
    pub metric: String,
    /// A finite number.
    pub value: f64,
    /// `None` = a global metric. Not checked against `flow.workflows` (metrics may outlive
    /// their workflow).
    pub workflow_id: Option<String>,
    pub metadata: Option<Json>,
    /// The day the value belongs to; default today in UTC (defect 8: never local time).
    pub date: Option<NaiveDate>,
}

/// Stores the metric's value for the day and scope: inserts the row, or replaces value and
/// metadata of the existing one (no accumulation).
pub async fn track_metric<C: ConnectionTrait>(
    db: &C,
    sample: FlowMetricSample,
) -> Result<metrics::Model> {
    let mut p = Problems::new();
    let metric = p.take(non_empty("metric", &sample.metric));
    let value = p.take(finite("value", sample.value));
    p.finish()?;
    let am = metrics::ActiveModel {
        id: Set(entity::behavior::new_cuid()),
        date: Set(sample.date.unwrap_or_else(utc_today)),
        metric: Set(metric.unwrap_or_default()),
        value: Set(value.unwrap_or_default()),
        workflow_id: Set(opt_text(sample.workflow_id)),
        metadata: Set(sample.metadata),
        ..Default::default()
    };
    Ok(metrics::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([
                metrics::Column::Date,
                metrics::Column::Metric,
                metrics::Column::WorkflowId,
            ])
            .update_columns([metrics::Column::Value, metrics::Column::Metadata])
            .to_owned(),
        )
        .exec_with_returning(db)
        .await?)
}

/// Which rows [`get_metrics`] reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricScope {
    /// Global rows and the rows of every workflow.
    All,
    /// Only global rows (`workflow_id IS NULL`).
    Global,
    /// Only the rows of this workflow.
    Workflow(String),
}

/// The metric's rows from `start` to `end` (both inclusive) in `scope`, oldest first (rows
/// of one day: global first, then by workflow id).
pub async fn get_metrics<C: ConnectionTrait>(
    db: &C,
    metric: &str,
    start: NaiveDate,
    end: NaiveDate,
    scope: MetricScope,
) -> Result<Vec<metrics::Model>> {
    date_range(start, end)?;
    let mut q = metrics::Entity::find()
        .filter(metrics::Column::Metric.eq(metric.trim()))
        .filter(metrics::Column::Date.between(start, end));
    q = match scope {
        MetricScope::All => q,
        MetricScope::Global => q.filter(metrics::Column::WorkflowId.is_null()),
        MetricScope::Workflow(w) => q.filter(metrics::Column::WorkflowId.eq(w.trim())),
    };
    Ok(q.order_by_asc(metrics::Column::Date)
        .order_by_with_nulls(
            metrics::Column::WorkflowId,
            sea_orm::sea_query::Order::Asc,
            sea_orm::sea_query::NullOrdering::First,
        )
        .all(db)
        .await?)
}
