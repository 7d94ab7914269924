//! The mutation side: per schema a `<Schema>Mutation` object (`renos: RenosMutation!`)
//! holding the generic create/update/delete/upsert fields of every table (`crud`) and the
//! business operations (`ops`). Every field goes through the `service` crate inside the
//! request's read-write transaction, after `guard::authorize`.

pub mod crud;
pub mod ops;

use std::collections::BTreeMap;

use async_graphql::dynamic::{Field, Type};
use service::read::Catalog;

/// Input and output types the mutation fields use.
pub fn types(cat: &'static Catalog) -> Vec<Type> {
    let mut out = crud::types(cat);
    out.extend(ops::types());
    out
}

/// The mutation fields of every schema, by schema name.
pub fn fields(cat: &'static Catalog) -> BTreeMap<String, Vec<Field>> {
    let mut out: BTreeMap<String, Vec<Field>> = BTreeMap::new();
    for t in cat.tables() {
        out.entry(t.schema.clone())
            .or_default()
            .extend(crud::fields(cat, t));
    }
    for (schema, fs) in ops::fields() {
        out.entry(schema.to_owned()).or_default().extend(fs);
    }
    out
}
