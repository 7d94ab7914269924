//! One row by its primary key (composite keys included).

use serde_json::{Map, Value as Json};

use super::catalog::{catalog, quote_ident};
use super::select;
use super::sql::{Built, Params};
use super::value::to_value;
use crate::{Error, Result};

/// A row of `table` by primary key.
#[derive(Clone, Debug, Default)]
pub struct ByPkQuery {
    /// `schema.table`.
    pub table: String,
    /// Readable columns to return.
    pub columns: Vec<String>,
    /// Every primary key column with its value, nothing else.
    pub key: Map<String, Json>,
}

impl ByPkQuery {
    /// `SELECT row FROM table WHERE pk1 = $1 AND ...`.
    pub fn build(&self) -> Result<Built> {
        let table = catalog()?.table(&self.table)?;
        let columns = select::columns(table, &self.columns)?;
        if let Some(extra) = self.key.keys().find(|k| !table.primary_key.contains(k)) {
            return Err(Error::invalid(
                format!("key.{extra}"),
                "not a primary key column",
            ));
        }
        let mut params = Params::default();
        let mut conds = Vec::with_capacity(table.primary_key.len());
        for pk in &table.primary_key {
            let field = format!("key.{pk}");
            let col = table.readable_column(pk, &field)?;
            let v = self
                .key
                .get(pk)
                .filter(|v| !v.is_null())
                .ok_or_else(|| Error::invalid(&field, "required"))?;
            let p = params.bind(to_value(col, v, &field)?, col.kind.cast());
            conds.push(format!("t0.{} = {p}", quote_ident(pk)));
        }
        let sql = format!(
            "SELECT {} AS row FROM {} AS t0 WHERE {}",
            select::json_object("t0", &columns),
            table.sql_name(),
            conds.join(" AND ")
        );
        Ok(params.finish(sql))
    }
}
