//! Leads: create, find by id, partial update, enrichment.

use chrono::{DateTime, Utc};
use entity::renos::leads::{self, LeadPriority, LeadStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, non_negative, opt_email, opt_text, positive};

/// Input of [`create_lead`]. Blank optional text counts as absent.
#[derive(Clone, Debug, Default)]
pub struct NewLead {
    /// Where the lead came from, e.g. `website_form`, `email`, `phone`, `referral`.
    pub source: String,
    pub name: Option<String>,
    /// Stored trimmed and lower-cased.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// An existing `renos.customers` id.
    pub customer_id: Option<String>,
    pub task_type: Option<String>,
    /// Square metres, `> 0`.
    pub square_meters: Option<f64>,
    /// Rooms, `>= 0`.
    pub rooms: Option<i32>,
    /// Potential value in DKK, `>= 0`.
    pub estimated_value: Option<f64>,
    pub preferred_dates: Vec<String>,
    /// Dedup key; a second lead with the same key is a conflict.
    pub idempotency_key: Option<String>,
    pub email_thread_id: Option<String>,
    pub session_id: Option<String>,
}

/// Creates a lead with status `new`, score 0 and priority `medium`.
pub async fn create_lead<C: TransactionTrait>(
    db: &C,
    input: NewLead,
    actor: Option<Uuid>,
) -> Result<leads::Model> {
    let mut p = Problems::new();
    let source = p.take(non_empty("source", &input.source));
    let email = p.take(opt_email("email", input.email));
    let square_meters = input
        .square_meters
        .and_then(|v| p.take(positive("square_meters", v)));
    let estimated_value = input
        .estimated_value
        .and_then(|v| p.take(non_negative("estimated_value", v)));
    if input.rooms.is_some_and(|r| r < 0) {
        p.add("rooms", "must not be negative");
    }
    p.finish()?;

    let am = leads::ActiveModel {
        source: Set(source),
        name: Set(opt_text(input.name)),
        email: Set(email.flatten()),
        phone: Set(opt_text(input.phone)),
        address: Set(opt_text(input.address)),
        customer_id: Set(opt_text(input.customer_id)),
        task_type: Set(opt_text(input.task_type)),
        square_meters: Set(square_meters),
        rooms: Set(input.rooms),
        estimated_value: Set(estimated_value),
        preferred_dates: Set(input
            .preferred_dates
            .into_iter()
            .filter_map(|d| opt_text(Some(d)))
            .collect()),
        idempotency_key: Set(opt_text(input.idempotency_key)),
        email_thread_id: Set(opt_text(input.email_thread_id)),
        session_id: Set(opt_text(input.session_id)),
        status: Set(LeadStatus::New),
        score: Set(Some(0)),
        priority: Set(Some(LeadPriority::Medium)),
        follow_up_attempts: Set(0),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let lead = am.insert(&txn).await?;
    audit::record_action(&txn, actor, "create", "renos.leads", &lead.id, json!({})).await?;
    txn.commit().await?;
    Ok(lead)
}

/// The lead with this id.
pub async fn get_lead<C: ConnectionTrait>(db: &C, id: &str) -> Result<leads::Model> {
    leads::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("lead"))
}

/// Partial update of a lead: `None` leaves a field unchanged; for nullable fields
/// `Some(None)` (or blank text) clears it.
#[derive(Clone, Debug, Default)]
pub struct LeadUpdate {
    /// Any status except `converted`, which only [`super::lead_conversion::convert_lead`] sets.
    pub status: Option<LeadStatus>,
    pub priority: Option<LeadPriority>,
    pub source: Option<String>,
    pub name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub customer_id: Option<Option<String>>,
    pub task_type: Option<Option<String>>,
    pub square_meters: Option<Option<f64>>,
    pub rooms: Option<Option<i32>>,
    pub estimated_value: Option<Option<f64>>,
    pub preferred_dates: Option<Vec<String>>,
}

