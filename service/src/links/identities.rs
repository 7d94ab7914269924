//! P1: one `shared.users` identity per normalised email (`lower(btrim(email))`), linked
//! from `renos.users.shared_user_id` and `billy.users.shared_user_id`.

use entity::{billy, renos, shared};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Func};
use sea_orm::{DbBackend, QueryOrder, Statement, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::Result;
use crate::renos::gdpr::deletion::ANONYMISED_EMAIL_DOMAIN;
use crate::shared::audit::{self, AuditEntry};
use crate::shared::users::{self as shared_users, NewUser};
use crate::validate::{Email, Problems};

/// Result of [`link_identities`].
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityLink {
    pub shared_user: shared::users::Model,
    /// Whether the `shared.users` row was created by this call.
    pub created: bool,
    /// `renos.users` rows with this email (all now linked).
    pub renos_user_ids: Vec<String>,
    /// `billy.users` rows with this email, in any organisation (all now linked).
    pub billy_user_ids: Vec<Uuid>,
}

fn normalised(col: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    Expr::expr(Func::lower(Func::cust("btrim").arg(Expr::col(col))))
}

/// Points `shared_user_id` of every row of the users table of `email_column` whose
/// normalised email is `norm` at `shared_user_id`; the number of rows that changed.
async fn link_users<Col: ColumnTrait, C: ConnectionTrait>(
    db: &C,
    email_column: Col,
    shared_user_column: Col,
    norm: &str,
    shared_user_id: Uuid,
) -> Result<u64>
where
    Col::EntityName: EntityTrait<Column = Col>,
{
    Ok(<Col::EntityName as EntityTrait>::update_many()
        .col_expr(shared_user_column, Expr::value(shared_user_id))
        .filter(normalised(email_column).eq(norm))
        .filter(Expr::cust_with_values(
            r#""shared_user_id" IS DISTINCT FROM $1"#,
            [shared_user_id],
        ))
        .exec(db)
        .await?
        .rows_affected)
}

/// Finds or creates the `shared.users` row of `email` (name: the oldest RenOS user's
/// name, else the email's local part) and links every RenOS and Billy user with that
/// normalised email to it — one transaction. Audited when something changed.
pub async fn link_identities<C: TransactionTrait>(db: &C, email: &str) -> Result<IdentityLink> {
    let norm = Email::parse("email", email)?.into_string();
    let mut fields = Problems::new();
    fields.check(
        !is_anonymised_email(&norm),
        "email",
        "belongs to an anonymised user",
    );
    fields.finish()?;
    let txn = db.begin().await?;
    let renos_users = renos::users::Entity::find()
        .filter(normalised(renos::users::Column::Email).eq(norm.as_str()))
        .order_by_asc(renos::users::Column::CreatedAt)
        .order_by_asc(renos::users::Column::Id)
        .all(&txn)
        .await?;
    let (shared_user, created) = match shared_users::find_by_email(&txn, &norm).await? {
        Some(u) => (u, false),
        None => {
            let name = renos_users
                .first()
                .map(|u| u.name.clone())
                .unwrap_or_else(|| norm.split('@').next().unwrap_or_default().to_owned());
            let u = shared_users::upsert_user(
                &txn,
                NewUser {
                    email: norm.clone(),
                    name,
                },
            )
            .await?;
            (u, true)
        }
    };
    let renos_linked = link_users(
        &txn,
        renos::users::Column::Email,
        renos::users::Column::SharedUserId,
        &norm,
        shared_user.id,
    )
    .await?;
    let billy_linked = link_users(
        &txn,
        billy::users::Column::Email,
        billy::users::Column::SharedUserId,
        &norm,
        shared_user.id,
    )
    .await?;
    let billy_user_ids = billy::users::Entity::find()
        .filter(normalised(billy::users::Column::Email).eq(norm.as_str()))
        .order_by_asc(billy::users::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    if created || renos_linked > 0 || billy_linked > 0 {
        audit::record(
            &txn,
            AuditEntry {
                user_id: Some(shared_user.id),
                action: "link_identities".into(),
                resource_type: "shared.users".into(),
                resource_id: shared_user.id.to_string(),
                metadata: json!({
                    "created": created,
                    "renos_users_linked": renos_linked,
                    "billy_users_linked": billy_linked,
                }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(IdentityLink {
        shared_user,
        created,
        renos_user_ids: renos_users.into_iter().map(|u| u.id).collect(),
        billy_user_ids,
    })
}

/// Counts of [`backfill_identities`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackfillReport {
    pub shared_users_created: u64,
    pub renos_users_linked: u64,
    pub billy_users_linked: u64,
}

/// Links every RenOS and Billy user, set-based in one transaction: creates the missing
/// `shared.users` rows (name as in [`link_identities`]) for every normalised email that
/// looks like an address, then sets `shared_user_id` wherever it differs. Anonymised RenOS
/// users are skipped. Running it again changes nothing.
pub async fn backfill_identities<C: TransactionTrait>(db: &C) -> Result<BackfillReport> {
    let txn = db.begin().await?;
    let like = format!("%@{ANONYMISED_EMAIL_DOMAIN}");
    let created = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"INSERT INTO shared.users (email, name)
               SELECT DISTINCT ON (c.email_norm) c.email_norm, c.name
               FROM (
                   SELECT lower(btrim(email)) AS email_norm, name, 0 AS pri, created_at
                   FROM renos.users
                   UNION ALL
                   SELECT lower(btrim(email)), split_part(lower(btrim(email)), '@', 1), 1,
                          created_at
                   FROM billy.users
               ) c
               WHERE position('@' IN c.email_norm) > 1
                 AND c.email_norm NOT LIKE $1
                 AND NOT EXISTS (
                     SELECT 1 FROM shared.users s WHERE lower(s.email) = c.email_norm)
               ORDER BY c.email_norm, c.pri, c.created_at
               ON CONFLICT DO NOTHING"#,
            [like.clone().into()],
        ))
        .await?
        .rows_affected();
    let renos_linked = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            r#"UPDATE renos.users r SET shared_user_id = s.id
               FROM shared.users s
               WHERE lower(s.email) = lower(btrim(r.email))
                 AND lower(btrim(r.email)) NOT LIKE $1
                 AND r.shared_user_id IS DISTINCT FROM s.id"#,
            [like.into()],
        ))
        .await?
        .rows_affected();
    let billy_linked = txn
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            r#"UPDATE billy.users b SET shared_user_id = s.id
               FROM shared.users s
               WHERE lower(s.email) = lower(btrim(b.email))
                 AND b.shared_user_id IS DISTINCT FROM s.id"#,
        ))
        .await?
        .rows_affected();
    let report = BackfillReport {
        shared_users_created: created,
        renos_users_linked: renos_linked,
        billy_users_linked: billy_linked,
    };
    if report != BackfillReport::default() {
        audit::record(
            &txn,
            AuditEntry {
                user_id: None,
                action: "backfill_identities".into(),
                resource_type: "shared.users".into(),
                resource_id: "*".into(),
                metadata: json!({
                    "shared_users_created": created,
                    "renos_users_linked": renos_linked,
                    "billy_users_linked": billy_linked,
                }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Whether `email` is the tombstone address of an anonymised RenOS user.
pub fn is_anonymised_email(email: &str) -> bool {
    email
        .trim()
        .to_lowercase()
        .ends_with(&format!("@{ANONYMISED_EMAIL_DOMAIN}"))
}
