//! Generic create, update, delete and upsert of every table through `service::write`.

use async_graphql::dynamic::{Field, Type};
use service::read::{Catalog, Table};

/// The input types of the generic mutations.
pub fn types(_cat: &'static Catalog) -> Vec<Type> {
    Vec::new()
}

/// `create<Type>`, `update<Type>`, `delete<Type>`, `upsert<Type>` of `t`.
pub fn fields(_cat: &'static Catalog, _t: &'static Table) -> Vec<Field> {
    Vec::new()
}
