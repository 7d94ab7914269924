//! The seed's checksum: every table of the six schemas, without the columns no seed can
//! fix (see [`VOLATILE`]).

use sea_orm::{ConnectionTrait, DbErr};

use crate::checksum::{TableChecksum, content_columns, primary_key, table_checksum, tables};

/// The six schemas.
pub const SCHEMAS: &[&str] = &["billy", "crm", "flow", "renos", "shared", "vault"];

/// `(schema, table, columns)` left out of the checksum: made by the service with a random
/// id, the clock or a random nonce, which no caller can set.
pub const VOLATILE: &[(&str, &str, &[&str])] = &[
    ("shared", "audit_logs", &["id", "created_at"]),
    ("billy", "audit_logs", &["id", "created_at"]),
    (
        "billy",
        "organizations",
        &["billy_api_key", "api_key_rotated_at"],
    ),
];

/// Checksums of every table of the six schemas over its stable columns, ordered by the
/// primary key (by all stable columns where a key column is volatile).
pub async fn stable_checksums<C: ConnectionTrait>(db: &C) -> Result<Vec<TableChecksum>, DbErr> {
    let mut out = Vec::new();
    for (s, t) in tables(db, SCHEMAS).await? {
        let skip: &[&str] = VOLATILE
            .iter()
            .find(|(vs, vt, _)| *vs == s && *vt == t)
            .map_or(&[], |(_, _, c)| *c);
        let cols = content_columns(db, &s, &t).await?;
        let stable: Vec<&str> = cols
            .iter()
            .map(String::as_str)
            .filter(|c| !skip.contains(c))
            .collect();
        let pk = primary_key(db, &s, &t).await?;
        let order: Vec<&str> = if pk.iter().any(|k| skip.contains(&k.as_str())) {
            stable.clone()
        } else {
            pk.iter().map(String::as_str).collect()
        };
        let columns: &[&str] = if skip.is_empty() { &[] } else { &stable };
        out.push(table_checksum(db, &s, &t, columns, &order).await?);
    }
    Ok(out)
}
