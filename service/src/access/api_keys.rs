//! API keys: `tk_` and 64 hex digits, shown once when made; the database keeps only their
//! SHA-256 (`access.api_keys.key_hash`). The API's login role cannot read the table: a key
//! is resolved through the security-definer function `access.api_key_principal(hash)`.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Error, Result};

/// The prefix of every API key.
pub const PREFIX: &str = "tk_";

/// The role a key grants (`access.api_keys.role`; a CHECK constraint keeps it to these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRole {
    Service,
    Admin,
    User,
}

impl KeyRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Admin => "admin",
            Self::User => "user",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "service" => Some(Self::Service),
            "admin" => Some(Self::Admin),
            "user" => Some(Self::User),
            _ => None,
        }
    }
}

/// What a valid key grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGrant {
    /// The key's name (who or what uses it).
    pub name: String,
    pub role: KeyRole,
    pub billy_organization_id: Option<Uuid>,
    pub renos_organization_id: Option<String>,
}

/// A new random key (the random parts of two v4 UUIDs, from the OS RNG).
pub fn generate() -> String {
    format!(
        "{PREFIX}{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    )
}

/// Whether `s` looks like an API key (not a JWT).
pub fn looks_like_key(s: &str) -> bool {
    s.starts_with(PREFIX)
}

/// The stored form of a key: lowercase hex SHA-256.
pub fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `key` grants, or `None` when it is unknown, revoked or expired.
pub async fn lookup<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<KeyGrant>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT name, role, billy_organization_id, renos_organization_id \
             FROM access.api_key_principal($1)",
            [hash(key).into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let role: String = row.try_get("", "role")?;
    let role = KeyRole::parse(&role)
        .ok_or_else(|| Error::internal(&format!("api key with unknown role {role:?}")))?;
    Ok(Some(KeyGrant {
        name: row.try_get("", "name")?,
        role,
        billy_organization_id: row.try_get("", "billy_organization_id")?,
        renos_organization_id: row.try_get("", "renos_organization_id")?,
    }))
}

/// Stores a new key (as its hash) and returns the key itself, to be shown once. Needs a
/// connection that may write `access.api_keys` (the owner role).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    role: KeyRole,
    billy_organization_id: Option<Uuid>,
    renos_organization_id: Option<&str>,
) -> Result<String> {
    let key = generate();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO access.api_keys (name, key_hash, key_prefix, role, billy_organization_id, \
         renos_organization_id) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            name.into(),
            hash(&key).into(),
            key[..PREFIX.len() + 8].to_owned().into(),
            role.as_str().into(),
            billy_organization_id.into(),
            renos_organization_id.map(str::to_owned).into(),
        ],
    ))
    .await?;
    Ok(key)
}

/// Revokes every active key named `name`; the number revoked.
pub async fn revoke<C: ConnectionTrait>(db: &C, name: &str) -> Result<u64> {
    let res = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE access.api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
            [name.into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(looks_like_key(&a) && a.len() == PREFIX.len() + 64, "{a}");
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
