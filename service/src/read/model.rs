//! Parsing `spec/model.json` (compiled in) into the [`Catalog`].

use std::collections::HashMap;

use serde::Deserialize;

use super::catalog::{COMPUTED_COLUMNS, Catalog, Column, ColumnKind, SECRET_COLUMNS, Table};
use super::relations::add_relations;

/// The model the migrations and entities are generated from.
const MODEL_JSON: &str = include_str!("../../../spec/model.json");

#[derive(Deserialize)]
pub(super) struct ModelJson {
    pub(super) tables: Vec<TableJson>,
}

#[derive(Deserialize)]
pub(super) struct TableJson {
    pub(super) schema: String,
    pub(super) name: String,
    pub(super) columns: Vec<ColumnJson>,
    pub(super) primary_key: Vec<String>,
    pub(super) uniques: Vec<UniqueJson>,
    pub(super) foreign_keys: Vec<ForeignKeyJson>,
}

#[derive(Deserialize)]
pub(super) struct ColumnJson {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) ty: String,
    pub(super) nullable: bool,
    #[serde(rename = "enum")]
    pub(super) values: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub(super) struct UniqueJson {
    pub(super) columns: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct ForeignKeyJson {
    pub(super) name: String,
    pub(super) columns: Vec<String>,
    pub(super) ref_schema: String,
    pub(super) ref_table: String,
    pub(super) ref_columns: Vec<String>,
}

/// The catalog of the compiled-in model (an error text when it does not parse).
pub(super) fn build() -> std::result::Result<Catalog, String> {
    let model: ModelJson =
        serde_json::from_str(MODEL_JSON).map_err(|e| format!("model.json: {e}"))?;
    let mut tables = Vec::with_capacity(model.tables.len());
    for t in &model.tables {
        tables.push(table(t)?);
    }
    let index: HashMap<String, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.key.clone(), i))
        .collect();
    add_relations(&model, &mut tables, &index)?;
    Ok(Catalog { tables, index })
}

fn table(t: &TableJson) -> std::result::Result<Table, String> {
    let mut columns = Vec::with_capacity(t.columns.len());
    for c in &t.columns {
        let kind = ColumnKind::parse(&c.ty)
            .ok_or_else(|| format!("{}.{}.{}: unknown type {}", t.schema, t.name, c.name, c.ty))?;
        let secret = SECRET_COLUMNS
            .iter()
            .any(|&(s, n, col)| s == t.schema && n == t.name && col == c.name);
        columns.push(Column {
            name: c.name.clone(),
            pg_type: c.ty.clone(),
            kind,
            nullable: c.nullable,
            enum_values: c.values.clone(),
            readable: !secret && kind != ColumnKind::Vector,
            sql: None,
        });
    }
    for &(s, n, name, sql) in &COMPUTED_COLUMNS {
        if s == t.schema && n == t.name {
            columns.push(Column {
                name: name.to_owned(),
                pg_type: "boolean".to_owned(),
                kind: ColumnKind::Boolean,
                nullable: false,
                enum_values: None,
                readable: true,
                sql: Some(sql.to_owned()),
            });
        }
    }
    Ok(Table {
        schema: t.schema.clone(),
        name: t.name.clone(),
        key: format!("{}.{}", t.schema, t.name),
        columns,
        primary_key: t.primary_key.clone(),
        relations: Vec::new(),
    })
}
