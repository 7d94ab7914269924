//! The committed SDL (`api/schema.graphql`) is the schema the server builds: a change to the
//! model or the GraphQL layer must come with a regenerated SDL
//! (`cargo run -p api --bin print_sdl > api/schema.graphql`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn committed_sdl_matches_the_built_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap();
    let built = format!("{}\n", api::graphql::sdl().unwrap());
    assert!(
        committed == built,
        "api/schema.graphql is stale: run `cargo run -p api --bin print_sdl > api/schema.graphql`"
    );
}

/// The field names of `type <name> { ... }` in `sdl`.
fn fields_of(sdl: &str, name: &str) -> Vec<String> {
    let head = format!("type {name} {{");
    let body = sdl
        .split(&head)
        .nth(1)
        .unwrap_or_else(|| panic!("no type {name}"));
    let body = &body[..body.find('}').unwrap()];
    body.lines()
        .filter_map(|l| l.trim().split(['(', ':']).next())
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_sdl_never_exposes_secret_or_vector_columns() {
    let sdl = api::graphql::sdl().unwrap();
    assert!(!sdl.contains("billyApiKey") && !sdl.contains("passwordHash"));
    let cases = [
        ("BillyOrganization", "billyApiKey"),
        ("RenosUser", "passwordHash"),
        ("FlowWebhook", "secret"),
        ("FlowIntegration", "config"),
        ("VaultEmbedding", "embedding"),
    ];
    for (ty, field) in cases {
        let fields = fields_of(&sdl, ty);
        assert!(fields.len() > 3, "{ty} has fields: {fields:?}");
        assert!(
            !fields.iter().any(|f| f == field),
            "{ty}.{field} is exposed"
        );
    }
    assert!(
        fields_of(&sdl, "BillyOrganization")
            .iter()
            .any(|f| f == "apiKeyRotatedAt")
    );
}

/// The number of fields of the object type `name` in the built schema (by introspection).
async fn field_count(schema: &async_graphql::dynamic::Schema, name: &str) -> usize {
    let res = schema
        .execute(format!(
            r#"{{ __type(name: "{name}") {{ fields {{ name }} }} }}"#
        ))
        .await;
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    let data = res.data.into_json().unwrap();
    data["__type"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no type {name}"))
        .len()
}

/// A name used twice in one object (say a table's root field and an operation) makes
/// async-graphql panic while the schema is built, at server start: every field the
/// builders make is in the schema, once.
#[tokio::test]
async fn every_built_field_is_in_the_schema_once() {
    use api::graphql::{gdpr_export, mutation, names, root, search};
    let cat = service::read::catalog().unwrap();
    let schema = api::graphql::schema(true).unwrap();
    let mutations = mutation::fields(cat);
    for (s, fields) in &mutations {
        let ty = names::schema_mutation_type(s);
        assert_eq!(field_count(&schema, &ty).await, fields.len(), "{ty}");
    }
    let mut schemas: Vec<&str> = cat.tables().iter().map(|t| t.schema.as_str()).collect();
    schemas.dedup();
    for s in schemas {
        let mut built: usize = cat
            .tables()
            .iter()
            .filter(|t| t.schema == s)
            .map(|t| root::fields(cat, t).len())
            .sum();
        if s == search::SCHEMA {
            built += search::fields().len();
        }
        if s == gdpr_export::SCHEMA {
            built += 1;
        }
        let ty = names::schema_type(s);
        assert_eq!(field_count(&schema, &ty).await, built, "{ty}");
    }
}
