//! What the write engine needs from `spec/model.json` beyond the read catalog: column
//! defaults, how ids are made, unique constraints and the `updated_at` column. Parsed once
//! from the same compiled-in model, keyed like the catalog (`schema.table`).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::read::{Column, ColumnKind, Table};
use crate::{Error, Result};

/// The model the migrations, entities and the read catalog come from.
const MODEL_JSON: &str = include_str!("../../../spec/model.json");

#[derive(Deserialize)]
struct ModelJson {
    tables: Vec<TableJson>,
}

#[derive(Deserialize)]
struct TableJson {
    schema: String,
    name: String,
    id_strategy: Option<String>,
    columns: Vec<ColumnJson>,
    primary_key: Vec<String>,
    uniques: Vec<UniqueJson>,
    updated_at_trigger: Option<String>,
}

#[derive(Deserialize)]
struct ColumnJson {
    name: String,
    default: Option<Json>,
}

#[derive(Deserialize)]
struct UniqueJson {
    columns: Vec<String>,
}

/// How the application makes the id of a new row when the caller gives none
/// (`entity::behavior`: uuid v4 for `uuid` keys, a cuid2 for `text` keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdStrategy {
    /// `id_strategy: "uuid"`.
    Uuid,
    /// `id_strategy: "cuid"`.
    Cuid,
    /// Anything else (composite keys): the caller gives the key.
    Given,
}

/// Write facts of one table.
#[derive(Debug)]
pub struct TableInfo {
    /// How ids are made.
    pub id_strategy: IdStrategy,
    /// Columns with a database default.
    pub defaults: HashSet<String>,
    /// The primary key, then every unique constraint: the column sets `ON CONFLICT` accepts.
    pub conflict_targets: Vec<Vec<String>>,
    /// The column the `updated_at` trigger maintains, if any.
    pub touch: Option<String>,
}

impl TableInfo {
    /// Whether the application generates `column` on insert when it is absent: a
    /// single-column primary key without a database default, of a kind the entities make
    /// ids for.
    pub fn generates(&self, table: &Table, column: &Column) -> bool {
        table.primary_key.len() == 1
            && table.primary_key[0] == column.name
            && !self.defaults.contains(&column.name)
            && matches!(
                (self.id_strategy, column.kind),
                (IdStrategy::Uuid, ColumnKind::Uuid) | (IdStrategy::Cuid, ColumnKind::Text)
            )
    }

    /// Whether the application sets `column` to now on insert when it is absent (the
    /// entities' `updated_at` behaviour) because the database has no default for it.
    pub fn stamps(&self, column: &Column) -> bool {
        self.touch.as_deref() == Some(column.name.as_str())
            && !self.defaults.contains(&column.name)
            && column.kind == ColumnKind::Timestamptz
    }

    /// Whether an insert must give `column`: NOT NULL, no database default, and not made
    /// by the application.
    pub fn required_on_insert(&self, table: &Table, column: &Column) -> bool {
        column.sql.is_none()
            && !column.nullable
            && !self.defaults.contains(&column.name)
            && !self.generates(table, column)
            && !self.stamps(column)
    }
}

/// Write facts of every table.
#[derive(Debug)]
struct WriteModel {
    tables: HashMap<String, TableInfo>,
}

fn build() -> std::result::Result<WriteModel, String> {
    let model: ModelJson =
        serde_json::from_str(MODEL_JSON).map_err(|e| format!("model.json: {e}"))?;
    let tables = model
        .tables
        .into_iter()
        .map(|t| {
            let id_strategy = match t.id_strategy.as_deref() {
                Some("uuid") => IdStrategy::Uuid,
                Some("cuid") => IdStrategy::Cuid,
                _ => IdStrategy::Given,
            };
            let defaults = t
                .columns
                .iter()
                .filter(|c| c.default.as_ref().is_some_and(|d| !d.is_null()))
                .map(|c| c.name.clone())
                .collect();
            let mut conflict_targets = vec![t.primary_key.clone()];
            conflict_targets.extend(t.uniques.into_iter().map(|u| u.columns));
            let info = TableInfo {
                id_strategy,
                defaults,
                conflict_targets,
                touch: t.updated_at_trigger,
            };
            (format!("{}.{}", t.schema, t.name), info)
        })
        .collect();
    Ok(WriteModel { tables })
}

/// The write facts of `table`.
pub fn info(table: &Table) -> Result<&'static TableInfo> {
    static MODEL: LazyLock<std::result::Result<WriteModel, String>> = LazyLock::new(build);
    let model = MODEL.as_ref().map_err(|e| Error::internal(e))?;
    model
        .tables
        .get(&table.key)
        .ok_or_else(|| Error::internal(&format!("no write model for {}", table.key)))
}
