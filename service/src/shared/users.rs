//! `shared.users`: one identity per normalised email.

use entity::shared::users;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};

use crate::error::{Error, Result};
use crate::validate::{Email, non_empty};

/// Input of [`upsert_user`].
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
}

/// Normalises an email the way every identity link does: `lower(btrim(email))`.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Creates the user for this (normalised) email, or updates the name of the existing one.
pub async fn upsert_user<C: ConnectionTrait>(db: &C, input: NewUser) -> Result<users::Model> {
    let email = Email::parse("email", &input.email)?;
    let name = non_empty("name", &input.name)?;
    if let Some(existing) = find_by_email(db, email.as_str()).await? {
        let mut am: users::ActiveModel = existing.into();
        am.name = Set(name);
        return Ok(am.update(db).await?);
    }
    let am = users::ActiveModel {
        email: Set(email.into_string()),
        name: Set(name),
        ..Default::default()
    };
    // A concurrent insert of the same email loses the race on the unique index: retry as
    // an update of the winner's row.
    let inserted = users::Entity::insert(am)
        .on_conflict(
            OnConflict::column(users::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec_with_returning(db)
        .await;
    match inserted {
        Ok(row) => Ok(row),
        Err(DbErr::RecordNotInserted | DbErr::RecordNotFound(_)) => {
            find_by_email(db, &normalize_email(&input.email))
                .await?
                .ok_or_else(|| Error::not_found("shared user"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The user with this email, compared case-insensitively.
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<users::Model>> {
    let norm = normalize_email(email);
    Ok(users::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(norm))
        .one(db)
        .await?)
}

/// The user with this id.
pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<users::Model> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("shared user"))
}
