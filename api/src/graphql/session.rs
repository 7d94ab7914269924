//! The request's transaction: opened with the access mode its operation needs, then the
//! caller's role and tenant and the statement timeout are set in it with `SET LOCAL`
//! semantics (`set_config(..., true)`), so they end with the transaction and survive a
//! transaction-pooling proxy. Row-level security policies read them
//! (`access.is_staff()`, `access.billy_organization_id()`, `access.renos_organization_id()`).

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};

use super::request::Kind;
use crate::auth::Principal;

/// Opens the transaction of one request for `who`.
pub async fn begin(
    db: &DatabaseConnection,
    kind: Kind,
    who: &Principal,
    statement_timeout_ms: u32,
) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared(&settings_sql(kind, who, statement_timeout_ms))
        .await?;
    Ok(txn)
}

/// `SET TRANSACTION ...; SELECT set_config(...)` in one round trip. Every value put into the
/// text is typed and checked at the edge (the role an enum, the Billy tenant a UUID, the
/// RenOS tenant a [`crate::auth::RenosOrgId`] of `[A-Za-z0-9_.:-]`, the timeout a number).
pub fn settings_sql(kind: Kind, who: &Principal, statement_timeout_ms: u32) -> String {
    let mode = match kind {
        Kind::Query => "ISOLATION LEVEL REPEATABLE READ READ ONLY",
        Kind::Mutation => "ISOLATION LEVEL READ COMMITTED READ WRITE",
    };
    let billy = who
        .billy_organization_id
        .map(|u| u.to_string())
        .unwrap_or_default();
    let renos = who
        .renos_organization_id
        .as_ref()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    format!(
        "SET TRANSACTION {mode}; \
         SELECT set_config('statement_timeout', '{statement_timeout_ms}', true), \
         set_config('tekup.role', '{}', true), \
         set_config('tekup.billy_organization_id', '{billy}', true), \
         set_config('tekup.renos_organization_id', '{renos}', true)",
        who.role.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{RenosOrgId, Role};

    #[test]
    fn settings_carry_role_tenant_and_timeout() {
        let who = Principal {
            role: Role::User,
            subject: "s".into(),
            billy_organization_id: None,
            renos_organization_id: RenosOrgId::parse("org-1"),
        };
        let sql = settings_sql(Kind::Mutation, &who, 250);
        assert!(sql.contains("READ WRITE"), "{sql}");
        assert!(sql.contains("'statement_timeout', '250'"), "{sql}");
        assert!(sql.contains("'tekup.role', 'user'"), "{sql}");
        assert!(
            sql.contains("'tekup.renos_organization_id', 'org-1'"),
            "{sql}"
        );
        assert!(sql.contains("'tekup.billy_organization_id', ''"), "{sql}");
        let q = settings_sql(Kind::Query, &Principal::staff(Role::Service, "x"), 5000);
        assert!(q.contains("REPEATABLE READ READ ONLY"), "{q}");
    }
}
