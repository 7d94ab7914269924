//! Persisting lead scores: storing a computed score, scoring one lead, scoring every open
//! lead, and the prioritised list of open leads.

use chrono::{DateTime, Utc};
use entity::renos::customers;
use entity::renos::leads::{self, LeadPriority, LeadStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{
    IntoActiveModel, LoaderTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use super::lead_scoring::{LeadScore, LeadTier, score_lead};
use super::leads::get_lead;
use crate::error::{Error, Result};

/// A score computed elsewhere, to store with [`update_lead_score`].
#[derive(Clone, Debug)]
pub struct ScoreUpdate {
    /// 0–100.
    pub score: i32,
    pub priority: LeadPriority,
    /// Factor breakdown; `None` leaves the stored metadata unchanged.
    pub metadata: Option<Json>,
}

/// Stores `score`, `priority`, `score_metadata` (if given) and `last_scored = now`.
pub async fn update_lead_score<C: ConnectionTrait>(
    db: &C,
    id: &str,
    update: ScoreUpdate,
    now: DateTime<Utc>,
) -> Result<leads::Model> {
    if !(0..=100).contains(&update.score) {
        return Err(Error::invalid("score", "must be between 0 and 100"));
    }
    let mut am = get_lead(db, id).await?.into_active_model();
    am.score = Set(Some(update.score));
    am.priority = Set(Some(update.priority));
    if let Some(m) = update.metadata {
        am.score_metadata = Set(Some(m));
    }
    am.last_scored = Set(Some(now.fixed_offset()));
    Ok(am.update(db).await?)
}

/// A lead with the score it was just given.
#[derive(Clone, Debug)]
pub struct ScoredLead {
    /// The lead as stored after scoring.
    pub lead: leads::Model,
    pub score: LeadScore,
}

async fn save_score<C: ConnectionTrait>(
    db: &C,
    lead: leads::Model,
    customer: Option<&customers::Model>,
    now: DateTime<Utc>,
) -> Result<ScoredLead> {
    let score = score_lead(&lead, customer, now);
    let mut am = lead.into_active_model();
    am.score = Set(Some(score.score));
    am.priority = Set(Some(score.priority));
    am.score_metadata = Set(Some(score.metadata()));
    am.last_scored = Set(Some(now.fixed_offset()));
    let lead = am.update(db).await?;
    Ok(ScoredLead { lead, score })
}

/// Scores one lead (with its customer) as of `now` and stores the result.
pub async fn score_and_save_lead<C: ConnectionTrait>(
    db: &C,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ScoredLead> {
    let lead = get_lead(db, id).await?;
    let customer = match &lead.customer_id {
        Some(cid) => customers::Entity::find_by_id(cid.clone()).one(db).await?,
        None => None,
    };
    save_score(db, lead, customer.as_ref(), now).await
}

/// Counts of [`score_open_leads`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScoringSummary {
    pub total: u64,
    pub hot: u64,
    pub warm: u64,
    pub cold: u64,
}

fn open_leads() -> Select<leads::Entity> {
    leads::Entity::find()
        .filter(leads::Column::Status.is_not_in([LeadStatus::Converted, LeadStatus::Lost]))
}

async fn score_all<C: ConnectionTrait>(
    db: &C,
    rows: Vec<leads::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<ScoredLead>> {
    let customers = rows.load_one(customers::Entity, db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (lead, customer) in rows.into_iter().zip(customers) {
        out.push(save_score(db, lead, customer.as_ref(), now).await?);
    }
    Ok(out)
}

/// Scores every lead whose status is not `converted`/`lost`, in one transaction.
pub async fn score_open_leads<C: TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<ScoringSummary> {
    let txn = db.begin().await?;
    let rows = open_leads()
        .order_by_asc(leads::Column::CreatedAt)
        .all(&txn)
        .await?;
    let scored = score_all(&txn, rows, now).await?;
    txn.commit().await?;
    let mut s = ScoringSummary::default();
    for l in &scored {
        s.total += 1;
        match l.score.tier {
            LeadTier::Hot => s.hot += 1,
            LeadTier::Warm => s.warm += 1,
            LeadTier::Cold => s.cold += 1,
        }
    }
    Ok(s)
}

/// Scores (and stores) the `2 × limit` newest open leads and returns the `limit` best,
/// highest score first (ties: newer first). `limit` defaults to 20, at most 100.
pub async fn prioritized_leads<C: TransactionTrait>(
    db: &C,
    limit: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Vec<ScoredLead>> {
    let limit = crate::validate::limit(limit, 20, 100);
    let txn = db.begin().await?;
    let rows = open_leads()
        .order_by_desc(leads::Column::CreatedAt)
        .order_by_asc(leads::Column::Id)
        .limit(limit * 2)
        .all(&txn)
        .await?;
    let mut scored = score_all(&txn, rows, now).await?;
    txn.commit().await?;
    // A stable sort keeps the newest-first order among equal scores.
    scored.sort_by_key(|s| std::cmp::Reverse(s.score.score));
    scored.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(scored)
}
