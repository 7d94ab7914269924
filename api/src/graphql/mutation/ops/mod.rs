//! The business operations as mutation fields, each calling one `service` function.

use async_graphql::dynamic::{Field, Type};

/// The input and result types of the operations.
pub fn types() -> Vec<Type> {
    Vec::new()
}

/// The operation fields, by schema name (`"renos"`, `"billy"`, ...).
pub fn fields() -> Vec<(&'static str, Vec<Field>)> {
    Vec::new()
}
