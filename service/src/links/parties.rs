//! P2: `shared.party_links` — one party (a customer/contact) across a RenOS customer, a
//! CRM contact (and its company) and a Billy.dk contact, joined by normalised email.
//!
//! Upserting from one side finds the party by that side's key and by email. When both
//! find different parties, they are merged into the one found by email (the side-key
//! party is deleted); two different non-null values for the same column are a conflict.
//! The email of the latest upsert wins. Upserts are serialised by an advisory lock.

use entity::shared::party_links;
use entity::{billy, crm, renos};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, Statement, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::shared::audit::{self, AuditEntry};
use crate::validate::Email;

/// The party columns one source contributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Side {
    renos_customer_id: Option<String>,
    crm_contact_id: Option<String>,
    crm_company_id: Option<String>,
    billy: Option<(Uuid, String)>,
}

/// The email of a Billy.dk contact JSON: `email` at the top, else the primary contact
/// person's (`contactPersons[].isPrimary`), else the first contact person's with one.
/// Returned normalised; `None` when there is no valid address.
pub fn billy_contact_email(data: &Json) -> Option<String> {
    let valid = |v: Option<&Json>| {
        v.and_then(Json::as_str)
            .and_then(|e| Email::parse("email", e).ok())
            .map(Email::into_string)
    };
    if let Some(e) = valid(data.get("email")) {
        return Some(e);
    }
    let persons = data.get("contactPersons").and_then(Json::as_array)?;
    persons
        .iter()
        .filter(|p| p.get("isPrimary").and_then(Json::as_bool) == Some(true))
        .chain(persons.iter())
        .find_map(|p| valid(p.get("email")))
}

/// Links a RenOS customer (by its email; a customer without a valid email is linked by
/// id only). An unknown customer is `NotFound`.
pub async fn upsert_party_from_renos_customer<C: TransactionTrait>(
    db: &C,
    customer_id: &str,
) -> Result<party_links::Model> {
    let txn = db.begin().await?;
    let customer = renos::customers::Entity::find_by_id(customer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("customer"))?;
    let email = normalise(customer.email.as_deref());
    let side = Side {
        renos_customer_id: Some(customer.id),
        ..Default::default()
    };
    let row = upsert(&txn, email, side).await?;
    txn.commit().await?;
    Ok(row)
}

/// Links a CRM contact and its company. An unknown contact is `NotFound`.
pub async fn upsert_party_from_crm_contact<C: TransactionTrait>(
    db: &C,
    contact_id: &str,
) -> Result<party_links::Model> {
    let txn = db.begin().await?;
    let contact = crm::contacts::Entity::find_by_id(contact_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("contact"))?;
    let email = normalise(contact.email.as_deref());
    let side = Side {
        crm_contact_id: Some(contact.id),
        crm_company_id: contact.company_id,
        ..Default::default()
    };
    let row = upsert(&txn, email, side).await?;
    txn.commit().await?;
    Ok(row)
}

/// Links a Billy.dk contact from its `billy.cached_customers` row (expired rows count:
/// only the email is read, see [`billy_contact_email`]). An uncached contact is
/// `NotFound`.
pub async fn upsert_party_from_billy_contact<C: TransactionTrait>(
    db: &C,
    organization_id: Uuid,
    billy_contact_id: &str,
) -> Result<party_links::Model> {
    let txn = db.begin().await?;
    let cached = billy::cached_customers::Entity::find()
        .filter(billy::cached_customers::Column::OrganizationId.eq(organization_id))
        .filter(billy::cached_customers::Column::BillyId.eq(billy_contact_id))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("billy contact"))?;
    let email = billy_contact_email(&cached.data);
    let side = Side {
        billy: Some((cached.organization_id, cached.billy_id)),
        ..Default::default()
    };
    let row = upsert(&txn, email, side).await?;
    txn.commit().await?;
    Ok(row)
}

/// The party with this email (compared normalised).
pub async fn find_party_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<party_links::Model>> {
    Ok(party_links::Entity::find()
        .filter(party_links::Column::EmailNorm.eq(crate::shared::users::normalize_email(email)))
        .one(db)
        .await?)
}

fn normalise(email: Option<&str>) -> Option<String> {
    email
        .and_then(|e| Email::parse("email", e).ok())
        .map(Email::into_string)
}

