//! API keys: `tk_` and 64 hex digits, shown once when made; the database keeps only their
//! SHA-256 (`access.api_keys.key_hash`), and the API looks a key up through the
//! security-definer function `access.api_key_principal(hash)` (its login role cannot read
//! the table). Verified keys are cached for [`CACHE_TTL`]: a revoked key stops working
//! within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Principal, RenosOrgId, Role};

/// The prefix of every API key.
pub const PREFIX: &str = "tk_";
/// How long a verified (or refused) key is remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 10_000;

/// A new random key (256 bits of entropy from two v4 UUIDs' random parts and the OS RNG
/// behind them).
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

/// Verifies keys against the database, with a small time-bounded cache.
#[derive(Default)]
pub struct KeyVerifier {
    cache: Mutex<HashMap<String, (Option<Principal>, Instant)>>,
}

impl std::fmt::Debug for KeyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyVerifier")
    }
}

impl KeyVerifier {
    /// The principal of `key`, or `None` when it is unknown, revoked or expired.
    pub async fn verify<C: ConnectionTrait>(
        &self,
        db: &C,
        key: &str,
    ) -> Result<Option<Principal>, DbErr> {
        let h = hash(key);
        if let Some(hit) = self.cached(&h) {
            return Ok(hit);
        }
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT name, role, billy_organization_id, renos_organization_id \
                 FROM access.api_key_principal($1)",
                [h.clone().into()],
            ))
            .await?;
        let principal = match row {
            None => None,
            Some(row) => {
                let name: String = row.try_get("", "name")?;
                let role: String = row.try_get("", "role")?;
                let billy: Option<Uuid> = row.try_get("", "billy_organization_id")?;
                let renos: Option<String> = row.try_get("", "renos_organization_id")?;
                match Role::parse(&role) {
                    Some(role @ (Role::Service | Role::Admin)) => {
                        Some(Principal::staff(role, name))
                    }
                    Some(Role::User) => {
                        let renos = renos.as_deref().and_then(RenosOrgId::parse);
                        (billy.is_some() || renos.is_some()).then_some(Principal {
                            role: Role::User,
                            subject: name,
                            billy_organization_id: billy,
                            renos_organization_id: renos,
                        })
                    }
                    _ => None,
                }
            }
        };
        self.remember(h, principal.clone());
        Ok(principal)
    }

    fn cached(&self, h: &str) -> Option<Option<Principal>> {
        let cache = self.cache.lock().ok()?;
        let (p, at) = cache.get(h)?;
        (at.elapsed() < CACHE_TTL).then(|| p.clone())
    }

    fn remember(&self, h: String, p: Option<Principal>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(h, (p, Instant::now()));
        }
    }
}

/// Stores a new key (as its hash) and returns the key itself, to be shown once. Needs a
/// connection that may write `access.api_keys` (the owner role).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    role: Role,
    billy_organization_id: Option<Uuid>,
    renos_organization_id: Option<&RenosOrgId>,
) -> Result<String, DbErr> {
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
            renos_organization_id.map(|r| r.as_str().to_owned()).into(),
        ],
    ))
    .await?;
    Ok(key)
}

/// Revokes the key named `name`; the number of keys revoked.
pub async fn revoke<C: ConnectionTrait>(db: &C, name: &str) -> Result<u64, DbErr> {
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
