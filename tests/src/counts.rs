//! Counting rows of a test database (panics when the query fails).

use crate::TestDb;

/// The single number `sql` returns, e.g. a `SELECT count(*) …`.
pub async fn count(t: &TestDb, sql: &str) -> i64 {
    t.scalar_i64(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// How many `shared.audit_logs` entries have this `resource_type` (`<schema>.<table>`) and
/// `action`.
pub async fn audit_count(t: &TestDb, resource_type: &str, action: &str) -> i64 {
    count(
        t,
        &format!(
            "SELECT count(*) FROM shared.audit_logs WHERE resource_type = '{resource_type}' \
             AND action = '{action}'"
        ),
    )
    .await
}
