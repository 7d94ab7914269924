//! Row filters: an AST the GraphQL layer builds from its `where` argument, checked against
//! the catalog and rendered into a SQL condition with bound parameters.

use serde_json::Value as Json;

use super::catalog::{Catalog, Column, ColumnKind, Table, quote_ident};
use super::sql::Params;
use super::value::{text, to_array, to_value};
use crate::{Error, Result};

/// Deepest nesting of `and`/`or`/`not`/related filters accepted.
pub const MAX_FILTER_DEPTH: usize = 16;
/// Most values accepted in one `In` list.
pub const MAX_IN_VALUES: usize = 1000;

/// A condition on the rows of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// All of these hold (an empty list is true).
    And(Vec<Filter>),
    /// At least one of these holds (an empty list is false).
    Or(Vec<Filter>),
    /// This does not hold (SQL three-valued logic: `NOT` of an unknown comparison with
    /// NULL is still unknown, so such rows stay excluded).
    Not(Box<Filter>),
    /// A comparison on one readable column.
    Column {
        /// Column name.
        column: String,
        /// Comparison.
        op: Op,
    },
    /// Some related row matches `filter`: for a belongs-to relation the referenced row,
    /// for has-many/has-one any of the referencing rows (`EXISTS`).
    Related {
        /// Relation name ([`super::catalog::Relation::name`]).
        relation: String,
        /// Condition on the related table's rows.
        filter: Box<Filter>,
    },
}

impl Filter {
    /// `column <op>`.
    pub fn col(column: impl Into<String>, op: Op) -> Self {
        Self::Column {
            column: column.into(),
            op,
        }
    }

    /// Some row of `relation` matches `filter`.
    pub fn related(relation: impl Into<String>, filter: Filter) -> Self {
        Self::Related {
            relation: relation.into(),
            filter: Box::new(filter),
        }
    }

    /// Negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(filter: Filter) -> Self {
        Self::Not(Box::new(filter))
    }
}

/// A comparison of a column with JSON values, checked and converted against the column
/// type. Comparisons with SQL semantics: `Ne`, `Lt`, ... never match NULL (use `IsNull`).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `= v` (not null; any readable column, `jsonb` and `text[]` included).
    Eq(Json),
    /// `<> v`.
    Ne(Json),
    /// `= ANY(vs)` (scalar columns; an empty list matches nothing).
    In(Vec<Json>),
    /// `< v` (orderable columns).
    Lt(Json),
    /// `<= v`.
    Lte(Json),
    /// `> v`.
    Gt(Json),
    /// `>= v`.
    Gte(Json),
    /// `LIKE pattern` (text columns; `%` and `_` are wildcards).
    Like(Json),
    /// `ILIKE pattern` (case-insensitive).
    ILike(Json),
    /// `IS NULL` (true) / `IS NOT NULL` (false).
    IsNull(bool),
}

/// Renders filters of one statement; numbers the aliases of `EXISTS` subqueries.
pub struct FilterRenderer<'a> {
    catalog: &'a Catalog,
    params: &'a mut Params,
    next_alias: usize,
}

impl<'a> FilterRenderer<'a> {
    /// A renderer binding into `params`; subquery aliases start after the root's `t0`.
    pub fn new(catalog: &'a Catalog, params: &'a mut Params) -> Self {
        Self {
            catalog,
            params,
            next_alias: 1,
        }
    }

    /// The condition `filter` on rows `alias` of `table`. Errors name the field as
    /// `filter.<relation>....<column>`.
    pub fn render(&mut self, table: &Table, alias: &str, filter: &Filter) -> Result<String> {
        self.node(table, alias, filter, "filter", 0)
    }

