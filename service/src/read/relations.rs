//! Relations derived from the foreign keys, in both directions, and their names.

use std::collections::{HashMap, HashSet};

use super::catalog::{Relation, RelationKind, Table};
use super::model::{ModelJson, TableJson};

/// Adds both directions of every single-column foreign key.
pub(super) fn add_relations(
    model: &ModelJson,
    tables: &mut [Table],
    index: &HashMap<String, usize>,
) -> std::result::Result<(), String> {
    for child in &model.tables {
        let child_key = format!("{}.{}", child.schema, child.name);
        for fk in &child.foreign_keys {
            let ([column], [ref_column]) = (fk.columns.as_slice(), fk.ref_columns.as_slice())
            else {
                return Err(format!(
                    "{}: composite foreign keys are not supported",
                    fk.name
                ));
            };
            let parent_key = format!("{}.{}", fk.ref_schema, fk.ref_table);
            let (&ci, &pi) = index
                .get(&child_key)
                .zip(index.get(&parent_key))
                .ok_or_else(|| format!("{}: unknown table", fk.name))?;
            let unique = child.uniques.iter().any(|u| u.columns == fk.columns);
            let siblings = child
                .foreign_keys
                .iter()
                .filter(|f| f.ref_schema == fk.ref_schema && f.ref_table == fk.ref_table)
                .count();
            let belongs = Relation {
                name: belongs_to_name(column, &fk.ref_table),
                kind: RelationKind::BelongsTo,
                from_column: column.clone(),
                target: parent_key.clone(),
                to_column: ref_column.clone(),
                constraint: fk.name.clone(),
            };
            let has = Relation {
                name: has_name(child, &fk.ref_schema, column, unique, siblings > 1),
                kind: if unique {
                    RelationKind::HasOne
                } else {
                    RelationKind::HasMany
                },
                from_column: ref_column.clone(),
                target: child_key.clone(),
                to_column: column.clone(),
                constraint: fk.name.clone(),
            };
            push_relation(&mut tables[ci], belongs);
            push_relation(&mut tables[pi], has);
        }
    }
    Ok(())
}

/// `customer_id` → `customer`; `assessed_by` (to `users`) → `assessed_by_user`.
fn belongs_to_name(column: &str, ref_table: &str) -> String {
    match column.strip_suffix("_id") {
        Some(base) => base.to_owned(),
        None => format!("{column}_{}", singular(ref_table)),
    }
}

/// `bookings`; `renos_users` across schemas; `team_member` for a unique key;
/// `time_corrections_by_approved_by` when the child has several keys to the parent.
fn has_name(
    child: &TableJson,
    parent_schema: &str,
    column: &str,
    one: bool,
    many_keys: bool,
) -> String {
    let mut name = if one {
        singular(&child.name).to_owned()
    } else {
        child.name.clone()
    };
    if child.schema != parent_schema {
        name = format!("{}_{name}", child.schema);
    }
    if many_keys {
        name = format!("{name}_by_{}", column.strip_suffix("_id").unwrap_or(column));
    }
    name
}

fn singular(name: &str) -> &str {
    name.strip_suffix('s').unwrap_or(name)
}

/// Adds `rel`, renaming it (`_rel` suffix) if it would clash with a column or relation.
fn push_relation(table: &mut Table, mut rel: Relation) {
    let taken: HashSet<&str> = table
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .chain(table.relations.iter().map(|r| r.name.as_str()))
        .collect();
    while taken.contains(rel.name.as_str()) {
        rel.name.push_str("_rel");
    }
    table.relations.push(rel);
}