/// Applies `update` to the lead. An update that changes nothing writes nothing.
pub async fn update_lead<C: TransactionTrait>(
    db: &C,
    id: &str,
    update: LeadUpdate,
    actor: Option<Uuid>,
) -> Result<leads::Model> {
    let mut p = Problems::new();
    if update.status == Some(LeadStatus::Converted) {
        p.add("status", "use lead conversion to mark a lead converted");
    }
    let source = update
        .source
        .as_deref()
        .map(|s| p.take(non_empty("source", s)));
    let email = update.email.map(|e| p.take(opt_email("email", e)));
    let square_meters = update
        .square_meters
        .map(|v| v.and_then(|v| p.take(positive("square_meters", v))));
    let estimated_value = update
        .estimated_value
        .map(|v| v.and_then(|v| p.take(non_negative("estimated_value", v))));
    if update.rooms.flatten().is_some_and(|r| r < 0) {
        p.add("rooms", "must not be negative");
    }
    p.finish()?;

    let txn = db.begin().await?;
    let current = get_lead(&txn, id).await?;
    let mut am = current.clone().into_active_model();
    let mut changed = Vec::new();
    if let Some(s) = update.status {
        am.status = Set(s);
        changed.push("status");
    }
    if let Some(pr) = update.priority {
        am.priority = Set(Some(pr));
        changed.push("priority");
    }
    if let Some(Some(s)) = source {
        am.source = Set(Some(s));
        changed.push("source");
    }
    let texts = [
        (update.name, &mut am.name, "name"),
        (update.phone, &mut am.phone, "phone"),
        (update.address, &mut am.address, "address"),
        (update.customer_id, &mut am.customer_id, "customer_id"),
        (update.task_type, &mut am.task_type, "task_type"),
    ];
    for (value, slot, field) in texts {
        if let Some(v) = value {
            *slot = Set(opt_text(v));
            changed.push(field);
        }
    }
    if let Some(e) = email {
        am.email = Set(e.flatten());
        changed.push("email");
    }
    if let Some(v) = square_meters {
        am.square_meters = Set(v);
        changed.push("square_meters");
    }
    if let Some(v) = update.rooms {
        am.rooms = Set(v);
        changed.push("rooms");
    }
    if let Some(v) = estimated_value {
        am.estimated_value = Set(v);
        changed.push("estimated_value");
    }
    if let Some(d) = update.preferred_dates {
        am.preferred_dates = Set(d.into_iter().filter_map(|d| opt_text(Some(d))).collect());
        changed.push("preferred_dates");
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let lead = am.update(&txn).await?;
    audit::record_action(
        &txn,
        actor,
        "update",
        "renos.leads",
        &lead.id,
        json!({ "fields": changed }),
    )
    .await?;
    txn.commit().await?;
    Ok(lead)
}

/// Enrichment data found for a lead (e.g. by a web scrape); `None` leaves a field unchanged.
#[derive(Clone, Debug, Default)]
pub struct LeadEnrichment {
    pub company_name: Option<String>,
    pub industry: Option<String>,
    /// Employee-count band, e.g. `10-50`.
    pub estimated_size: Option<String>,
    /// Potential value in DKK, `>= 0`.
    pub estimated_value: Option<f64>,
    /// The raw enrichment JSON.
    pub enrichment_data: Option<Json>,
}

/// Sets the given enrichment fields and `last_enriched = now`.
pub async fn enrich_lead<C: ConnectionTrait>(
    db: &C,
    id: &str,
    input: LeadEnrichment,
    now: DateTime<Utc>,
) -> Result<leads::Model> {
    let mut p = Problems::new();
    let estimated_value = input
        .estimated_value
        .and_then(|v| p.take(non_negative("estimated_value", v)));
    p.finish()?;
    let mut am = get_lead(db, id).await?.into_active_model();
    if let Some(v) = opt_text(input.company_name) {
        am.company_name = Set(Some(v));
    }
    if let Some(v) = opt_text(input.industry) {
        am.industry = Set(Some(v));
    }
    if let Some(v) = opt_text(input.estimated_size) {
        am.estimated_size = Set(Some(v));
    }
    if let Some(v) = estimated_value {
        am.estimated_value = Set(Some(v));
    }
    if let Some(v) = input.enrichment_data {
        am.enrichment_data = Set(Some(v));
    }
    am.last_enriched = Set(Some(now.fixed_offset()));
    Ok(am.update(db).await?)
}
