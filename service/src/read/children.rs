//! Nested lists, batched: the children of many parents through a has-many (or has-one)
//! relation in ONE statement, each parent's list filtered, ordered and paginated in SQL:
//! a LATERAL subquery per parent key with its own ORDER BY / LIMIT / OFFSET (an index on
//! the foreign key and the order columns reads exactly the page), and, when asked for, a
//! LATERAL count per parent.

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
    /// Do not count each parent's matching children (`ChildPage::total_count` is then 0);
    /// `has_next_page` stays exact.
    pub skip_total: bool,
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
    skip_total: bool,
}

impl ChildrenQuery {
    /// The statement: per parent key (`unnest` of the keys, in order) a LATERAL page of
    /// at most `limit + 1` children (the extra row tells `has_next_page`), numbered by the
    /// requested order, and unless `skip_total` a LATERAL count of the parent's matching
    /// children. A parent without children on the page still yields one row (its count).
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
                skip_total: self.skip_total,
            });
        }
        let mut params = Params::default();
        let keys_param = params.bind(array, &format!("{}[]", fk.kind.cast()));
        let filter = match &self.filter {
            Some(f) => FilterRenderer::new(cat, &mut params).render(child, "t0", f)?,
            None => "TRUE".to_owned(),
        };
        let page_limit = params.bind_i64(limit + 1);
        let page_offset = params.bind_i64(offset);
        let fk_name = quote_ident(&fk.name);
        let inner_cols: String = columns
            .iter()
            .map(|c| format!(", {} AS {}", c.expr("t0"), quote_ident(&c.name)))
            .collect();
        let order_by = order::clause(&keys, |_, c| order::column_of("t0")(c));
        let (total_join, total_expr) = if self.skip_total {
            (String::new(), "NULL::bigint".to_owned())
        } else {
            let count_filter = match &self.filter {
                Some(f) => FilterRenderer::new(cat, &mut params).render(child, "t1", f)?,
                None => "TRUE".to_owned(),
            };
            (
                format!(
                    " CROSS JOIN LATERAL (SELECT count(*) AS n FROM {table} AS t1 \
                     WHERE t1.{fk_name} = k.v AND ({count_filter})) AS tc",
                    table = child.sql_name()
                ),
                "tc.n".to_owned(),
            )
        };
        let sql = format!(
            "SELECT k.v::text AS key, p.__rn AS rn, {total_expr} AS total, \
             CASE WHEN p.__rn IS NULL THEN NULL ELSE {row} END AS row \
             FROM unnest({keys_param}) WITH ORDINALITY AS k(v, ord) \
             LEFT JOIN LATERAL (SELECT t0.{fk_name} AS __fk{inner_cols}, \
             row_number() OVER (ORDER BY {order_by}) AS __rn \
             FROM {table} AS t0 WHERE t0.{fk_name} = k.v AND ({filter}) \
             ORDER BY {order_by} LIMIT {page_limit} OFFSET {page_offset}) AS p ON TRUE{total_join} \
             ORDER BY k.ord, p.__rn",
            row = select::json_object("p", &columns),
            table = child.sql_name(),
        );
        Ok(ChildrenPlan {
            built: Some(params.finish(sql)),
            keys: texts,
            offset,
            limit,
            skip_total: self.skip_total,
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
            let rn = exec::int(r, "rn")?;
            let total = exec::int(r, "total")?;
            let page = out.entry(key).or_insert_with(|| ChildPage {
                has_previous_page: self.offset > 0,
                ..ChildPage::default()
            });
            if let Some(total) = total {
                page.total_count = total;
            }
            let Some(rn) = rn else { continue };
            if rn > self.offset + self.limit {
                page.has_next_page = true;
            } else if let Some(row) = exec::json(r, "row")? {
                page.rows.push(row);
            }
        }
        if !self.skip_total {
            for page in out.values_mut() {
                page.has_next_page = self.offset + self.limit < page.total_count;
            }
        }
        Ok(out)
    }
}
