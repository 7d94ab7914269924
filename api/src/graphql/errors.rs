//! Errors: `service::Error` to GraphQL errors with `extensions.code`, and codes for the
//! errors async-graphql raises itself (limits, validation). Database text never reaches
//! clients: the service error's display is safe by construction.

use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::{ErrorExtensions, Response, Value};

/// A service error as a GraphQL error: the message, `extensions.code`, and for validation
/// errors `extensions.fields` (`[{field, message}]`).
pub fn to_gql(e: service::Error) -> async_graphql::Error {
    let code = e.code().as_str();
    let (message, fields) = match &e {
        service::Error::Validation { fields } => {
            let text: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            (
                format!("invalid input: {}", text.join("; ")),
                serde_json::to_value(fields).ok(),
            )
        }
        other => (other.to_string(), None),
    };
    async_graphql::Error::new(message).extend_with(move |_, ext| {
        ext.set("code", code);
        if let Some(f) = fields.clone().and_then(|f| Value::from_json(f).ok()) {
            ext.set("fields", f);
        }
    })
}

/// The text clients see for an error without a code.
pub const INTERNAL_MESSAGE: &str = "internal error";

/// An internal error (a broken invariant of the schema), reported as `INTERNAL`.
pub fn internal(what: &str) -> async_graphql::Error {
    to_gql(service::Error::internal(&what))
}

/// Request data marked by the root fields (`renos`, `vault`, ...) when they resolve, which
/// every executed operation does first: errors of a response whose execution started come
/// from resolvers; errors of one whose execution never started come from parsing and
/// validation. (async-graphql's dynamic schema gives resolver errors no path, so the path
/// cannot tell them apart.)
#[derive(Debug, Default)]
pub struct ExecutionStarted(AtomicBool);

impl ExecutionStarted {
    /// Records that a root field resolved.
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether a root field resolved.
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Gives every error of `resp` without a code one. Before execution (`executed` false):
/// `DEPTH_LIMIT_EXCEEDED`, `COMPLEXITY_LIMIT_EXCEEDED` or `GRAPHQL_VALIDATION`, text kept.
/// During execution: `INTERNAL` — an error converted by `?` somewhere, which could say
/// anything, so its text is logged and replaced and no such text reaches the client.
pub fn tag_codes(resp: &mut Response, executed: bool) {
    for err in &mut resp.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_some() {
            continue;
        }
        let code = if executed {
            tracing::error!(message = %err.message, path = ?err.path, "uncoded GraphQL error");
            err.message = INTERNAL_MESSAGE.to_owned();
            "INTERNAL"
        } else if err.message.contains("nested too deep") || err.message.contains("recursion depth")
        {
            "DEPTH_LIMIT_EXCEEDED"
        } else if err.message.contains("too complex") {
            "COMPLEXITY_LIMIT_EXCEEDED"
        } else {
            "GRAPHQL_VALIDATION"
        };
        ext.set("code", code);
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{PathSegment, Pos, Response, ServerError};

    use super::*;

    fn error(message: &str, path: Vec<PathSegment>) -> ServerError {
        let mut e = ServerError::new(message, Some(Pos { line: 1, column: 1 }));
        e.path = path;
        e
    }

    fn code(e: &ServerError) -> Option<String> {
        match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn uncoded_errors_before_execution_keep_their_text() {
        let mut resp = Response::from_errors(vec![
            error("Unknown field \"nope\" on type \"Query\"", vec![]),
            error("Query is nested too deep.", vec![]),
            error("Query is too complex.", vec![]),
        ]);
        tag_codes(&mut resp, false);
        let got: Vec<(Option<String>, &str)> = resp
            .errors
            .iter()
            .map(|e| (code(e), e.message.as_str()))
            .collect();
        assert_eq!(got[0].0.as_deref(), Some("GRAPHQL_VALIDATION"));
        assert!(
            got[0].1.contains("nope"),
            "validation text kept: {}",
            got[0].1
        );
        assert_eq!(got[1].0.as_deref(), Some("DEPTH_LIMIT_EXCEEDED"));
        assert_eq!(got[2].0.as_deref(), Some("COMPLEXITY_LIMIT_EXCEEDED"));
    }

    #[test]
    fn uncoded_errors_of_execution_are_internal_without_their_text() {
        // As async-graphql's dynamic schema reports a resolver's error: no path.
        let mut resp = Response::from_errors(vec![error(
            "error returned from database: relation \"x\" does not exist",
            vec![],
        )]);
        tag_codes(&mut resp, true);
        assert_eq!(code(&resp.errors[0]).as_deref(), Some("INTERNAL"));
        assert_eq!(resp.errors[0].message, INTERNAL_MESSAGE);
        let started = ExecutionStarted::default();
        assert!(!started.happened());
        started.mark();
        assert!(started.happened());
    }

    #[test]
    fn coded_errors_keep_their_code_and_text() {
        let coded = to_gql(service::Error::invalid(
            "limit",
            "must be between 1 and 100",
        ));
        let mut resp =
            Response::from_errors(vec![coded.into_server_error(Pos { line: 1, column: 1 })]);
        resp.errors[0].path = vec![PathSegment::Field("vault".into())];
        tag_codes(&mut resp, true);
        assert_eq!(code(&resp.errors[0]).as_deref(), Some("VALIDATION"));
        assert!(
            resp.errors[0]
                .message
                .contains("limit: must be between 1 and 100")
        );
    }
}
