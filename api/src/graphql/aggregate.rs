//! Aggregates: `<list>Aggregate(filter, groupBy)` → `[<Type>Aggregate!]!` with `group`
//! (JSON, the stored value), `count`, and `sum`/`avg` (numeric columns) and `min`/`max`
//! (ordered columns) objects; the selected aggregates are looked ahead and computed in
//! one statement.

use async_graphql::dynamic::{Field, FieldFuture, FieldValue, Object, TypeRef};
use serde_json::Value as Json;
use service::read::{AggregateFn, Column, ColumnKind, Table};

use super::{fields, names, scalars};

/// `RenosCustomerAggregate`.
pub fn aggregate_type(t: &Table) -> String {
    format!("{}Aggregate", names::type_name(t))
}

fn part_type(t: &Table, f: &str) -> String {
    format!("{}Aggregate{}", names::type_name(t), names::pascal(f))
}

/// The aggregate functions and the columns each applies to.
pub const FUNCTIONS: [(&str, AggregateFn); 4] = [
    ("sum", AggregateFn::Sum),
    ("avg", AggregateFn::Avg),
    ("min", AggregateFn::Min),
    ("max", AggregateFn::Max),
];

/// Whether `f` applies to `c`.
pub fn applies(f: AggregateFn, c: &Column) -> bool {
    c.readable
        && match f {
            AggregateFn::Sum | AggregateFn::Avg => c.kind.is_numeric(),
            AggregateFn::Min | AggregateFn::Max => {
                c.kind.is_orderable() && !matches!(c.kind, ColumnKind::Boolean | ColumnKind::Uuid)
            }
            AggregateFn::Count => true,
        }
}

fn result_type(t: &Table, f: AggregateFn, c: &Column) -> TypeRef {
    TypeRef::named(match (f, c.kind) {
        (AggregateFn::Sum | AggregateFn::Avg, ColumnKind::Numeric) => TypeRef::STRING.to_owned(),
        (AggregateFn::Avg, _) | (AggregateFn::Sum, ColumnKind::Float) => TypeRef::FLOAT.to_owned(),
        (AggregateFn::Sum, ColumnKind::BigInt) => scalars::BIGINT.to_owned(),
        (AggregateFn::Sum, _) => TypeRef::INT.to_owned(),
        _ => scalars::base_type(t, c),
    })
}

fn part_field(t: &Table, f: AggregateFn, fname: &str, c: &'static Column) -> Field {
    let key = format!("{fname}_{}", c.name);
    // Min/max are column values (enums, BigInt); a bigint sum is a BigInt too.
    let enum_like = matches!(f, AggregateFn::Min | AggregateFn::Max)
        || (f == AggregateFn::Sum && c.kind == ColumnKind::BigInt);
    Field::new(names::camel(&c.name), result_type(t, f, c), move |ctx| {
        let key = key.clone();
        FieldFuture::new(async move {
            let v = &fields::parent(&ctx)?[&key];
            Ok(if enum_like {
                scalars::to_gql(c, v)
            } else if v.is_null() {
                None
            } else {
                async_graphql::Value::from_json(v.clone()).ok()
            }
            .map(FieldValue::value))
        })
    })
}

/// The aggregate object types of a table.
pub fn objects(t: &'static Table) -> Vec<Object> {
    let mut out = Vec::new();
    let mut agg = Object::new(aggregate_type(t))
        .field(fields::value(
            "group",
            TypeRef::named(scalars::JSON),
            "group",
        ))
        .field(fields::value(
            "count",
            TypeRef::named_nn(TypeRef::INT),
            "count",
        ));
    for (fname, f) in FUNCTIONS {
        let cols: Vec<&'static Column> = t.columns.iter().filter(|c| applies(f, c)).collect();
        if cols.is_empty() {
            continue;
        }
        let mut part = Object::new(part_type(t, fname));
        for c in cols {
            part = part.field(part_field(t, f, fname, c));
        }
        out.push(part);
        agg = agg.field(fields::itself(
            fname,
            TypeRef::named_nn(part_type(t, fname)),
        ));
    }
    out.push(agg);
    out
}

/// The aggregates a selection asks for (`count` always, so a group's size is known).
pub fn requested(
    t: &Table,
    field: &async_graphql::SelectionField<'_>,
) -> Vec<(AggregateFn, Option<String>)> {
    let mut out = vec![(AggregateFn::Count, None)];
    for sub in field.selection_set() {
        let Some(&(_, f)) = FUNCTIONS.iter().find(|(n, _)| *n == sub.name()) else {
            continue;
        };
        for leaf in sub.selection_set() {
            if let Some(c) = t
                .columns
                .iter()
                .find(|c| applies(f, c) && names::camel(&c.name) == leaf.name())
            {
                let a = (f, Some(c.name.clone()));
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// Rows of the engine as the list's values.
pub fn values(rows: Vec<Json>) -> FieldValue<'static> {
    FieldValue::list(rows.into_iter().map(FieldValue::owned_any))
}
