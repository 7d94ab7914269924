//! `renos.subcontractor_services`: which services a subcontractor performs.

use entity::renos::subcontractor_services;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::error::{Error, Result};
use crate::validate::Problems;

/// Input of [`add_service`].
#[derive(Clone, Debug)]
pub struct NewSubcontractorService {
    pub subcontractor_id: Uuid,
    /// The `renos.services` id (uuid; no FK in the model).
    pub service_id: Uuid,
    /// 0..=80 years.
    pub experience_years: Option<i32>,
    pub certifications: Vec<String>,
}

/// Records that the subcontractor performs a service; the same service twice is a
/// conflict, an unknown subcontractor a validation error.
pub async fn add_service<C: ConnectionTrait>(
    db: &C,
    input: NewSubcontractorService,
) -> Result<subcontractor_services::Model> {
    let mut f = Problems::new();
    f.opt_range_i32("experience_years", input.experience_years, 0, 80);
    let certifications = f.texts("certifications", &input.certifications);
    f.finish()?;
    Ok(subcontractor_services::ActiveModel {
        subcontractor_id: Set(input.subcontractor_id),
        service_id: Set(input.service_id),
        experience_years: Set(input.experience_years),
        certifications: Set(certifications),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Removes a service row.
pub async fn remove_service<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<()> {
    let res = subcontractor_services::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::not_found("subcontractor service"));
    }
    Ok(())
}

/// The subcontractor's services, oldest first.
pub async fn list_services<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
) -> Result<Vec<subcontractor_services::Model>> {
    Ok(subcontractor_services::Entity::find()
        .filter(subcontractor_services::Column::SubcontractorId.eq(subcontractor_id))
        .order_by_asc(subcontractor_services::Column::CreatedAt)
        .order_by_asc(subcontractor_services::Column::Id)
        .all(db)
        .await?)
}
