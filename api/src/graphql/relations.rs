//! Relations without N+1: before a root field returns its rows, the selection set is
//! looked ahead and every relation field below is loaded level by level, ONE batched
//! statement per relation field per level (`Reader::children` / `Reader::parents` over
//! the keys of all rows of the level). Results are stashed in the row objects under
//! `__rel:<alias>`, where the relation field resolvers find them.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;

use async_graphql::SelectionField;
use sea_orm::DatabaseTransaction;
use serde_json::{Value as Json, json};
use service::read::{
    Catalog, ChildrenQuery, Filter, OrderBy, ParentsQuery, Reader, Relation, RelationKind, Table,
    key_text,
};
use service::{Error, Result};

use super::{filters, names, order};

/// A boxed, sendable future (the recursion of [`preload`]).
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a level selects of its rows: columns, and relations to load below.
#[derive(Debug, Default)]
pub struct NodeSel {
    columns: BTreeSet<String>,
    rels: Vec<RelSel>,
}

/// One relation field (per alias) of a level.
#[derive(Debug)]
struct RelSel {
    key: String,
    relation: &'static Relation,
    target: &'static Table,
    filter: Option<Filter>,
    order: Vec<OrderBy>,
    offset: i64,
    limit: Option<i64>,
    /// `totalCount` is selected (has-many): count each parent's children.
    count: bool,
    node: NodeSel,
}

/// The key a relation field's value is stashed under in its row.
pub fn stash_key(field: &SelectionField<'_>) -> String {
    format!("__rel:{}", field.alias().unwrap_or(field.name()))
}

fn args_json(field: &SelectionField<'_>) -> Result<Json> {
    let args = field
        .arguments()
        .map_err(|e| Error::invalid(field.name(), e.message))?;
    let mut map = serde_json::Map::new();
    for (name, value) in args {
        let v = value
            .into_json()
            .map_err(|_| Error::invalid(name.as_str(), "not representable as JSON"))?;
        map.insert(name.to_string(), v);
    }
    Ok(Json::Object(map))
}

impl NodeSel {
    /// The selection on rows of `t` made by `fields` (each a field whose selection set is
    /// a `t` object: `node`, `nodes`, a by-key field, a belongs-to field).
    pub fn build(
        cat: &'static Catalog,
        t: &'static Table,
        fields: &[SelectionField<'_>],
    ) -> Result<Self> {
        let mut sel = NodeSel::default();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<Vec<SelectionField<'_>>> = Vec::new();
        for f in fields {
            for sub in f.selection_set() {
                let name = sub.name();
                if let Some(c) = t
                    .columns
                    .iter()
                    .find(|c| c.readable && names::camel(&c.name) == name)
                {
                    sel.columns.insert(c.name.clone());
                    continue;
                }
                let Some(relation) = t.relations.iter().find(|r| names::camel(&r.name) == name)
                else {
                    continue;
                };
                let key = stash_key(&sub);
                let wants_count = sub.selection_set().any(|s| s.name() == "totalCount");
                if let Some(&i) = seen.get(&key) {
                    sel.rels[i].count |= wants_count;
                    groups[i].push(sub);
                    continue;
                }
                let target = cat.table(&relation.target)?;
                let args = args_json(&sub)?;
                seen.insert(key.clone(), sel.rels.len());
                groups.push(vec![sub]);
                sel.columns.insert(relation.from_column.clone());
                sel.rels.push(RelSel {
                    key,
                    relation,
                    target,
                    filter: filters::parse(cat, target, &args["filter"])?,
                    order: order::parse(target, &args["orderBy"])?,
                    offset: args["offset"].as_i64().unwrap_or(0),
                    limit: args["limit"].as_i64(),
                    count: wants_count,
                    node: NodeSel::default(),
                });
            }
        }
        for (rel, group) in sel.rels.iter_mut().zip(groups) {
            let nodes: Vec<SelectionField<'_>> = if rel.relation.kind == RelationKind::HasMany {
                group
                    .iter()
                    .flat_map(|g| g.selection_set().filter(|s| s.name() == "nodes"))
                    .collect()
            } else {
                group
            };
            rel.node = NodeSel::build(cat, rel.target, &nodes)?;
        }
        Ok(sel)
    }

