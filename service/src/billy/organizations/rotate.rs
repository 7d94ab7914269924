//! Re-encrypting every stored API key under the keyring's current key.

use chrono::Utc;
use entity::billy::audit_logs::AuditLogAction;
use entity::billy::organizations;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde::Serialize;
use serde_json::json;

use crate::billy::audit::{NewAuditLog, record};
use crate::billy::crypto::{KeyScheme, Keyring, open, seal};
use crate::error::{Error, Result};

/// Rows per batch when none is given.
pub const DEFAULT_BATCH_SIZE: u64 = 100;
/// Largest accepted batch.
pub const MAX_BATCH_SIZE: u64 = 10_000;

/// What [`rotate_api_keys`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    /// Re-encrypted under the current key.
    pub rotated: u64,
    /// Already under the current key id (left alone).
    pub already_current: u64,
    /// Could not be decrypted (unknown key id, no legacy key, modified, unrecognised);
    /// left unchanged and logged by organisation id.
    pub failed: u64,
}

/// Re-encrypts every organisation's API key that is not under the keyring's current key
/// id (older keyring keys and the legacy format), setting `api_key_rotated_at`.
///
/// Works in batches of `batch_size` rows (keyset by id); each batch is one transaction
/// that locks its rows `FOR UPDATE SKIP LOCKED`, so a row being changed concurrently is
/// skipped (not counted) and picked up by the next run. Re-running is safe: rotated rows
/// count as `already_current`. Writes one audit entry with the counts.
pub async fn rotate_api_keys<C: TransactionTrait>(
    db: &C,
    keyring: &Keyring,
    batch_size: Option<u64>,
    actor: Option<Uuid>,
) -> Result<RotationReport> {
    let batch = batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    if !(1..=MAX_BATCH_SIZE).contains(&batch) {
        return Err(Error::invalid("batch_size", "must be between 1 and 10000"));
    }
    let current = keyring.current_key_id().as_str();
    let mut report = RotationReport::default();
    let mut after: Option<Uuid> = None;
    loop {
        let txn = db.begin().await?;
        let mut q = organizations::Entity::find();
        if let Some(last) = after {
            q = q.filter(organizations::Column::Id.gt(last));
        }
        let rows = q
            .order_by_asc(organizations::Column::Id)
            .limit(batch)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&txn)
            .await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            txn.commit().await?;
            break;
        };
        after = Some(last);
        for row in rows {
            if KeyScheme::of(&row.billy_api_key).key_id() == Some(current) {
                report.already_current += 1;
                continue;
            }
            let resealed = open(keyring, row.id, &row.billy_api_key)
                .and_then(|plain| seal(keyring, row.id, &plain));
            match resealed {
                Ok(ciphertext) => {
                    let mut am: organizations::ActiveModel = row.into();
                    am.billy_api_key = Set(ciphertext);
                    am.api_key_rotated_at = Set(Utc::now().fixed_offset());
                    am.update(&txn).await?;
                    report.rotated += 1;
                }
                Err(cause) => {
                    tracing::warn!(organization_id = %row.id, %cause, "billy api key not rotated");
                    report.failed += 1;
                }
            }
        }
        txn.commit().await?;
    }

    let txn = db.begin().await?;
    let mut audit = NewAuditLog::new(
        None,
        "rotate_api_keys",
        AuditLogAction::Update,
        report.failed == 0,
    );
    audit.resource_type = Some("organizations".into());
    audit.resource_id = Some("*".into());
    audit.output_data = Some(json!({
        "key_id": current,
        "rotated": report.rotated,
        "already_current": report.already_current,
        "failed": report.failed,
    }));
    record(&txn, audit, actor).await?;
    txn.commit().await?;
    Ok(report)
}
