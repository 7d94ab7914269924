//! The JSON projection of selected columns: `jsonb_build_object('col', t0."col", ...)`.

use super::catalog::{Column, ColumnKind, Table, quote_literal};
use crate::Result;

/// `jsonb_build_object` takes at most 100 arguments: build objects of this many columns
/// and concatenate them with `||`.
const COLUMNS_PER_OBJECT: usize = 40;

/// The checked columns of a selection, each once (validation error `columns.<name>` on
/// an unknown or unreadable one).
pub fn columns<'t>(table: &'t Table, names: &[String]) -> Result<Vec<&'t Column>> {
    let mut out: Vec<&Column> = Vec::with_capacity(names.len());
    for n in names {
        let c = table.readable_column(n, &format!("columns.{n}"))?;
        if !out.iter().any(|o| o.name == c.name) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The JSON value of `column` read from `expr`: numerics as strings (no digit lost in
/// JSON), everything else as `jsonb` renders it.
pub fn json_expr(column: &Column, expr: &str) -> String {
    match column.kind {
        ColumnKind::Numeric => format!("{expr}::text"),
        _ => expr.to_owned(),
    }
}

/// `jsonb_build_object('a', <alias>."a", ...)` of `columns` (checked), `'{}'::jsonb` when
/// none are selected.
pub fn json_object(alias: &str, columns: &[&Column]) -> String {
    if columns.is_empty() {
        return "'{}'::jsonb".to_owned();
    }
    columns
        .chunks(COLUMNS_PER_OBJECT)
        .map(|chunk| {
            let args: Vec<String> = chunk
                .iter()
                .map(|c| {
                    let expr = c.expr(alias);
                    format!("{}, {}", quote_literal(&c.name), json_expr(c, &expr))
                })
                .collect();
            format!("jsonb_build_object({})", args.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" || ")
}