async fn find_by_side<C: ConnectionTrait>(
    txn: &C,
    side: &Side,
) -> Result<Option<party_links::Model>> {
    let mut q = party_links::Entity::find();
    if let Some(id) = &side.renos_customer_id {
        q = q.filter(party_links::Column::RenosCustomerId.eq(id.as_str()));
    } else if let Some(id) = &side.crm_contact_id {
        q = q.filter(party_links::Column::CrmContactId.eq(id.as_str()));
    } else if let Some((org, id)) = &side.billy {
        q = q
            .filter(party_links::Column::BillyOrganizationId.eq(*org))
            .filter(party_links::Column::BillyContactId.eq(id.as_str()));
    } else {
        return Ok(None);
    }
    Ok(q.one(txn).await?)
}

/// `a` or `b`; both present and different is a conflict naming `column`.
fn pick<T: PartialEq + Clone>(column: &str, a: Option<T>, b: Option<T>) -> Result<Option<T>> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Err(Error::conflict(format!(
            "party already linked to another {column}"
        ))),
        (x, y) => Ok(x.or(y)),
    }
}

async fn upsert<C: ConnectionTrait>(
    txn: &C,
    email: Option<String>,
    side: Side,
) -> Result<party_links::Model> {
    txn.execute_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext('shared.party_links'))",
    ))
    .await?;
    let by_side = find_by_side(txn, &side).await?;
    let by_email = match &email {
        Some(e) => {
            party_links::Entity::find()
                .filter(party_links::Column::EmailNorm.eq(e.as_str()))
                .one(txn)
                .await?
        }
        None => None,
    };
    // The party to keep and the one to merge into it.
    let (keep, merged) = match (by_email, by_side) {
        (Some(e), Some(s)) if e.id != s.id => (Some(e), Some(s)),
        (Some(e), _) => (Some(e), None),
        (None, s) => (s, None),
    };
    let current = keep.clone().unwrap_or(party_links::Model {
        id: Uuid::nil(),
        email_norm: None,
        renos_customer_id: None,
        crm_contact_id: None,
        crm_company_id: None,
        billy_organization_id: None,
        billy_contact_id: None,
        created_at: now(),
        updated_at: now(),
    });
    // Columns of the party after absorbing the merged party, then the side.
    let mut renos_customer_id = current.renos_customer_id.clone();
    let mut crm_contact_id = current.crm_contact_id.clone();
    let mut crm_company_id = current.crm_company_id.clone();
    let mut billy = current
        .billy_organization_id
        .zip(current.billy_contact_id.clone());
    if let Some(m) = &merged {
        renos_customer_id = pick(
            "renos customer",
            renos_customer_id,
            m.renos_customer_id.clone(),
        )?;
        crm_contact_id = pick("crm contact", crm_contact_id, m.crm_contact_id.clone())?;
        crm_company_id = pick("crm company", crm_company_id, m.crm_company_id.clone())?;
        billy = pick(
            "billy contact",
            billy,
            m.billy_organization_id.zip(m.billy_contact_id.clone()),
        )?;
    }
    renos_customer_id = pick("renos customer", renos_customer_id, side.renos_customer_id)?;
    crm_contact_id = pick("crm contact", crm_contact_id, side.crm_contact_id)?;
    // A contact's company is current data, not a second identity: it replaces the old.
    if side.crm_company_id.is_some() {
        crm_company_id = side.crm_company_id;
    }
    billy = pick("billy contact", billy, side.billy)?;
    let email_norm = email.or(current.email_norm.clone());
    if let Some(m) = &merged {
        party_links::Entity::delete_by_id(m.id).exec(txn).await?;
    }
    let am = party_links::ActiveModel {
        email_norm: Set(email_norm),
        renos_customer_id: Set(renos_customer_id),
        crm_contact_id: Set(crm_contact_id),
        crm_company_id: Set(crm_company_id),
        billy_organization_id: Set(billy.as_ref().map(|b| b.0)),
        billy_contact_id: Set(billy.map(|b| b.1)),
        ..Default::default()
    };
    let row = match keep {
        Some(k) => {
            let mut am = am;
            am.id = sea_orm::ActiveValue::Unchanged(k.id);
            am.update(txn).await?
        }
        None => am.insert(txn).await?,
    };
    if let Some(m) = merged {
        audit::record(
            txn,
            AuditEntry {
                user_id: None,
                action: "merge_parties".into(),
                resource_type: "shared.party_links".into(),
                resource_id: row.id.to_string(),
                metadata: json!({ "merged_party_id": m.id }),
            },
        )
        .await?;
    }
    Ok(row)
}
