//! `spec/model.json`, the machine-readable description of data-model.md, as the
//! [`Catalog`] lines the migrations must produce.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::catalog::Catalog;

#[derive(Debug, Deserialize)]
pub struct Model {
    pub extensions: Vec<String>,
    pub schemas: Vec<Schema>,
    pub tables: Vec<Table>,
}

#[derive(Debug, Deserialize)]
pub struct Schema {
    pub name: String,
    pub comment: String,
}

#[derive(Debug, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub primary_key_name: String,
    pub uniques: Vec<Unique>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(default)]
    pub checks: Vec<Check>,
    pub updated_at_trigger: Option<String>,
    #[serde(default)]
    pub link_table: bool,
}

#[derive(Debug, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    pub default: Option<String>,
    #[serde(rename = "enum")]
    pub values: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
    pub nulls_not_distinct: bool,
}

#[derive(Debug, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub method: String,
    pub unique: bool,
}

#[derive(Debug, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Deserialize)]
pub struct Check {
    pub name: String,
    pub column: String,
}

impl Model {
    /// Reads `spec/model.json` from the repository.
    pub fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/model.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The tables of one schema.
    pub fn tables_in<'a>(&'a self, schema: &'a str) -> impl Iterator<Item = &'a Table> + 'a {
        self.tables.iter().filter(move |t| t.schema == schema)
    }

    /// What the catalog of a migrated database must contain (all kinds but `function`).
    pub fn expected_catalog(&self) -> Catalog {
        let mut lines = BTreeSet::new();
        for e in &self.extensions {
            lines.insert(format!("extension {e}"));
        }
        for s in &self.schemas {
            lines.insert(format!("schema {} {}", s.name, s.comment));
        }
        for t in &self.tables {
            let q = format!("{}.{}", t.schema, t.name);
            lines.insert(format!("table {q}"));
            for c in &t.columns {
                let mut l = format!("column {q}.{} {}", c.name, c.ty);
                if !c.nullable {
                    l.push_str(" NOT NULL");
                }
                if let Some(d) = &c.default {
                    l.push_str(&format!(" DEFAULT {d}"));
                }
                lines.insert(l);
            }
            lines.insert(format!(
                "pk {q} {} ({})",
                t.primary_key_name,
                t.primary_key.join(", ")
            ));
            for u in &t.uniques {
                let nnd = if u.nulls_not_distinct {
                    " NULLS NOT DISTINCT"
                } else {
                    ""
                };
                lines.insert(format!(
                    "unique {q} {} ({}){nnd}",
                    u.name,
                    u.columns.join(", ")
                ));
            }
            for c in &t.checks {
                lines.insert(format!("check {q} {} ({})", c.name, c.column));
            }
            for i in &t.indexes {
                let uq = if i.unique { " UNIQUE" } else { "" };
                lines.insert(format!(
                    "index {q} {}{uq} USING {} ({})",
                    i.name,
                    i.method,
                    i.columns.join(", ")
                ));
            }
            for f in &t.foreign_keys {
                lines.insert(format!(
                    "fk {q} {} ({}) -> {}.{} ({}) ON DELETE {} ON UPDATE {}",
                    f.name,
                    f.columns.join(", "),
                    f.ref_schema,
                    f.ref_table,
                    f.ref_columns.join(", "),
                    f.on_delete,
                    f.on_update
                ));
            }
            if let Some(col) = &t.updated_at_trigger {
                let func = if col == "updated_at" {
                    "tekup_touch_updated_at"
                } else {
                    "tekup_touch_last_updated"
                };
                lines.insert(format!("trigger {q} {}_touch_{col} {func}", t.name));
            }
        }
        Catalog { lines }
    }
}
