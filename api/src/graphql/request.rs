//! Reading a GraphQL request off HTTP: the body within the size limit (`POST`, JSON) or the
//! query string (`GET`), and whether its operation is a query or a mutation.

use async_graphql::Request;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::body::Body;
use axum::http::{Method, Request as HttpRequest};

/// Why a request could not be read; each has a stable code.
#[derive(Debug)]
pub enum BadRequest {
    /// The body is larger than the limit: `PAYLOAD_TOO_LARGE` (413).
    TooLarge,
    /// Not a GraphQL request: `BAD_REQUEST` (400).
    Malformed(&'static str),
}

/// What the operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
}

/// Reads the request: `GET` from the query string, `POST` from a JSON body of at most
/// `max_body` bytes.
pub async fn read(req: HttpRequest<Body>, max_body: usize) -> Result<Request, BadRequest> {
    if req.method() == Method::GET {
        let query = req.uri().query().unwrap_or_default();
        return async_graphql::http::parse_query_string(query)
            .map_err(|_| BadRequest::Malformed("query string is not a GraphQL request"));
    }
    let bytes = axum::body::to_bytes(req.into_body(), max_body)
        .await
        .map_err(|_| BadRequest::TooLarge)?;
    serde_json::from_slice::<Request>(&bytes)
        .map_err(|_| BadRequest::Malformed("body is not a JSON GraphQL request"))
}

/// Whether the operation `req` will run is a mutation. A document that does not parse, or
/// names no operation it has, counts as a query: execution reports the error.
pub fn kind(req: &mut Request) -> Kind {
    let name = req.operation_name.clone();
    let Ok(doc) = req.parsed_query() else {
        return Kind::Query;
    };
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    match op.map(|op| op.node.ty) {
        Some(OperationType::Mutation) => Kind::Mutation,
        _ => Kind::Query,
    }
}
