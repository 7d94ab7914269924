//! The table model of `spec/model.json`, compiled in and parsed once: tables, columns with
//! their kinds, primary keys, and the relations derived from the foreign keys in both
//! directions. Every name the read engine puts into SQL comes from here.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::{Error, Result};

/// Columns that are never readable: not selectable, filterable, orderable or aggregatable
/// (`schema`, `table`, `column`). The one place secrets are listed.
pub const SECRET_COLUMNS: [(&str, &str, &str); 4] = [
    ("billy", "organizations", "billy_api_key"),
    ("renos", "users", "password_hash"),
    ("flow", "webhooks", "secret"),
    ("flow", "integrations", "config"),
];

/// Computed, read-only columns that stand in for secrets (`schema`, `table`, `column`,
/// SQL over the alias `{t}`): whether a secret is set, never the secret.
pub const COMPUTED_COLUMNS: [(&str, &str, &str, &str); 1] = [(
    "billy",
    "organizations",
    "has_api_key",
    "(coalesce({t}.\"billy_api_key\", '') <> '')",
)];

/// How a column's values are compared, bound and rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// `text`, `character varying(n)`.
    Text,
    /// `smallint`.
    SmallInt,
    /// `integer`.
    Integer,
    /// `bigint`.
    BigInt,
    /// `double precision`.
    Float,
    /// `numeric(p,s)`; rendered as a JSON string so no digit is lost.
    Numeric,
    /// `boolean`.
    Boolean,
    /// `uuid`.
    Uuid,
    /// `timestamp with time zone`; rendered as ISO 8601 with offset.
    Timestamptz,
    /// `date`; rendered as `YYYY-MM-DD`.
    Date,
    /// `time without time zone`; rendered as `HH:MM:SS[.ffffff]`.
    Time,
    /// `jsonb`.
    Jsonb,
    /// `text[]`.
    TextArray,
    /// `vector(n)` (pgvector): never readable through the read engine.
    Vector,
}

impl ColumnKind {
    pub(super) fn parse(pg_type: &str) -> Option<Self> {
        Some(match pg_type {
            "text" => Self::Text,
            t if t.starts_with("character varying") => Self::Text,
            "smallint" => Self::SmallInt,
            "integer" => Self::Integer,
            "bigint" => Self::BigInt,
            "double precision" => Self::Float,
            t if t.starts_with("numeric") => Self::Numeric,
            "boolean" => Self::Boolean,
            "uuid" => Self::Uuid,
            "timestamp with time zone" => Self::Timestamptz,
            "date" => Self::Date,
            "time without time zone" => Self::Time,
            "jsonb" => Self::Jsonb,
            "text[]" => Self::TextArray,
            t if t.starts_with("vector") => Self::Vector,
            _ => return None,
        })
    }

    /// The SQL type a bound parameter of this kind is cast to (`$1::uuid`).
    pub fn cast(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::SmallInt => "smallint",
            Self::Integer => "integer",
            Self::BigInt => "bigint",
            Self::Float => "double precision",
            Self::Numeric => "numeric",
            Self::Boolean => "boolean",
            Self::Uuid => "uuid",
            Self::Timestamptz => "timestamptz",
            Self::Date => "date",
            Self::Time => "time",
            Self::Jsonb => "jsonb",
            Self::TextArray => "text[]",
            Self::Vector => "vector",
        }
    }

    /// Whether `<`, `>`, ordering and keyset pagination apply.
    pub fn is_orderable(self) -> bool {
        !matches!(self, Self::Jsonb | Self::TextArray | Self::Vector)
    }

    /// Whether `sum` and `avg` apply.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::SmallInt | Self::Integer | Self::BigInt | Self::Float | Self::Numeric
        )
    }
}

/// One column of a table.
#[derive(Clone, Debug)]
pub struct Column {
    /// Column name (snake_case, as in the database).
    pub name: String,
    /// The PostgreSQL type as the model spells it.
    pub pg_type: String,
    /// The kind derived from `pg_type`.
    pub kind: ColumnKind,
    /// Whether the column admits NULL.
    pub nullable: bool,
    /// The closed value list of a status/type column (`CHECK (col = ANY (...))`).
    pub enum_values: Option<Vec<String>>,
    /// False for secrets ([`SECRET_COLUMNS`]) and vectors: such a column can be neither
    /// selected nor used in a filter, ordering or aggregate.
    pub readable: bool,
    /// For a computed column ([`COMPUTED_COLUMNS`]): its SQL over the table alias `{t}`.
    /// `None` for stored columns.
    pub sql: Option<String>,
}

impl Column {
    /// The column's value in SQL for the table alias `alias`: `alias."name"`, or the
    /// computed column's expression.
    pub fn expr(&self, alias: &str) -> String {
        match &self.sql {
            Some(sql) => sql.replace("{t}", alias),
            None => format!("{alias}.{}", quote_ident(&self.name)),
        }
    }
}

