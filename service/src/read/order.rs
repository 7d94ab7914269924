//! Ordering: checked sort keys that always end with the primary key (a total, stable
//! order), their `ORDER BY` clause, and the keyset condition "after this row".

use serde_json::Value as Json;

use super::catalog::{Column, Table};
use super::sql::Params;
use super::value::to_value;
use crate::{Error, Result};

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// Where NULLs sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Nulls {
    /// PostgreSQL's default: last when ascending, first when descending.
    #[default]
    Default,
    /// Before all values.
    First,
    /// After all values.
    Last,
}

/// One sort key as requested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    /// Column name (a readable, orderable column).
    pub column: String,
    /// Direction.
    pub direction: Direction,
    /// NULL placement.
    pub nulls: Nulls,
}

impl OrderBy {
    /// Ascending, NULLs last.
    pub fn asc(column: impl Into<String>) -> Self {
        Self {
            column: column.into(),
            direction: Direction::Asc,
            nulls: Nulls::Default,
        }
    }

    /// Descending, NULLs first.
    pub fn desc(column: impl Into<String>) -> Self {
        Self {
            column: column.into(),
            direction: Direction::Desc,
            nulls: Nulls::Default,
        }
    }

    /// The same key with explicit NULL placement.
    pub fn nulls(mut self, nulls: Nulls) -> Self {
        self.nulls = nulls;
        self
    }
}

/// A resolved sort key.
#[derive(Clone, Copy, Debug)]
pub struct Key<'t> {
    /// The column.
    pub column: &'t Column,
    /// Descending.
    pub desc: bool,
    /// NULLs before values.
    pub nulls_first: bool,
}

impl Key<'_> {
    /// The key sorted the other way round (for backward pages).
    pub fn reversed(self) -> Self {
        Self {
            desc: !self.desc,
            nulls_first: !self.nulls_first,
            ..self
        }
    }
}

/// The checked keys of `order` followed by the primary key columns not already in it, so
/// that the order is total. A repeated column is used once.
pub fn resolve<'t>(table: &'t Table, order: &[OrderBy]) -> Result<Vec<Key<'t>>> {
    let mut keys: Vec<Key<'t>> = Vec::with_capacity(order.len() + table.primary_key.len());
    for o in order {
        let field = format!("order.{}", o.column);
        let column = table.readable_column(&o.column, &field)?;
        if !column.kind.is_orderable() {
            return Err(Error::invalid(field, "column cannot be ordered by"));
        }
        if keys.iter().any(|k| k.column.name == column.name) {
            continue;
        }
        let desc = o.direction == Direction::Desc;
        let nulls_first = match o.nulls {
            Nulls::Default => desc,
            Nulls::First => true,
            Nulls::Last => false,
        };
        keys.push(Key {
            column,
            desc,
            nulls_first,
        });
    }
    for pk in &table.primary_key {
        if keys.iter().any(|k| &k.column.name == pk) {
            continue;
        }
        let column = table
            .column(pk)
            .ok_or_else(|| Error::internal(&format!("{}: primary key {pk} missing", table.key)))?;
        keys.push(Key {
            column,
            desc: false,
            nulls_first: false,
        });
    }
    Ok(keys)
}

/// `expr ASC NULLS LAST, ...` with key `i` read through `expr_of(i, column)`.
pub fn clause(keys: &[Key<'_>], expr_of: impl Fn(usize, &Column) -> String) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            format!(
                "{} {} NULLS {}",
                expr_of(i, k.column),
                if k.desc { "DESC" } else { "ASC" },
                if k.nulls_first { "FIRST" } else { "LAST" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `alias."column"`.
pub fn column_of(alias: &str) -> impl Fn(&Column) -> String + '_ {
    move |c| c.expr(alias)
}

/// Identifies an ordering, so a cursor is only accepted for the ordering it came from.
pub fn fingerprint(table: &Table, keys: &[Key<'_>]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{}:{}:{}",
                k.column.name,
                if k.desc { "d" } else { "a" },
                if k.nulls_first { "f" } else { "l" }
            )
        })
        .collect();
    format!("{}|{}", table.key, parts.join(","))
}

/// The condition "row `alias` sorts strictly after the row whose key values are
/// `values`" under `keys` (cursor values are checked against the columns; `field` names
/// the cursor in errors). A row-value comparison when every key is NOT NULL and all go
/// the same way; otherwise the expanded form
/// `k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...` with NULL placement spelled out.
pub fn after(
    keys: &[Key<'_>],
    alias: &str,
    values: &[Json],
    params: &mut Params,
    field: &str,
) -> Result<String> {
    if keys.len() != values.len() {
        return Err(Error::invalid(field, "invalid cursor"));
    }
    let mut bound: Vec<Option<String>> = Vec::with_capacity(keys.len());
    for (k, v) in keys.iter().zip(values) {
        if v.is_null() {
            if !k.column.nullable {
                return Err(Error::invalid(field, "invalid cursor"));
            }
            bound.push(None);
        } else {
            let value = to_value(k.column, v, field)?;
            bound.push(Some(params.bind(value, k.column.kind.cast())));
        }
    }
    let expr = column_of(alias);
    let uniform = keys
        .iter()
        .all(|k| !k.column.nullable && k.desc == keys[0].desc);
    if uniform {
        let cols: Vec<String> = keys.iter().map(|k| expr(k.column)).collect();
        let ps: Vec<String> = bound.iter().flatten().cloned().collect();
        let sym = if keys[0].desc { "<" } else { ">" };
        return Ok(format!("({}) {sym} ({})", cols.join(", "), ps.join(", ")));
    }
    let mut terms = Vec::with_capacity(keys.len());
    for i in 0..keys.len() {
        let Some(beyond) = strictly_after(&keys[i], &expr(keys[i].column), &bound[i]) else {
            continue;
        };
        let mut parts: Vec<String> = (0..i)
            .map(|j| equal(&expr(keys[j].column), &bound[j]))
            .collect();
        parts.push(beyond);
        terms.push(format!("({})", parts.join(" AND ")));
    }
    if terms.is_empty() {
        return Ok("FALSE".to_owned());
    }
    Ok(format!("({})", terms.join(" OR ")))
}

fn equal(expr: &str, bound: &Option<String>) -> String {
    match bound {
        Some(p) => format!("{expr} = {p}"),
        None => format!("{expr} IS NULL"),
    }
}

/// The rows strictly after the value on this key alone; `None` when there are none.
fn strictly_after(key: &Key<'_>, expr: &str, bound: &Option<String>) -> Option<String> {
    match bound {
        None if key.nulls_first => Some(format!("{expr} IS NOT NULL")),
        None => None,
        Some(p) => {
            let sym = if key.desc { "<" } else { ">" };
            if key.column.nullable && !key.nulls_first {
                Some(format!("({expr} {sym} {p} OR {expr} IS NULL)"))
            } else {
                Some(format!("{expr} {sym} {p}"))
            }
        }
    }
}
