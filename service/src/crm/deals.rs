//! CRM deals: create, read by id, filtered lists.

use chrono::{DateTime, Utc};
use entity::crm::deals::{self, DealStage, DealStatus};
use entity::crm::{companies, contacts, deal_products};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use super::deal_stage::status_for_stage;
use crate::error::{Error, Result};
use crate::money::{parse_amount, to_db};
use crate::shared::audit;
use crate::validate::{Problems, limit, non_empty, opt_text};

/// Input of [`create_deal`]. Blank optional text counts as absent.
#[derive(Clone, Debug)]
pub struct NewDeal {
    pub title: String,
    /// Amount in DKK, `0 ..= 10^12`, rounded to 2 decimals.
    pub value: Decimal,
    /// User id of the owner.
    pub owner: String,
    /// An existing `crm.contacts` id.
    pub contact_id: Option<String>,
    /// An existing `crm.companies` id.
    pub company_id: Option<String>,
    /// Default `qualification`. A closed stage creates a closed deal (see
    /// [`status_for_stage`]).
    pub stage: Option<DealStage>,
    pub expected_close_date: Option<DateTime<Utc>>,
}

/// A deal with its contact and company.
#[derive(Clone, Debug, PartialEq)]
pub struct DealWithParties {
    pub deal: deals::Model,
    pub contact: Option<contacts::Model>,
    pub company: Option<companies::Model>,
}

/// Creates a deal in DKK on the `sales` pipeline. Status follows the stage: `open` unless
/// the stage is `closed_won`/`closed_lost`, which also sets `actual_close_date = now`.
pub async fn create_deal<C: TransactionTrait>(
    db: &C,
    input: NewDeal,
    actor: Option<Uuid>,
) -> Result<DealWithParties> {
    let mut p = Problems::new();
    let title = p.take(non_empty("title", &input.title));
    let owner = p.take(non_empty("owner", &input.owner));
    let value = p.take(parse_amount("value", input.value));
    p.finish()?;

    let stage = input.stage.unwrap_or(DealStage::Qualification);
    let status = status_for_stage(stage);
    let am = deals::ActiveModel {
        title: Set(title.unwrap_or_default()),
        value: Set(to_db(value.unwrap_or_default())),
        owner: Set(owner.unwrap_or_default()),
        contact_id: Set(opt_text(input.contact_id)),
        company_id: Set(opt_text(input.company_id)),
        stage: Set(stage),
        status: Set(status),
        currency: Set("DKK".to_owned()),
        pipeline: Set("sales".to_owned()),
        expected_close_date: Set(input.expected_close_date.map(|d| d.fixed_offset())),
        actual_close_date: Set((status != DealStatus::Open).then(|| Utc::now().fixed_offset())),
        tags: Set(Vec::new()),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let deal = am.insert(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "crm.deals",
        &deal.id,
        json!({ "stage": stage }),
    )
    .await?;
    let contact = deal.find_related(contacts::Entity).one(&txn).await?;
    let company = deal.find_related(companies::Entity).one(&txn).await?;
    txn.commit().await?;
    Ok(DealWithParties {
        deal,
        contact,
        company,
    })
}

/// The deal with this id.
pub async fn get_deal<C: ConnectionTrait>(db: &C, id: &str) -> Result<deals::Model> {
    deals::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("deal"))
}

/// Filters of [`find_deals`]; `None` (or blank text) means "any".
#[derive(Clone, Debug, Default)]
pub struct DealFilter {
    pub stage: Option<DealStage>,
    pub status: Option<DealStatus>,
    pub owner: Option<String>,
    /// Page size: default 50, at most 500.
    pub limit: Option<u64>,
}

/// A deal with its contact, company and product lines (oldest line first).
#[derive(Clone, Debug, PartialEq)]
pub struct DealDetails {
    pub deal: deals::Model,
    pub contact: Option<contacts::Model>,
    pub company: Option<companies::Model>,
    pub products: Vec<deal_products::Model>,
}

/// Deals matching `filter`, newest first.
pub async fn find_deals<C: ConnectionTrait>(
    db: &C,
    filter: DealFilter,
) -> Result<Vec<DealDetails>> {
    let mut q = deals::Entity::find();
    if let Some(s) = filter.stage {
        q = q.filter(deals::Column::Stage.eq(s));
    }
    if let Some(s) = filter.status {
        q = q.filter(deals::Column::Status.eq(s));
    }
    if let Some(o) = opt_text(filter.owner) {
        q = q.filter(deals::Column::Owner.eq(o));
    }
    let rows = q
        .order_by_desc(deals::Column::CreatedAt)
        .order_by_asc(deals::Column::Id)
        .limit(limit(filter.limit, 50, 500))
        .all(db)
        .await?;
    let contacts = rows.load_one(contacts::Entity, db).await?;
    let companies = rows.load_one(companies::Entity, db).await?;
    let products = rows
        .load_many(
            deal_products::Entity::find()
                .order_by_asc(deal_products::Column::CreatedAt)
                .order_by_asc(deal_products::Column::Id),
            db,
        )
        .await?;
    Ok(rows
        .into_iter()
        .zip(contacts)
        .zip(companies.into_iter().zip(products))
        .map(|((deal, contact), (company, products))| DealDetails {
            deal,
            contact,
            company,
            products,
        })
        .collect())
}
