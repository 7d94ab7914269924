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

/// An internal error (a broken invariant of the schema), reported as `INTERNAL`.
pub fn internal(what: &str) -> async_graphql::Error {
    to_gql(service::Error::internal(&what))
}

/// Gives every error of `resp` without a code one: `DEPTH_LIMIT_EXCEEDED`,
/// `COMPLEXITY_LIMIT_EXCEEDED`, `GRAPHQL_VALIDATION` (errors before execution, no path)
/// or `INTERNAL`.
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
                "INTERNAL"
            };
        ext.set("code", code);
    }
}
