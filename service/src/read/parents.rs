//! Single related rows, batched: the rows a belongs-to (or has-one) relation points at,
//! for many rows at once, in ONE statement (`WHERE key = ANY($1)`).

use std::collections::HashMap;

use sea_orm::QueryResult;
use serde_json::Value as Json;

use super::catalog::{RelationKind, catalog, quote_ident};
use super::exec;
use super::select;
use super::sql::{Built, Params};
use super::value::key_batch;
use crate::{Error, Result};

/// The related rows of a batch of rows through a belongs-to or has-one relation.
#[derive(Clone, Debug, Default)]
pub struct ParentsQuery {
    /// The table holding the relation (`schema.table`), e.g. the child of a belongs-to.
    pub table: String,
    /// A belongs-to or has-one relation of that table.
    pub relation: String,
    /// The rows' values of the relation's column (for belongs-to: the foreign key), as
    /// the rows hold them. NULLs and repeats are ignored.
    pub keys: Vec<Json>,
    /// Readable columns of the related table to return.
    pub columns: Vec<String>,
}

/// A built parents statement and what is needed to read its result.
#[derive(Debug)]
pub struct ParentsPlan {
    /// The statement; `None` when there are no keys (nothing to run).
    pub built: Option<Built>,
}

impl ParentsQuery {
    /// `SELECT key::text, row FROM target WHERE key = ANY($1::type[])`.
    pub fn build(&self) -> Result<ParentsPlan> {
        let cat = catalog()?;
        let table = cat.table(&self.table)?;
        let rel = table.relation(&self.relation, "relation")?;
        if rel.kind == RelationKind::HasMany {
            return Err(Error::invalid(
                "relation",
                "a has-many relation; use ChildrenQuery",
            ));
        }
        let target = cat.table(&rel.target)?;
        let key = target.column(&rel.to_column).ok_or_else(|| {
            Error::internal(&format!("{}: no column {}", target.key, rel.to_column))
        })?;
        let columns = select::columns(target, &self.columns)?;
        let (texts, array) = key_batch(key, &self.keys, "keys")?;
        if texts.is_empty() {
            return Ok(ParentsPlan { built: None });
        }
        let mut params = Params::default();
        let p = params.bind(array, &format!("{}[]", key.kind.cast()));
        let key_sql = format!("t0.{}", quote_ident(&key.name));
        let sql = format!(
            "SELECT {key_sql}::text AS key, {} AS row FROM {} AS t0 WHERE {key_sql} = ANY({p})",
            select::json_object("t0", &columns),
            target.sql_name()
        );
        Ok(ParentsPlan {
            built: Some(params.finish(sql)),
        })
    }
}

impl ParentsPlan {
    /// Related rows by key text ([`super::value::key_text`]); keys without a row are
    /// absent.
    pub fn decode(&self, rows: &[QueryResult]) -> Result<HashMap<String, Json>> {
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            if let (Some(k), Some(row)) = (exec::text(r, "key")?, exec::json(r, "row")?) {
                out.insert(k, row);
            }
        }
        Ok(out)
    }
}
