//! `renos.push_subscriptions`: Web Push subscriptions of a subcontractor's devices, one row
//! per push endpoint.

use entity::renos::push_subscriptions;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{QueryOrder, TransactionSession, TransactionTrait};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// The `endpoint` of a browser Push API subscription object (`{endpoint, keys: {p256dh,
/// auth}}`), checked: an https URL, and `keys.p256dh`/`keys.auth` present.
fn endpoint(f: &mut Problems, subscription: &Json) -> String {
    f.object("subscription", subscription);
    let endpoint = subscription
        .get("endpoint")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let ok = endpoint.starts_with("https://") && endpoint.len() > "https://".len();
    f.check(ok, "subscription.endpoint", "must be an https URL");
    for key in ["p256dh", "auth"] {
        let present = subscription
            .get("keys")
            .and_then(|k| k.get(key))
            .and_then(Json::as_str)
            .is_some_and(|v| !v.is_empty());
        f.check(present, format!("subscription.keys.{key}"), "is required");
    }
    endpoint.to_owned()
}

/// Registers a subscription; registering the same endpoint again for the subcontractor
/// replaces the stored subscription and refreshes `last_used_at` instead of adding a row.
/// An unknown subcontractor is a validation error.
pub async fn register_push_subscription<C: TransactionTrait>(
    db: &C,
    subcontractor_id: Uuid,
    subscription: Json,
    user_agent: Option<&str>,
) -> Result<push_subscriptions::Model> {
    let mut f = Problems::new();
    let endpoint = endpoint(&mut f, &subscription);
    f.finish()?;
    let txn = db.begin().await?;
    let existing = push_subscriptions::Entity::find()
        .filter(push_subscriptions::Column::SubcontractorId.eq(subcontractor_id))
        .filter(Expr::cust("\"subscription\" ->> 'endpoint'").eq(endpoint))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(row) => {
            let mut am: push_subscriptions::ActiveModel = row.into();
            am.subscription = Set(subscription);
            am.user_agent = Set(opt_text(user_agent));
            am.last_used_at = Set(now());
            am.update(&txn).await?
        }
        None => {
            push_subscriptions::ActiveModel {
                subcontractor_id: Set(subcontractor_id),
                subscription: Set(subscription),
                user_agent: Set(opt_text(user_agent)),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(row)
}

/// Records that a push was sent through the subscription (`last_used_at = now`).
pub async fn touch_push_subscription<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<push_subscriptions::Model> {
    push_subscriptions::Entity::update_many()
        .col_expr(push_subscriptions::Column::LastUsedAt, Expr::value(now()))
        .filter(push_subscriptions::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("push subscription"))
}

/// Removes a subscription (e.g. after the push service answered 410 Gone).
pub async fn remove_push_subscription<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<()> {
    let res = push_subscriptions::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::not_found("push subscription"));
    }
    Ok(())
}

/// The subcontractor's subscriptions, most recently used first.
pub async fn list_push_subscriptions<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
) -> Result<Vec<push_subscriptions::Model>> {
    Ok(push_subscriptions::Entity::find()
        .filter(push_subscriptions::Column::SubcontractorId.eq(subcontractor_id))
        .order_by_desc(push_subscriptions::Column::LastUsedAt)
        .order_by_desc(push_subscriptions::Column::Id)
        .all(db)
        .await?)
}
