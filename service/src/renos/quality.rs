//! Quality control: versioned checklists (`renos.quality_checklists`), scored assessments
//! of a job (`renos.quality_assessments`) and photo evidence (`renos.photo_documentation`).
//!
//! Checklist `items` are a JSON array of objects `{"id": "<unique text>", "points": <int
//! ≥ 0>, ...}` (other keys are kept as given).

use std::collections::{HashMap, HashSet};

use entity::renos::photo_documentation::{self, PhotoDocumentationType};
use entity::renos::quality_assessments::{self, QualityAssessmentStatus};
use entity::renos::quality_checklists;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, QueryOrder, Statement, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`create_checklist`].
#[derive(Clone, Debug)]
pub struct NewChecklist {
    pub service_type: String,
    pub name: String,
    pub description: Option<String>,
    /// See the module documentation.
    pub items: Json,
}

/// Points per item id of a checklist's `items`, checked; field errors go to `f`.
fn item_points(f: &mut Problems, items: &Json) -> HashMap<String, i64> {
    let mut points = HashMap::new();
    let Some(list) = items.as_array() else {
        f.check(false, "items", "must be a JSON array");
        return points;
    };
    f.check(!list.is_empty(), "items", "must not be empty");
    for (i, item) in list.iter().enumerate() {
        let id = item.get("id").and_then(Json::as_str).map(str::trim);
        let p = item.get("points").and_then(Json::as_i64);
        match (id, p) {
            (Some(id), Some(p)) if !id.is_empty() && p >= 0 => {
                let fresh = points.insert(id.to_owned(), p).is_none();
                f.check(fresh, format!("items[{i}].id"), "is used twice");
            }
            _ => f.check(
                false,
                format!("items[{i}]"),
                "needs a non-empty id and non-negative integer points",
            ),
        }
    }
    points
}

/// Creates the next version of the checklist of a service type (version = highest + 1)
/// as the active one, deactivating the older versions of that service type — one
/// transaction, serialised per service type.
pub async fn create_checklist<C: TransactionTrait>(
    db: &C,
    input: NewChecklist,
) -> Result<quality_checklists::Model> {
    let mut f = Problems::new();
    let service_type = f.text("service_type", &input.service_type);
    let name = f.text("name", &input.name);
    item_points(&mut f, &input.items);
    f.finish()?;
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext('renos.quality_checklists:' || $1))",
        [service_type.clone().into()],
    ))
    .await?;
    let latest = quality_checklists::Entity::find()
        .filter(quality_checklists::Column::ServiceType.eq(service_type.as_str()))
        .order_by_desc(quality_checklists::Column::Version)
        .one(&txn)
        .await?;
    quality_checklists::Entity::update_many()
        .col_expr(quality_checklists::Column::IsActive, Expr::value(false))
        .filter(quality_checklists::Column::ServiceType.eq(service_type.as_str()))
        .filter(quality_checklists::Column::IsActive.eq(true))
        .exec(&txn)
        .await?;
    let row = quality_checklists::ActiveModel {
        service_type: Set(service_type),
        name: Set(name),
        description: Set(opt_text(input.description.as_deref())),
        items: Set(input.items),
        is_active: Set(true),
        version: Set(latest.map_or(1, |l| l.version + 1)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The active checklist of a service type.
pub async fn active_checklist<C: ConnectionTrait>(
    db: &C,
    service_type: &str,
) -> Result<Option<quality_checklists::Model>> {
    Ok(quality_checklists::Entity::find()
        .filter(quality_checklists::Column::ServiceType.eq(service_type.trim()))
        .filter(quality_checklists::Column::IsActive.eq(true))
        .order_by_desc(quality_checklists::Column::Version)
        .one(db)
        .await?)
}

/// Input of [`record_assessment`].
#[derive(Clone, Debug)]
pub struct NewAssessment {
    /// The job being assessed (a lead id, as in the model).
    pub lead_id: String,
    pub checklist_id: String,
    /// The assessing RenOS user.
    pub assessed_by: String,
    /// Ids of the checklist items that were done.
    pub completed_item_ids: Vec<String>,
    pub notes: Option<String>,
}

/// Scores of an assessment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    pub earned: i64,
    pub possible: i64,
    /// `earned / possible · 100` (0 when nothing is possible).
    pub percentage: f64,
    /// The percentage rounded to a whole number, 0..=100.
    pub overall: i32,
}

/// Scores of `completed` items against a checklist's points.
pub fn score(points: &HashMap<String, i64>, completed: &HashSet<String>) -> Scores {
    let possible: i64 = points.values().sum();
    let earned: i64 = completed.iter().filter_map(|id| points.get(id)).sum();
    let percentage = if possible == 0 {
        0.0
    } else {
        earned as f64 * 100.0 / possible as f64
    };
    Scores {
        earned,
        possible,
        percentage,
        overall: percentage.round() as i32,
    }
}

/// Records a `completed` assessment scored against the checklist (see [`score`]). Unknown
/// or repeated item ids are validation errors; an unknown checklist `NotFound`; an unknown
/// lead or assessor a validation error.
pub async fn record_assessment<C: ConnectionTrait>(
    db: &C,
    input: NewAssessment,
) -> Result<quality_assessments::Model> {
    let checklist = quality_checklists::Entity::find_by_id(input.checklist_id.as_str())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("quality checklist"))?;
    let mut stored = Problems::new();
    let points = item_points(&mut stored, &checklist.items);
    if stored.finish().is_err() {
        return Err(Error::conflict("the checklist's items are malformed"));
    }
    let mut f = Problems::new();
    let lead_id = f.text("lead_id", &input.lead_id);
    let assessed_by = f.text("assessed_by", &input.assessed_by);
    let mut completed = HashSet::new();
    for (i, id) in input.completed_item_ids.iter().enumerate() {
        let field = format!("completed_item_ids[{i}]");
        let id = id.trim().to_owned();
        f.check(
            points.contains_key(&id),
            &field,
            "is not an item of the checklist",
        );
        f.check(completed.insert(id), &field, "is listed twice");
    }
    f.finish()?;
    let s = score(&points, &completed);
    let mut ids: Vec<&String> = completed.iter().collect();
    ids.sort();
    let am = quality_assessments::ActiveModel {
        lead_id: Set(lead_id),
        checklist_id: Set(checklist.id),
        assessed_by: Set(assessed_by),
        completed_items: Set(json!(ids)),
        overall_score: Set(s.overall),
        percentage_score: Set(s.percentage),
        total_points_earned: Set(i32::try_from(s.earned).unwrap_or(i32::MAX)),
        max_possible_points: Set(i32::try_from(s.possible).unwrap_or(i32::MAX)),
        notes: Set(opt_text(input.notes.as_deref())),
        status: Set(QualityAssessmentStatus::Completed),
        ..Default::default()
    };
    Ok(am.insert(db).await?)
}

