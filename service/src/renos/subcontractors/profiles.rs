//! `renos.subcontractors`: create, update, get, list.

use entity::renos::subcontractors::{self, SubcontractorStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{NullOrdering, Order};
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::Result;
use crate::shared::audit::{self, AuditEntry};
use crate::validate::{Problems, limit, opt_text};

/// Input of [`create_subcontractor`].
#[derive(Clone, Debug, Default)]
pub struct NewSubcontractor {
    pub company_name: String,
    pub contact_name: String,
    /// Unique; stored normalised (trimmed, lower-case).
    pub email: String,
    pub phone: String,
    pub address: Option<String>,
    /// Danish CVR number: 8 digits (spaces and a `DK` prefix are removed).
    pub cvr_number: Option<String>,
    /// An http(s) URL.
    pub website_url: Option<String>,
    pub notes: Option<String>,
}

/// Changes of [`update_subcontractor`]; `None` leaves a field unchanged, `Some(None)`
/// clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct SubcontractorUpdate {
    pub company_name: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Option<String>>,
    pub cvr_number: Option<Option<String>>,
    pub website_url: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub status: Option<SubcontractorStatus>,
}

/// A CVR number reduced to its 8 digits.
pub(crate) fn cvr(f: &mut Problems, raw: &str) -> String {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact
        .strip_prefix("DK")
        .or_else(|| compact.strip_prefix("dk"))
        .unwrap_or(&compact)
        .to_owned();
    f.check(
        digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()),
        "cvr_number",
        "must be 8 digits",
    );
    digits
}

fn opt_cvr(f: &mut Problems, raw: Option<&str>) -> Option<String> {
    opt_text(raw).map(|v| cvr(f, &v))
}

fn opt_url(f: &mut Problems, field: &str, raw: Option<&str>) -> Option<String> {
    opt_text(raw).map(|v| f.url(field, &v))
}

/// Creates an `active` subcontractor (rating 0). A taken email is a conflict. Audited.
pub async fn create_subcontractor<C: TransactionTrait>(
    db: &C,
    input: NewSubcontractor,
) -> Result<subcontractors::Model> {
    let mut f = Problems::new();
    let am = subcontractors::ActiveModel {
        company_name: Set(f.text("company_name", &input.company_name)),
        contact_name: Set(f.text("contact_name", &input.contact_name)),
        email: Set(f.email("email", &input.email)),
        phone: Set(f.text("phone", &input.phone)),
        address: Set(opt_text(input.address.as_deref())),
        cvr_number: Set(opt_cvr(&mut f, input.cvr_number.as_deref())),
        website_url: Set(opt_url(&mut f, "website_url", input.website_url.as_deref())),
        notes: Set(opt_text(input.notes.as_deref())),
        status: Set(SubcontractorStatus::Active),
        rating: Set(Some(Decimal::ZERO)),
        ..Default::default()
    };
    f.finish()?;
    let txn = db.begin().await?;
    let row = am.insert(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            user_id: None,
            action: "create".into(),
            resource_type: "renos.subcontractors".into(),
            resource_id: row.id.to_string(),
            metadata: json!({ "status": row.status }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Applies `changes`; a status change is audited. A taken email is a conflict.
pub async fn update_subcontractor<C: TransactionTrait>(
    db: &C,
    id: Uuid,
    changes: SubcontractorUpdate,
) -> Result<subcontractors::Model> {
    let mut f = Problems::new();
    let mut am = subcontractors::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        ..Default::default()
    };
    if let Some(v) = &changes.company_name {
        am.company_name = Set(f.text("company_name", v));
    }
    if let Some(v) = &changes.contact_name {
        am.contact_name = Set(f.text("contact_name", v));
    }
    if let Some(v) = &changes.email {
        am.email = Set(f.email("email", v));
    }
    if let Some(v) = &changes.phone {
        am.phone = Set(f.text("phone", v));
    }
    if let Some(v) = &changes.address {
        am.address = Set(opt_text(v.as_deref()));
    }
    if let Some(v) = &changes.cvr_number {
        am.cvr_number = Set(opt_cvr(&mut f, v.as_deref()));
    }
    if let Some(v) = &changes.website_url {
        am.website_url = Set(opt_url(&mut f, "website_url", v.as_deref()));
    }
    if let Some(v) = &changes.notes {
        am.notes = Set(opt_text(v.as_deref()));
    }
    if let Some(s) = changes.status {
        am.status = Set(s);
    }
    f.finish()?;
    let txn = db.begin().await?;
    let before = super::existing(&txn, id).await?;
    if !am.is_changed() {
        return Ok(before);
    }
    let row = am.update(&txn).await?;
    if before.status != row.status {
        audit::record(
            &txn,
            AuditEntry {
                user_id: None,
                action: "change_status".into(),
                resource_type: "renos.subcontractors".into(),
                resource_id: row.id.to_string(),
                metadata: json!({ "from": before.status, "to": row.status }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// The subcontractor with this id.
pub async fn get_subcontractor<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<subcontractors::Model> {
    super::existing(db, id).await
}

/// Filters of [`list_subcontractors`].
#[derive(Clone, Debug, Default)]
pub struct SubcontractorFilter {
    pub status: Option<SubcontractorStatus>,
    pub limit: Option<u64>,
}

/// Subcontractors, best rated first (unrated last), then by company name; `limit`
/// defaults to 100 (at most 1000).
pub async fn list_subcontractors<C: ConnectionTrait>(
    db: &C,
    filter: SubcontractorFilter,
) -> Result<Vec<subcontractors::Model>> {
    let mut q = subcontractors::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(subcontractors::Column::Status.eq(s));
    }
    Ok(q.order_by_with_nulls(
        subcontractors::Column::Rating,
        Order::Desc,
        NullOrdering::Last,
    )
    .order_by_asc(subcontractors::Column::CompanyName)
    .order_by_asc(subcontractors::Column::Id)
    .limit(limit(filter.limit, 100, 1000))
    .all(db)
    .await?)
}
