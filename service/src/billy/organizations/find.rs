//! Reading organisations (as views without the API key).

use entity::billy::{organizations, users};
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use super::{Organization, OrganizationWithUsers};
use crate::error::{Error, Result};
use crate::validate::limit;

/// The organisation with this id.
pub async fn get_organization<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Organization> {
    organizations::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Organization::from)
        .ok_or_else(|| Error::not_found("billy organization"))
}

/// The organisation with this Billy.dk organisation id (trimmed, exact), with its users
/// ordered by email; inactive organisations are returned too (check `is_active`).
pub async fn find_organization<C: ConnectionTrait>(
    db: &C,
    billy_organization_id: &str,
) -> Result<Option<OrganizationWithUsers>> {
    let key = billy_organization_id.trim();
    if key.is_empty() {
        return Err(Error::invalid("billy_organization_id", "must not be empty"));
    }
    let Some(org) = organizations::Entity::find()
        .filter(organizations::Column::BillyOrganizationId.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let users = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(org.id))
        .order_by_asc(users::Column::Email)
        .all(db)
        .await?;
    Ok(Some(OrganizationWithUsers {
        organization: org.into(),
        users,
    }))
}

/// Filters of [`list_organizations`].
#[derive(Clone, Debug, Default)]
pub struct OrganizationFilter {
    /// Only active (`Some(true)`) or inactive (`Some(false)`) organisations.
    pub is_active: Option<bool>,
    /// Page size (default 100, 1..=1000).
    pub limit: Option<u64>,
}

/// Organisations ordered by name (then id).
pub async fn list_organizations<C: ConnectionTrait>(
    db: &C,
    filter: OrganizationFilter,
) -> Result<Vec<Organization>> {
    let mut q = organizations::Entity::find();
    if let Some(active) = filter.is_active {
        q = q.filter(organizations::Column::IsActive.eq(active));
    }
    Ok(q.order_by_asc(organizations::Column::Name)
        .order_by_asc(organizations::Column::Id)
        .limit(limit(filter.limit, 100, 1000))
        .all(db)
        .await?
        .into_iter()
        .map(Organization::from)
        .collect())
}
