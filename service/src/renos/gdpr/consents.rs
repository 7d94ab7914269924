//! `renos.consent_records`: one row per grant. A consent is *current* while `granted` and
//! not revoked; granting again supersedes (revokes) the previous grant of the same type.

use entity::renos::{consent_records, users};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::Problems;

/// Policy version assumed when a grant names none (the column default).
pub const DEFAULT_POLICY_VERSION: &str = "1.0";

/// Input of [`grant_consent`].
#[derive(Clone, Debug)]
pub struct NewConsent {
    pub user_id: String,
    /// e.g. `marketing`, `analytics`, `cookies`, `data_processing`; stored lower-case.
    pub consent_type: String,
    /// The client's IP address (v4 or v6).
    pub ip_address: String,
    pub user_agent: String,
    /// Privacy-policy version the consent refers to; defaults to `1.0`.
    pub version: Option<String>,
}

/// Records a grant (`granted_at = now`) and, in the same transaction, revokes the user's
/// previous current grant of the same type. An unknown user is `NotFound`. Audited.
pub async fn grant_consent<C: TransactionTrait>(
    db: &C,
    input: NewConsent,
) -> Result<consent_records::Model> {
    let mut f = Problems::new();
    let consent_type = f.text("consent_type", &input.consent_type).to_lowercase();
    let ip = f.ip("ip_address", &input.ip_address);
    let user_agent = f.text("user_agent", &input.user_agent);
    let version = match input.version.as_deref() {
        Some(v) => f.text("version", v),
        None => DEFAULT_POLICY_VERSION.to_owned(),
    };
    f.finish()?;
    let txn = db.begin().await?;
    users::Entity::find_by_id(input.user_id.as_str())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("user"))?;
    revoke_current(&txn, &input.user_id, &consent_type).await?;
    let row = consent_records::ActiveModel {
        user_id: Set(input.user_id),
        consent_type: Set(consent_type),
        granted: Set(true),
        granted_at: Set(now()),
        ip_address: Set(ip),
        user_agent: Set(user_agent),
        version: Set(version),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn, None,
        "grant_consent",
        "renos.consent_records",
        &row.id,
        json!({ "renos_user_id": row.user_id, "consent_type": row.consent_type, "version": row.version }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

async fn revoke_current<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    consent_type: &str,
) -> Result<Vec<consent_records::Model>> {
    Ok(consent_records::Entity::update_many()
        .col_expr(consent_records::Column::Granted, Expr::value(false))
        .col_expr(consent_records::Column::RevokedAt, Expr::value(now()))
        .filter(consent_records::Column::UserId.eq(user_id))
        .filter(consent_records::Column::ConsentType.eq(consent_type))
        .filter(consent_records::Column::Granted.eq(true))
        .filter(consent_records::Column::RevokedAt.is_null())
        .exec_with_returning(db)
        .await?)
}

/// Revokes the user's current consent of this type (`granted = false`,
/// `revoked_at = now`); `NotFound` when there is none. Audited.
pub async fn revoke_consent<C: TransactionTrait>(
    db: &C,
    user_id: &str,
    consent_type: &str,
) -> Result<consent_records::Model> {
    let mut f = Problems::new();
    let consent_type = f.text("consent_type", consent_type).to_lowercase();
    f.finish()?;
    let txn = db.begin().await?;
    let revoked = revoke_current(&txn, user_id, &consent_type).await?;
    let Some(row) = revoked.into_iter().next() else {
        return Err(Error::not_found("consent"));
    };
    audit::record_action(
        &txn,
        None,
        "revoke_consent",
        "renos.consent_records",
        &row.id,
        json!({ "renos_user_id": row.user_id, "consent_type": row.consent_type }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The user's current consents, one per type, ordered by type.
pub async fn current_consents<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Vec<consent_records::Model>> {
    Ok(consent_records::Entity::find()
        .filter(consent_records::Column::UserId.eq(user_id))
        .filter(consent_records::Column::Granted.eq(true))
        .filter(consent_records::Column::RevokedAt.is_null())
        .order_by_asc(consent_records::Column::ConsentType)
        .order_by_desc(consent_records::Column::GrantedAt)
        .all(db)
        .await?)
}

/// Whether the user currently consents to `consent_type`.
pub async fn has_consent<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    consent_type: &str,
) -> Result<bool> {
    Ok(consent_records::Entity::find()
        .filter(consent_records::Column::UserId.eq(user_id))
        .filter(consent_records::Column::ConsentType.eq(consent_type.trim().to_lowercase()))
        .filter(consent_records::Column::Granted.eq(true))
        .filter(consent_records::Column::RevokedAt.is_null())
        .limit(1)
        .count(db)
        .await?
        > 0)
}

/// Every grant and revocation of the user, oldest first.
pub async fn consent_history<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Vec<consent_records::Model>> {
    Ok(consent_records::Entity::find()
        .filter(consent_records::Column::UserId.eq(user_id))
        .order_by_asc(consent_records::Column::GrantedAt)
        .order_by_asc(consent_records::Column::Id)
        .all(db)
        .await?)
}
