//! CRM tasks: create, list in due/priority order, complete.

use chrono::{DateTime, Utc};
use entity::crm::contacts;
use entity::crm::tasks::{self, TaskPriority, TaskStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, NullOrdering, Order};
use sea_orm::{
    IntoActiveModel, LoaderTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, limit, non_empty, opt_text};

/// Input of [`create_task`]. Blank optional text counts as absent.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    /// User id of the assignee.
    pub assigned_to: String,
    /// An existing `crm.contacts` id.
    pub contact_id: Option<String>,
    pub due_date: Option<DateTime<Utc>>,
    /// Default `medium`.
    pub priority: Option<TaskPriority>,
}

/// Creates a `todo` task.
pub async fn create_task<C: TransactionTrait>(
    db: &C,
    input: NewTask,
    actor: Option<Uuid>,
) -> Result<tasks::Model> {
    let mut p = Problems::new();
    let title = p.take(non_empty("title", &input.title));
    let assigned_to = p.take(non_empty("assigned_to", &input.assigned_to));
    p.finish()?;
    let am = tasks::ActiveModel {
        title: Set(title.unwrap_or_default()),
        description: Set(opt_text(input.description)),
        assigned_to: Set(assigned_to.unwrap_or_default()),
        contact_id: Set(opt_text(input.contact_id)),
        due_date: Set(input.due_date.map(|d| d.fixed_offset())),
        priority: Set(input.priority.unwrap_or(TaskPriority::Medium)),
        status: Set(TaskStatus::Todo),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let task = am.insert(&txn).await?;
    audit::record_action(&txn, actor, "create", "crm.tasks", &task.id, json!({})).await?;
    txn.commit().await?;
    Ok(task)
}

/// Filters of [`get_tasks`]; `None` (or blank text) means "any".
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub assigned_to: Option<String>,
    pub contact_id: Option<String>,
    pub status: Option<TaskStatus>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// A task with its contact.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskWithContact {
    pub task: tasks::Model,
    pub contact: Option<contacts::Model>,
}

/// SQL rank of `priority`: urgent 0, high 1, medium 2, low 3.
fn priority_rank() -> Expr {
    Expr::cust_with_values(
        "CASE \"priority\" WHEN $1 THEN 0 WHEN $2 THEN 1 WHEN $3 THEN 2 ELSE 3 END",
        [
            TaskPriority::Urgent.to_value(),
            TaskPriority::High.to_value(),
            TaskPriority::Medium.to_value(),
        ],
    )
}

/// Tasks matching `filter`: earliest due date first (tasks without a due date last), then
/// by priority urgent > high > medium > low, then oldest first (fixes defect 4).
pub async fn get_tasks<C: ConnectionTrait>(
    db: &C,
    filter: TaskFilter,
) -> Result<Vec<TaskWithContact>> {
    let mut q = tasks::Entity::find();
    if let Some(v) = opt_text(filter.assigned_to) {
        q = q.filter(tasks::Column::AssignedTo.eq(v));
    }
    if let Some(v) = opt_text(filter.contact_id) {
        q = q.filter(tasks::Column::ContactId.eq(v));
    }
    if let Some(s) = filter.status {
        q = q.filter(tasks::Column::Status.eq(s));
    }
    let rows = q
        .order_by_with_nulls(tasks::Column::DueDate, Order::Asc, NullOrdering::Last)
        .order_by(priority_rank(), Order::Asc)
        .order_by_asc(tasks::Column::CreatedAt)
        .order_by_asc(tasks::Column::Id)
        .limit(limit(filter.limit, 50, 500))
        .all(db)
        .await?;
    let contacts = rows.load_one(contacts::Entity, db).await?;
    Ok(rows
        .into_iter()
        .zip(contacts)
        .map(|(task, contact)| TaskWithContact { task, contact })
        .collect())
}

/// Marks the task `done` with `completed_at = now`. Completing a done task changes nothing
/// (the first completion time is kept); a cancelled task cannot be completed (conflict).
pub async fn complete_task<C: TransactionTrait>(
    db: &C,
    task_id: &str,
    actor: Option<Uuid>,
) -> Result<tasks::Model> {
    let txn = db.begin().await?;
    let task = tasks::Entity::find_by_id(task_id.to_owned())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("task"))?;
    match task.status {
        TaskStatus::Done => return Ok(task),
        TaskStatus::Cancelled => return Err(Error::conflict("task is cancelled")),
        TaskStatus::Todo | TaskStatus::InProgress => {}
    }
    let mut am = task.into_active_model();
    am.status = Set(TaskStatus::Done);
    am.completed_at = Set(Some(Utc::now().fixed_offset()));
    let task = am.update(&txn).await?;
    audit::record_action(&txn, actor, "complete", "crm.tasks", &task.id, json!({})).await?;
    txn.commit().await?;
    Ok(task)
}
