//! `GET`/`POST /graphql`: authenticates the caller, reads the request within the body
//! limit, runs it in one transaction (read-only and repeatable-read for queries: one
//! snapshot for all statements; read-write for mutations, committed only when no field
//! failed) with the caller's role and tenant set for row-level security, and reports the
//! statements its resolvers ran as `extensions.sqlStatements`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Response, ServerError, Value};
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;

use super::request::{self, BadRequest, Kind};
use super::{RequestDb, errors, schema, session};
use crate::app::AppState;
use crate::auth::{AuthError, Role};
use crate::metrics::GraphqlErrorCodes;

fn failed(status: StatusCode, code: &str, message: &str) -> axum::response::Response {
    let mut err = ServerError::new(message, None);
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    let mut resp = respond(Response::from_errors(vec![err]));
    *resp.status_mut() = status;
    resp
}

fn internal() -> axum::response::Response {
    failed(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error",
    )
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
    req: Request<Body>,
) -> axum::response::Response {
    let who = match state.auth.principal(req.headers(), &state.db).await {
        Ok(p) => p,
        Err(AuthError::Unauthenticated(why)) => {
            tracing::info!(reason = %why, "graphql: credentials refused");
            return failed(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "missing or invalid credentials",
            );
        }
        Err(AuthError::Lookup(e)) => {
            tracing::error!(error = %e, "graphql: credential lookup");
            return internal();
        }
    };
    if who.role == Role::Anonymous {
        return failed(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "this endpoint needs a Bearer token or an API key",
        );
    }
    let get = req.method() == axum::http::Method::GET;
    let mut gql = match request::read(req, state.limits.max_body_bytes).await {
        Ok(r) => r,
        Err(BadRequest::TooLarge) => {
            return failed(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "request body too large",
            );
        }
        Err(BadRequest::Malformed(why)) => {
            return failed(StatusCode::BAD_REQUEST, "BAD_REQUEST", why);
        }
    };
    let kind = request::kind(&mut gql);
    if get && kind == Kind::Mutation {
        return failed(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations must be sent with POST",
        );
    }
    let schema = match schema(state.limits.introspection) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "graphql schema");
            return internal();
        }
    };
    let txn = match session::begin(&state.db, kind, &who, state.limits.statement_timeout_ms).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "graphql transaction");
            return internal();
        }
    };
    let db = Arc::new(RequestDb {
        txn,
        statements: AtomicUsize::new(0),
    });
    let started = Arc::new(errors::ExecutionStarted::default());
    let gql = gql
        .data(db.clone())
        .data(who)
        .data(state.services.clone())
        .data(started.clone());
    let mut resp = schema.execute(gql).await;
    let statements = db.statements.load(Ordering::Relaxed);
    match Arc::try_unwrap(db) {
        Ok(db) if kind == Kind::Mutation && !resp.errors.is_empty() => {
            if let Err(e) = db.txn.rollback().await {
                tracing::error!(error = %e, "graphql rollback");
            }
        }
        Ok(db) => {
            if let Err(e) = db.txn.commit().await {
                tracing::error!(error = %e, "graphql commit");
                return internal();
            }
        }
        // Not expected: the request data is dropped with the request. The transaction is
        // rolled back when the last reference goes.
        Err(_) => {
            tracing::error!("graphql transaction still referenced after execution");
            if kind == Kind::Mutation {
                return internal();
            }
        }
    }
    resp.extensions.insert(
        "sqlStatements".to_owned(),
        Value::from(u64::try_from(statements).unwrap_or(u64::MAX)),
    );
    errors::tag_codes(&mut resp, started.happened());
    respond(resp)
}