    fn node(
        &mut self,
        table: &Table,
        alias: &str,
        filter: &Filter,
        path: &str,
        depth: usize,
    ) -> Result<String> {
        if depth > MAX_FILTER_DEPTH {
            return Err(Error::invalid(path, "filter is nested too deeply"));
        }
        match filter {
            Filter::And(fs) => self.list(table, alias, fs, " AND ", "TRUE", path, depth),
            Filter::Or(fs) => self.list(table, alias, fs, " OR ", "FALSE", path, depth),
            Filter::Not(f) => Ok(format!(
                "NOT ({})",
                self.node(table, alias, f, path, depth + 1)?
            )),
            Filter::Column { column, op } => {
                let field = format!("{path}.{column}");
                let col = table.readable_column(column, &field)?;
                self.op(col, &col.expr(alias), op, &field)
            }
            Filter::Related { relation, filter } => {
                let field = format!("{path}.{relation}");
                let rel = table.relation(relation, &field)?;
                let target = self.catalog.table(&rel.target)?;
                let sub = format!("t{}", self.next_alias);
                self.next_alias += 1;
                let cond = self.node(target, &sub, filter, &field, depth + 1)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM {} AS {sub} WHERE {sub}.{} = {alias}.{} AND ({cond}))",
                    target.sql_name(),
                    quote_ident(&rel.to_column),
                    quote_ident(&rel.from_column),
                ))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn list(
        &mut self,
        table: &Table,
        alias: &str,
        fs: &[Filter],
        joiner: &str,
        empty: &str,
        path: &str,
        depth: usize,
    ) -> Result<String> {
        if fs.is_empty() {
            return Ok(empty.to_owned());
        }
        let parts = fs
            .iter()
            .map(|f| {
                Ok(format!(
                    "({})",
                    self.node(table, alias, f, path, depth + 1)?
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(parts.join(joiner))
    }

    fn op(&mut self, col: &Column, expr: &str, op: &Op, field: &str) -> Result<String> {
        let cast = col.kind.cast();
        let cmp = |this: &mut Self, sym: &str, v: &Json, ordered: bool| -> Result<String> {
            if v.is_null() {
                return Err(Error::invalid(
                    field,
                    "null is not a value here; use isNull",
                ));
            }
            if ordered && !col.kind.is_orderable() {
                return Err(Error::invalid(
                    field,
                    "operator not supported for this column",
                ));
            }
            let p = this.params.bind(to_value(col, v, field)?, cast);
            Ok(format!("{expr} {sym} {p}"))
        };
        match op {
            Op::Eq(v) => cmp(self, "=", v, false),
            Op::Ne(v) => cmp(self, "<>", v, false),
            Op::Lt(v) => cmp(self, "<", v, true),
            Op::Lte(v) => cmp(self, "<=", v, true),
            Op::Gt(v) => cmp(self, ">", v, true),
            Op::Gte(v) => cmp(self, ">=", v, true),
            Op::In(vs) => {
                if vs.len() > MAX_IN_VALUES {
                    return Err(Error::invalid(field, "too many values"));
                }
                if vs.is_empty() {
                    return Ok("FALSE".to_owned());
                }
                let p = self
                    .params
                    .bind(to_array(col, vs, field)?, &format!("{cast}[]"));
                Ok(format!("{expr} = ANY({p})"))
            }
            Op::Like(v) | Op::ILike(v) => {
                if col.kind != ColumnKind::Text {
                    return Err(Error::invalid(
                        field,
                        "operator not supported for this column",
                    ));
                }
                let pattern = text(v, field)?
                    .ok_or_else(|| Error::invalid(field, "expected a string pattern"))?;
                let p = self.params.bind(pattern.to_owned().into(), "text");
                let sym = if matches!(op, Op::Like(_)) {
                    "LIKE"
                } else {
                    "ILIKE"
                };
                Ok(format!("{expr} {sym} {p}"))
            }
            Op::IsNull(true) => Ok(format!("{expr} IS NULL")),
            Op::IsNull(false) => Ok(format!("{expr} IS NOT NULL")),
        }
    }
}
