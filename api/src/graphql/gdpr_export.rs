//! `renos { dataExportDocument(userId) }`: the GDPR export document of a RenOS user
//! (right of access/portability), read by `service::renos::gdpr::export` in the query's
//! own transaction, which is REPEATABLE READ and READ ONLY: one consistent snapshot.
//! Staff only (service, admin), as the export requests are.

use async_graphql::Value;
use async_graphql::dynamic::{Field, FieldFuture, FieldValue, InputValue, TypeRef};
use service::renos::gdpr::export::export_user_data_in;

use super::errors::{internal, to_gql};
use super::guard::{Action, authorize};
use super::scalars;

/// The schema whose query object holds the field.
pub const SCHEMA: &str = "renos";

/// Statements counted for an export: user, consents, notifications, team member, time
/// entries, corrections, chat sessions, export and deletion requests (the one statement per
/// chat session for its messages is not counted).
const STATEMENTS: usize = 9;

/// The `dataExportDocument` field.
pub fn field() -> Field {
    Field::new(
        "dataExportDocument",
        TypeRef::named_nn(scalars::JSON),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let user = ctx.args.try_get("userId")?.string()?.to_owned();
                let doc = export_user_data_in(&db.txn, &user).await.map_err(to_gql)?;
                db.statements
                    .fetch_add(STATEMENTS, std::sync::atomic::Ordering::Relaxed);
                let value = Value::from_json(doc).map_err(|_| internal("export document"))?;
                Ok(Some(FieldValue::value(value)))
            })
        },
    )
    .argument(InputValue::new(
        "userId",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .description(
        "Everything stored about a RenOS user as one JSON document (format_version, user \
         without the password hash, consents, notifications, team member and time entries, \
         submitted time corrections, chat sessions with messages, export and deletion \
         requests), from one snapshot. Unknown user: NOT_FOUND. Service and admin only.",
    )
}
