//! Checking write input against the catalog before any SQL: every problem of one call is
//! collected ([`Problems`]) and reported at once.

use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::Value;
use sea_orm::sea_query::ArrayType;
use serde_json::{Map, Value as Json};

use super::model::TableInfo;
use crate::read::value::to_value;
use crate::read::{Column, ColumnKind, Table};
use crate::validate::Problems;
use crate::{Error, Result};

/// One checked column value, ready to bind.
#[derive(Debug)]
pub struct Bound<'t> {
    pub column: &'t Column,
    pub value: Value,
}

/// Whether the generic write engine may set `column`: not a secret (they have dedicated
/// service functions that encrypt or hash them) and not a vector (embeddings are written
/// with their provenance by `service::vault`).
pub fn writable(column: &Column) -> bool {
    column.readable && column.kind != ColumnKind::Vector && column.sql.is_none()
}

/// A typed SQL NULL for `kind` (bound like any value, cast by the statement).
pub fn null(kind: ColumnKind) -> Value {
    match kind {
        ColumnKind::Text => Value::String(None),
        ColumnKind::SmallInt => Value::SmallInt(None),
        ColumnKind::Integer => Value::Int(None),
        ColumnKind::BigInt => Value::BigInt(None),
        ColumnKind::Float => Value::Double(None),
        ColumnKind::Numeric => Value::Decimal(None),
        ColumnKind::Boolean => Value::Bool(None),
        ColumnKind::Uuid => Value::Uuid(None),
        ColumnKind::Timestamptz => Value::ChronoDateTimeWithTimeZone(None),
        ColumnKind::Date => Value::ChronoDate(None),
        ColumnKind::Time => Value::ChronoTime(None),
        ColumnKind::Jsonb => Value::Json(None),
        ColumnKind::TextArray => Value::Array(ArrayType::String, None),
        ColumnKind::Vector => Value::String(None),
    }
}

/// `(n)` of `character varying(n)`.
fn max_chars(column: &Column) -> Option<usize> {
    column
        .pg_type
        .strip_prefix("character varying(")?
        .strip_suffix(')')?
        .parse()
        .ok()
}

/// `(p, s)` of `numeric(p,s)`.
fn precision(column: &Column) -> Option<(u32, u32)> {
    let inner = column.pg_type.strip_prefix("numeric(")?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

/// `v` (not null) as the bind value of `column`: the read engine's type and enum checks,
/// plus the column's size (`character varying(n)`, `numeric(p,s)` as PostgreSQL rounds it).
pub fn value(column: &Column, v: &Json, field: &str) -> Result<Value> {
    let bound = to_value(column, v, field)?;
    if let (Some(n), Some(s)) = (max_chars(column), v.as_str())
        && s.chars().count() > n
    {
        return Err(Error::invalid(
            field,
            format!("must be at most {n} characters"),
        ));
    }
    if let (Some((p, s)), Value::Decimal(Some(d))) = (precision(column), &bound) {
        let rounded = d.round_dp_with_strategy(s, RoundingStrategy::MidpointAwayFromZero);
        let digits = p.saturating_sub(s);
        let too_big = 10i128
            .checked_pow(digits)
            .and_then(|limit| Decimal::try_from_i128_with_scale(limit, 0).ok())
            .is_some_and(|limit| rounded.abs() >= limit);
        if too_big {
            return Err(Error::invalid(
                field,
                format!("must have at most {digits} digits before the decimal point"),
            ));
        }
    }
    Ok(bound)
}

/// The column `name` of `table` if the engine may write it; records why not otherwise.
fn writable_column<'t>(
    table: &'t Table,
    name: &str,
    problems: &mut Problems,
) -> Option<&'t Column> {
    match table.column(name) {
        None => {
            problems.add(name, format!("unknown column of {}", table.key));
            None
        }
        Some(c) if !writable(c) => {
            problems.add(
                name,
                "not writable here (it has a dedicated service function)",
            );
            None
        }
        Some(c) => Some(c),
    }
}

/// One given column value: null only for nullable columns.
fn given<'t>(column: &'t Column, v: &Json, problems: &mut Problems) -> Option<Bound<'t>> {
    if v.is_null() {
        if column.nullable {
            return Some(Bound {
                column,
                value: null(column.kind),
            });
        }
        problems.add(&column.name, "must not be null");
        return None;
    }
    problems
        .take(value(column, v, &column.name))
        .map(|value| Bound { column, value })
}

