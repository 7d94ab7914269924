//! Bearer JWTs (HS256, signing key from configuration): claims `sub`, `role`, `exp`, and for
//! `user` tokens the tenant (`billy_org`, `renos_org`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Principal, RenosOrgId, Role};

/// The claims of a Tekup token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billy_org: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renos_org: Option<String>,
}

/// Why a token was refused (logged; clients only see `UNAUTHENTICATED`).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("unknown role {0:?}")]
    Role(String),
    #[error("a user token needs billy_org or renos_org")]
    NoTenant,
    #[error("renos_org is not a valid organisation id")]
    RenosOrg,
    #[error("anonymous tokens are not issued")]
    Anonymous,
}

/// Signs and verifies tokens with one HMAC secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(***)")
    }
}

impl JwtKeys {
    /// Keys from the configured secret.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A signed token for `claims`.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// The principal of a valid token.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        principal_of(data.claims)
    }
}

/// The principal the claims describe, checked: a known role, and a tenant for `user`.
pub fn principal_of(c: Claims) -> Result<Principal, TokenError> {
    let role = Role::parse(&c.role).ok_or_else(|| TokenError::Role(c.role.clone()))?;
    let renos = match c.renos_org.as_deref() {
        Some(s) => Some(RenosOrgId::parse(s).ok_or(TokenError::RenosOrg)?),
        None => None,
    };
    match role {
        Role::Anonymous => Err(TokenError::Anonymous),
        Role::User if c.billy_org.is_none() && renos.is_none() => Err(TokenError::NoTenant),
        Role::User => Ok(Principal {
            role,
            subject: c.sub,
            billy_organization_id: c.billy_org,
            renos_organization_id: renos,
        }),
        // Staff roles see every tenant: a tenant claim on them is ignored.
        Role::Service | Role::Admin => Ok(Principal::staff(role, c.sub)),
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: &str) -> Claims {
        Claims {
            sub: "t".into(),
            role: role.into(),
            exp: now_secs() + 60,
            iat: None,
            billy_org: None,
            renos_org: None,
        }
    }

    #[test]
    fn round_trip_and_wrong_secret() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let token = keys.sign(&claims("admin")).unwrap_or_default();
        let p = keys.verify(&token);
        assert!(matches!(p, Ok(ref p) if p.role == Role::Admin), "{p:?}");
        let other = JwtKeys::new(b"another secret, another secret!!");
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn expired_and_tenantless_user_tokens_are_refused() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let mut old = claims("service");
        old.exp = now_secs() - 3600;
        let token = keys.sign(&old).unwrap_or_default();
        assert!(keys.verify(&token).is_err());
        let token = keys.sign(&claims("user")).unwrap_or_default();
        assert!(matches!(keys.verify(&token), Err(TokenError::NoTenant)));
        let token = keys.sign(&claims("root")).unwrap_or_default();
        assert!(matches!(keys.verify(&token), Err(TokenError::Role(_))));
    }
}
