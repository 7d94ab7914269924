//! Authentication (Bearer JWT, API keys stored hashed) and the caller's role and tenant.
//! Design and role matrix: `docs/graphql.md` (Auth), DECISION D19.

pub mod principal;
pub mod tenancy;

pub use principal::{Principal, Role};
