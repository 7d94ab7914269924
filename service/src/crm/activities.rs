//! CRM activities: logging calls, meetings, notes, … and listing them.

use entity::crm::activities::{self, ActivityType};
use entity::crm::{companies, contacts, deals};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect};

use crate::error::Result;
use crate::validate::{Problems, limit, non_empty, opt_text};

/// Input of [`log_activity`]. Blank optional text counts as absent.
#[derive(Clone, Debug)]
pub struct NewActivity {
    pub r#type: ActivityType,
    pub subject: Option<String>,
    pub description: Option<String>,
    /// An existing `crm.contacts` id.
    pub contact_id: Option<String>,
    /// An existing `crm.companies` id.
    pub company_id: Option<String>,
    /// An existing `crm.deals` id.
    pub deal_id: Option<String>,
    /// User id of whoever did it.
    pub owner: String,
    /// `>= 0`.
    pub duration_minutes: Option<i32>,
    pub outcome: Option<String>,
}

/// Records an activity that happened now (`occurred_at = now`).
pub async fn log_activity<C: ConnectionTrait>(
    db: &C,
    input: NewActivity,
) -> Result<activities::Model> {
    let mut p = Problems::new();
    let owner = p.take(non_empty("owner", &input.owner));
    if input.duration_minutes.is_some_and(|d| d < 0) {
        p.add("duration_minutes", "must not be negative");
    }
    p.finish()?;
    let am = activities::ActiveModel {
        r#type: Set(input.r#type),
        subject: Set(opt_text(input.subject)),
        description: Set(opt_text(input.description)),
        contact_id: Set(opt_text(input.contact_id)),
        company_id: Set(opt_text(input.company_id)),
        deal_id: Set(opt_text(input.deal_id)),
        owner: Set(owner.unwrap_or_default()),
        duration_minutes: Set(input.duration_minutes),
        outcome: Set(opt_text(input.outcome)),
        occurred_at: Set(chrono::Utc::now().fixed_offset()),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}

/// Filters of [`get_activities`]; `None` (or blank text) means "any"; all apply together.
#[derive(Clone, Debug, Default)]
pub struct ActivityFilter {
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub deal_id: Option<String>,
    pub owner: Option<String>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// An activity with the contact, company and deal it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityDetails {
    pub activity: activities::Model,
    pub contact: Option<contacts::Model>,
    pub company: Option<companies::Model>,
    pub deal: Option<deals::Model>,
}

/// Activities matching `filter`, most recent first (`occurred_at DESC`).
pub async fn get_activities<C: ConnectionTrait>(
    db: &C,
    filter: ActivityFilter,
) -> Result<Vec<ActivityDetails>> {
    let mut q = activities::Entity::find();
    if let Some(v) = opt_text(filter.contact_id) {
        q = q.filter(activities::Column::ContactId.eq(v));
    }
    if let Some(v) = opt_text(filter.company_id) {
        q = q.filter(activities::Column::CompanyId.eq(v));
    }
    if let Some(v) = opt_text(filter.deal_id) {
        q = q.filter(activities::Column::DealId.eq(v));
    }
    if let Some(v) = opt_text(filter.owner) {
        q = q.filter(activities::Column::Owner.eq(v));
    }
    let rows = q
        .order_by_desc(activities::Column::OccurredAt)
        .order_by_desc(activities::Column::CreatedAt)
        .order_by_asc(activities::Column::Id)
        .limit(limit(filter.limit, 50, 500))
        .all(db)
        .await?;
    let contacts = rows.load_one(contacts::Entity, db).await?;
    let companies = rows.load_one(companies::Entity, db).await?;
    let deals = rows.load_one(deals::Entity, db).await?;
    Ok(rows
        .into_iter()
        .zip(contacts)
        .zip(companies.into_iter().zip(deals))
        .map(|((activity, contact), (company, deal))| ActivityDetails {
            activity,
            contact,
            company,
            deal,
        })
        .collect())
}
