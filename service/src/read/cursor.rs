//! Opaque Relay cursors: the hex of `{"o": <ordering fingerprint>, "k": [<key values>]}`,
//! where the key values are the row's sort keys and primary key as `jsonb` renders them.

use serde_json::{Value as Json, json};

use super::order::Key;
use super::select::json_expr;
use crate::{Error, Result};

/// Longest cursor accepted (characters).
const MAX_CURSOR_LEN: usize = 16 * 1024;

/// `jsonb_build_array(...)` of the key values of row `alias`, the SQL side of a cursor.
pub fn keys_sql(keys: &[Key<'_>], alias: &str) -> String {
    let expr = super::order::column_of(alias);
    let items: Vec<String> = keys
        .iter()
        .map(|k| json_expr(k.column, &expr(k.column)))
        .collect();
    format!("jsonb_build_array({})", items.join(", "))
}

/// The cursor of a row whose key values are `keys` under ordering `fingerprint`.
pub fn encode(fingerprint: &str, keys: Json) -> String {
    hex::encode(json!({ "o": fingerprint, "k": keys }).to_string())
}

/// The key values in `cursor`; a validation error on `field` when it is malformed or was
/// made for another table or ordering.
pub fn decode(cursor: &str, fingerprint: &str, field: &str) -> Result<Vec<Json>> {
    let invalid = || Error::invalid(field, "invalid cursor");
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(invalid());
    }
    let bytes = hex::decode(cursor).map_err(|_| invalid())?;
    let mut value: Json = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if value.get("o").and_then(Json::as_str) != Some(fingerprint) {
        return Err(Error::invalid(
            field,
            "cursor belongs to another table or ordering",
        ));
    }
    match value.get_mut("k").map(Json::take) {
        Some(Json::Array(keys)) => Ok(keys),
        _ => Err(invalid()),
    }
}
