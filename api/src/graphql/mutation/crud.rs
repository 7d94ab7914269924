//! Generic create, update, delete and upsert of every table through `service::write`.
//!
//! Per table (`renos.customers` → `RenosCustomer`), in its schema's mutation object
//! (`renos { ... }`), named with the type name minus the schema prefix:
//!
//! - `createCustomer(input: RenosCustomerInput!): RenosCustomer!`
//! - `updateCustomer(id: String!, patch: RenosCustomerPatch!): RenosCustomer!`
//! - `deleteCustomer(id: String!): RenosCustomer!`
//! - `upsertCustomer(input: RenosCustomerInput!, onConflict: [RenosCustomerColumn!]): RenosCustomer!`
//!
//! `<Type>Input` has every writable column (not secrets, not vectors), non-null where an
//! insert needs it; `<Type>Patch` the same columns minus the primary key, all optional
//! (an explicit `null` sets NULL); `<Type>Column` names the columns for `onConflict`
//! (default: the primary key). Tables whose insert needs a secret (`billy.organizations`,
//! `renos.users`, `vault.embeddings`, `flow.integrations`) have no create/upsert here.
//! The returned row resolves like a query's row, relation fields included (loaded after
//! the write, in the same transaction, one statement per relation field per level).

use std::sync::Arc;

use async_graphql::dynamic::{
    Enum, Field, FieldFuture, FieldValue, InputObject, InputValue, ResolverContext, Type, TypeRef,
};
use serde_json::{Map, Value as Json};
use service::read::{Catalog, Column, ColumnKind, Reader, Table};
use service::{Error, FieldError};

use crate::graphql::errors::to_gql;
use crate::graphql::relations::{NodeSel, preload};
use crate::graphql::{RequestDb, guard, names, scalars};

/// `RenosCustomerInput`.
pub fn input_type(t: &Table) -> String {
    format!("{}Input", names::type_name(t))
}

/// `RenosCustomerPatch`.
pub fn patch_type(t: &Table) -> String {
    format!("{}Patch", names::type_name(t))
}

/// `RenosCustomerColumn`.
pub fn column_enum_type(t: &Table) -> String {
    format!("{}Column", names::type_name(t))
}

/// The mutation field of `t` for `verb` (`createCustomer`): the verb and the type name
/// minus the schema prefix.
pub fn field_name(verb: &str, t: &Table) -> String {
    format!("{verb}{}", names::pascal(&names::singular(&t.name)))
}

/// The columns the generic mutations write.
fn writable(t: &Table) -> impl Iterator<Item = &Column> {
    t.columns.iter().filter(|c| service::write::writable(c))
}

/// The columns a patch may set (writable, not the primary key).
fn patchable(t: &Table) -> impl Iterator<Item = &Column> {
    writable(t).filter(|c| !t.primary_key.contains(&c.name))
}

/// Whether `t` gets create and upsert fields.
fn creatable(t: &Table) -> bool {
    service::write::insertable(t).unwrap_or(false) && writable(t).next().is_some()
}

/// The type of a column in an input: its GraphQL type, non-null only when `required`.
fn input_field_type(t: &Table, c: &Column, required: bool) -> TypeRef {
    let base = scalars::base_type(t, c);
    match (c.kind == ColumnKind::TextArray, required) {
        (true, true) => TypeRef::named_nn_list_nn(base),
        (true, false) => TypeRef::named_nn_list(base),
        (false, true) => TypeRef::named_nn(base),
        (false, false) => TypeRef::named(base),
    }
}

/// `<Type>Column`: the columns of the primary key and the unique constraints, for
/// `onConflict`; the description lists the accepted sets.
fn conflict_enum(t: &Table) -> Enum {
    let targets = service::write::info(t)
        .map(|i| i.conflict_targets.clone())
        .unwrap_or_else(|_| vec![t.primary_key.clone()]);
    let sets: Vec<String> = targets
        .iter()
        .map(|set| {
            let cols: Vec<String> = set.iter().map(|c| names::screaming(c)).collect();
            format!("[{}]", cols.join(", "))
        })
        .collect();
    Enum::new(column_enum_type(t))
        .description(format!(
            "Columns of {} for upsert onConflict; accepted sets: {}.",
            t.key,
            sets.join(" or ")
        ))
        .items(
            t.columns
                .iter()
                .filter(|c| targets.iter().any(|set| set.contains(&c.name)))
                .map(|c| names::screaming(&c.name)),
        )
}

/// The input types of the generic mutations: `<Type>Input`, `<Type>Patch`, `<Type>Column`.
pub fn types(cat: &'static Catalog) -> Vec<Type> {
    let mut out = Vec::new();
    for t in cat.tables() {
        if creatable(t) {
            let mut input = InputObject::new(input_type(t))
                .description(format!("A new row of {} (create, upsert).", t.key));
            for c in writable(t) {
                let required = service::write::required_on_insert(t, &c.name).unwrap_or(false);
                input = input.field(InputValue::new(
                    names::camel(&c.name),
                    input_field_type(t, c, required),
                ));
            }
            out.push(Type::from(input));
            out.push(Type::from(conflict_enum(t)));
        }
        if patchable(t).next().is_some() {
            let mut patch = InputObject::new(patch_type(t)).description(format!(
                "Columns of {} to change; absent ones are kept, null sets NULL.",
                t.key
            ));
            for c in patchable(t) {
                patch = patch.field(InputValue::new(
                    names::camel(&c.name),
                    input_field_type(t, c, false),
                ));
            }
            out.push(Type::from(patch));
        }
    }
    out
}

