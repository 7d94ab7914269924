//! From a request's headers to its [`Principal`]: `Authorization: Bearer <JWT or API key>`
//! or `X-Api-Key: <API key>`; no credentials is `anonymous`, bad credentials an error.

use axum::http::HeaderMap;
use sea_orm::ConnectionTrait;

use super::Principal;
use super::api_keys::{self, KeyVerifier};
use super::jwt::JwtKeys;

/// Why a request's credentials were refused. The reason is logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    #[error("credential lookup failed: {0}")]
    Lookup(#[from] service::Error),
}

/// The server's means of checking credentials.
#[derive(Debug, Default)]
pub struct Authenticator {
    /// `None`: JWTs are not accepted (no signing key configured).
    pub jwt: Option<JwtKeys>,
    pub keys: KeyVerifier,
}

impl Authenticator {
    pub fn new(jwt: Option<JwtKeys>) -> Self {
        Self {
            jwt,
            keys: KeyVerifier::default(),
        }
    }

    /// The principal of a request with `headers`; API keys are looked up over `db`.
    pub async fn principal<C: ConnectionTrait>(
        &self,
        headers: &HeaderMap,
        db: &C,
    ) -> Result<Principal, AuthError> {
        let unauth = |why: &str| AuthError::Unauthenticated(why.to_owned());
        let bearer = match headers.get(axum::http::header::AUTHORIZATION) {
            None => None,
            Some(v) => {
                let v = v.to_str().map_err(|_| unauth("authorization header"))?;
                let (scheme, token) = v
                    .split_once(' ')
                    .ok_or_else(|| unauth("authorization header"))?;
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(unauth("authorization scheme"));
                }
                Some(token.trim().to_owned())
            }
        };
        let key_header = match headers.get("x-api-key") {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| unauth("x-api-key header"))?
                    .trim()
                    .to_owned(),
            ),
        };
        let credential = match (bearer, key_header) {
            (None, None) => return Ok(Principal::anonymous()),
            (Some(_), Some(_)) => return Err(unauth("both authorization and x-api-key")),
            (Some(c), None) | (None, Some(c)) => c,
        };
        if api_keys::looks_like_key(&credential) {
            return self
                .keys
                .verify(db, &credential)
                .await?
                .ok_or_else(|| unauth("unknown, revoked or expired API key"));
        }
        let Some(jwt) = &self.jwt else {
            return Err(unauth("JWTs are not accepted: no signing key configured"));
        };
        jwt.verify(&credential)
            .map_err(|e| AuthError::Unauthenticated(e.to_string()))
    }
}
