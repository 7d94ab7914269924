//! Filter inputs: `<Type>Filter { and, or, not, <column>: <Scalar>Comparison,
//! <relation>: <Target>Filter }`, and their translation into the engine's `Filter`.

use async_graphql::dynamic::{InputObject, InputValue, TypeRef};
use serde_json::Value as Json;
use service::read::{Catalog, Column, ColumnKind, Filter, Op, Table};
use service::{Error, Result};

use super::{names, scalars};

/// The input type name of a table's filter (`RenosCustomerFilter`).
pub fn filter_type(t: &Table) -> String {
    format!("{}Filter", names::type_name(t))
}

/// The comparison input type of a column (`StringComparison`, `RenosBookingStatusComparison`).
pub fn comparison_type(t: &Table, c: &Column) -> String {
    if c.kind == ColumnKind::TextArray {
        return "StringListComparison".to_owned();
    }
    format!("{}Comparison", scalars::base_type(t, c))
}

fn comparison(name: &str, value: &str, ordered: bool, like: bool, list: bool) -> InputObject {
    let ty = |nn: bool| {
        if list {
            TypeRef::named_nn_list(value)
        } else if nn {
            TypeRef::named_nn(value)
        } else {
            TypeRef::named(value)
        }
    };
    let mut o = InputObject::new(name)
        .field(InputValue::new("eq", ty(false)))
        .field(InputValue::new("ne", ty(false)))
        .field(InputValue::new("isNull", TypeRef::named(TypeRef::BOOLEAN)));
    if !list {
        o = o.field(InputValue::new("in", TypeRef::named_nn_list(value)));
    }
    if ordered {
        for op in ["lt", "lte", "gt", "gte"] {
            o = o.field(InputValue::new(op, ty(false)));
        }
    }
    if like {
        o = o
            .field(InputValue::new("like", TypeRef::named(TypeRef::STRING)))
            .field(InputValue::new("ilike", TypeRef::named(TypeRef::STRING)));
    }
    o
}

/// The shared comparison inputs.
pub fn comparisons() -> Vec<InputObject> {
    vec![
        comparison("StringComparison", TypeRef::STRING, true, true, false),
        comparison("IntComparison", TypeRef::INT, true, false, false),
        comparison("BigIntComparison", scalars::BIGINT, true, false, false),
        comparison("FloatComparison", TypeRef::FLOAT, true, false, false),
        comparison("BooleanComparison", TypeRef::BOOLEAN, false, false, false),
        comparison("JSONComparison", scalars::JSON, false, false, false),
        comparison("StringListComparison", TypeRef::STRING, false, false, true),
    ]
}

/// The comparison input of a text enum column.
pub fn enum_comparison(t: &Table, c: &Column) -> InputObject {
    comparison(
        &comparison_type(t, c),
        &scalars::base_type(t, c),
        true,
        false,
        false,
    )
}

/// The filter input of a table.
pub fn filter_input(cat: &Catalog, t: &Table) -> InputObject {
    let me = filter_type(t);
    let mut o = InputObject::new(&me)
        .description(format!("Condition on rows of {}.", t.key))
        .field(InputValue::new("and", TypeRef::named_nn_list(&me)))
        .field(InputValue::new("or", TypeRef::named_nn_list(&me)))
        .field(InputValue::new("not", TypeRef::named(&me)));
    for c in t.columns.iter().filter(|c| c.readable) {
        o = o.field(InputValue::new(
            names::camel(&c.name),
            TypeRef::named(comparison_type(t, c)),
        ));
    }
    for r in &t.relations {
        if let Ok(target) = cat.table(&r.target) {
            o = o.field(InputValue::new(
                names::camel(&r.name),
                TypeRef::named(filter_type(target)),
            ));
        }
    }
    o
}

/// The engine filter of a filter argument (`None` for null/absent).
pub fn parse(cat: &Catalog, t: &Table, v: &Json) -> Result<Option<Filter>> {
    let Json::Object(map) = v else {
        return Ok(None);
    };
    let mut all = Vec::new();
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "and" | "or" => {
                let mut parts = Vec::new();
                for item in value.as_array().map(Vec::as_slice).unwrap_or_default() {
                    parts.push(parse(cat, t, item)?.unwrap_or(Filter::And(Vec::new())));
                }
                all.push(if key == "and" {
                    Filter::And(parts)
                } else {
                    Filter::Or(parts)
                });
            }
            "not" => {
                if let Some(f) = parse(cat, t, value)? {
                    all.push(Filter::not(f));
                }
            }
            _ => all.push(field(cat, t, key, value)?),
        }
    }
    Ok(Some(match all.len() {
        1 => all.remove(0),
        _ => Filter::And(all),
    }))
}

fn field(cat: &Catalog, t: &Table, key: &str, value: &Json) -> Result<Filter> {
    if let Some(c) = t
        .columns
        .iter()
        .find(|c| c.readable && names::camel(&c.name) == key)
    {
        return column(c, value);
    }
    if let Some(r) = t.relations.iter().find(|r| names::camel(&r.name) == key) {
        let target = cat.table(&r.target)?;
        let inner = parse(cat, target, value)?.unwrap_or(Filter::And(Vec::new()));
        return Ok(Filter::related(&r.name, inner));
    }
    Err(Error::invalid(format!("filter.{key}"), "unknown field"))
}

fn column(c: &Column, value: &Json) -> Result<Filter> {
    let Json::Object(ops) = value else {
        return Err(Error::invalid(
            format!("filter.{}", c.name),
            "expected a comparison",
        ));
    };
    let mut all = Vec::new();
    for (op, v) in ops {
        if v.is_null() {
            continue;
        }
        let x = scalars::from_input(c, v);
        let op = match op.as_str() {
            "eq" => Op::Eq(x),
            "ne" => Op::Ne(x),
            "in" => Op::In(x.as_array().cloned().unwrap_or_default()),
            "lt" => Op::Lt(x),
            "lte" => Op::Lte(x),
            "gt" => Op::Gt(x),
            "gte" => Op::Gte(x),
            "like" => Op::Like(x),
            "ilike" => Op::ILike(x),
            "isNull" => Op::IsNull(x.as_bool().unwrap_or(true)),
            other => {
                return Err(Error::invalid(
                    format!("filter.{}.{other}", c.name),
                    "unknown operator",
                ));
            }
        };
        all.push(Filter::col(&c.name, op));
    }
    Ok(match all.len() {
        1 => all.remove(0),
        _ => Filter::And(all),
    })
}
