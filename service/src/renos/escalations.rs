//! `renos.escalations` (service-api.md §3.4): conflicts detected in a lead's email, raised
//! by the system and resolved by a person.

use entity::renos::escalations::{self, EscalationSeverity};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Order;
use sea_orm::{QueryOrder, QuerySelect, TransactionSession, TransactionTrait};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::shared::audit::{self, AuditEntry};
use crate::validate::{Problems, limit, opt_text};

/// Who raises escalations created by [`create_escalation`].
pub const ESCALATED_BY_SYSTEM: &str = "system";

/// Input of [`create_escalation`].
#[derive(Clone, Debug)]
pub struct NewEscalation {
    pub lead_id: String,
    pub customer_email: String,
    pub customer_name: Option<String>,
    /// Gmail thread id.
    pub thread_id: String,
    pub severity: EscalationSeverity,
    /// Conflict score of the detector (not negative).
    pub conflict_score: i32,
    pub matched_keywords: Vec<String>,
    pub email_snippet: String,
}

/// Raises an escalation (`escalated_by = 'system'`, `escalated_at = now`). An unknown lead
/// is a validation error.
pub async fn create_escalation<C: ConnectionTrait>(
    db: &C,
    input: NewEscalation,
) -> Result<escalations::Model> {
    let mut f = Problems::new();
    f.check(
        input.conflict_score >= 0,
        "conflict_score",
        "must not be negative",
    );
    let am = escalations::ActiveModel {
        lead_id: Set(f.text("lead_id", &input.lead_id)),
        customer_email: Set(f.email("customer_email", &input.customer_email)),
        customer_name: Set(opt_text(input.customer_name.as_deref())),
        thread_id: Set(f.text("thread_id", &input.thread_id)),
        severity: Set(input.severity),
        conflict_score: Set(input.conflict_score),
        matched_keywords: Set(f.texts("matched_keywords", &input.matched_keywords)),
        email_snippet: Set(f.text("email_snippet", &input.email_snippet)),
        escalated_at: Set(now()),
        escalated_by: Set(ESCALATED_BY_SYSTEM.to_owned()),
        ..Default::default()
    };
    f.finish()?;
    Ok(am.insert(db).await?)
}

/// Resolves an open escalation (`resolved_at = now`, `resolution`); one that is already
/// resolved is a conflict. Audited in `shared.audit_logs`.
pub async fn resolve_escalation<C: TransactionTrait>(
    db: &C,
    id: &str,
    resolution: &str,
) -> Result<escalations::Model> {
    let mut f = Problems::new();
    let resolution = f.text("resolution", resolution);
    f.finish()?;
    let txn = db.begin().await?;
    let updated = escalations::Entity::update_many()
        .col_expr(escalations::Column::ResolvedAt, Expr::cust("now()"))
        .col_expr(escalations::Column::Resolution, Expr::value(resolution))
        .filter(escalations::Column::Id.eq(id))
        .filter(escalations::Column::ResolvedAt.is_null())
        .exec_with_returning(&txn)
        .await?;
    let Some(row) = updated.into_iter().next() else {
        return match escalations::Entity::find_by_id(id).one(&txn).await? {
            None => Err(Error::not_found("escalation")),
            Some(_) => Err(Error::conflict("escalation is already resolved")),
        };
    };
    audit::record(
        &txn,
        AuditEntry {
            user_id: None,
            action: "resolve".into(),
            resource_type: "renos.escalations".into(),
            resource_id: row.id.clone(),
            metadata: serde_json::json!({ "lead_id": row.lead_id }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Unresolved escalations, most severe first (critical, high, medium, low), oldest first
/// within a severity; only those at least as severe as `min_severity` when given.
pub async fn list_open_escalations<C: ConnectionTrait>(
    db: &C,
    min_severity: Option<EscalationSeverity>,
    limit_to: Option<u64>,
) -> Result<Vec<escalations::Model>> {
    let mut q = escalations::Entity::find().filter(escalations::Column::ResolvedAt.is_null());
    if let Some(min) = min_severity {
        let allowed: Vec<EscalationSeverity> = [
            EscalationSeverity::Critical,
            EscalationSeverity::High,
            EscalationSeverity::Medium,
            EscalationSeverity::Low,
        ]
        .into_iter()
        .filter(|s| rank(*s) >= rank(min))
        .collect();
        q = q.filter(escalations::Column::Severity.is_in(allowed));
    }
    Ok(q.order_by(
        Expr::cust(
            "CASE \"severity\" WHEN 'critical' THEN 4 WHEN 'high' THEN 3 \
                 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END",
        ),
        Order::Desc,
    )
    .order_by_asc(escalations::Column::EscalatedAt)
    .order_by_asc(escalations::Column::Id)
    .limit(limit(limit_to, 100, 1000))
    .all(db)
    .await?)
}

/// Severity rank: critical 4 … low 1.
pub fn rank(s: EscalationSeverity) -> u8 {
    match s {
        EscalationSeverity::Critical => 4,
        EscalationSeverity::High => 3,
        EscalationSeverity::Medium => 2,
        EscalationSeverity::Low => 1,
    }
}
