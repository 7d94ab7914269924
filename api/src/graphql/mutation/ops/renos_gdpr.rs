//! `renos { requestDataExport startDataExport completeDataExport failDataExport
//! requestDataDeletion cancelDataDeletion executeDueDeletions }`: the GDPR right of
//! access/portability and right to erasure through `service::renos::gdpr`. Erasure
//! anonymises the user (see `docs/service/renos-comms.md`).
//!
//! The export document itself is a query field, `renos { dataExportDocument(userId) }`
//! (`graphql::gdpr_export`): it needs one consistent snapshot, which the query's REPEATABLE
//! READ, READ ONLY transaction is, and a mutation's READ COMMITTED transaction is not.

use async_graphql::dynamic::{Field, FieldFuture, InputValue, Object, Type, TypeRef};
use serde_json::json;
use service::renos::gdpr::deletion::{
    NewDeletionRequest, cancel_data_deletion, execute_due_deletions, request_data_deletion,
};
use service::renos::gdpr::export::{
    complete_data_export, fail_data_export, request_data_export, start_export_processing,
};

use super::{
    authorize, finish, object_out, opt_string, row_out, savepoint, string, timestamp, value,
};
use crate::graphql::guard::Action;

const EXPORTS: &str = "renos.data_export_requests";
const DELETIONS: &str = "renos.data_deletion_requests";
const EXPORT_ROW: &str = "RenosDataExportRequest";
const DELETION_ROW: &str = "RenosDataDeletionRequest";
const RUN: &str = "RenosDeletionRun";

pub fn types() -> Vec<Type> {
    vec![
        Object::new(RUN)
            .description("Deletion requests executed by executeDueDeletions, by outcome.")
            .field(value(
                "completed",
                TypeRef::named_nn_list_nn(TypeRef::STRING),
            ))
            .field(value("failed", TypeRef::named_nn_list_nn(TypeRef::STRING)))
            .into(),
    ]
}

pub fn fields() -> Vec<Field> {
    vec![
        request_export(),
        start_export(),
        complete_export(),
        fail_export(),
        request_deletion(),
        cancel_deletion(),
        execute_deletions(),
    ]
}

fn id_arg(f: Field, name: &str) -> Field {
    f.argument(InputValue::new(name, TypeRef::named_nn(TypeRef::STRING)))
}

fn request_export() -> Field {
    let f = Field::new("requestDataExport", TypeRef::named_nn(EXPORT_ROW), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let user = string(&ctx, "userId")?;
            let sp = savepoint(&db).await?;
            let res = request_data_export(&sp, &user).await;
            let row = finish(sp, res, None).await?;
            row_out(&ctx, &db, EXPORTS, json!(row.id)).await
        })
    })
    .description(
        "Opens a PENDING export request for a RenOS user (with the user's email); a user \
         with an open request gets a CONFLICT.",
    );
    id_arg(f, "userId")
}

fn start_export() -> Field {
    let f = Field::new("startDataExport", TypeRef::named_nn(EXPORT_ROW), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let id = string(&ctx, "id")?;
            let sp = savepoint(&db).await?;
            let res = start_export_processing(&sp, &id).await;
            let row = finish(sp, res, None).await?;
            row_out(&ctx, &db, EXPORTS, json!(row.id)).await
        })
    })
    .description("Marks a PENDING export request PROCESSING (a worker picked it up).");
    id_arg(f, "id")
}

fn complete_export() -> Field {
    Field::new("completeDataExport", TypeRef::named_nn(EXPORT_ROW), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let id = string(&ctx, "id")?;
            let url = string(&ctx, "downloadUrl")?;
            let expires = timestamp("expiresAt", &string(&ctx, "expiresAt")?)?;
            let sp = savepoint(&db).await?;
            let res = complete_data_export(&sp, &id, &url, expires).await;
            let row = finish(sp, res, None).await?;
            row_out(&ctx, &db, EXPORTS, json!(row.id)).await
        })
    })
    .description(
        "Completes an open export request with the link to the stored export and when the \
         link expires (future, ISO 8601).",
    )
    .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::STRING)))
    .argument(InputValue::new(
        "downloadUrl",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .argument(InputValue::new(
        "expiresAt",
        TypeRef::named_nn(TypeRef::STRING),
    ))
}

fn fail_export() -> Field {
    let f = Field::new("failDataExport", TypeRef::named_nn(EXPORT_ROW), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let id = string(&ctx, "id")?;
            let sp = savepoint(&db).await?;
            let res = fail_data_export(&sp, &id).await;
            let row = finish(sp, res, None).await?;
            row_out(&ctx, &db, EXPORTS, json!(row.id)).await
        })
    })
    .description("Marks an open export request FAILED.");
    id_arg(f, "id")
}

fn request_deletion() -> Field {
    Field::new(
        "requestDataDeletion",
        TypeRef::named_nn(DELETION_ROW),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let input = NewDeletionRequest {
                    user_id: string(&ctx, "userId")?,
                    scheduled_deletion_date: timestamp(
                        "scheduledDeletionDate",
                        &string(&ctx, "scheduledDeletionDate")?,
                    )?,
                    reason: opt_string(&ctx, "reason")?,
                };
                let sp = savepoint(&db).await?;
                let res = request_data_deletion(&sp, input).await;
                let row = finish(sp, res, None).await?;
                row_out(&ctx, &db, DELETIONS, json!(row.id)).await
            })
        },
    )
    .description(
        "Schedules the erasure (anonymisation) of a RenOS user at `scheduledDeletionDate` \
         (ISO 8601, not in the past); PENDING until executeDueDeletions runs after it.",
    )
    .argument(InputValue::new(
        "userId",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .argument(InputValue::new(
        "scheduledDeletionDate",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .argument(InputValue::new("reason", TypeRef::named(TypeRef::STRING)))
}

fn cancel_deletion() -> Field {
    let f = Field::new(
        "cancelDataDeletion",
        TypeRef::named_nn(DELETION_ROW),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let id = string(&ctx, "id")?;
                let sp = savepoint(&db).await?;
                let res = cancel_data_deletion(&sp, &id).await;
                let row = finish(sp, res, None).await?;
                row_out(&ctx, &db, DELETIONS, json!(row.id)).await
            })
        },
    )
    .description("Cancels a PENDING deletion request; other states are a CONFLICT.");
    id_arg(f, "id")
}

fn execute_deletions() -> Field {
    Field::new("executeDueDeletions", TypeRef::named_nn(RUN), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let sp = savepoint(&db).await?;
            let res = execute_due_deletions(&sp, service::clock::now()).await;
            let run = finish(sp, res, None).await?;
            object_out(json!({ "completed": run.completed, "failed": run.failed }))
        })
    })
    .description(
        "Executes every PENDING deletion request scheduled at or before now (server time): \
         anonymises each user (personal rows deleted, work records kept) and marks the \
         request COMPLETED; a request that fails is marked FAILED and the others go on.",
    )
}
