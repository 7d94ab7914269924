//! Ordering inputs: `[<Type>OrderBy!]` with `{ field: <Type>OrderField!, direction:
//! ASC|DESC, nulls: FIRST|LAST }`; the order-field enum doubles as the `groupBy` argument.

use async_graphql::dynamic::{Enum, InputObject, InputValue, TypeRef};
use serde_json::Value as Json;
use service::read::{Column, Nulls, OrderBy, Table};
use service::{Error, Result};

use super::names;

/// Columns a list can be ordered and grouped by.
pub fn orderable(t: &Table) -> impl Iterator<Item = &Column> {
    t.columns
        .iter()
        .filter(|c| c.readable && c.kind.is_orderable())
}

/// `RenosCustomerOrderField`.
pub fn field_enum_type(t: &Table) -> String {
    format!("{}OrderField", names::type_name(t))
}

/// `RenosCustomerOrderBy`.
pub fn order_input_type(t: &Table) -> String {
    format!("{}OrderBy", names::type_name(t))
}

/// The shared enums `OrderDirection` and `NullsOrder`.
pub fn shared_enums() -> Vec<Enum> {
    vec![
        Enum::new("OrderDirection").item("ASC").item("DESC"),
        Enum::new("NullsOrder").item("FIRST").item("LAST"),
    ]
}

/// The order-field enum and the order input of a table.
pub fn types(t: &Table) -> (Enum, InputObject) {
    let e = Enum::new(field_enum_type(t)).items(orderable(t).map(|c| names::screaming(&c.name)));
    let i = InputObject::new(order_input_type(t))
        .field(InputValue::new(
            "field",
            TypeRef::named_nn(field_enum_type(t)),
        ))
        .field(InputValue::new(
            "direction",
            TypeRef::named("OrderDirection"),
        ))
        .field(InputValue::new("nulls", TypeRef::named("NullsOrder")));
    (e, i)
}

/// The column of an order-field enum value.
pub fn column_of<'t>(t: &'t Table, value: &str) -> Result<&'t Column> {
    orderable(t)
        .find(|c| names::screaming(&c.name) == value)
        .ok_or_else(|| Error::invalid("orderBy.field", "unknown field"))
}

/// The engine order of an `orderBy` argument (absent/null: none).
pub fn parse(t: &Table, v: &Json) -> Result<Vec<OrderBy>> {
    let items = match v {
        Json::Array(a) => a.as_slice(),
        Json::Object(_) => std::slice::from_ref(v),
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let field = item["field"].as_str().unwrap_or_default();
        let col = column_of(t, field)?;
        let mut o = match item["direction"].as_str() {
            Some("DESC") => OrderBy::desc(&col.name),
            _ => OrderBy::asc(&col.name),
        };
        o = match item["nulls"].as_str() {
            Some("FIRST") => o.nulls(Nulls::First),
            Some("LAST") => o.nulls(Nulls::Last),
            _ => o,
        };
        out.push(o);
    }
    Ok(out)
}