/// `create<Type>`, `update<Type>`, `delete<Type>`, `upsert<Type>` of `t`.
pub fn fields(cat: &'static Catalog, t: &'static Table) -> Vec<Field> {
    let mut out = Vec::new();
    if creatable(t) {
        out.push(create(cat, t));
        out.push(upsert(cat, t));
    }
    if patchable(t).next().is_some() {
        out.push(update(cat, t));
    }
    out.push(delete(cat, t));
    out
}

fn row_type(t: &Table) -> TypeRef {
    TypeRef::named_nn(names::type_name(t))
}

/// The primary key arguments of `f` (`id: String!`, or every column of a composite key).
fn key_args(t: &Table, mut f: Field) -> Field {
    for pk in &t.primary_key {
        if let Some(c) = t.column(pk) {
            f = f.argument(InputValue::new(
                names::camel(pk),
                TypeRef::named_nn(scalars::base_type(t, c)),
            ));
        }
    }
    f
}

/// Argument `name` as JSON (`Null` when absent).
fn arg(ctx: &ResolverContext<'_>, name: &str) -> Json {
    ctx.args
        .get(name)
        .and_then(|v| v.as_value().clone().into_json().ok())
        .unwrap_or(Json::Null)
}

/// An input object (camelCase fields, enum names) as the engine's column map (snake_case
/// names, stored enum text). Every field present is kept, explicit nulls included.
fn columns_of(t: &Table, v: &Json) -> Map<String, Json> {
    let mut out = Map::new();
    if let Json::Object(fields) = v {
        for (k, v) in fields {
            match t.columns.iter().find(|c| names::camel(&c.name) == *k) {
                Some(c) => out.insert(c.name.clone(), scalars::from_input(c, v)),
                None => out.insert(k.clone(), v.clone()),
            };
        }
    }
    out
}

/// The primary key arguments as the engine's key map.
fn key_of(ctx: &ResolverContext<'_>, t: &Table) -> Map<String, Json> {
    let mut key = Map::new();
    for pk in &t.primary_key {
        if let Some(c) = t.column(pk) {
            key.insert(
                pk.clone(),
                scalars::from_input(c, &arg(ctx, &names::camel(pk))),
            );
        }
    }
    key
}

/// The engine's field names as the client's: `key.id` → `id` (the argument), a column →
/// `<arg>.<camelCase>` (`input.totalRevenue`), `on_conflict` → `onConflict`; others (a
/// constraint name from the database) unchanged.
fn client_error(t: &Table, input_arg: &str, e: Error) -> Error {
    let Error::Validation { fields } = e else {
        return e;
    };
    let rename = |field: &str| -> String {
        if let Some(pk) = field.strip_prefix("key.") {
            return names::camel(pk);
        }
        if field == "on_conflict" {
            return "onConflict".to_owned();
        }
        if t.column(field).is_some() {
            return format!("{input_arg}.{}", names::camel(field));
        }
        field.to_owned()
    };
    Error::Validation {
        fields: fields
            .into_iter()
            .map(|f| FieldError::new(rename(&f.field), f.message))
            .collect(),
    }
}

/// The written row as the field's value, its selected relations loaded.
async fn respond(
    ctx: &ResolverContext<'_>,
    cat: &'static Catalog,
    t: &'static Table,
    db: &Arc<RequestDb>,
    row: Json,
) -> async_graphql::Result<Option<FieldValue<'static>>> {
    let sel = NodeSel::build(cat, t, &[ctx.field()]).map_err(to_gql)?;
    let reader = Reader::new(&db.txn);
    let mut rows = vec![row];
    let res = preload(&reader, t, &mut rows, &sel).await;
    db.count(&reader);
    res.map_err(to_gql)?;
    Ok(rows.pop().map(FieldValue::owned_any))
}

fn create(cat: &'static Catalog, t: &'static Table) -> Field {
    Field::new(field_name("create", t), row_type(t), move |ctx| {
        FieldFuture::new(async move {
            let db = guard::authorize(&ctx, guard::Action::Write(t))?;
            let values = columns_of(t, &arg(&ctx, "input"));
            let row = service::write::insert(&db.txn, &t.key, values)
                .await
                .map_err(|e| to_gql(client_error(t, "input", e)))?;
            respond(&ctx, cat, t, &db, row).await
        })
    })
    .description(format!("Inserts a row into {}.", t.key))
    .argument(InputValue::new("input", TypeRef::named_nn(input_type(t))))
}

