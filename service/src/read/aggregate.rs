//! Aggregates over the filtered rows of a table, optionally grouped by one column.

use sea_orm::Value;

use super::catalog::{Column, ColumnKind, catalog, quote_literal};
use super::filter::{Filter, FilterRenderer};
use super::select::json_expr;
use super::sql::{Built, Params};
use crate::{Error, Result};

/// Most groups returned; more is a validation error (group by a coarser column).
pub const MAX_GROUPS: i64 = 1000;
/// Most aggregates in one query.
pub const MAX_AGGREGATES: usize = 40;

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFn {
    /// Rows (`count`), or non-null values of a column (`count_<col>`).
    Count,
    /// Sum of a numeric column (`sum_<col>`).
    Sum,
    /// Average of a numeric column (`avg_<col>`).
    Avg,
    /// Least value of an orderable column (`min_<col>`).
    Min,
    /// Greatest value (`max_<col>`).
    Max,
}

impl AggregateFn {
    fn name(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::Avg => "avg",
            Self::Min => "min",
            Self::Max => "max",
        }
    }
}

/// Aggregates of a table's rows.
#[derive(Clone, Debug, Default)]
pub struct AggregateQuery {
    /// `schema.table`.
    pub table: String,
    /// Condition on the rows.
    pub filter: Option<Filter>,
    /// Group by this column: one result row per value (NULL last), with the value
    /// under `group`. None: one result row.
    pub group_by: Option<String>,
    /// The aggregates; the column is required except for `Count`.
    pub aggregates: Vec<(AggregateFn, Option<String>)>,
}

impl AggregateQuery {
    /// `SELECT jsonb_build_object('group', g, 'count', count(*), ...) AS row FROM table
    /// WHERE filter GROUP BY g ORDER BY g LIMIT 1001`. Result keys: `group`, `count`,
    /// `<fn>_<column>`; numeric results of `numeric` columns are strings, averages of
    /// other columns are floats.
    pub fn build(&self) -> Result<Built> {
        let cat = catalog()?;
        let table = cat.table(&self.table)?;
        if self.aggregates.len() > MAX_AGGREGATES {
            return Err(Error::invalid("aggregates", "too many aggregates"));
        }
        let mut params = Params::default();
        let filter = match &self.filter {
            Some(f) => FilterRenderer::new(cat, &mut params).render(table, "t0", f)?,
            None => "TRUE".to_owned(),
        };
        let mut pairs: Vec<String> = Vec::with_capacity(self.aggregates.len() + 1);
        let group = match &self.group_by {
            Some(g) => {
                let col = table.readable_column(g, "group_by")?;
                if !col.kind.is_orderable() {
                    return Err(Error::invalid("group_by", "column cannot be grouped by"));
                }
                let expr = col.expr("t0");
                pairs.push(format!("'group', {}", json_expr(col, &expr)));
                Some(expr)
            }
            None => None,
        };
        for (func, column) in &self.aggregates {
            let (key, expr) = match column {
                None if *func == AggregateFn::Count => ("count".to_owned(), "count(*)".to_owned()),
                None => {
                    return Err(Error::invalid(
                        format!("aggregates.{}", func.name()),
                        "a column is required",
                    ));
                }
                Some(c) => {
                    let field = format!("aggregates.{}.{c}", func.name());
                    let col = table.readable_column(c, &field)?;
                    (
                        format!("{}_{c}", func.name()),
                        aggregate_expr(*func, col, &field)?,
                    )
                }
            };
            pairs.push(format!("{}, {expr}", quote_literal(&key)));
        }
        let object = if pairs.is_empty() {
            "'{}'::jsonb".to_owned()
        } else {
            pairs
                .chunks(45)
                .map(|c| format!("jsonb_build_object({})", c.join(", ")))
                .collect::<Vec<_>>()
                .join(" || ")
        };
        let mut sql = format!(
            "SELECT {object} AS row FROM {} AS t0 WHERE {filter}",
            table.sql_name()
        );
        if let Some(g) = group {
            let limit = params.bind(Value::from(MAX_GROUPS + 1), "bigint");
            sql.push_str(&format!(
                " GROUP BY {g} ORDER BY {g} ASC NULLS LAST LIMIT {limit}"
            ));
        }
        Ok(params.finish(sql))
    }
}

/// Too many groups: the caller reports it as a validation error.
pub fn check_group_count(rows: usize) -> Result<()> {
    if i64::try_from(rows).unwrap_or(i64::MAX) > MAX_GROUPS {
        return Err(Error::invalid(
            "group_by",
            format!("more than {MAX_GROUPS} groups"),
        ));
    }
    Ok(())
}

fn aggregate_expr(func: AggregateFn, col: &Column, field: &str) -> Result<String> {
    let expr = col.expr("t0");
    let numeric = col.kind == ColumnKind::Numeric;
    Ok(match func {
        AggregateFn::Count => format!("count({expr})"),
        AggregateFn::Sum | AggregateFn::Avg => {
            if !col.kind.is_numeric() {
                return Err(Error::invalid(field, "not a numeric column"));
            }
            let f = func.name();
            if numeric {
                format!("{f}({expr})::text")
            } else if func == AggregateFn::Avg {
                format!("avg({expr})::double precision")
            } else {
                format!("sum({expr})")
            }
        }
        AggregateFn::Min | AggregateFn::Max => {
            if !col.kind.is_orderable()
                || matches!(col.kind, ColumnKind::Boolean | ColumnKind::Uuid)
            {
                return Err(Error::invalid(field, "column has no least/greatest value"));
            }
            json_expr(col, &format!("{}({expr})", func.name()))
        }
    })
}
