//! Naming rules: database names (snake_case) to GraphQL names, deterministically.
//! Types: `PascalCase(schema) + PascalCase(singular(table))` (`renos.customers` →
//! `RenosCustomer`); fields: camelCase; enum values: SCREAMING_SNAKE_CASE.

use service::read::Table;

/// `in_progress` → `InProgress`.
pub fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// `created_at` → `createdAt`.
pub fn camel(snake: &str) -> String {
    let p = pascal(snake);
    let mut c = p.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `in_progress` → `IN_PROGRESS` (enum values and column enums).
pub fn screaming(snake: &str) -> String {
    snake.to_uppercase()
}

/// The singular of the last word of a table name (`privacy_policies` → `privacy_policy`,
/// `sync_status` stays).
pub fn singular(table: &str) -> String {
    let (head, last) = match table.rsplit_once('_') {
        Some((h, l)) => (format!("{h}_"), l),
        None => (String::new(), table),
    };
    let one = if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["sses", "shes", "ches", "xes"]
        .iter()
        .any(|s| last.ends_with(s))
    {
        last[..last.len() - 2].to_owned()
    } else if last.ends_with("ss") || last.ends_with("us") || !last.ends_with('s') {
        last.to_owned()
    } else {
        last[..last.len() - 1].to_owned()
    };
    format!("{head}{one}")
}

/// The object type of a table (`RenosCustomer`).
pub fn type_name(t: &Table) -> String {
    format!("{}{}", pascal(&t.schema), pascal(&singular(&t.name)))
}

/// The root field reading one row by key (`customer`, or `syncStatusByPk` when the
/// singular is the table name).
pub fn by_pk_field(t: &Table) -> String {
    let one = singular(&t.name);
    if one == t.name {
        format!("{}ByPk", camel(&one))
    } else {
        camel(&one)
    }
}

/// The root list field (`customers`).
pub fn list_field(t: &Table) -> String {
    camel(&t.name)
}

/// The per-schema root object (`RenosQuery`).
pub fn schema_type(schema: &str) -> String {
    format!("{}Query", pascal(schema))
}

/// The mutation object of a schema (`RenosMutation`).
pub fn schema_mutation_type(schema: &str) -> String {
    format!("{}Mutation", pascal(schema))
}

/// The enum type of a text column with a closed value list (`RenosBookingStatus`).
pub fn enum_type(t: &Table, column: &str) -> String {
    format!("{}{}", type_name(t), pascal(column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("renos"), "Renos");
        assert_eq!(camel("shared_user_id"), "sharedUserId");
        assert_eq!(singular("customers"), "customer");
        assert_eq!(singular("privacy_policies"), "privacy_policy");
        assert_eq!(singular("sync_status"), "sync_status");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(
            singular("subcontractor_availability"),
            "subcontractor_availability"
        );
        assert_eq!(screaming("in_progress"), "IN_PROGRESS");
    }
}
