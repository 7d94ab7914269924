//! Errors: `service::Error` to GraphQL errors with `extensions.code`, and codes for the
//! errors async-graphql raises itself (limits, validation). Database text never reaches
//! clients: the service error's display is safe by construction.

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

/// Gives every error of `resp` without a code one: `DEPTH_LIMIT_EXCEEDED`,
/// `COMPLEXITY_LIMIT_EXCEEDED`, `GRAPHQL_VALIDATION` (errors before execution, no path)
/// or `INTERNAL`. An `INTERNAL` error's text (an error converted by `?` somewhere, which
/// could be anything) is logged and replaced, so no such text reaches the client.
pub fn tag_codes(resp: &mut Response) {
    for err in &mut resp.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_some() {
            continue;
        }
        let code =
            if err.message.contains("nested too deep") || err.message.contains("recursion depth") {
                "DEPTH_LIMIT_EXCEEDED"
            } else if err.message.contains("too complex") {
                "COMPLEXITY_LIMIT_EXCEEDED"
            } else if err.path.is_empty() {
                "GRAPHQL_VALIDATION"
            } else {
                tracing::error!(message = %err.message, path = ?err.path, "uncoded GraphQL error");
                err.message = INTERNAL_MESSAGE.to_owned();
                "INTERNAL"
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
    fn uncoded_errors_get_a_code_and_internal_text_is_replaced() {
        let mut resp = Response::from_errors(vec![
            error(
                "error returned from database: relation \"x\" does not exist",
                vec![PathSegment::Field("renos".into())],
            ),
            error("Unknown field \"nope\" on type \"Query\"", vec![]),
            error("Query is nested too deep.", vec![]),
        ]);
        tag_codes(&mut resp);
        let got: Vec<(Option<String>, &str)> = resp
            .errors
            .iter()
            .map(|e| (code(e), e.message.as_str()))
            .collect();
        assert_eq!(got[0], (Some("INTERNAL".into()), INTERNAL_MESSAGE));
        assert_eq!(got[1].0.as_deref(), Some("GRAPHQL_VALIDATION"));
        assert!(
            got[1].1.contains("nope"),
            "validation text kept: {}",
            got[1].1
        );
        assert_eq!(got[2].0.as_deref(), Some("DEPTH_LIMIT_EXCEEDED"));
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
        tag_codes(&mut resp);
        assert_eq!(code(&resp.errors[0]).as_deref(), Some("VALIDATION"));
        assert!(
            resp.errors[0]
                .message
                .contains("limit: must be between 1 and 100")
        );
    }
}
