//! CRM companies: create, read by id, filtered lists.

use entity::crm::{companies, contacts, deals};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{limit, non_empty, opt_text};

/// Input of [`create_company`]. Blank optional text counts as absent.
#[derive(Clone, Debug, Default)]
pub struct NewCompany {
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    /// User id of the owner.
    pub owner: Option<String>,
}

/// Creates an `active` company (country `Denmark`).
pub async fn create_company<C: TransactionTrait>(
    db: &C,
    input: NewCompany,
    actor: Option<Uuid>,
) -> Result<companies::Model> {
    let name = non_empty("name", &input.name)?;
    let am = companies::ActiveModel {
        name: Set(name),
        website: Set(opt_text(input.website)),
        industry: Set(opt_text(input.industry)),
        owner: Set(opt_text(input.owner)),
        status: Set(companies::CompanyStatus::Active),
        country: Set(Some("Denmark".to_owned())),
        tags: Set(Vec::new()),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let company = am.insert(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "crm.companies",
        &company.id,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(company)
}

/// The company with this id.
pub async fn get_company<C: ConnectionTrait>(db: &C, id: &str) -> Result<companies::Model> {
    companies::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("company"))
}

/// Filters of [`find_companies`]; `None` (or blank text) means "any".
#[derive(Clone, Debug, Default)]
pub struct CompanyFilter {
    pub status: Option<companies::CompanyStatus>,
    pub industry: Option<String>,
    pub owner: Option<String>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// A company with its contacts and deals (both newest first).
#[derive(Clone, Debug, PartialEq)]
pub struct CompanyDetails {
    pub company: companies::Model,
    pub contacts: Vec<contacts::Model>,
    pub deals: Vec<deals::Model>,
}

/// Companies matching `filter`, newest first.
pub async fn find_companies<C: ConnectionTrait>(
    db: &C,
    filter: CompanyFilter,
) -> Result<Vec<CompanyDetails>> {
    let mut q = companies::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(companies::Column::Status.eq(s));
    }
    if let Some(i) = opt_text(filter.industry) {
        q = q.filter(companies::Column::Industry.eq(i));
    }
    if let Some(o) = opt_text(filter.owner) {
        q = q.filter(companies::Column::Owner.eq(o));
    }
    let rows = q
        .order_by_desc(companies::Column::CreatedAt)
        .order_by_asc(companies::Column::Id)
        .limit(limit(filter.limit, 50, 500))
        .all(db)
        .await?;
    let contacts = rows
        .load_many(
            contacts::Entity::find().order_by_desc(contacts::Column::CreatedAt),
            db,
        )
        .await?;
    let deals = rows
        .load_many(
            deals::Entity::find().order_by_desc(deals::Column::CreatedAt),
            db,
        )
        .await?;
    Ok(rows
        .into_iter()
        .zip(contacts)
        .zip(deals)
        .map(|((company, contacts), deals)| CompanyDetails {
            company,
            contacts,
            deals,
        })
        .collect())
}
