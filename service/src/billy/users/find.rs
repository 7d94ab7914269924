//! Reading users.

use entity::billy::users::{self, UserRole};
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func};

use crate::error::{Error, Result};
use crate::shared::users::normalize_email;

/// The user with this id.
pub async fn get_user<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<users::Model> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("billy user"))
}

/// The organisation's user with this email (compared case-insensitively, trimmed).
pub async fn find_user<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    email: &str,
) -> Result<Option<users::Model>> {
    let norm = normalize_email(email);
    if norm.is_empty() {
        return Err(Error::invalid("email", "must not be empty"));
    }
    Ok(users::Entity::find()
        .filter(users::Column::OrganizationId.eq(organization_id))
        .filter(Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(norm))
        .one(db)
        .await?)
}

/// Filters of [`list_users`].
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Include deactivated users (default: active only).
    pub include_inactive: bool,
    /// Only this role.
    pub role: Option<UserRole>,
}

/// The organisation's users ordered by email.
pub async fn list_users<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    filter: UserFilter,
) -> Result<Vec<users::Model>> {
    let mut q = users::Entity::find().filter(users::Column::OrganizationId.eq(organization_id));
    if !filter.include_inactive {
        q = q.filter(users::Column::IsActive.eq(true));
    }
    if let Some(role) = filter.role {
        q = q.filter(users::Column::Role.eq(role));
    }
    Ok(q.order_by_asc(users::Column::Email)
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?)
}
