//! Product lines on deals. Line totals are computed in decimals; a deal that has product
//! lines is worth the sum of their totals.

use entity::crm::{deal_products, deals};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::money::{MAX_AMOUNT, from_db, parse_amount, round_money, to_db};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, opt_text};

/// Input of [`add_product_to_deal`].
#[derive(Clone, Debug)]
pub struct NewDealProduct {
    pub deal_id: String,
    pub product_name: String,
    /// At least 1.
    pub quantity: i32,
    /// Price per unit in the deal's currency, `>= 0`.
    pub unit_price: Decimal,
    /// Percentage `0 ..= 100`; default 0.
    pub discount: Option<Decimal>,
    pub description: Option<String>,
}

/// The added line and the deal with its new value.
#[derive(Clone, Debug, PartialEq)]
pub struct AddedProduct {
    pub product: deal_products::Model,
    pub deal: deals::Model,
}

/// `quantity × unit_price × (1 − discount/100)`, rounded to 2 decimals (half away from
/// zero). Validation error when an input is out of range or the total is too large.
pub fn line_total(quantity: i32, unit_price: Decimal, discount: Decimal) -> Result<Decimal> {
    let mut p = Problems::new();
    if quantity < 1 {
        p.add("quantity", "must be at least 1");
    }
    let unit_price = p.take(parse_amount("unit_price", unit_price));
    if discount < Decimal::ZERO || discount > Decimal::ONE_HUNDRED {
        p.add("discount", "must be a percentage between 0 and 100");
    }
    p.finish()?;
    let unit_price = unit_price.unwrap_or_default();
    let factor = (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED;
    match Decimal::from(quantity)
        .checked_mul(unit_price)
        .and_then(|v| v.checked_mul(factor))
        .map(round_money)
    {
        Some(v) if v <= MAX_AMOUNT => Ok(v),
        _ => Err(Error::invalid("quantity", "the line total is too large")),
    }
}

/// Adds a product line to the deal and, in the same transaction, sets the deal's `value`
/// to the sum of all its line totals. The deal row is locked first, so concurrent
/// additions to one deal are summed correctly.
pub async fn add_product_to_deal<C: TransactionTrait>(
    db: &C,
    input: NewDealProduct,
    actor: Option<Uuid>,
) -> Result<AddedProduct> {
    let discount = input.discount.unwrap_or(Decimal::ZERO);
    let mut p = Problems::new();
    let name = p.take(non_empty("product_name", &input.product_name));
    let total = p.take(line_total(input.quantity, input.unit_price, discount));
    p.finish()?;
    let total = total.unwrap_or_default();

    let txn = db.begin().await?;
    let deal = deals::Entity::find_by_id(input.deal_id.clone())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("deal"))?;
    let product = deal_products::ActiveModel {
        deal_id: Set(deal.id.clone()),
        product_name: Set(name.unwrap_or_default()),
        quantity: Set(input.quantity),
        unit_price: Set(to_db(round_money(input.unit_price))),
        discount: Set(to_db(discount)),
        total: Set(to_db(total)),
        description: Set(opt_text(input.description)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let lines = deal_products::Entity::find()
        .filter(deal_products::Column::DealId.eq(deal.id.clone()))
        .all(&txn)
        .await?;
    let sum: Decimal = lines.iter().map(|l| from_db(l.total)).sum();
    let value = round_money(sum);
    if value > MAX_AMOUNT {
        return Err(Error::invalid(
            "quantity",
            "the deal value would be too large",
        ));
    }
    let mut am = deal.into_active_model();
    am.value = Set(to_db(value));
    let deal = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "add_product",
        "crm.deals",
        &deal.id,
        json!({ "product_id": product.id, "total": total, "value": value }),
    )
    .await?;
    txn.commit().await?;
    Ok(AddedProduct { product, deal })
}
