//! The root fields of a table under its schema's query object: `<one>(key)`, `<list>(...)`
//! (a connection) and `<list>Aggregate(...)`. Each runs one statement for its rows plus
//! one per relation field per level below (see `relations`).

use std::sync::Arc;

use async_graphql::SelectionField;
use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, InputValue, ResolverContext, TypeRef,
};
use serde_json::{Map, Value as Json};
use service::read::{AggregateQuery, ByPkQuery, Catalog, ListQuery, Reader, Table};

use super::errors::to_gql;
use super::relations::{NodeSel, preload};
use super::{RequestDb, aggregate, connection, filters, names, order, scalars, types};

fn args(ctx: &ResolverContext<'_>) -> Json {
    let mut map = Map::new();
    for (k, v) in ctx.args.iter() {
        if let Ok(j) = v.as_value().clone().into_json() {
            map.insert(k.to_string(), j);
        }
    }
    Json::Object(map)
}

fn request_db(ctx: &ResolverContext<'_>) -> async_graphql::Result<Arc<RequestDb>> {
    Ok(ctx.data::<Arc<RequestDb>>()?.clone())
}

/// The root fields of `t`.
pub fn fields(cat: &'static Catalog, t: &'static Table) -> Vec<Field> {
    vec![by_pk(cat, t), list(cat, t), aggregate_field(cat, t)]
}

fn by_pk(cat: &'static Catalog, t: &'static Table) -> Field {
    let mut f = Field::new(
        names::by_pk_field(t),
        TypeRef::named(names::type_name(t)),
        move |ctx| {
            FieldFuture::new(async move {
                let a = args(&ctx);
                let mut key = Map::new();
                for pk in &t.primary_key {
                    if let Some(c) = t.column(pk) {
                        key.insert(pk.clone(), scalars::from_input(c, &a[names::camel(pk)]));
                    }
                }
                let field = ctx.field();
                let sel = NodeSel::build(cat, t, &[field]).map_err(to_gql)?;
                let db = request_db(&ctx)?;
                let reader = Reader::new(&db.txn);
                let res = async {
                    let q = ByPkQuery {
                        table: t.key.clone(),
                        columns: sel.columns(t),
                        key,
                    };
                    let Some(row) = reader.by_pk(&q).await? else {
                        return Ok(None);
                    };
                    let mut rows = vec![row];
                    preload(&reader, t, &mut rows, &sel).await?;
                    Ok(rows.pop())
                }
                .await;
                db.count(&reader);
                Ok(res.map_err(to_gql)?.map(FieldValue::owned_any))
            })
        },
    );
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

fn node_fields<'a>(field: &SelectionField<'a>) -> Vec<SelectionField<'a>> {
    let mut out = Vec::new();
    for f in field.selection_set() {
        match f.name() {
            "nodes" => out.push(f),
            "edges" => out.extend(f.selection_set().filter(|g| g.name() == "node")),
            _ => {}
        }
    }
    out
}

fn list(cat: &'static Catalog, t: &'static Table) -> Field {
    let f = Field::new(
        names::list_field(t),
        TypeRef::named_nn(connection::connection_type(t)),
        move |ctx| {
            FieldFuture::new(async move {
                let a = args(&ctx);
                let field = ctx.field();
                let sel = NodeSel::build(cat, t, &node_fields(&field)).map_err(to_gql)?;
                let q = ListQuery {
                    table: t.key.clone(),
                    columns: sel.columns(t),
                    filter: filters::parse(cat, t, &a["filter"]).map_err(to_gql)?,
                    order: order::parse(t, &a["orderBy"]).map_err(to_gql)?,
                    page: connection::page(&a).map_err(to_gql)?,
                    with_total: field.selection_set().any(|s| s.name() == "totalCount"),
                    skip_row_cursors: !field.selection_set().any(|s| {
                        s.name() == "edges" && s.selection_set().any(|e| e.name() == "cursor")
                    }),
                };
                let db = request_db(&ctx)?;
                let reader = Reader::new(&db.txn);
                let res = async {
                    let mut c = reader.list(&q).await?;
                    preload(&reader, t, &mut c.rows, &sel).await?;
                    Ok(c)
                }
                .await;
                db.count(&reader);
                Ok(Some(FieldValue::owned_any(connection::to_json(
                    res.map_err(to_gql)?,
                ))))
            })
        },
    );
    types::nested_list_args(f, t)
        .argument(InputValue::new("first", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("after", TypeRef::named(TypeRef::STRING)))
        .argument(InputValue::new("last", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("before", TypeRef::named(TypeRef::STRING)))
}

fn aggregate_field(cat: &'static Catalog, t: &'static Table) -> Field {
    Field::new(
        format!("{}Aggregate", names::list_field(t)),
        TypeRef::named_nn_list_nn(aggregate::aggregate_type(t)),
        move |ctx| {
            FieldFuture::new(async move {
                let a = args(&ctx);
                let group_by = match a["groupBy"].as_str() {
                    Some(v) => Some(order::column_of(t, v).map_err(to_gql)?.name.clone()),
                    None => None,
                };
                let q = AggregateQuery {
                    table: t.key.clone(),
                    filter: filters::parse(cat, t, &a["filter"]).map_err(to_gql)?,
                    group_by,
                    aggregates: aggregate::requested(t, &ctx.field()),
                };
                let db = request_db(&ctx)?;
                let reader = Reader::new(&db.txn);
                let res = reader.aggregate(&q).await;
                db.count(&reader);
                Ok(Some(aggregate::values(res.map_err(to_gql)?)))
            })
        },
    )
    .argument(InputValue::new(
        "filter",
        TypeRef::named(filters::filter_type(t)),
    ))
    .argument(InputValue::new(
        "groupBy",
        TypeRef::named(order::field_enum_type(t)),
    ))
}
