//! `renos.team_members`: the employee profile of a RenOS user (one per user).

use entity::renos::team_members;
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};
use serde_json::json;

use crate::error::{Error, Result};
use crate::money::to_db;
use crate::validate::{Problems, limit};

/// Largest hourly rate accepted (DKK).
pub const MAX_HOURLY_RATE: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

/// Input of [`create_team_member`].
#[derive(Clone, Debug, Default)]
pub struct NewTeamMember {
    pub user_id: String,
    /// Internal employee number (unique).
    pub employee_id: String,
    pub skills: Vec<String>,
    /// DKK per hour, 0..=100,000 with at most two decimals (stored as a float, as the
    /// column is `double precision`).
    pub hourly_rate: Option<Decimal>,
    /// Weekly availability (a JSON object; `{}` when absent).
    pub availability: Option<Json>,
    pub hire_date: Option<Date>,
}

/// Creates an active profile. A user or employee number that already has one is a
/// conflict; an unknown user a validation error.
pub async fn create_team_member<C: ConnectionTrait>(
    db: &C,
    input: NewTeamMember,
) -> Result<team_members::Model> {
    let mut f = Problems::new();
    let rate = input
        .hourly_rate
        .map(|r| f.exact_amount("hourly_rate", r, MAX_HOURLY_RATE));
    if let Some(a) = &input.availability {
        f.object("availability", a);
    }
    let am = team_members::ActiveModel {
        user_id: Set(f.text("user_id", &input.user_id)),
        employee_id: Set(f.text("employee_id", &input.employee_id)),
        skills: Set(f.texts("skills", &input.skills)),
        hourly_rate: Set(rate.map(to_db)),
        availability: Set(input.availability.unwrap_or_else(|| json!({}))),
        performance_metrics: Set(json!({})),
        is_active: Set(true),
        hire_date: Set(input.hire_date),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// The profile of this user, if any.
pub async fn find_by_user<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Option<team_members::Model>> {
    Ok(team_members::Entity::find()
        .filter(team_members::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// Activates or deactivates a profile.
pub async fn set_team_member_active<C: ConnectionTrait>(
    db: &C,
    id: &str,
    active: bool,
) -> Result<team_members::Model> {
    team_members::Entity::update_many()
        .col_expr(team_members::Column::IsActive, Expr::value(active))
        .filter(team_members::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("team member"))
}

/// Profiles by employee number (only active ones when `active_only`); `limit` defaults
/// to 100 (at most 1000).
pub async fn list_team_members<C: ConnectionTrait>(
    db: &C,
    active_only: bool,
    limit_to: Option<u64>,
) -> Result<Vec<team_members::Model>> {
    let mut q = team_members::Entity::find();
    if active_only {
        q = q.filter(team_members::Column::IsActive.eq(true));
    }
    Ok(q.order_by_asc(team_members::Column::EmployeeId)
        .limit(limit(limit_to, 100, 1000))
        .all(db)
        .await?)
}