/// The checked values of a new row: given columns, then generated ids and stamps; records
/// a problem for every bad or missing column.
pub fn new_row<'t>(
    table: &'t Table,
    info: &TableInfo,
    values: &Map<String, Json>,
    problems: &mut Problems,
) -> Vec<Bound<'t>> {
    let mut out = Vec::with_capacity(values.len() + 1);
    for (name, v) in values {
        if let Some(c) = writable_column(table, name, problems)
            && let Some(b) = given(c, v, problems)
        {
            out.push(b);
        }
    }
    for c in &table.columns {
        if values.contains_key(&c.name) {
            continue;
        }
        if info.generates(table, c) {
            let value = match c.kind {
                ColumnKind::Uuid => Value::from(uuid::Uuid::new_v4()),
                _ => Value::from(entity::behavior::new_cuid()),
            };
            out.push(Bound { column: c, value });
        } else if info.stamps(c) {
            out.push(Bound {
                column: c,
                value: Value::from(entity::behavior::now()),
            });
        } else if info.required_on_insert(table, c) {
            problems.add(
                &c.name,
                if writable(c) {
                    "required"
                } else {
                    "required, and only its dedicated service function can set it"
                },
            );
        }
    }
    out
}

/// The checked values of an update: at least one, no primary key column.
pub fn patch<'t>(
    table: &'t Table,
    values: &Map<String, Json>,
    problems: &mut Problems,
) -> Vec<Bound<'t>> {
    if values.is_empty() {
        problems.add("patch", "nothing to update");
    }
    let mut out = Vec::with_capacity(values.len());
    for (name, v) in values {
        let Some(c) = writable_column(table, name, problems) else {
            continue;
        };
        if table.primary_key.contains(&c.name) {
            problems.add(name, "primary key columns cannot be changed");
            continue;
        }
        if let Some(b) = given(c, v, problems) {
            out.push(b);
        }
    }
    out
}

/// The checked primary key of a row (`key.<column>` names a bad one): every key column,
/// not null, nothing else.
pub fn key<'t>(
    table: &'t Table,
    key: &Map<String, Json>,
    problems: &mut Problems,
) -> Vec<Bound<'t>> {
    for extra in key.keys().filter(|k| !table.primary_key.contains(k)) {
        problems.add(format!("key.{extra}"), "not a primary key column");
    }
    let mut out = Vec::with_capacity(table.primary_key.len());
    for pk in &table.primary_key {
        let field = format!("key.{pk}");
        let Some(c) = table.column(pk) else {
            problems.add(field, "primary key column missing from the catalog");
            continue;
        };
        match key.get(pk).filter(|v| !v.is_null()) {
            None => problems.add(field, "required"),
            Some(v) => {
                if let Some(value) = problems.take(value(c, v, &field)) {
                    out.push(Bound { column: c, value });
                }
            }
        }
    }
    out
}

/// The conflict target of an upsert: the primary key when `conflict` is empty, else the
/// primary key or a unique constraint with exactly these columns (in any order). Each of
/// its columns must be given (not null) in `values`.
pub fn conflict_target(
    table: &Table,
    info: &TableInfo,
    conflict: &[String],
    values: &Map<String, Json>,
    problems: &mut Problems,
) -> Vec<String> {
    let wanted: Vec<String> = if conflict.is_empty() {
        table.primary_key.clone()
    } else {
        let mut w = conflict.to_vec();
        w.sort();
        w.dedup();
        w
    };
    let found = info.conflict_targets.iter().find(|target| {
        let mut t = (*target).clone();
        t.sort();
        let mut w = wanted.clone();
        w.sort();
        t == w
    });
    let Some(target) = found else {
        let allowed: Vec<String> = info
            .conflict_targets
            .iter()
            .map(|t| format!("({})", t.join(", ")))
            .collect();
        problems.add(
            "on_conflict",
            format!(
                "must be the primary key or a unique constraint: {}",
                allowed.join(", ")
            ),
        );
        return Vec::new();
    };
    for name in target {
        // A missing NOT NULL column is already reported by the row check.
        let reported = values.get(name).is_none()
            && table
                .column(name)
                .is_some_and(|c| info.required_on_insert(table, c));
        if values.get(name).is_none_or(Json::is_null) && !reported {
            problems.add(name, "required for on_conflict");
        }
    }
    target.clone()
}
