//! Schedules that trigger workflows: create (cron or interval), list, record a run.

use chrono::{DateTime, Utc};
use entity::flow::{schedules, workflows};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering, Order};
use sea_orm::{LoaderTrait, QueryOrder, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, opt_text};

/// The default time zone of schedules.
pub const DEFAULT_TIMEZONE: &str = "Europe/Copenhagen";

/// Input of [`create_schedule`]: exactly one of `cron_expression` and `interval_minutes`.
#[derive(Clone, Debug, Default)]
pub struct NewSchedule {
    /// An existing `flow.workflows` id.
    pub workflow_id: String,
    pub name: String,
    pub description: Option<String>,
    /// Five fields (minute hour day-of-month month day-of-week), see [`parse_cron`].
    pub cron_expression: Option<String>,
    /// At least 1.
    pub interval_minutes: Option<i32>,
    /// IANA zone name; default `Europe/Copenhagen`.
    pub timezone: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    /// After `start_date` when both are given.
    pub end_date: Option<DateTime<Utc>>,
    /// At least 1; `None` = unlimited.
    pub max_runs: Option<i32>,
}

/// A cron expression checked for shape only (it is not evaluated): exactly five
/// whitespace-separated fields made of digits, letters (`JAN`, `MON`, `L`, `W`) and
/// `* , - / ? #`. Returned with single spaces between the fields.
pub fn parse_cron(field: &str, raw: &str) -> Result<String> {
    let fields: Vec<&str> = raw.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(Error::invalid(
            field,
            "must have 5 fields: minute hour day month weekday",
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "*,-/?#".contains(c);
    if !fields.iter().all(|f| f.chars().all(allowed)) {
        return Err(Error::invalid(
            field,
            "contains characters a cron field cannot have",
        ));
    }
    Ok(fields.join(" "))
}

/// A plausible IANA time zone name (`Area/Location`, `UTC`): letters, digits and `/ _ + -`.
fn parse_timezone(raw: Option<String>) -> Result<String> {
    let Some(tz) = opt_text(raw) else {
        return Ok(DEFAULT_TIMEZONE.to_owned());
    };
    let ok = tz
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
        && tz.starts_with(|c: char| c.is_ascii_alphabetic());
    if ok {
        Ok(tz)
    } else {
        Err(Error::invalid("timezone", "is not a time zone name"))
    }
}

/// Creates an active schedule; `next_run` stays unset (cron is not evaluated here). An
/// unknown workflow is a validation error.
pub async fn create_schedule<C: TransactionTrait>(
    db: &C,
    input: NewSchedule,
    actor: Option<Uuid>,
) -> Result<schedules::Model> {
    let mut p = Problems::new();
    let name = p.take(non_empty("name", &input.name));
    let cron = opt_text(input.cron_expression);
    match (&cron, input.interval_minutes) {
        (None, None) => {
            p.add(
                "cron_expression",
                "either cron_expression or interval_minutes is required",
            );
            p.add(
                "interval_minutes",
                "either cron_expression or interval_minutes is required",
            );
        }
        (Some(_), Some(_)) => {
            p.add(
                "interval_minutes",
                "give either cron_expression or interval_minutes, not both",
            );
        }
        _ => {}
    }
    let cron = cron.and_then(|c| p.take(parse_cron("cron_expression", &c)));
    if input.interval_minutes.is_some_and(|m| m < 1) {
        p.add("interval_minutes", "must be at least 1");
    }
    let timezone = p.take(parse_timezone(input.timezone));
    if input.max_runs.is_some_and(|m| m < 1) {
        p.add("max_runs", "must be at least 1");
    }
    if let (Some(s), Some(e)) = (input.start_date, input.end_date)
        && e <= s
    {
        p.add("end_date", "must be after start_date");
    }
    p.finish()?;
    let am = schedules::ActiveModel {
        workflow_id: Set(input.workflow_id.trim().to_owned()),
        name: Set(name.unwrap_or_default()),
        description: Set(opt_text(input.description)),
        cron_expression: Set(cron),
        interval_minutes: Set(input.interval_minutes),
        is_active: Set(true),
        timezone: Set(timezone.unwrap_or_default()),
        start_date: Set(input.start_date.map(|d| d.fixed_offset())),
        end_date: Set(input.end_date.map(|d| d.fixed_offset())),
        max_runs: Set(input.max_runs),
        current_runs: Set(0),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let schedule = am.insert(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "flow.schedules",
        &schedule.id,
        json!({ "workflow_id": schedule.workflow_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(schedule)
}

/// A schedule with the name of its workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleSummary {
    pub schedule: schedules::Model,
    pub workflow_name: String,
}

/// All schedules, or those of one workflow, soonest `next_run` first (unplanned last).
pub async fn get_schedules<C: ConnectionTrait>(
    db: &C,
    workflow_id: Option<&str>,
) -> Result<Vec<ScheduleSummary>> {
    let mut q = schedules::Entity::find();
    if let Some(w) = opt_text(workflow_id.map(str::to_owned)) {
        q = q.filter(schedules::Column::WorkflowId.eq(w));
    }
    let rows = q
        .order_by_with_nulls(schedules::Column::NextRun, Order::Asc, NullOrdering::Last)
        .order_by_asc(schedules::Column::CreatedAt)
        .order_by_asc(schedules::Column::Id)
        .all(db)
        .await?;
    let workflows = rows.load_one(workflows::Entity, db).await?;
    Ok(rows
        .into_iter()
        .zip(workflows)
        .map(|(schedule, workflow)| ScheduleSummary {
            schedule,
            workflow_name: workflow.map(|w| w.name).unwrap_or_default(),
        })
        .collect())
}

/// Records a run: `last_run = now`, `current_runs + 1`, `next_run = next_run`. The run
/// that reaches `max_runs` deactivates the schedule and clears `next_run`. Unknown id: not
/// found; an inactive or exhausted schedule: conflict. One statement, so concurrent runs
/// cannot exceed `max_runs`.
pub async fn update_schedule_next_run<C: ConnectionTrait>(
    db: &C,
    id: &str,
    next_run: DateTime<Utc>,
) -> Result<schedules::Model> {
    let now = Utc::now().fixed_offset();
    let exhausted = "\"max_runs\" IS NOT NULL AND \"current_runs\" + 1 >= \"max_runs\"";
    let updated = schedules::Entity::update_many()
        .col_expr(schedules::Column::LastRun, Expr::value(now))
        .col_expr(
            schedules::Column::CurrentRuns,
            Expr::col(schedules::Column::CurrentRuns).add(1),
        )
        .col_expr(
            schedules::Column::NextRun,
            Expr::cust_with_values(
                format!("CASE WHEN {exhausted} THEN NULL ELSE $1 END"),
                [next_run.fixed_offset()],
            ),
        )
        .col_expr(
            schedules::Column::IsActive,
            Expr::cust(format!("NOT ({exhausted})")),
        )
        .filter(schedules::Column::Id.eq(id))
        .filter(schedules::Column::IsActive.eq(true))
        .filter(Expr::cust(
            "(\"max_runs\" IS NULL OR \"current_runs\" < \"max_runs\")",
        ))
        .exec_with_returning(db)
        .await?;
    if let Some(s) = updated.into_iter().next() {
        return Ok(s);
    }
    match schedules::Entity::find_by_id(id.to_owned()).one(db).await? {
        None => Err(Error::not_found("schedule")),
        Some(_) => Err(Error::conflict(
            "schedule is inactive or has reached max_runs",
        )),
    }
}