    /// The columns to read for rows of `t`: the selected ones, the relation keys, and
    /// the primary key.
    pub fn columns(&self, t: &Table) -> Vec<String> {
        let mut cols = self.columns.clone();
        for pk in &t.primary_key {
            if t.column(pk).is_some_and(|c| c.readable) {
                cols.insert(pk.clone());
            }
        }
        cols.into_iter().collect()
    }
}

/// Loads every relation selected by `sel` for all `rows` of `t`, then recursively below:
/// one statement per relation field per level.
pub fn preload<'a>(
    reader: &'a Reader<'a, DatabaseTransaction>,
    t: &'static Table,
    rows: &'a mut [Json],
    sel: &'a NodeSel,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        for rel in &sel.rels {
            let from = t
                .column(&rel.relation.from_column)
                .ok_or_else(|| Error::internal(&"relation column missing"))?;
            let keys: Vec<Json> = rows.iter().map(|r| r[&from.name].clone()).collect();
            let columns = rel.node.columns(rel.target);
            let values: HashMap<String, Json> = if rel.relation.kind == RelationKind::HasMany {
                let pages = reader
                    .children(&ChildrenQuery {
                        table: t.key.clone(),
                        relation: rel.relation.name.clone(),
                        parent_keys: keys,
                        columns,
                        filter: rel.filter.clone(),
                        order: rel.order.clone(),
                        offset: rel.offset,
                        limit: rel.limit,
                        skip_total: !rel.count,
                    })
                    .await?;
                let mut flat = Vec::new();
                let mut ranges = Vec::new();
                for (k, page) in pages {
                    ranges.push((k, page.rows.len(), page.total_count));
                    flat.extend(page.rows);
                }
                preload(reader, rel.target, &mut flat, &rel.node).await?;
                let mut rows_in_order = flat.into_iter();
                ranges
                    .into_iter()
                    .map(|(k, n, total)| {
                        let nodes: Vec<Json> = rows_in_order.by_ref().take(n).collect();
                        (k, json!({ "totalCount": total, "nodes": nodes }))
                    })
                    .collect()
            } else {
                let found = reader
                    .parents(&ParentsQuery {
                        table: t.key.clone(),
                        relation: rel.relation.name.clone(),
                        keys,
                        columns,
                    })
                    .await?;
                let (ks, mut flat): (Vec<String>, Vec<Json>) = found.into_iter().unzip();
                preload(reader, rel.target, &mut flat, &rel.node).await?;
                ks.into_iter().zip(flat).collect()
            };
            let empty = if rel.relation.kind == RelationKind::HasMany {
                json!({ "totalCount": 0, "nodes": [] })
            } else {
                Json::Null
            };
            // Each value moves into the last row that refers to it; only a value shared by
            // several rows (a belongs-to target) is copied.
            let mut values = values;
            let mut uses: HashMap<String, usize> = HashMap::new();
            for r in rows.iter() {
                if !r[&from.name].is_null() {
                    *uses.entry(key_text(from, &r[&from.name])).or_default() += 1;
                }
            }
            for r in rows.iter_mut() {
                let v = if r[&from.name].is_null() {
                    empty.clone()
                } else {
                    let k = key_text(from, &r[&from.name]);
                    let left = uses.get_mut(&k).map(|n| {
                        *n -= 1;
                        *n
                    });
                    let found = if left == Some(0) {
                        values.remove(&k)
                    } else {
                        values.get(&k).cloned()
                    };
                    found.unwrap_or_else(|| empty.clone())
                };
                if let Json::Object(m) = r {
                    m.insert(rel.key.clone(), v);
                }
            }
        }
        Ok(())
    })
}
