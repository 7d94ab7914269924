//! Column kinds as GraphQL types, and stored JSON values as GraphQL values.
//! `text`/`uuid`/`numeric`/timestamps/dates/times are `String` (numeric as exact text,
//! timestamps ISO 8601 with offset), `smallint`/`integer` `Int`, `bigint` the `BigInt`
//! scalar (a string of digits: GraphQL `Int` is 32-bit), `double precision` `Float`, `boolean`
//! `Boolean`, `jsonb` the `JSON` scalar, `text[]` `[String!]`, and text columns with a
//! closed value list an enum per column.

use async_graphql::dynamic::{Scalar, TypeRef};
use async_graphql::{Name, Value};
use serde_json::Value as Json;
use service::read::{Column, ColumnKind, Table};

use super::names;

/// The `JSON` scalar (any JSON value).
pub const JSON: &str = "JSON";

/// The `BigInt` scalar (`bigint` columns): a 64-bit integer, serialised as a string of
/// digits; input as such a string or as an integer.
pub const BIGINT: &str = "BigInt";

/// Whether `v` is a `BigInt` input: an integer, or a string of an optional `-` and digits,
/// within the 64-bit range.
pub fn is_bigint(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_i64(),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && s.parse::<i64>().is_ok()
        }
        _ => false,
    }
}

/// The custom scalars of the schema.
pub fn scalars() -> Vec<Scalar> {
    vec![
        Scalar::new(JSON).description("Any JSON value (jsonb columns, aggregate groups)."),
        Scalar::new(BIGINT)
            .description(
                "A 64-bit integer (bigint columns), serialised as a string of digits \
                 (GraphQL Int is 32-bit); input as such a string or as an integer.",
            )
            .validator(is_bigint),
    ]
}

/// The named GraphQL type of a column's values (no list, no non-null).
pub fn base_type(t: &Table, c: &Column) -> String {
    if c.enum_values.is_some() && c.kind == ColumnKind::Text {
        return names::enum_type(t, &c.name);
    }
    match c.kind {
        ColumnKind::SmallInt | ColumnKind::Integer => TypeRef::INT,
        ColumnKind::BigInt => BIGINT,
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
        Json::Number(n) if c.kind == ColumnKind::BigInt => Some(Value::String(n.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigint_input_is_an_integer_or_a_string_of_digits() {
        for ok in [
            Value::from(5),
            Value::from(-5_000_000_000_i64),
            Value::from("5000000000"),
            Value::from("-9223372036854775808"),
        ] {
            assert!(is_bigint(&ok), "{ok}");
        }
        for bad in [
            Value::from("9223372036854775808"),
            Value::from("+5"),
            Value::from("1e3"),
            Value::from(""),
            Value::from("-"),
            Value::from(1.5),
            Value::from(true),
            Value::Null,
        ] {
            assert!(!is_bigint(&bad), "{bad}");
        }
    }
}
