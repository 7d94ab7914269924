//! Calendar-MCP tables in `public` → `renos` (legacy-layouts.md §6).

use sea_orm::{DatabaseConnection, DbErr};

use super::Layout;
use super::engine::{source_columns, source_has};
use super::map::{Naming, TableMap};

/// The layout, when the source has `public.customer_intelligence` or
/// `public.booking_validations`.
pub async fn layout(src: &DatabaseConnection) -> Result<Option<Layout>, DbErr> {
    if !(source_has(src, "public", "customer_intelligence").await?
        || source_has(src, "public", "booking_validations").await?)
    {
        return Ok(None);
    }
    let have = source_columns(src, "public", "customer_intelligence").await?;
    let t = |from: &'static str| {
        TableMap::new("calendar", ("public", from), ("renos", from), Naming::Snake)
    };
    let mut ci = t("customer_intelligence")
        .expr("payment_history", "coalesce(src.payment_history, 'good')")
        .expr("preferences", "coalesce(src.preferences, '{}'::jsonb)")
        .expr("risk_factors", "coalesce(src.risk_factors, '{}'::text[])")
        .or_now(&["created_at", "last_updated"]);
    for c in [
        "total_bookings",
        "completed_bookings",
        "canceled_bookings",
        "risk_score",
        "outstanding_invoices",
        "complaints",
        "praises",
    ] {
        // Counters NULL → 0 (the columns a legacy table lacks keep the canonical default).
        if have.contains_key(c) {
            ci = ci.expr(c, format!("coalesce(src.{c}, 0)"));
        }
    }
    for c in [
        "average_job_duration",
        "total_revenue",
        "average_booking_value",
    ] {
        if have.contains_key(c) {
            ci = ci.expr(c, format!("coalesce(src.{c}::float8, 0)"));
        }
    }
    let ts = |c: &str| {
        format!("to_char(src.{c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
    };
    Ok(Some(Layout {
        name: "calendar",
        variant: None,
        maps: vec![
            ci,
            t("booking_validations")
                .expr("confidence", "coalesce(src.confidence, 0)::float8")
                .expr("action", "coalesce(src.action, 'manual_review')")
                .expr("warnings", "coalesce(src.warnings, '[]'::jsonb)")
                .expr("errors", "coalesce(src.errors, '[]'::jsonb)")
                .or_now(&["created_at"]),
            t("overtime_logs")
                .expr("start_time", ts("start_time"))
                .expr("end_time", ts("end_time"))
                .expr(
                    "communication_log",
                    "coalesce(src.communication_log, '[]'::jsonb)",
                )
                .expr(
                    "customer_notified",
                    "coalesce(src.customer_notified, false)",
                )
                .or_now(&["created_at"]),
            t("learned_patterns")
                .expr("confidence", "src.confidence::float8")
                .expr("occurrences", "coalesce(src.occurrences, 1)")
                .or_now(&["created_at", "last_observed"]),
            t("undo_actions"),
        ],
    }))
}
