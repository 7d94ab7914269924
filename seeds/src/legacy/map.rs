//! How one legacy table maps onto one canonical table: the data every layout module
//! declares and the engine ([`super::engine`]) runs.

use serde_json::{Map, Value};

/// Where a canonical column's value comes from.
#[derive(Clone, Debug)]
pub enum Src {
    /// A source column (quoted name), converted by its source and target types: naive
    /// `timestamp` → `timestamptz` read as UTC, enum / vector → text, `inet` → `host()`,
    /// `numeric` → `double precision` when the target is.
    Col(String),
    /// A SQL expression over the source row (alias `src`).
    Expr(String),
    /// The first non-NULL of these source columns, each converted as for [`Src::Col`].
    Coalesce(Vec<String>),
}

/// How source column names relate to canonical ones for columns not listed explicitly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// Same (snake_case) names.
    Snake,
    /// Prisma camelCase names (`created_at` ← `"createdAt"`).
    Camel,
}

/// A per-row check beyond what the target catalog says: `Some(reason)` skips the row.
pub type RowCheck = fn(&Map<String, Value>) -> Option<String>;

/// One table mapping.
#[derive(Clone, Debug)]
pub struct TableMap {
    /// Layout name (`vault`, `billy`, …).
    pub layout: &'static str,
    /// Source schema and table (as in the catalog, unquoted).
    pub source: (&'static str, &'static str),
    /// Target schema and table.
    pub target: (&'static str, &'static str),
    /// Source key expression (text), for reading in key order, resuming and examples.
    pub key_expr: String,
    /// Target columns of the upsert's conflict target (primary key or natural key).
    pub conflict: Vec<&'static str>,
    /// Explicit column sources; other target columns come from `auto` when the source
    /// has them.
    pub columns: Vec<(&'static str, Src)>,
    /// Naming of the columns not listed in `columns`; `None`: only `columns`.
    pub auto: Option<Naming>,
    /// Target columns never taken automatically (no legacy source by design).
    pub exclude: Vec<&'static str>,
    /// Columns filled with the existing target value, else `now()`, when the source has
    /// NULL (NOT NULL timestamps without a legacy value; keeps re-runs stable).
    pub or_now: Vec<&'static str>,
    /// Columns inserted but neither compared, updated nor checksummed (the Billy API key,
    /// which is re-encrypted and so differs from the source by design).
    pub no_compare: Vec<&'static str>,
    /// Extra WHERE condition over the source row (alias `src`).
    pub filter: Option<String>,
    /// Extra per-row checks.
    pub checks: Vec<RowCheck>,
    /// The Billy API key column: decrypt (legacy key) and re-encrypt under the current key.
    pub billy_key: bool,
}

impl TableMap {
    /// A mapping with defaults: key `id`, conflict on `id`, automatic column naming.
    pub fn new(
        layout: &'static str,
        source: (&'static str, &'static str),
        target: (&'static str, &'static str),
        naming: Naming,
    ) -> Self {
        let key = match naming {
            Naming::Snake | Naming::Camel => "src.\"id\"::text".to_owned(),
        };
        Self {
            layout,
            source,
            target,
            key_expr: key,
            conflict: vec!["id"],
            columns: Vec::new(),
            auto: Some(naming),
            exclude: Vec::new(),
            or_now: Vec::new(),
            no_compare: Vec::new(),
            filter: None,
            checks: Vec::new(),
            billy_key: false,
        }
    }

    /// Sets an explicit column source.
    pub fn col(mut self, target: &'static str, src: Src) -> Self {
        self.columns.retain(|(c, _)| *c != target);
        self.columns.push((target, src));
        self
    }

    /// An explicit SQL expression for a column.
    pub fn expr(self, target: &'static str, sql: impl Into<String>) -> Self {
        self.col(target, Src::Expr(sql.into()))
    }

    /// Columns filled from the target or `now()` when NULL.
    pub fn or_now(mut self, cols: &[&'static str]) -> Self {
        self.or_now.extend_from_slice(cols);
        self
    }

    /// Target columns with no legacy source.
    pub fn exclude(mut self, cols: &[&'static str]) -> Self {
        self.exclude.extend_from_slice(cols);
        self
    }

    /// Adds a per-row check.
    pub fn check(mut self, f: RowCheck) -> Self {
        self.checks.push(f);
        self
    }

    /// Restricts the source rows.
    pub fn filter(mut self, sql: impl Into<String>) -> Self {
        self.filter = Some(sql.into());
        self
    }

    /// The first non-NULL of these source columns (converted like copied columns).
    pub fn coalesce(self, target: &'static str, cols: &[&str]) -> Self {
        self.col(
            target,
            Src::Coalesce(cols.iter().map(|c| (*c).to_owned()).collect()),
        )
    }

    /// Columns inserted but not compared, updated or checksummed.
    pub fn no_compare(mut self, cols: &[&'static str]) -> Self {
        self.no_compare.extend_from_slice(cols);
        self
    }

    /// Sets the conflict target.
    pub fn conflict(mut self, cols: &[&'static str]) -> Self {
        self.conflict = cols.to_vec();
        self
    }

    /// Sets the source key expression.
    pub fn key(mut self, sql: impl Into<String>) -> Self {
        self.key_expr = sql.into();
        self
    }

    /// `schema.table` of the source, for reports.
    pub fn source_name(&self) -> String {
        format!("{}.{}", self.source.0, self.source.1)
    }

    /// `schema.table` of the target, for reports.
    pub fn target_name(&self) -> String {
        format!("{}.{}", self.target.0, self.target.1)
    }
}

/// `snake_case` → `camelCase`.
pub fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// A double-quoted SQL identifier.
pub fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `src."col"` (the source row's column).
pub fn s(col: &str) -> String {
    format!("src.{}", q(col))
}

#[cfg(test)]
mod tests {
    #[test]
    fn camel_case() {
        assert_eq!(super::camel("created_at"), "createdAt");
        assert_eq!(super::camel("id"), "id");
        assert_eq!(super::camel("follow_up_attempts"), "followUpAttempts");
    }
}
