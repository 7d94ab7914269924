//! `GET`/`POST /graphql`: every request runs in one read-only, repeatable-read
//! transaction (one snapshot for all its statements; the place tenant settings for RLS
//! will go), and reports the statements it ran as `extensions.sqlStatements`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Response, ServerError, Value};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::response::IntoResponse;
use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};

use super::{RequestDb, errors, schema};
use crate::app::AppState;
use crate::metrics::GraphqlErrorCodes;

fn failed(code: &str, message: &str) -> axum::response::Response {
    let mut err = ServerError::new(message, None);
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    respond(Response::from_errors(vec![err]))
}

/// The HTTP response, carrying the errors' codes for the metrics middleware.
fn respond(resp: Response) -> axum::response::Response {
    let codes = GraphqlErrorCodes(
        resp.errors
            .iter()
            .map(
                |e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
                    Some(Value::String(code)) => code.clone(),
                    _ => "UNKNOWN".to_owned(),
                },
            )
            .collect(),
    );
    let mut http = GraphQLResponse::from(resp).into_response();
    http.extensions_mut().insert(codes);
    http
}

/// Executes one GraphQL request.
pub async fn graphql(
    State(state): State<AppState>,
    req: GraphQLRequest,
) -> axum::response::Response {
    let schema = match schema(true) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "graphql schema");
            return failed("INTERNAL", "internal error");
        }
    };
    let txn = match state
        .db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "graphql transaction");
            return failed("INTERNAL", "internal error");
        }
    };
    let db = Arc::new(RequestDb {
        txn,
        statements: AtomicUsize::new(0),
    });
    let mut resp = schema.execute(req.into_inner().data(db.clone())).await;
    let statements = db.statements.load(Ordering::Relaxed);
    match Arc::try_unwrap(db) {
        Ok(db) => {
            if let Err(e) = db.txn.commit().await {
                tracing::error!(error = %e, "graphql commit");
            }
        }
        // Not expected: the request data is dropped with the request. The transaction is
        // rolled back when the last reference goes (it only read).
        Err(_) => tracing::warn!("graphql transaction still referenced after execution"),
    }
    resp.extensions.insert(
        "sqlStatements".to_owned(),
        Value::from(u64::try_from(statements).unwrap_or(u64::MAX)),
    );
    errors::tag_codes(&mut resp);
    respond(resp)
}
