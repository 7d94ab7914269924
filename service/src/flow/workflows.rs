//! Workflow definitions: create, read, partial update, filtered lists.

use entity::flow::workflows::{self, WorkflowStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, limit, non_empty, opt_text};

/// Input of [`create_workflow`].
#[derive(Clone, Debug)]
pub struct NewWorkflow {
    pub name: String,
    pub description: Option<String>,
    /// User id of the owner.
    pub owner: String,
    /// Trigger configuration: a JSON object.
    pub trigger: Json,
    /// Workflow nodes: a JSON array.
    pub nodes: Json,
    /// Node connections: a JSON array.
    pub edges: Json,
    pub is_template: bool,
}

/// Checks the JSON shapes of a definition: `trigger` an object, `nodes`/`edges` arrays.
fn check_definition(
    p: &mut Problems,
    trigger: Option<&Json>,
    nodes: Option<&Json>,
    edges: Option<&Json>,
) {
    if trigger.is_some_and(|t| !t.is_object()) {
        p.add("trigger", "must be a JSON object");
    }
    if nodes.is_some_and(|n| !n.is_array()) {
        p.add("nodes", "must be a JSON array");
    }
    if edges.is_some_and(|e| !e.is_array()) {
        p.add("edges", "must be a JSON array");
    }
}

/// Creates a `draft` workflow (timeout 3600 s, 3 retry attempts, counters 0).
pub async fn create_workflow<C: TransactionTrait>(
    db: &C,
    input: NewWorkflow,
    actor: Option<Uuid>,
) -> Result<workflows::Model> {
    let mut p = Problems::new();
    let name = p.take(non_empty("name", &input.name));
    let owner = p.take(non_empty("owner", &input.owner));
    check_definition(
        &mut p,
        Some(&input.trigger),
        Some(&input.nodes),
        Some(&input.edges),
    );
    p.finish()?;
    let am = workflows::ActiveModel {
        name: Set(name.unwrap_or_default()),
        description: Set(opt_text(input.description)),
        owner: Set(owner.unwrap_or_default()),
        trigger: Set(input.trigger),
        nodes: Set(input.nodes),
        edges: Set(input.edges),
        is_template: Set(input.is_template),
        status: Set(WorkflowStatus::Draft),
        timeout: Set(3600),
        retry_attempts: Set(3),
        execution_count: Set(0),
        success_count: Set(0),
        failure_count: Set(0),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let workflow = am.insert(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "flow.workflows",
        &workflow.id,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(workflow)
}

/// The workflow with this id.
pub async fn get_workflow<C: ConnectionTrait>(db: &C, id: &str) -> Result<workflows::Model> {
    workflows::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("workflow"))
}

/// The workflow with this id, locked (`FOR UPDATE`) until the end of the transaction.
pub(crate) async fn lock_workflow<C: ConnectionTrait>(
    txn: &C,
    id: &str,
) -> Result<workflows::Model> {
    workflows::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found("workflow"))
}

/// Partial update of a workflow definition: `None` leaves a field unchanged; for nullable
/// fields `Some(None)` (or blank text) clears it. The status changes only through
/// [`super::workflow_status`]; the run counters only through executions.
#[derive(Clone, Debug, Default)]
pub struct WorkflowUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub trigger: Option<Json>,
    pub nodes: Option<Json>,
    pub edges: Option<Json>,
    /// Seconds, at least 1.
    pub timeout: Option<i32>,
    /// At least 0.
    pub retry_attempts: Option<i32>,
    pub is_template: Option<bool>,
    pub template_id: Option<Option<String>>,
}

/// Applies `update` to the workflow (`updated_at` is set). An update that changes nothing
/// writes nothing and returns the workflow as it is.
pub async fn update_workflow<C: TransactionTrait>(
    db: &C,
    id: &str,
    update: WorkflowUpdate,
    actor: Option<Uuid>,
) -> Result<workflows::Model> {
    let mut p = Problems::new();
    let name = update
        .name
        .as_deref()
        .and_then(|s| p.take(non_empty("name", s)));
    check_definition(
        &mut p,
        update.trigger.as_ref(),
        update.nodes.as_ref(),
        update.edges.as_ref(),
    );
    if update.timeout.is_some_and(|t| t < 1) {
        p.add("timeout", "must be at least 1 second");
    }
    if update.retry_attempts.is_some_and(|r| r < 0) {
        p.add("retry_attempts", "must not be negative");
    }
    p.finish()?;

    let txn = db.begin().await?;
    let current = lock_workflow(&txn, id).await?;
    let mut am = current.clone().into_active_model();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(v) = name {
        am.name = Set(v);
        changed.push("name");
    }
    if let Some(v) = update.description {
        am.description = Set(opt_text(v));
        changed.push("description");
    }
    let definition = [
        (update.trigger, &mut am.trigger, "trigger"),
        (update.nodes, &mut am.nodes, "nodes"),
        (update.edges, &mut am.edges, "edges"),
    ];
    for (value, slot, field) in definition {
        if let Some(v) = value {
            *slot = Set(v);
            changed.push(field);
        }
    }
    if let Some(v) = update.timeout {
        am.timeout = Set(v);
        changed.push("timeout");
    }
    if let Some(v) = update.retry_attempts {
        am.retry_attempts = Set(v);
        changed.push("retry_attempts");
    }
    if let Some(v) = update.is_template {
        am.is_template = Set(v);
        changed.push("is_template");
    }
    if let Some(v) = update.template_id {
        am.template_id = Set(opt_text(v));
        changed.push("template_id");
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let workflow = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "update",
        "flow.workflows",
        &workflow.id,
        json!({ "fields": changed }),
    )
    .await?;
    txn.commit().await?;
    Ok(workflow)
}

/// Filters of [`find_workflows`]; `None` (or blank text) means "any". `is_template:
/// Some(false)` selects the non-templates.
#[derive(Clone, Debug, Default)]
pub struct WorkflowFilter {
    pub status: Option<WorkflowStatus>,
    pub owner: Option<String>,
    pub is_template: Option<bool>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// Workflows matching `filter`, most recently updated first.
pub async fn find_workflows<C: ConnectionTrait>(
    db: &C,
    filter: WorkflowFilter,
) -> Result<Vec<workflows::Model>> {
    let mut q = workflows::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(workflows::Column::Status.eq(s));
    }
    if let Some(o) = opt_text(filter.owner) {
        q = q.filter(workflows::Column::Owner.eq(o));
    }
    if let Some(t) = filter.is_template {
        q = q.filter(workflows::Column::IsTemplate.eq(t));
    }
    Ok(q.order_by_desc(workflows::Column::UpdatedAt)
        .order_by_asc(workflows::Column::Id)
        .limit(limit(filter.limit, 50, 500))
        .all(db)
        .await?)
}
