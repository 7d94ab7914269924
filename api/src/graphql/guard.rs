//! The API's own permission checks, made by every resolver before it touches the database.
//! Row-level security in PostgreSQL enforces tenant isolation underneath them
//! (DECISION D19): these checks give a clear `FORBIDDEN` early, RLS is what holds.

use std::sync::Arc;

use async_graphql::dynamic::ResolverContext;
use service::read::Table;

use super::RequestDb;
use super::errors::to_gql;
use crate::auth::{Principal, Role};

/// What a resolver is about to do.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    /// Read rows (every authenticated role; RLS filters the rows).
    Read,
    /// Create, update, delete or upsert rows of a table.
    Write(&'a Table),
    /// A business operation on tenant-scoped data that a `user` may run for its own tenant
    /// (Billy cache set/invalidate, rate-limit check, usage recording, ...).
    TenantOperation,
    /// A business operation on data that is not tenant-scoped (leads, bookings, invoices,
    /// documents, GDPR, ...): service and admin only.
    Operation,
    /// Handling Billy API keys (create an organisation with a key, replace, rotate):
    /// service only.
    ManageSecrets,
}

/// Whether `p` may do `action`.
pub fn allowed(p: &Principal, action: Action<'_>) -> bool {
    match p.role {
        Role::Service => true,
        Role::Admin => !matches!(action, Action::ManageSecrets),
        Role::User => match action {
            Action::Read | Action::TenantOperation => true,
            Action::Write(t) => crate::auth::tenancy::is_tenant_table(t),
            Action::Operation | Action::ManageSecrets => false,
        },
        Role::Anonymous => false,
    }
}

/// The caller of this request.
pub fn principal<'a>(ctx: &'a ResolverContext<'_>) -> async_graphql::Result<&'a Principal> {
    ctx.data::<Principal>()
}

/// Checks `action` for the request's caller and returns the request's database handle, or
/// a `FORBIDDEN` error.
pub fn authorize(
    ctx: &ResolverContext<'_>,
    action: Action<'_>,
) -> async_graphql::Result<Arc<RequestDb>> {
    let p = principal(ctx)?;
    if !allowed(p, action) {
        return Err(to_gql(service::Error::Forbidden));
    }
    Ok(ctx.data::<Arc<RequestDb>>()?.clone())
}
