//! Converting a lead into a customer, in one transaction.

use chrono::{DateTime, Utc};
use entity::renos::customers;
use entity::renos::leads::{self, LeadStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{IntoActiveModel, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use super::customer_stats::update_customer_stats;
use super::customers::{ACTIVE, find_by_email, get_customer};
use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Email, opt_text};

/// Result of [`convert_lead`].
#[derive(Clone, Debug, PartialEq)]
pub struct Conversion {
    /// The lead, now `converted` and linked to the customer.
    pub lead: leads::Model,
    /// The customer, with refreshed totals and `last_contact_at = now`.
    pub customer: customers::Model,
    /// Whether this call created the customer.
    pub created_customer: bool,
}

/// Converts a lead: finds the customer (the lead's linked customer, else one with the
/// lead's normalised email) or creates it from the lead's name, email, phone, address and
/// company; links the lead, sets it `converted`, and refreshes the customer's totals with
/// `last_contact_at = now`. Idempotent: re-running on a converted lead creates nothing.
/// A `lost` lead is a conflict (reopen it first).
pub async fn convert_lead<C: TransactionTrait>(
    db: &C,
    lead_id: &str,
    now: DateTime<Utc>,
    actor: Option<Uuid>,
) -> Result<Conversion> {
    let txn = db.begin().await?;
    let lead = leads::Entity::find_by_id(lead_id.to_owned())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("lead"))?;
    if lead.status == LeadStatus::Lost {
        return Err(Error::conflict("a lost lead cannot be converted"));
    }
    let already = lead.status == LeadStatus::Converted && lead.customer_id.is_some();

    let (customer, created) = match &lead.customer_id {
        Some(cid) => (get_customer(&txn, cid).await?, false),
        None => find_or_create_customer(&txn, &lead).await?,
    };

    let lead = if already {
        lead
    } else {
        let mut am = lead.into_active_model();
        am.customer_id = Set(Some(customer.id.clone()));
        am.status = Set(LeadStatus::Converted);
        am.update(&txn).await?
    };
    update_customer_stats(&txn, &customer.id).await?;
    let mut am = customers::ActiveModel {
        id: Set(customer.id.clone()),
        ..Default::default()
    };
    am.last_contact_at = Set(Some(now.fixed_offset()));
    let customer = am.update(&txn).await?;
    if !already {
        audit::record_action(
            &txn,
            actor,
            "convert",
            "renos.leads",
            &lead.id,
            json!({ "customer_id": customer.id, "created_customer": created }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Conversion {
        lead,
        customer,
        created_customer: created,
    })
}

async fn find_or_create_customer<C: ConnectionTrait>(
    db: &C,
    lead: &leads::Model,
) -> Result<(customers::Model, bool)> {
    let email = match opt_text(lead.email.clone()) {
        Some(e) => Some(Email::parse("email", &e)?.into_string()),
        None => None,
    };
    if let Some(e) = &email
        && let Some(c) = find_by_email(db, e).await?
    {
        return Ok((c, false));
    }
    let name = opt_text(lead.name.clone())
        .or_else(|| opt_text(lead.company_name.clone()))
        .or_else(|| email.clone())
        .ok_or_else(|| {
            Error::invalid(
                "name",
                "the lead has no name, company or email to name a customer",
            )
        })?;
    let am = customers::ActiveModel {
        id: Set(entity::behavior::new_cuid()),
        name: Set(name),
        email: Set(email.clone()),
        phone: Set(opt_text(lead.phone.clone())),
        address: Set(opt_text(lead.address.clone())),
        company_name: Set(opt_text(lead.company_name.clone())),
        status: Set(ACTIVE.to_owned()),
        tags: Set(Vec::new()),
        updated_at: Set(entity::behavior::now()),
        ..Default::default()
    };
    // A concurrent conversion with the same email may win the unique index: then use its
    // customer.
    let inserted = customers::Entity::insert(am)
        .on_conflict(
            OnConflict::column(customers::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec_with_returning(db)
        .await;
    match inserted {
        Ok(c) => Ok((c, true)),
        Err(DbErr::RecordNotInserted) => {
            let e = email.unwrap_or_default();
            let c = find_by_email(db, &e)
                .await?
                .ok_or_else(|| Error::not_found("customer"))?;
            Ok((c, false))
        }
        Err(e) => Err(e.into()),
    }
}
