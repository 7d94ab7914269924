//! A statement under construction: SQL text with numbered parameters and their values.

use sea_orm::Value;

/// A built statement: SQL text with `$1, $2, ...` placeholders and the values they bind.
/// Every value is a parameter; the text holds only catalog names and fixed keywords.
#[derive(Clone, Debug, Default)]
pub struct Built {
    /// The SQL text.
    pub sql: String,
    /// The bound values, `values[0]` for `$1`.
    pub values: Vec<Value>,
}

/// The parameter list of a statement being built.
#[derive(Debug, Default)]
pub struct Params {
    values: Vec<Value>,
}

impl Params {
    /// Binds `value` and returns its placeholder with an explicit cast (`$3::uuid`), so the
    /// server never has to infer the parameter type.
    pub fn bind(&mut self, value: Value, cast: &str) -> String {
        self.values.push(value);
        format!("${}::{cast}", self.values.len())
    }

    /// Binds a count (limit, offset) as `bigint`.
    pub fn bind_i64(&mut self, n: i64) -> String {
        self.bind(Value::from(n), "bigint")
    }

    /// The finished statement.
    pub fn finish(self, sql: String) -> Built {
        Built {
            sql,
            values: self.values,
        }
    }
}
