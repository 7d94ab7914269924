//! `renos.users`: RenOS logins. The password hash is computed by the caller and stored
//! as given; no find/list function returns it (they return [`RenosUserView`]). Only
//! [`credentials_for`] hands it out, for a login check.

use entity::renos::users::{self, UserRole};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Func};
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};
use serde::Serialize;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::shared::audit::{self, AuditEntry};
use crate::validate::{Problems, limit, opt_text};

/// A RenOS user without the password hash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenosUserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: UserRole,
    pub is_active: bool,
    pub last_login_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    /// The linked `shared.users` identity, if any.
    pub shared_user_id: Option<Uuid>,
}

impl From<users::Model> for RenosUserView {
    fn from(m: users::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name,
            phone: m.phone,
            role: m.role,
            is_active: m.is_active,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            shared_user_id: m.shared_user_id,
        }
    }
}

/// What a login check needs.
#[derive(Clone, PartialEq)]
pub struct UserCredentials {
    pub user_id: String,
    /// The stored hash (e.g. bcrypt); never log it.
    pub password_hash: String,
    pub is_active: bool,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user_id", &self.user_id)
            .field("password_hash", &"<redacted>")
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// Input of [`create_user`].
#[derive(Clone)]
pub struct NewRenosUser {
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    /// A password hash in modular crypt format (`$2b$…` bcrypt, `$argon2id$…`), never a
    /// plain password.
    pub password_hash: String,
    /// Defaults to `employee`.
    pub role: Option<UserRole>,
}

impl std::fmt::Debug for NewRenosUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRenosUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Checks that `hash` looks like a modular-crypt hash (`$id$…`, at least 20 characters),
/// so a plain password is never stored by mistake.
pub(crate) fn check_password_hash(f: &mut Problems, hash: &str) {
    let ok = hash.len() >= 20
        && hash.starts_with('$')
        && hash[1..].contains('$')
        && !hash.contains(char::is_whitespace);
    f.check(
        ok,
        "password_hash",
        "must be a password hash, not a password",
    );
}

/// Creates an active user; the email is stored normalised (trimmed, lower-case), and an
/// email taken by another user (in any letter case) is a conflict. Audited.
pub async fn create_user<C: TransactionTrait>(
    db: &C,
    input: NewRenosUser,
) -> Result<RenosUserView> {
    let mut f = Problems::new();
    let email = f.email("email", &input.email);
    let name = f.text("name", &input.name);
    check_password_hash(&mut f, &input.password_hash);
    f.finish()?;
    let txn = db.begin().await?;
    if find_model_by_email(&txn, &email).await?.is_some() {
        return Err(Error::conflict("already exists (users_email_key)"));
    }
    let user = users::ActiveModel {
        email: Set(email),
        name: Set(name),
        phone: Set(opt_text(input.phone.as_deref())),
        password_hash: Set(input.password_hash),
        role: Set(input.role.unwrap_or(UserRole::Employee)),
        is_active: Set(true),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            user_id: None,
            action: "create".into(),
            resource_type: "renos.users".into(),
            resource_id: user.id.clone(),
            metadata: serde_json::json!({ "role": user.role }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user.into())
}

async fn find_model_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<users::Model>> {
    let norm = crate::shared::users::normalize_email(email);
    Ok(users::Entity::find()
        .filter(
            Expr::expr(Func::lower(
                Func::cust("btrim").arg(Expr::col(users::Column::Email)),
            ))
            .eq(norm),
        )
        .order_by_asc(users::Column::CreatedAt)
        .one(db)
        .await?)
}

/// The user with this id.
pub async fn get_user<C: ConnectionTrait>(db: &C, id: &str) -> Result<RenosUserView> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Into::into)
        .ok_or_else(|| Error::not_found("user"))
}

/// The user with this email (compared trimmed and case-insensitively).
pub async fn find_user_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<RenosUserView>> {
    Ok(find_model_by_email(db, email).await?.map(Into::into))
}

/// Filters of [`list_users`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub role: Option<UserRole>,
    pub is_active: Option<bool>,
    pub limit: Option<u64>,
}

/// Users ordered by name; `limit` defaults to 100 (at most 1000).
pub async fn list_users<C: ConnectionTrait>(
    db: &C,
    filter: UserFilter,
) -> Result<Vec<RenosUserView>> {
    let mut q = users::Entity::find();
    if let Some(r) = filter.role {
        q = q.filter(users::Column::Role.eq(r));
    }
    if let Some(a) = filter.is_active {
        q = q.filter(users::Column::IsActive.eq(a));
    }
    Ok(q.order_by_asc(users::Column::Name)
        .order_by_asc(users::Column::Id)
        .limit(limit(filter.limit, 100, 1000))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The stored hash of the user with this email, for a login check (`None` when unknown).
pub async fn credentials_for<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<UserCredentials>> {
    Ok(find_model_by_email(db, email)
        .await?
        .map(|u| UserCredentials {
            user_id: u.id,
            password_hash: u.password_hash,
            is_active: u.is_active,
        }))
}

/// Records a successful login (`last_login_at = now`).
pub async fn record_login<C: ConnectionTrait>(db: &C, id: &str) -> Result<RenosUserView> {
    let updated = users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(now()))
        .filter(users::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?;
    updated
        .into_iter()
        .next()
        .map(Into::into)
        .ok_or_else(|| Error::not_found("user"))
}

/// Activates or deactivates a user. Audited.
pub async fn set_user_active<C: TransactionTrait>(
    db: &C,
    id: &str,
    active: bool,
) -> Result<RenosUserView> {
    let txn = db.begin().await?;
    let updated = users::Entity::update_many()
        .col_expr(users::Column::IsActive, Expr::value(active))
        .filter(users::Column::Id.eq(id))
        .exec_with_returning(&txn)
        .await?;
    let user = updated
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("user"))?;
    audit::record(
        &txn,
        AuditEntry {
            user_id: None,
            action: if active { "activate" } else { "deactivate" }.into(),
            resource_type: "renos.users".into(),
            resource_id: user.id.clone(),
            metadata: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user.into())
}
