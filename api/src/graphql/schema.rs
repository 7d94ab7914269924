//! The schema, built once from the read engine's catalog: per table its row object,
//! enums, filter/order inputs, connection/list/aggregate types; per schema a query object
//! (`renos: RenosQuery!`) holding the tables' root fields.

use std::collections::{BTreeMap, HashSet};

use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, Object, ResolverContext, Schema, TypeRef,
};
use service::read::catalog;

use super::{
    aggregate, connection, errors, filters, gdpr_export, mutation, names, order, root, scalars,
    search, types,
};

/// Deepest query accepted (standard introspection fits).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted (one point per selected field).
pub const MAX_COMPLEXITY: usize = 5000;

/// Builds the schema; an error text when the catalog does not load or names collide.
/// Without `introspection`, `__schema` and `__type` are refused.
pub fn build(introspection: bool) -> Result<Schema, String> {
    let cat = catalog().map_err(|e| format!("catalog: {e}"))?;
    let mutations = mutation::fields(cat);
    let has_mutations = mutations.values().any(|f| !f.is_empty());
    let mut builder = Schema::build("Query", has_mutations.then_some("Mutation"), None);
    let mut type_names = HashSet::new();
    let mut check = |name: String| {
        if type_names.insert(name.clone()) {
            Ok(())
        } else {
            Err(format!("duplicate GraphQL type {name}"))
        }
    };
    for s in scalars::scalars() {
        builder = builder.register(s);
    }
    for c in filters::comparisons() {
        builder = builder.register(c);
    }
    for e in order::shared_enums() {
        builder = builder.register(e);
    }
    builder = builder.register(connection::page_info());
    let mut per_schema: BTreeMap<&str, Object> = BTreeMap::new();
    for t in cat.tables() {
        check(names::type_name(t))?;
        for e in types::enums(t) {
            builder = builder.register(e);
        }
        for c in t
            .columns
            .iter()
            .filter(|c| c.readable && scalars::is_enum(c))
        {
            check(names::enum_type(t, &c.name))?;
            builder = builder.register(filters::enum_comparison(t, c));
        }
        builder = builder
            .register(types::object(cat, t))
            .register(types::list_object(t))
            .register(filters::filter_input(cat, t));
        let (e, i) = order::types(t);
        builder = builder.register(e).register(i);
        for o in connection::objects(t) {
            builder = builder.register(o);
        }
        for o in aggregate::objects(t) {
            builder = builder.register(o);
        }
        let mut q = per_schema
            .remove(t.schema.as_str())
            .unwrap_or_else(|| Object::new(names::schema_type(&t.schema)));
        for f in root::fields(cat, t) {
            q = q.field(f);
        }
        per_schema.insert(t.schema.as_str(), q);
    }
    for o in search::objects() {
        check(o.type_name().to_owned())?;
        builder = builder.register(o);
    }
    let vault = per_schema
        .remove(search::SCHEMA)
        .ok_or_else(|| format!("no {} tables for the search fields", search::SCHEMA))?;
    per_schema.insert(
        search::SCHEMA,
        search::fields().into_iter().fold(vault, Object::field),
    );
    let renos = per_schema
        .remove(gdpr_export::SCHEMA)
        .ok_or_else(|| format!("no {} tables for the export field", gdpr_export::SCHEMA))?;
    per_schema.insert(gdpr_export::SCHEMA, renos.field(gdpr_export::field()));
    let mut query = Object::new("Query");
    for (schema, obj) in per_schema {
        query = query.field(Field::new(
            names::camel(schema),
            TypeRef::named_nn(names::schema_type(schema)),
            schema_root,
        ));
        builder = builder.register(obj);
    }
    if has_mutations {
        for ty in mutation::types(cat) {
            builder = builder.register(ty);
        }
        let mut root = Object::new("Mutation");
        for (schema, fields) in mutations.into_iter().filter(|(_, f)| !f.is_empty()) {
            let name = names::schema_mutation_type(&schema);
            check(name.clone())?;
            root = root.field(Field::new(
                names::camel(&schema),
                TypeRef::named_nn(name.clone()),
                schema_root,
            ));
            builder = builder.register(fields.into_iter().fold(Object::new(name), Object::field));
        }
        builder = builder.register(root);
    }
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder
        .register(query)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
        .map_err(|e| format!("schema: {e}"))
}

/// The resolver of a schema's root field (`renos`, `vault`, ...): an empty object whose
/// fields do the work; marks the request's [`ExecutionStarted`](errors::ExecutionStarted).
fn schema_root(ctx: ResolverContext<'_>) -> FieldFuture<'_> {
    if let Ok(started) = ctx.data::<Arc<errors::ExecutionStarted>>() {
        started.mark();
    }
    FieldFuture::new(async { Ok(Some(FieldValue::owned_any(()))) })
}
