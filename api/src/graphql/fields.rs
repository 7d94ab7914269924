//! Field resolvers over row objects: every object below the root resolvers is a JSON
//! value (`FieldValue::owned_any(serde_json::Value)`) that its fields read from.

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
                Some(FieldValue::owned_any(v.clone()))
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
            let items = parent(&ctx)?[&key].as_array().cloned().unwrap_or_default();
            Ok(Some(FieldValue::list(
                items.into_iter().map(FieldValue::owned_any),
            )))
        })
    })
}

/// A field whose object is the parent value itself (an edge's `node`, an aggregate's
/// `sum`).
pub fn itself(name: &str, ty: TypeRef) -> Field {
    Field::new(name, ty, move |ctx| {
        FieldFuture::new(async move { Ok(Some(FieldValue::owned_any(parent(&ctx)?.clone()))) })
    })
}
