//! Field resolvers over row objects: every object below the root resolvers is a JSON
//! value that its fields read from. Objects and lists below a row are handed down by
//! reference (`FieldValue::borrowed_any`): a response never copies a subtree.

use async_graphql::Value;
use async_graphql::dynamic::{Field, FieldFuture, FieldValue, ResolverContext, TypeRef};
use serde_json::Value as Json;

/// The JSON value this field's parent object is.
pub fn parent<'a>(ctx: &ResolverContext<'a>) -> async_graphql::Result<&'a Json> {
    ctx.parent_value.try_downcast_ref::<Json>()
}

/// A leaf field: `parent[key]` as a GraphQL value (null for JSON null).
pub fn value(name: &str, ty: TypeRef, key: &str) -> Field {
    let key = key.to_owned();
    Field::new(name, ty, move |ctx| {
        let key = key.clone();
        FieldFuture::new(async move {
            let v = &parent(&ctx)?[&key];
            Ok(if v.is_null() {
                None
            } else {
                Value::from_json(v.clone()).ok().map(FieldValue::value)
            })
        })
    })
}

/// An object field: `parent[key]` as the object (null for JSON null).
pub fn object(name: &str, ty: TypeRef, key: &str) -> Field {
    let key = key.to_owned();
    Field::new(name, ty, move |ctx| {
        let key = key.clone();
        FieldFuture::new(async move {
            let v = &parent(&ctx)?[&key];
            Ok(if v.is_null() {
                None
            } else {
                Some(FieldValue::borrowed_any(v))
            })
        })
    })
}

/// A list-of-objects field: the elements of the array `parent[key]`.
pub fn list(name: &str, ty: TypeRef, key: &str) -> Field {
    let key = key.to_owned();
    Field::new(name, ty, move |ctx| {
        let key = key.clone();
        FieldFuture::new(async move {
            let items = parent(&ctx)?[&key]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            Ok(Some(FieldValue::list(
                items.iter().map(|i| FieldValue::borrowed_any(i)),
            )))
        })
    })
}

/// A field whose object is the parent value itself (an edge's `node`, an aggregate's
/// `sum`).
pub fn itself(name: &str, ty: TypeRef) -> Field {
    Field::new(name, ty, move |ctx| {
        FieldFuture::new(async move { Ok(Some(FieldValue::borrowed_any(parent(&ctx)?))) })
    })
}
