//! Column kinds as GraphQL types, and stored JSON values as GraphQL values.
//! `text`/`uuid`/`numeric`/timestamps/dates/times are `String` (numeric as exact text,
//! timestamps ISO 8601 with offset), integers `Int`, `double precision` `Float`, `boolean`
//! `Boolean`, `jsonb` the `JSON` scalar, `text[]` `[String!]`, and text columns with a
//! closed value list an enum per column.

use async_graphql::dynamic::{Scalar, TypeRef};
use async_graphql::{Name, Value};
use serde_json::Value as Json;
use service::read::{Column, ColumnKind, Table};

use super::names;

/// The `JSON` scalar (any JSON value).
pub const JSON: &str = "JSON";

/// The custom scalars of the schema.
pub fn scalars() -> Vec<Scalar> {
    vec![Scalar::new(JSON).description("Any JSON value (jsonb columns, aggregate groups).")]
}

/// The named GraphQL type of a column's values (no list, no non-null).
pub fn base_type(t: &Table, c: &Column) -> String {
    if c.enum_values.is_some() && c.kind == ColumnKind::Text {
        return names::enum_type(t, &c.name);
    }
    match c.kind {
        ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt => TypeRef::INT,
        ColumnKind::Float => TypeRef::FLOAT,
        ColumnKind::Boolean => TypeRef::BOOLEAN,
        ColumnKind::Jsonb => JSON,
        _ => TypeRef::STRING,
    }
    .to_owned()
}

/// The field type of a column (`String!`, `[String!]`, `RenosBookingStatus` ...).
pub fn field_type(t: &Table, c: &Column) -> TypeRef {
    let base = base_type(t, c);
    match (c.kind == ColumnKind::TextArray, c.nullable) {
        (true, true) => TypeRef::named_nn_list(base),
        (true, false) => TypeRef::named_nn_list_nn(base),
        (false, true) => TypeRef::named(base),
        (false, false) => TypeRef::named_nn(base),
    }
}

/// Whether the column is a text enum.
pub fn is_enum(c: &Column) -> bool {
    c.enum_values.is_some() && c.kind == ColumnKind::Text
}

/// A stored value as a GraphQL value (`None` for NULL); enum text becomes the enum value.
pub fn to_gql(c: &Column, v: &Json) -> Option<Value> {
    match v {
        Json::Null => None,
        Json::String(s) if is_enum(c) => Some(Value::Enum(Name::new(names::screaming(s)))),
        other => Value::from_json(other.clone()).ok(),
    }
}

/// A GraphQL input value (as JSON) of a column as the engine takes it: enum names become
/// the stored text (lists element-wise).
pub fn from_input(c: &Column, v: &Json) -> Json {
    match (v, &c.enum_values) {
        (Json::String(s), Some(values)) if is_enum(c) => values
            .iter()
            .find(|x| names::screaming(x) == *s)
            .map(|x| Json::String(x.clone()))
            .unwrap_or_else(|| v.clone()),
        (Json::Array(items), _) if c.kind != ColumnKind::TextArray => {
            Json::Array(items.iter().map(|i| from_input(c, i)).collect())
        }
        _ => v.clone(),
    }
}
