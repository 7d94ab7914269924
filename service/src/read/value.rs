//! JSON input values checked against a column and turned into typed bind values.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use sea_orm::Value;
use sea_orm::sea_query::ArrayType;
use serde_json::Value as Json;

use super::catalog::{Column, ColumnKind};
use crate::{Error, Result};

/// `v` as a typed bind value for `column`; a validation error on `field` when it has the
/// wrong type, is out of range, or is not one of the column's allowed values.
pub fn to_value(column: &Column, v: &Json, field: &str) -> Result<Value> {
    let bad = |what: &str| Error::invalid(field, format!("expected {what}"));
    Ok(match column.kind {
        ColumnKind::Text => {
            let s = text(v, field)?.ok_or_else(|| bad("a string"))?;
            if let Some(allowed) = &column.enum_values
                && !allowed.iter().any(|a| a == s)
            {
                return Err(Error::invalid(
                    field,
                    format!("expected one of {}", allowed.join(", ")),
                ));
            }
            Value::from(s.to_owned())
        }
        ColumnKind::SmallInt => {
            let n = int(v).ok_or_else(|| bad("an integer"))?;
            Value::from(i16::try_from(n).map_err(|_| bad("a smallint"))?)
        }
        ColumnKind::Integer => {
            let n = int(v).ok_or_else(|| bad("an integer"))?;
            Value::from(i32::try_from(n).map_err(|_| bad("a 32-bit integer"))?)
        }
        ColumnKind::BigInt => Value::from(int(v).ok_or_else(|| bad("an integer"))?),
        ColumnKind::Float => {
            let f = v.as_f64().ok_or_else(|| bad("a number"))?;
            Value::from(f)
        }
        ColumnKind::Numeric => {
            let text = match v {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                _ => return Err(bad("a decimal number")),
            };
            let d = Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .map_err(|_| bad("a decimal number"))?;
            Value::from(d)
        }
        ColumnKind::Boolean => Value::from(v.as_bool().ok_or_else(|| bad("true or false"))?),
        ColumnKind::Uuid => {
            let s = v.as_str().ok_or_else(|| bad("a uuid"))?;
            Value::from(uuid::Uuid::parse_str(s).map_err(|_| bad("a uuid"))?)
        }
        ColumnKind::Timestamptz => {
            let s = v.as_str().ok_or_else(|| bad("an RFC 3339 timestamp"))?;
            let t = DateTime::parse_from_rfc3339(s).map_err(|_| bad("an RFC 3339 timestamp"))?;
            Value::from(t)
        }
        ColumnKind::Date => {
            let s = v.as_str().ok_or_else(|| bad("a date (YYYY-MM-DD)"))?;
            let d =
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad("a date (YYYY-MM-DD)"))?;
            Value::from(d)
        }
        ColumnKind::Time => {
            let s = v.as_str().ok_or_else(|| bad("a time (HH:MM[:SS])"))?;
            let t = NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
                .map_err(|_| bad("a time (HH:MM[:SS])"))?;
            Value::from(t)
        }
        ColumnKind::Jsonb => {
            if has_nul(v) {
                return Err(Error::invalid(field, "must not contain NUL characters"));
            }
            Value::from(v.clone())
        }
        ColumnKind::TextArray => {
            let items = v.as_array().ok_or_else(|| bad("a list of strings"))?;
            let strings = items
                .iter()
                .map(|i| match text(i, field) {
                    Ok(Some(s)) => Ok(Value::from(s.to_owned())),
                    Ok(None) => Err(bad("a list of strings")),
                    Err(e) => Err(e),
                })
                .collect::<Result<Vec<_>>>()?;
            Value::Array(ArrayType::String, Some(Box::new(strings)))
        }
        ColumnKind::Vector => return Err(Error::invalid(field, "column is not readable")),
    })
}

/// The values `vs` as one array bind value for `column` (for `= ANY($n::type[])`).
pub fn to_array(column: &Column, vs: &[Json], field: &str) -> Result<Value> {
    let ty = array_type(column.kind)
        .ok_or_else(|| Error::invalid(field, "a list is not supported for this column"))?;
    let items = vs
        .iter()
        .map(|v| {
            if v.is_null() {
                Err(Error::invalid(field, "null is not allowed in a list"))
            } else {
                to_value(column, v, field)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(ty, Some(Box::new(items))))
}

/// The array element type of a kind (scalar kinds only).
fn array_type(kind: ColumnKind) -> Option<ArrayType> {
    Some(match kind {
        ColumnKind::Text => ArrayType::String,
        ColumnKind::SmallInt => ArrayType::SmallInt,
        ColumnKind::Integer => ArrayType::Int,
        ColumnKind::BigInt => ArrayType::BigInt,
        ColumnKind::Float => ArrayType::Double,
        ColumnKind::Numeric => ArrayType::Decimal,
        ColumnKind::Boolean => ArrayType::Bool,
        ColumnKind::Uuid => ArrayType::Uuid,
        ColumnKind::Timestamptz => ArrayType::ChronoDateTimeWithTimeZone,
        ColumnKind::Date => ArrayType::ChronoDate,
        ColumnKind::Time => ArrayType::ChronoTime,
        ColumnKind::Jsonb | ColumnKind::TextArray | ColumnKind::Vector => return None,
    })
}

/// The string in `v` (`None` when `v` is not a string); PostgreSQL text cannot hold NUL,
/// so a string with one is a validation error rather than a failed statement.
pub fn text<'v>(v: &'v Json, field: &str) -> Result<Option<&'v str>> {
    match v.as_str() {
        Some(s) if s.contains('\0') => {
            Err(Error::invalid(field, "must not contain NUL characters"))
        }
        other => Ok(other),
    }
}

fn has_nul(v: &Json) -> bool {
    match v {
        Json::String(s) => s.contains('\0'),
        Json::Array(items) => items.iter().any(has_nul),
        Json::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// An integer given as a JSON integer or a decimal string (GraphQL big integers).
fn int(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The text form of a key value as PostgreSQL prints it (`key::text`), the map key of
/// batched results: strings as they are, numbers in decimal, uuids in lowercase.
pub fn key_text(column: &Column, v: &Json) -> String {
    match v {
        Json::String(s) if column.kind == ColumnKind::Uuid => uuid::Uuid::parse_str(s)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| s.clone()),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Most keys accepted in one batched statement.
pub const MAX_BATCH_KEYS: usize = 100_000;

/// The distinct non-null `keys` for `column`: their map keys ([`key_text`]) and one array
/// bind value (for `= ANY($1::type[])`).
pub fn key_batch(column: &Column, keys: &[Json], field: &str) -> Result<(Vec<String>, Value)> {
    let mut texts: Vec<String> = Vec::with_capacity(keys.len());
    let mut distinct: Vec<Json> = Vec::with_capacity(keys.len());
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    for k in keys.iter().filter(|k| !k.is_null()) {
        let text = key_text(column, k);
        if seen.insert(text.clone()) {
            texts.push(text);
            distinct.push(k.clone());
        }
    }
    if distinct.len() > MAX_BATCH_KEYS {
        return Err(Error::invalid(field, "too many keys"));
    }
    Ok((texts, to_array(column, &distinct, field)?))
}
