//! `renos.time_corrections`: a requested change of a time entry, `pending → approved`
//! (which applies it to the entry) or `pending → rejected`.

use entity::renos::time_corrections::{self, TimeCorrectionStatus};
use entity::renos::{time_entries, users};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveEnum, QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use super::time_entries::check_span;
use crate::clock::now;
use crate::error::{Error, Result};
use crate::shared::audit::{self, AuditEntry};
use crate::validate::Problems;

/// Input of [`submit_time_correction`].
#[derive(Clone, Debug)]
pub struct NewTimeCorrection {
    pub original_entry_id: String,
    pub corrected_start_time: DateTimeWithTimeZone,
    pub corrected_end_time: Option<DateTimeWithTimeZone>,
    /// Minutes.
    pub corrected_break_duration: i32,
    pub reason: String,
    /// The submitting RenOS user.
    pub submitted_by: String,
}

/// Submits a correction (status `pending`), copying the entry's current values as the
/// originals. The corrected span must be valid (a closed entry stays closed); an entry with a pending correction is a
/// conflict; an unknown entry `NotFound`, an unknown submitter a validation error.
pub async fn submit_time_correction<C: TransactionTrait>(
    db: &C,
    input: NewTimeCorrection,
) -> Result<time_corrections::Model> {
    let mut f = Problems::new();
    let reason = f.text("reason", &input.reason);
    let submitted_by = f.text("submitted_by", &input.submitted_by);
    check_span(
        &mut f,
        input.corrected_start_time,
        input.corrected_end_time,
        input.corrected_break_duration,
        "corrected_end_time",
        "corrected_break_duration",
    );
    f.finish()?;
    let txn = db.begin().await?;
    let entry = time_entries::Entity::find_by_id(input.original_entry_id.as_str())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("time entry"))?;
    if entry.end_time.is_some() && input.corrected_end_time.is_none() {
        return Err(Error::invalid(
            "corrected_end_time",
            "is required for a closed time entry",
        ));
    }
    let pending = time_corrections::Entity::find()
        .filter(time_corrections::Column::OriginalEntryId.eq(entry.id.as_str()))
        .filter(time_corrections::Column::Status.eq(TimeCorrectionStatus::Pending))
        .count(&txn)
        .await?;
    if pending > 0 {
        return Err(Error::conflict(
            "time entry already has a pending correction",
        ));
    }
    let row = time_corrections::ActiveModel {
        original_entry_id: Set(entry.id),
        original_start_time: Set(entry.start_time),
        original_end_time: Set(entry.end_time),
        original_break_duration: Set(entry.break_duration),
        corrected_start_time: Set(input.corrected_start_time),
        corrected_end_time: Set(input.corrected_end_time),
        corrected_break_duration: Set(input.corrected_break_duration),
        reason: Set(reason),
        status: Set(TimeCorrectionStatus::Pending),
        submitted_by: Set(submitted_by),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Locks a pending correction and checks the deciding user; self-approval is forbidden.
async fn pending_for_decision<C: ConnectionTrait>(
    txn: &C,
    id: &str,
    decided_by: &str,
) -> Result<time_corrections::Model> {
    let row = time_corrections::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?;
    let row = match row {
        Some(r) if r.status == TimeCorrectionStatus::Pending => r,
        other => {
            return Err(Error::wrong_state(
                "time correction",
                other.map(|r| r.status),
                &TimeCorrectionStatus::Pending.to_value(),
            ));
        }
    };
    if users::Entity::find_by_id(decided_by)
        .one(txn)
        .await?
        .is_none()
    {
        return Err(Error::invalid("decided_by", "refers to no user"));
    }
    if row.submitted_by == decided_by {
        return Err(Error::Forbidden);
    }
    Ok(row)
}

async fn audit_decision<C: ConnectionTrait>(
    txn: &C,
    action: &str,
    row: &time_corrections::Model,
    decided_by: &str,
) -> Result<()> {
    audit::record(
        txn,
        AuditEntry {
            user_id: None,
            action: action.into(),
            resource_type: "renos.time_corrections".into(),
            resource_id: row.id.clone(),
            metadata: json!({ "renos_user_id": decided_by, "entry_id": row.original_entry_id }),
        },
    )
    .await?;
    Ok(())
}

/// `pending → approved` by another user than the submitter (else `Forbidden`), and the
/// corrected start, end and break are written to the time entry — one transaction.
/// Audited.
pub async fn approve_time_correction<C: TransactionTrait>(
    db: &C,
    id: &str,
    approved_by: &str,
) -> Result<time_corrections::Model> {
    let txn = db.begin().await?;
    let row = pending_for_decision(&txn, id, approved_by).await?;
    let entry = time_entries::Entity::find_by_id(row.original_entry_id.as_str())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("time entry"))?;
    let mut entry: time_entries::ActiveModel = entry.into();
    entry.start_time = Set(row.corrected_start_time);
    entry.end_time = Set(row.corrected_end_time);
    entry.break_duration = Set(row.corrected_break_duration);
    entry.update(&txn).await?;
    let mut am: time_corrections::ActiveModel = row.into();
    am.status = Set(TimeCorrectionStatus::Approved);
    am.approved_by = Set(Some(approved_by.to_owned()));
    am.approved_at = Set(Some(now()));
    let row = am.update(&txn).await?;
    audit_decision(&txn, "approve", &row, approved_by).await?;
    txn.commit().await?;
    Ok(row)
}

/// `pending → rejected` by another user than the submitter (else `Forbidden`), with a
/// reason. The entry is unchanged. Audited.
pub async fn reject_time_correction<C: TransactionTrait>(
    db: &C,
    id: &str,
    rejected_by: &str,
    reason: &str,
) -> Result<time_corrections::Model> {
    let mut f = Problems::new();
    let reason = f.text("rejection_reason", reason);
    f.finish()?;
    let txn = db.begin().await?;
    let row = pending_for_decision(&txn, id, rejected_by).await?;
    let mut am: time_corrections::ActiveModel = row.into();
    am.status = Set(TimeCorrectionStatus::Rejected);
    am.rejected_by = Set(Some(rejected_by.to_owned()));
    am.rejected_at = Set(Some(now()));
    am.rejection_reason = Set(Some(reason));
    let row = am.update(&txn).await?;
    audit_decision(&txn, "reject", &row, rejected_by).await?;
    txn.commit().await?;
    Ok(row)
}

/// Pending corrections, oldest first.
pub async fn list_pending_corrections<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<time_corrections::Model>> {
    Ok(time_corrections::Entity::find()
        .filter(time_corrections::Column::Status.eq(TimeCorrectionStatus::Pending))
        .order_by_asc(time_corrections::Column::CreatedAt)
        .order_by_asc(time_corrections::Column::Id)
        .all(db)
        .await?)
}