/// The assessments of a job, newest first.
pub async fn list_assessments<C: ConnectionTrait>(
    db: &C,
    lead_id: &str,
) -> Result<Vec<quality_assessments::Model>> {
    Ok(quality_assessments::Entity::find()
        .filter(quality_assessments::Column::LeadId.eq(lead_id))
        .order_by_desc(quality_assessments::Column::CreatedAt)
        .order_by_desc(quality_assessments::Column::Id)
        .all(db)
        .await?)
}

/// Input of [`add_photo`].
#[derive(Clone, Debug)]
pub struct NewPhoto {
    pub lead_id: String,
    pub checklist_item_id: Option<String>,
    pub kind: PhotoDocumentationType,
    /// An http(s) URL.
    pub photo_url: String,
    /// An http(s) URL.
    pub thumbnail_url: Option<String>,
    pub description: Option<String>,
    /// The uploading RenOS user.
    pub uploaded_by: String,
    /// When the photo was taken.
    pub taken_at: DateTimeWithTimeZone,
    /// Camera/GPS data (a JSON object).
    pub metadata: Option<Json>,
}

/// Stores a photo. An unknown lead or uploader is a validation error.
pub async fn add_photo<C: ConnectionTrait>(
    db: &C,
    input: NewPhoto,
) -> Result<photo_documentation::Model> {
    let mut f = Problems::new();
    if let Some(m) = &input.metadata {
        f.object("metadata", m);
    }
    let thumb = opt_text(input.thumbnail_url.as_deref()).map(|u| f.url("thumbnail_url", &u));
    let am = photo_documentation::ActiveModel {
        lead_id: Set(f.text("lead_id", &input.lead_id)),
        checklist_item_id: Set(opt_text(input.checklist_item_id.as_deref())),
        r#type: Set(input.kind),
        photo_url: Set(f.url("photo_url", &input.photo_url)),
        thumbnail_url: Set(thumb),
        description: Set(opt_text(input.description.as_deref())),
        uploaded_by: Set(f.text("uploaded_by", &input.uploaded_by)),
        timestamp: Set(input.taken_at),
        metadata: Set(input.metadata),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// The photos of a job in the order they were taken.
pub async fn list_photos<C: ConnectionTrait>(
    db: &C,
    lead_id: &str,
) -> Result<Vec<photo_documentation::Model>> {
    Ok(photo_documentation::Entity::find()
        .filter(photo_documentation::Column::LeadId.eq(lead_id))
        .order_by_asc(photo_documentation::Column::Timestamp)
        .order_by_asc(photo_documentation::Column::Id)
        .all(db)
        .await?)
}
