//! Authentication (Bearer JWT signed with the configured key, API keys stored hashed) and
//! the caller's role and tenant. Role matrix and tenancy: `docs/graphql.md` (Auth),
//! DECISION D19.

pub mod api_keys;
pub mod authenticate;
pub mod jwt;
pub mod principal;
pub mod tenancy;
pub mod tenant_id;

pub use authenticate::{AuthError, Authenticator};
pub use principal::{Principal, Role};
pub use tenant_id::RenosOrgId;
