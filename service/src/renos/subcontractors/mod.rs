//! RenOS subcontractors: companies, the services they perform, their documents,
//! availability, agreements and push subscriptions, and the assignment of bookings to
//! them with reviews that keep `subcontractors.rating` current.

pub mod agreements;
pub mod assignments;
pub mod availability;
pub mod documents;
pub mod profiles;
pub mod push_subscriptions;
pub mod reviews;
pub mod services;

use entity::renos::subcontractors;
use sea_orm::ConnectionTrait;
use sea_orm::entity::prelude::*;

use crate::error::{Error, Result};

/// The subcontractor with this id, or `NotFound`.
pub(crate) async fn existing<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<subcontractors::Model> {
    subcontractors::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("subcontractor"))
}
