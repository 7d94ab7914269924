//! Moving deals through the pipeline. Stage and status are kept consistent: the closed
//! stages imply status `won`/`lost` and an `actual_close_date`; the open stages imply
//! status `open` without a close date or lost reason.

use chrono::Utc;
use entity::crm::deals::{self, DealStage, DealStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::opt_text;

/// The status a deal in `stage` has: `won` for `closed_won`, `lost` for `closed_lost`,
/// else `open`.
pub fn status_for_stage(stage: DealStage) -> DealStatus {
    match stage {
        DealStage::ClosedWon => DealStatus::Won,
        DealStage::ClosedLost => DealStatus::Lost,
        DealStage::Qualification | DealStage::Proposal | DealStage::Negotiation => DealStatus::Open,
    }
}

/// Locks and loads the deal (NotFound when absent).
async fn lock_deal<C: ConnectionTrait>(db: &C, id: &str) -> Result<deals::Model> {
    deals::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("deal"))
}

/// Moves the deal to `stage`. Entering `closed_won`/`closed_lost` closes it (status
/// `won`/`lost`, `actual_close_date = now` unless it was already closed the same way;
/// `lost_reason` cleared when won). Leaving a closed stage for an open one reopens it
/// (status `open`, close date and lost reason cleared). Moving to the current stage
/// writes nothing.
pub async fn move_deal_to_stage<C: TransactionTrait>(
    db: &C,
    deal_id: &str,
    stage: DealStage,
    actor: Option<Uuid>,
) -> Result<deals::Model> {
    let txn = db.begin().await?;
    let current = lock_deal(&txn, deal_id).await?;
    if current.stage == stage {
        return Ok(current);
    }
    let from = current.stage;
    let status = status_for_stage(stage);
    let mut am = current.clone().into_active_model();
    am.stage = Set(stage);
    if status != current.status {
        am.status = Set(status);
        am.actual_close_date = Set(match status {
            DealStatus::Open => None,
            DealStatus::Won | DealStatus::Lost => Some(Utc::now().fixed_offset()),
        });
    }
    if status != DealStatus::Lost {
        am.lost_reason = Set(None);
    }
    let deal = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "move_stage",
        "crm.deals",
        &deal.id,
        json!({ "from": from, "to": stage }),
    )
    .await?;
    txn.commit().await?;
    Ok(deal)
}

/// Closes the deal as won or lost: status `won`/`lost`, stage `closed_won`/`closed_lost`,
/// `actual_close_date = now`, `lost_reason` = the trimmed `reason` when lost (blank → none)
/// and none when won. Closing again (e.g. lost → won) re-stamps the close date.
pub async fn close_deal<C: TransactionTrait>(
    db: &C,
    deal_id: &str,
    won: bool,
    reason: Option<String>,
    actor: Option<Uuid>,
) -> Result<deals::Model> {
    let (status, stage) = if won {
        (DealStatus::Won, DealStage::ClosedWon)
    } else {
        (DealStatus::Lost, DealStage::ClosedLost)
    };
    let txn = db.begin().await?;
    let mut am = lock_deal(&txn, deal_id).await?.into_active_model();
    am.status = Set(status);
    am.stage = Set(stage);
    am.actual_close_date = Set(Some(Utc::now().fixed_offset()));
    am.lost_reason = Set(if won { None } else { opt_text(reason) });
    let deal = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "close",
        "crm.deals",
        &deal.id,
        json!({ "won": won }),
    )
    .await?;
    txn.commit().await?;
    Ok(deal)
}
