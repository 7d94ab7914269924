//! Reading CRM contacts: filtered lists and the lookup by email.

use entity::crm::{activities, companies, contacts, deals};
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect};

use crate::error::Result;
use crate::shared::users::normalize_email;
use crate::validate::{limit, opt_text};

/// Filters of [`find_contacts`]; `None` (or blank text) means "any".
#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    pub status: Option<contacts::ContactStatus>,
    pub company_id: Option<String>,
    pub owner: Option<String>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// A contact with its company and deals (newest first).
#[derive(Clone, Debug, PartialEq)]
pub struct ContactDetails {
    pub contact: contacts::Model,
    pub company: Option<companies::Model>,
    pub deals: Vec<deals::Model>,
}

/// A contact with company, deals and its 10 most recent activities.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactProfile {
    pub contact: contacts::Model,
    pub company: Option<companies::Model>,
    pub deals: Vec<deals::Model>,
    /// Newest first (`occurred_at DESC`), at most 10.
    pub recent_activities: Vec<activities::Model>,
}

/// Contacts matching `filter`, newest first.
pub async fn find_contacts<C: ConnectionTrait>(
    db: &C,
    filter: ContactFilter,
) -> Result<Vec<ContactDetails>> {
    let mut q = contacts::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(contacts::Column::Status.eq(s));
    }
    if let Some(c) = opt_text(filter.company_id) {
        q = q.filter(contacts::Column::CompanyId.eq(c));
    }
    if let Some(o) = opt_text(filter.owner) {
        q = q.filter(contacts::Column::Owner.eq(o));
    }
    let rows = q
        .order_by_desc(contacts::Column::CreatedAt)
        .order_by_asc(contacts::Column::Id)
        .limit(limit(filter.limit, 50, 500))
        .all(db)
        .await?;
    let companies = rows.load_one(companies::Entity, db).await?;
    let deals = rows
        .load_many(
            deals::Entity::find().order_by_desc(deals::Column::CreatedAt),
            db,
        )
        .await?;
    Ok(rows
        .into_iter()
        .zip(companies)
        .zip(deals)
        .map(|((contact, company), deals)| ContactDetails {
            contact,
            company,
            deals,
        })
        .collect())
}

/// The contact with this email (compared trimmed and case-insensitively), with company,
/// deals and recent activities; `None` when there is none.
pub async fn find_contact_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<ContactProfile>> {
    let norm = normalize_email(email);
    if norm.is_empty() {
        return Ok(None);
    }
    let Some(contact) = contacts::Entity::find()
        .filter(contacts::Column::Email.eq(norm))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let company = contact.find_related(companies::Entity).one(db).await?;
    let deals = contact
        .find_related(deals::Entity)
        .order_by_desc(deals::Column::CreatedAt)
        .all(db)
        .await?;
    let recent_activities = contact
        .find_related(activities::Entity)
        .order_by_desc(activities::Column::OccurredAt)
        .order_by_desc(activities::Column::CreatedAt)
        .limit(10)
        .all(db)
        .await?;
    Ok(Some(ContactProfile {
        contact,
        company,
        deals,
        recent_activities,
    }))
}
