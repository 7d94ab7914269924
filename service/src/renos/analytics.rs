//! Daily metrics (`renos.analytics`): one row per (UTC date, metric).

use chrono::{DateTime, NaiveDate, Utc};
use entity::renos::analytics;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;

use crate::error::{Error, Result};
use crate::validate::{finite, non_empty};

/// Records `value` for `metric` on the UTC date of `now` (fixes defect 8: no local-midnight
/// shift). Last write wins: an existing row of that date and metric gets this value and
/// this metadata (`None` clears it); values are not accumulated.
pub async fn track_metric<C: ConnectionTrait>(
    db: &C,
    metric: &str,
    value: f64,
    metadata: Option<Json>,
    now: DateTime<Utc>,
) -> Result<analytics::Model> {
    let metric = non_empty("metric", metric)?;
    let value = finite("value", value)?;
    let am = analytics::ActiveModel {
        id: Set(entity::behavior::new_cuid()),
        date: Set(now.date_naive()),
        metric: Set(metric),
        value: Set(value),
        metadata: Set(metadata),
        ..Default::default()
    };
    Ok(analytics::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([analytics::Column::Date, analytics::Column::Metric])
                .update_columns([analytics::Column::Value, analytics::Column::Metadata])
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?)
}

/// The rows of `metric` with `from <= date <= until`, oldest first. `from` after `until`
/// is a validation error.
pub async fn get_metrics<C: ConnectionTrait>(
    db: &C,
    metric: &str,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<analytics::Model>> {
    let metric = non_empty("metric", metric)?;
    if from > until {
        return Err(Error::invalid("from", "must not be after until"));
    }
    Ok(analytics::Entity::find()
        .filter(analytics::Column::Metric.eq(metric))
        .filter(analytics::Column::Date.between(from, until))
        .order_by_asc(analytics::Column::Date)
        .all(db)
        .await?)
}
