//! API keys as credentials: the service layer stores and resolves them
//! (`service::access::api_keys`, hashes only); this module turns what a key grants into a
//! [`Principal`] and caches verified keys for [`CACHE_TTL`] — a revoked key stops working
//! within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use service::access::api_keys::{self as store, KeyGrant};
use uuid::Uuid;

pub use service::access::api_keys::{PREFIX, hash, looks_like_key};

use super::{Principal, RenosOrgId, Role};

/// How long a verified (or refused) key is remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 10_000;

/// The principal of what a key grants; `None` for a role the API does not know or a
/// `user` key without a tenant.
fn principal(g: KeyGrant) -> Option<Principal> {
    match Role::parse(&g.role) {
        Some(role @ (Role::Service | Role::Admin)) => Some(Principal::staff(role, g.name)),
        Some(Role::User) => {
            let renos = g
                .renos_organization_id
                .as_deref()
                .and_then(RenosOrgId::parse);
            (g.billy_organization_id.is_some() || renos.is_some()).then_some(Principal {
                role: Role::User,
                subject: g.name,
                billy_organization_id: g.billy_organization_id,
                renos_organization_id: renos,
            })
        }
        _ => None,
    }
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
    ) -> service::Result<Option<Principal>> {
        let h = hash(key);
        if let Some(hit) = self.cached(&h) {
            return Ok(hit);
        }
        let principal = store::lookup(db, key).await?.and_then(principal);
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

/// Stores a new key for `role` and returns it, to be shown once (owner role connection).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    role: Role,
    billy_organization_id: Option<Uuid>,
    renos_organization_id: Option<&RenosOrgId>,
) -> service::Result<String> {
    store::create(
        db,
        name,
        role.as_str(),
        billy_organization_id,
        renos_organization_id.map(RenosOrgId::as_str),
    )
    .await
}

/// Revokes every active key named `name`; the number revoked.
pub async fn revoke<C: ConnectionTrait>(db: &C, name: &str) -> service::Result<u64> {
    store::revoke(db, name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: &str, billy: Option<Uuid>, renos: Option<&str>) -> KeyGrant {
        KeyGrant {
            name: "k".into(),
            role: role.into(),
            billy_organization_id: billy,
            renos_organization_id: renos.map(str::to_owned),
        }
    }

    #[test]
    fn grants_become_principals_only_when_complete() {
        assert_eq!(
            principal(grant("admin", None, None)).map(|p| p.role),
            Some(Role::Admin)
        );
        assert_eq!(principal(grant("user", None, None)), None);
        assert_eq!(principal(grant("user", None, Some("bad id"))), None);
        let p = principal(grant("user", None, Some("org-1")));
        assert_eq!(
            p.and_then(|p| p.renos_organization_id),
            RenosOrgId::parse("org-1")
        );
        assert_eq!(principal(grant("root", None, None)), None);
    }
}
