//! Daily CRM metrics: one row per (UTC date, metric), last write wins.

use chrono::NaiveDate;
use entity::crm::metrics;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use crate::clock::utc_today;
use crate::error::Result;
use crate::validate::{Problems, date_range, finite, non_empty};

/// Input of [`track_metric`].
#[derive(Clone, Debug)]
pub struct MetricSample {
    /// e.g. `deals_created`, `deals_won`, `revenue`.
    pub metric: String,
    /// A finite number.
    pub value: f64,
    pub metadata: Option<Json>,
    /// The day the value belongs to; default today in UTC (defect 8: never local time).
    pub date: Option<NaiveDate>,
}

/// Stores the metric's value for the day: inserts the row, or replaces value and metadata
/// of the existing one (no accumulation).
pub async fn track_metric<C: ConnectionTrait>(
    db: &C,
    sample: MetricSample,
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
        metadata: Set(sample.metadata),
        ..Default::default()
    };
    Ok(metrics::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([metrics::Column::Date, metrics::Column::Metric])
                .update_columns([metrics::Column::Value, metrics::Column::Metadata])
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?)
}

/// The metric's rows from `start` to `end` (both inclusive), oldest first.
pub async fn get_metrics<C: ConnectionTrait>(
    db: &C,
    metric: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<metrics::Model>> {
    date_range(start, end)?;
    Ok(metrics::Entity::find()
        .filter(metrics::Column::Metric.eq(metric.trim()))
        .filter(metrics::Column::Date.between(start, end))
        .order_by_asc(metrics::Column::Date)
        .all(db)
        .await?)
}
