//! CRM contacts: create, read by id, partial update.

use chrono::{DateTime, Utc};
use entity::crm::{companies, contacts};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, opt_email, opt_text};

/// Input of [`create_contact`]. Blank optional text counts as absent.
#[derive(Clone, Debug, Default)]
pub struct NewContact {
    pub first_name: String,
    pub last_name: String,
    /// Unique; stored trimmed and lower-cased.
    pub email: Option<String>,
    pub phone: Option<String>,
    /// An existing `crm.companies` id.
    pub company_id: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// User id of the owner.
    pub owner: Option<String>,
    pub source: Option<String>,
}

/// A contact with its company.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactWithCompany {
    pub contact: contacts::Model,
    pub company: Option<companies::Model>,
}

/// Creates an `active` contact (country `Denmark`). A taken email is a conflict.
pub async fn create_contact<C: TransactionTrait>(
    db: &C,
    input: NewContact,
    actor: Option<Uuid>,
) -> Result<ContactWithCompany> {
    let mut p = Problems::new();
    let first_name = p.take(non_empty("first_name", &input.first_name));
    let last_name = p.take(non_empty("last_name", &input.last_name));
    let email = p.take(opt_email("email", input.email)).flatten();
    p.finish()?;

    let am = contacts::ActiveModel {
        first_name: Set(first_name.unwrap_or_default()),
        last_name: Set(last_name.unwrap_or_default()),
        email: Set(email),
        phone: Set(opt_text(input.phone)),
        company_id: Set(opt_text(input.company_id)),
        title: Set(opt_text(input.title)),
        owner: Set(opt_text(input.owner)),
        source: Set(opt_text(input.source)),
        status: Set(contacts::ContactStatus::Active),
        country: Set(Some("Denmark".to_owned())),
        tags: Set(Vec::new()),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let contact = am.insert(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "crm.contacts",
        &contact.id,
        json!({}),
    )
    .await?;
    let company = contact.find_related(companies::Entity).one(&txn).await?;
    txn.commit().await?;
    Ok(ContactWithCompany { contact, company })
}

/// The contact with this id.
pub async fn get_contact<C: ConnectionTrait>(db: &C, id: &str) -> Result<contacts::Model> {
    contacts::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("contact"))
}

/// Partial update of a contact: `None` leaves a field unchanged; for nullable fields
/// `Some(None)` (or blank text) clears it.
#[derive(Clone, Debug, Default)]
pub struct ContactUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub mobile: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub company_id: Option<Option<String>>,
    pub linkedin: Option<Option<String>>,
    pub twitter: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub status: Option<contacts::ContactStatus>,
    pub source: Option<Option<String>>,
    pub owner: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub last_contact_at: Option<Option<DateTime<Utc>>>,
    pub next_follow_up: Option<Option<DateTime<Utc>>>,
    /// Replaces the tags; blank tags are dropped.
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Option<Json>>,
}

/// Applies `update` to the contact (`updated_at` is set). An update that changes nothing
/// writes nothing and returns the contact as it is.
pub async fn update_contact<C: TransactionTrait>(
    db: &C,
    id: &str,
    update: ContactUpdate,
    actor: Option<Uuid>,
) -> Result<contacts::Model> {
    let mut p = Problems::new();
    let first_name = update
        .first_name
        .as_deref()
        .and_then(|s| p.take(non_empty("first_name", s)));
    let last_name = update
        .last_name
        .as_deref()
        .and_then(|s| p.take(non_empty("last_name", s)));
    let email = update
        .email
        .map(|e| p.take(opt_email("email", e)).flatten());
    p.finish()?;

    let txn = db.begin().await?;
    let current = get_contact(&txn, id).await?;
    let mut am = current.clone().into_active_model();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(v) = first_name {
        am.first_name = Set(v);
        changed.push("first_name");
    }
    if let Some(v) = last_name {
        am.last_name = Set(v);
        changed.push("last_name");
    }
    if let Some(v) = email {
        am.email = Set(v);
        changed.push("email");
    }
    let texts = [
        (update.phone, &mut am.phone, "phone"),
        (update.mobile, &mut am.mobile, "mobile"),
        (update.title, &mut am.title, "title"),
        (update.company_id, &mut am.company_id, "company_id"),
        (update.linkedin, &mut am.linkedin, "linkedin"),
        (update.twitter, &mut am.twitter, "twitter"),
        (update.website, &mut am.website, "website"),
        (update.address, &mut am.address, "address"),
        (update.city, &mut am.city, "city"),
        (update.postal_code, &mut am.postal_code, "postal_code"),
        (update.country, &mut am.country, "country"),
        (update.source, &mut am.source, "source"),
        (update.owner, &mut am.owner, "owner"),
        (update.notes, &mut am.notes, "notes"),
    ];
    for (value, slot, field) in texts {
        if let Some(v) = value {
            *slot = Set(opt_text(v));
            changed.push(field);
        }
    }
    if let Some(s) = update.status {
        am.status = Set(s);
        changed.push("status");
    }
    let times = [
        (
            update.last_contact_at,
            &mut am.last_contact_at,
            "last_contact_at",
        ),
        (
            update.next_follow_up,
            &mut am.next_follow_up,
            "next_follow_up",
        ),
    ];
    for (value, slot, field) in times {
        if let Some(v) = value {
            *slot = Set(v.map(|t| t.fixed_offset()));
            changed.push(field);
        }
    }
    if let Some(tags) = update.tags {
        am.tags = Set(tags.into_iter().filter_map(|t| opt_text(Some(t))).collect());
        changed.push("tags");
    }
    if let Some(v) = update.custom_fields {
        am.custom_fields = Set(v);
        changed.push("custom_fields");
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let contact = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "update",
        "crm.contacts",
        &contact.id,
        json!({ "fields": changed }),
    )
    .await?;
    txn.commit().await?;
    Ok(contact)
}
