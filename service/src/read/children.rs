//! Nested lists, batched: the children of many parents through a has-many (or has-one)
//! relation in ONE statement, each parent's list filtered, ordered and paginated in SQL
//! by window functions partitioned by the foreign key.

use std::collections::HashMap;

use sea_orm::QueryResult;
use serde_json::Value as Json;

use super::catalog::{RelationKind, catalog, quote_ident};
use super::exec;
use super::filter::{Filter, FilterRenderer};
use super::order::{self, OrderBy};
use super::query::{non_negative, page_size};
use super::select;
use super::sql::{Built, Params};
use super::value::key_batch;
use crate::{Error, Result};

/// The children of a batch of parents.
#[derive(Clone, Debug, Default)]
pub struct ChildrenQuery {
    /// The parent table (`schema.table`).
    pub table: String,
    /// A has-many or has-one relation of the parent table.
    pub relation: String,
    /// The parents' values of the relation's column (normally their primary keys), as
    /// the parent rows hold them. NULLs and repeats are ignored.
    pub parent_keys: Vec<Json>,
    /// Readable columns of the child table to return.
    pub columns: Vec<String>,
    /// Condition on the children.
    pub filter: Option<Filter>,
    /// Sort keys per parent; the child's primary key is appended as tie-break.
    pub order: Vec<OrderBy>,
    /// Children to skip per parent.
    pub offset: i64,
    /// Children per parent (default 50, at most 1000).
    pub limit: Option<i64>,
}

/// One parent's page of children.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChildPage {
    /// Row objects of the selected columns, in order.
    pub rows: Vec<Json>,
    /// The parent's children matching the filter, regardless of the page.
    pub total_count: i64,
    /// More children follow this page.
    pub has_next_page: bool,
    /// Children precede this page (`offset > 0`).
    pub has_previous_page: bool,
}

/// A built children statement and what is needed to read its result.
#[derive(Debug)]
pub struct ChildrenPlan {
    /// The statement; `None` when there are no parent keys (nothing to run).
    pub built: Option<Built>,
    keys: Vec<String>,
    offset: i64,
    limit: i64,
}

impl ChildrenQuery {
    /// The statement: rows numbered per parent by `row_number() OVER (PARTITION BY fk
    /// ORDER BY ...)` and counted by `count(*) OVER (PARTITION BY fk)`; the page of each
    /// parent is kept, plus its first row so that the count survives an empty page.
    pub fn build(&self) -> Result<ChildrenPlan> {
        let cat = catalog()?;
        let parent = cat.table(&self.table)?;
        let rel = parent.relation(&self.relation, "relation")?;
        if rel.kind == RelationKind::BelongsTo {
            return Err(Error::invalid(
                "relation",
                "not a has-many relation; use ParentsQuery",
            ));
        }
        let child = cat.table(&rel.target)?;
        let fk = child.column(&rel.to_column).ok_or_else(|| {
            Error::internal(&format!("{}: no column {}", child.key, rel.to_column))
        })?;
        let columns = select::columns(child, &self.columns)?;
        let keys = order::resolve(child, &self.order)?;
        let offset = non_negative(self.offset, "offset")?;
        let limit = page_size(self.limit, "limit")?;
        let (texts, array) = key_batch(fk, &self.parent_keys, "parent_keys")?;
        if texts.is_empty() {
            return Ok(ChildrenPlan {
                built: None,
                keys: texts,
                offset,
                limit,
            });
        }
        let mut params = Params::default();
        let keys_param = params.bind(array, &format!("{}[]", fk.kind.cast()));
        let filter = match &self.filter {
            Some(f) => FilterRenderer::new(cat, &mut params).render(child, "t0", f)?,
            None => "TRUE".to_owned(),
        };
        let from = params.bind_i64(offset);
        let to = params.bind_i64(offset + limit);
        let fk_sql = format!("t0.{}", quote_ident(&fk.name));
        let inner_cols: String = columns
            .iter()
            .map(|c| format!(", t0.{0} AS {0}", quote_ident(&c.name)))
            .collect();
        let order_by = order::clause(&keys, |_, c| order::column_of("t0")(c));
        let sql = format!(
            "SELECT s.__key AS key, s.__rn AS rn, s.__total AS total, {row} AS row \
             FROM (SELECT {fk_sql}::text AS __key{inner_cols}, \
             row_number() OVER (PARTITION BY {fk_sql} ORDER BY {order_by}) AS __rn, \
             count(*) OVER (PARTITION BY {fk_sql}) AS __total \
             FROM {table} AS t0 WHERE {fk_sql} = ANY({keys_param}) AND ({filter})) AS s \
             WHERE (s.__rn > {from} AND s.__rn <= {to}) OR s.__rn = 1 \
             ORDER BY s.__key, s.__rn",
            row = select::json_object("s", &columns),
            table = child.sql_name(),
        );
        Ok(ChildrenPlan {
            built: Some(params.finish(sql)),
            keys: texts,
            offset,
            limit,
        })
    }
}

impl ChildrenPlan {
    /// Pages by parent key text ([`super::value::key_text`]); every requested parent has
    /// an entry (empty when it has no matching children).
    pub fn decode(&self, rows: &[QueryResult]) -> Result<HashMap<String, ChildPage>> {
        let mut out: HashMap<String, ChildPage> = self
            .keys
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    ChildPage {
                        has_previous_page: self.offset > 0,
                        ..ChildPage::default()
                    },
                )
            })
            .collect();
        for r in rows {
            let key = exec::text(r, "key")?.unwrap_or_default();
            let rn = exec::int(r, "rn")?.unwrap_or(0);
            let total = exec::int(r, "total")?.unwrap_or(0);
            let page = out.entry(key).or_insert_with(|| ChildPage {
                has_previous_page: self.offset > 0,
                ..ChildPage::default()
            });
            page.total_count = total;
            page.has_next_page = self.offset + self.limit < total;
            if rn > self.offset
                && rn <= self.offset + self.limit
                && let Some(row) = exec::json(r, "row")?
            {
                page.rows.push(row);
            }
        }
        Ok(out)
    }
}
