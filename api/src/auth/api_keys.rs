//! API keys as credentials: the service layer stores and resolves them
//! (`service::access::api_keys`, hashes only); this module turns what a key grants into a
//! [`Principal`] and caches verified keys for [`CACHE_TTL`] — a revoked key stops working
//! within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use service::access::api_keys::{self as store, KeyGrant, KeyRole};
use uuid::Uuid;

pub use service::access::api_keys::{PREFIX, hash, looks_like_key};

use super::{Principal, RenosOrgId, Role};

/// How long a verified (or refused) key is remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 10_000;

/// The principal of what a key grants; `None` for a `user` key without a (valid) tenant.
fn principal(g: KeyGrant) -> Option<Principal> {
    match g.role {
        KeyRole::Service => Some(Principal::staff(Role::Service, g.name)),
        KeyRole::Admin => Some(Principal::staff(Role::Admin, g.name)),
        KeyRole::User => {
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
    let role = match role {
        Role::Service => KeyRole::Service,
        Role::Admin => KeyRole::Admin,
        Role::User => KeyRole::User,
        Role::Anonymous => {
            return Err(service::Error::invalid(
                "role",
                "a key grants service, admin or user",
            ));
        }
    };
    store::create(
        db,
        name,
        role,
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

    fn grant(role: KeyRole, billy: Option<Uuid>, renos: Option<&str>) -> KeyGrant {
        KeyGrant {
            name: "k".into(),
            role,
            billy_organization_id: billy,
            renos_organization_id: renos.map(str::to_owned),
        }
    }

    #[test]
    fn grants_become_principals_only_when_complete() {
        assert_eq!(
            principal(grant(KeyRole::Admin, None, None)).map(|p| p.role),
            Some(Role::Admin)
        );
        assert_eq!(principal(grant(KeyRole::User, None, None)), None);
        assert_eq!(principal(grant(KeyRole::User, None, Some("bad id"))), None);
        let p = principal(grant(KeyRole::User, None, Some("org-1")));
        assert_eq!(
            p.and_then(|p| p.renos_organization_id),
            RenosOrgId::parse("org-1")
        );
        assert_eq!(
            principal(grant(KeyRole::Service, None, None)).map(|p| p.role),
            Some(Role::Service)
        );
        for r in [KeyRole::Service, KeyRole::Admin, KeyRole::User] {
            assert_eq!(KeyRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(KeyRole::parse("root"), None);
    }
}