fn upsert(cat: &'static Catalog, t: &'static Table) -> Field {
    Field::new(field_name("upsert", t), row_type(t), move |ctx| {
        FieldFuture::new(async move {
            let db = guard::authorize(&ctx, guard::Action::Write(t))?;
            let values = columns_of(t, &arg(&ctx, "input"));
            let conflict: Vec<String> = arg(&ctx, "onConflict")
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Json::as_str)
                        .map(|v| {
                            t.columns
                                .iter()
                                .find(|c| names::screaming(&c.name) == v)
                                .map_or_else(|| v.to_owned(), |c| c.name.clone())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let row = service::write::upsert(&db.txn, &t.key, values, &conflict)
                .await
                .map_err(|e| to_gql(client_error(t, "input", e)))?;
            respond(&ctx, cat, t, &db, row).await
        })
    })
    .description(format!(
        "Inserts a row into {}, or updates the given columns of the row with the same \
         onConflict columns (default: the primary key; else a unique constraint).",
        t.key
    ))
    .argument(InputValue::new("input", TypeRef::named_nn(input_type(t))))
    .argument(InputValue::new(
        "onConflict",
        TypeRef::named_nn_list(column_enum_type(t)),
    ))
}

fn update(cat: &'static Catalog, t: &'static Table) -> Field {
    let f = Field::new(field_name("update", t), row_type(t), move |ctx| {
        FieldFuture::new(async move {
            let db = guard::authorize(&ctx, guard::Action::Write(t))?;
            let key = key_of(&ctx, t);
            let patch = columns_of(t, &arg(&ctx, "patch"));
            let row = service::write::update(&db.txn, &t.key, key, patch)
                .await
                .map_err(|e| to_gql(client_error(t, "patch", e)))?;
            respond(&ctx, cat, t, &db, row).await
        })
    })
    .description(format!("Changes a row of {} by its primary key.", t.key));
    key_args(t, f).argument(InputValue::new("patch", TypeRef::named_nn(patch_type(t))))
}

fn delete(cat: &'static Catalog, t: &'static Table) -> Field {
    let f = Field::new(field_name("delete", t), row_type(t), move |ctx| {
        FieldFuture::new(async move {
            let db = guard::authorize(&ctx, guard::Action::Write(t))?;
            let key = key_of(&ctx, t);
            let row = service::write::delete(&db.txn, &t.key, key)
                .await
                .map_err(|e| to_gql(client_error(t, "input", e)))?;
            respond(&ctx, cat, t, &db, row).await
        })
    })
    .description(format!(
        "Deletes a row of {} by its primary key and returns it.",
        t.key
    ));
    key_args(t, f)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashSet;

    use service::read::catalog;

    use super::*;

    #[test]
    fn names_are_unique_and_do_not_collide_with_read_types() {
        let cat = catalog().unwrap();
        let mut taken: HashSet<String> = HashSet::new();
        for t in cat.tables() {
            let ty = names::type_name(t);
            for suffix in [
                "",
                "Filter",
                "OrderBy",
                "OrderField",
                "Connection",
                "Edge",
                "List",
            ] {
                taken.insert(format!("{ty}{suffix}"));
            }
            taken.insert(format!("{ty}Aggregate"));
            for c in t.columns.iter().filter(|c| scalars::is_enum(c)) {
                taken.insert(names::enum_type(t, &c.name));
                taken.insert(format!("{}Comparison", names::enum_type(t, &c.name)));
            }
        }
        let mut mine = HashSet::new();
        for t in cat.tables() {
            for n in [input_type(t), patch_type(t), column_enum_type(t)] {
                assert!(!taken.contains(&n), "{n} collides with a read type");
                assert!(mine.insert(n.clone()), "{n} twice");
            }
        }
        let mut per_schema: HashSet<(String, String)> = HashSet::new();
        for t in cat.tables() {
            for verb in ["create", "update", "delete", "upsert"] {
                assert!(per_schema.insert((t.schema.clone(), field_name(verb, t))));
            }
        }
    }

    #[test]
    fn field_names_and_creatable_tables() {
        let cat = catalog().unwrap();
        let customers = cat.table("renos.customers").unwrap();
        assert_eq!(field_name("create", customers), "createCustomer");
        let sync = cat.table("vault.sync_status").unwrap();
        assert_eq!(field_name("upsert", sync), "upsertSyncStatus");
        assert!(creatable(customers));
        for key in ["billy.organizations", "renos.users", "vault.embeddings"] {
            assert!(!creatable(cat.table(key).unwrap()), "{key}");
        }
    }

    #[test]
    fn validation_fields_are_renamed_for_clients() {
        let cat = catalog().unwrap();
        let t = cat.table("renos.customers").unwrap();
        let e = client_error(
            t,
            "patch",
            Error::Validation {
                fields: vec![
                    FieldError::new("key.id", "required"),
                    FieldError::new("total_revenue", "expected a number"),
                    FieldError::new("on_conflict", "x"),
                    FieldError::new("leads_customer_id", "refers to ..."),
                ],
            },
        );
        let Error::Validation { fields } = e else {
            panic!("not a validation error");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "patch.totalRevenue",
                "onConflict",
                "leads_customer_id"
            ]
        );
    }
}
