//! Pipeline totals of CRM deals, aggregated in SQL (one `GROUPING SETS` query).

use entity::crm::deals::{DealStage, DealStatus};
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Iterable, Statement};

use crate::error::{Error, Result};
use crate::validate::opt_text;

/// Number and summed value of a group of deals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DealTotals {
    pub count: i64,
    /// Σ `value`, rounded to 2 decimals.
    pub value: Decimal,
}

/// Result of [`get_pipeline_metrics`].
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineMetrics {
    /// Σ `value` of the deals that are not lost (open + won): lost deals are not pipeline
    /// value. Their value still shows in `by_status` and `by_stage`.
    pub total_value: Decimal,
    /// Number of deals of every status.
    pub deal_count: i64,
    /// Every stage in pipeline order, also those without deals.
    pub by_stage: Vec<(DealStage, DealTotals)>,
    /// Every status (`open`, `won`, `lost`), also those without deals.
    pub by_status: Vec<(DealStatus, DealTotals)>,
}

const SQL: &str = r#"
SELECT stage, status,
       GROUPING(stage)::int4 AS by_stage, GROUPING(status)::int4 AS by_status,
       count(*) AS n,
       COALESCE(round(sum(value::numeric), 2), 0) AS total,
       COALESCE(round(sum(value::numeric) FILTER (WHERE status <> $2), 2), 0) AS kept
FROM crm.deals
WHERE ($1::text IS NULL OR owner = $1)
GROUP BY GROUPING SETS ((stage), (status), ())
"#;

/// Totals of all deals, or of one owner's deals (blank owner = all).
pub async fn get_pipeline_metrics<C: ConnectionTrait>(
    db: &C,
    owner: Option<&str>,
) -> Result<PipelineMetrics> {
    let owner = opt_text(owner.map(str::to_owned));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            [owner.into(), DealStatus::Lost.to_value().into()],
        ))
        .await?;
    let mut out = PipelineMetrics {
        total_value: Decimal::ZERO,
        deal_count: 0,
        by_stage: DealStage::iter()
            .map(|s| (s, DealTotals::default()))
            .collect(),
        by_status: DealStatus::iter()
            .map(|s| (s, DealTotals::default()))
            .collect(),
    };
    for row in rows {
        let totals = DealTotals {
            count: row.try_get("", "n")?,
            value: row.try_get("", "total")?,
        };
        let grouped_stage = row.try_get::<i32>("", "by_stage")? == 0;
        let grouped_status = row.try_get::<i32>("", "by_status")? == 0;
        if grouped_stage {
            let stage = DealStage::try_from_value(&row.try_get::<String>("", "stage")?)
                .map_err(|e| Error::internal(&e))?;
            if let Some(slot) = out.by_stage.iter_mut().find(|(s, _)| *s == stage) {
                slot.1 = totals;
            }
        } else if grouped_status {
            let status = DealStatus::try_from_value(&row.try_get::<String>("", "status")?)
                .map_err(|e| Error::internal(&e))?;
            if let Some(slot) = out.by_status.iter_mut().find(|(s, _)| *s == status) {
                slot.1 = totals;
            }
        } else {
            out.total_value = row.try_get("", "kept")?;
            out.deal_count = totals.count;
        }
    }
    Ok(out)
}
