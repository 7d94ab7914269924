//! Workflow life cycle: `draft → active ⇄ paused`, and `archived` from any state.
//! Repeating a transition (activating an active workflow, …) changes nothing.

use entity::flow::workflows::{self, WorkflowStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, TransactionSession, TransactionTrait};
use serde_json::json;

use super::workflows::lock_workflow;
use crate::error::{Error, Result};
use crate::shared::audit;

/// Whether a workflow in `from` may move to `to` (`to == from` is allowed and a no-op).
pub fn can_transition(from: WorkflowStatus, to: WorkflowStatus) -> bool {
    use WorkflowStatus::{Active, Archived, Draft, Paused};
    from == to
        || matches!(
            (from, to),
            (Draft | Paused, Active) | (Active, Paused) | (_, Archived)
        )
}

async fn transition<C: TransactionTrait>(
    db: &C,
    id: &str,
    to: WorkflowStatus,
    action: &str,
    actor: Option<Uuid>,
) -> Result<workflows::Model> {
    let txn = db.begin().await?;
    let current = lock_workflow(&txn, id).await?;
    let from = current.status;
    if from == to {
        return Ok(current);
    }
    if !can_transition(from, to) {
        return Err(Error::conflict(format!(
            "workflow cannot {action} from {}",
            from.to_value()
        )));
    }
    let mut am = current.into_active_model();
    am.status = Set(to);
    let workflow = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        action,
        "flow.workflows",
        &workflow.id,
        json!({ "from": from, "to": to }),
    )
    .await?;
    txn.commit().await?;
    Ok(workflow)
}

/// Makes the workflow `active` (from `draft` or `paused`); an archived one is a conflict.
pub async fn activate_workflow<C: TransactionTrait>(
    db: &C,
    id: &str,
    actor: Option<Uuid>,
) -> Result<workflows::Model> {
    transition(db, id, WorkflowStatus::Active, "activate", actor).await
}

/// Makes the workflow `paused` (from `active`); a draft or archived one is a conflict.
pub async fn pause_workflow<C: TransactionTrait>(
    db: &C,
    id: &str,
    actor: Option<Uuid>,
) -> Result<workflows::Model> {
    transition(db, id, WorkflowStatus::Paused, "pause", actor).await
}

/// Makes the workflow `archived` (from any state); it can no longer be activated.
pub async fn archive_workflow<C: TransactionTrait>(
    db: &C,
    id: &str,
    actor: Option<Uuid>,
) -> Result<workflows::Model> {
    transition(db, id, WorkflowStatus::Archived, "archive", actor).await
}