/// Direction of a relation, seen from the table it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    /// This table holds the foreign key; the target is the referenced row (at most one).
    BelongsTo,
    /// The target table holds the foreign key; any number of target rows.
    HasMany,
    /// The target table holds a unique foreign key; at most one target row.
    HasOne,
}

/// A relation of a table to another (possibly in another schema), derived from one
/// single-column foreign key. Target rows are those with
/// `target.to_column = this.from_column`.
#[derive(Clone, Debug)]
pub struct Relation {
    /// Name, unique among the table's relations and columns.
    pub name: String,
    /// Direction.
    pub kind: RelationKind,
    /// The column of this table the join uses.
    pub from_column: String,
    /// Target table key (`schema.table`).
    pub target: String,
    /// The column of the target table the join uses.
    pub to_column: String,
    /// The foreign key constraint the relation comes from.
    pub constraint: String,
}

/// One table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Schema name.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// `schema.table`, the key tables are looked up by.
    pub key: String,
    /// Columns in model order.
    pub columns: Vec<Column>,
    /// Primary key columns in key order.
    pub primary_key: Vec<String>,
    /// Relations in both directions.
    pub relations: Vec<Relation>,
}

impl Table {
    /// The quoted, schema-qualified name for SQL (`"renos"."bookings"`).
    pub fn sql_name(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// The column called `name`, readable or not.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The readable column called `name`; a validation error on `field` otherwise.
    pub fn readable_column(&self, name: &str, field: &str) -> Result<&Column> {
        match self.column(name) {
            Some(c) if c.readable => Ok(c),
            Some(_) => Err(Error::invalid(field, "column is not readable")),
            None => Err(Error::invalid(
                field,
                format!("unknown column of {}", self.key),
            )),
        }
    }

    /// The names of all readable columns, in model order.
    pub fn readable_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.readable)
            .map(|c| c.name.clone())
            .collect()
    }

    /// The relation called `name`; a validation error on `field` otherwise.
    pub fn relation(&self, name: &str, field: &str) -> Result<&Relation> {
        self.relations
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| Error::invalid(field, format!("unknown relation of {}", self.key)))
    }
}

/// All tables of the model.
#[derive(Debug)]
pub struct Catalog {
    pub(super) tables: Vec<Table>,
    pub(super) index: HashMap<String, usize>,
}

impl Catalog {
    /// Every table, in model order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The table `schema.table`; a validation error on `table` otherwise.
    pub fn table(&self, key: &str) -> Result<&Table> {
        self.index
            .get(key)
            .and_then(|&i| self.tables.get(i))
            .ok_or_else(|| Error::invalid("table", "unknown table"))
    }
}

/// The catalog, parsed on first use.
pub fn catalog() -> Result<&'static Catalog> {
    static CATALOG: LazyLock<std::result::Result<Catalog, String>> =
        LazyLock::new(super::model::build);
    CATALOG.as_ref().map_err(|e| Error::internal(e))
}

/// `"name"`, with embedded quotes doubled. Names come from the catalog; quoting is belt and
/// braces.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`, with embedded quotes doubled (for catalog names used as JSON keys).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn loads_every_table() {
        let c = catalog().unwrap();
        assert_eq!(c.tables().len(), 82);
        assert!(c.table("renos.bookings").is_ok());
        assert!(c.table("nope.nothing").is_err());
    }

    #[test]
    fn secret_columns_are_not_readable() {
        let c = catalog().unwrap();
        for (s, t, col) in SECRET_COLUMNS {
            let table = c.table(&format!("{s}.{t}")).unwrap();
            let column = table
                .column(col)
                .expect("secret column exists in the model");
            assert!(!column.readable, "{s}.{t}.{col}");
            assert!(!table.readable_columns().contains(&col.to_owned()));
        }
        let emb = c.table("vault.embeddings").unwrap();
        assert!(!emb.column("embedding").unwrap().readable);
    }

    #[test]
    fn relations_in_both_directions_with_unique_names() {
        let c = catalog().unwrap();
        let users = c.table("shared.users").unwrap();
        let r = users.relation("renos_users", "x").unwrap();
        assert_eq!(r.kind, RelationKind::HasMany);
        assert_eq!(
            (r.target.as_str(), r.to_column.as_str()),
            ("renos.users", "shared_user_id")
        );
        let ru = c.table("renos.users").unwrap();
        let b = ru.relation("shared_user", "x").unwrap();
        assert_eq!(b.kind, RelationKind::BelongsTo);
        assert_eq!(
            ru.relation("team_member", "x").unwrap().kind,
            RelationKind::HasOne
        );
        let mut total = 0;
        for t in c.tables() {
            let mut names: Vec<&str> = t.relations.iter().map(|r| r.name.as_str()).collect();
            names.extend(t.columns.iter().map(|c| c.name.as_str()));
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{}", t.key);
            total += t.relations.len();
        }
        assert_eq!(total, 2 * 74);
    }
}
