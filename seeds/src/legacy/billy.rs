//! Tekup-Billy (`public.billy_*`) → `billy` (legacy-layouts.md §4). The v1.3.0 tables
//! without a canonical target and `billy_rate_limits` (transient) are not imported.

use sea_orm::{DatabaseConnection, DbErr};

use super::Layout;
use super::engine::{source_columns, source_has};
use super::map::{Naming, TableMap};

/// The layout, when the source has `public.billy_organizations`.
pub async fn layout(src: &DatabaseConnection) -> Result<Option<Layout>, DbErr> {
    if !source_has(src, "public", "billy_organizations").await? {
        return Ok(None);
    }
    let t = |from: &'static str, to: &'static str| {
        TableMap::new("billy", ("public", from), ("billy", to), Naming::Snake)
    };
    let audit_cols = source_columns(src, "public", "billy_audit_logs").await?;
    let alternative_audit =
        audit_cols.contains_key("status") && !audit_cols.contains_key("success");
    let audit = if alternative_audit {
        // supabase-setup-audit-logs.sql: status/params/result/error, text organisation
        // (a Billy.dk id) and user ids.
        t("billy_audit_logs", "audit_logs")
            .expr("success", "(src.status = 'success')")
            .expr("duration_ms", "src.execution_time_ms")
            .expr("input_params", "src.params")
            .expr("output_data", "src.result")
            .expr("error_message", "src.error")
            .expr(
                "organization_id",
                "(SELECT o.id FROM public.billy_organizations o WHERE o.billy_organization_id = src.organization_id)",
            )
            .expr(
                "user_id",
                "(SELECT u.id FROM public.billy_users u WHERE u.id::text = lower(src.user_id))",
            )
            .or_now(&["created_at"])
    } else {
        // v1.0: same names; inet → host() by type.
        t("billy_audit_logs", "audit_logs").or_now(&["created_at"])
    };
    let cache = |from: &'static str, to: &'static str| t(from, to).or_now(&["cached_at"]);
    Ok(Some(Layout {
        name: "billy",
        variant: Some(if alternative_audit {
            "audit log: supabase-setup-audit-logs.sql shape".to_owned()
        } else {
            "audit log: v1.0 shape".to_owned()
        }),
        maps: vec![
            {
                let mut m = t("billy_organizations", "organizations")
                    .expr("settings", "coalesce(src.settings, '{}'::jsonb)")
                    .expr("is_active", "coalesce(src.is_active, true)")
                    .coalesce("updated_at", &["updated_at", "created_at"])
                    .or_now(&["created_at", "updated_at", "api_key_rotated_at"])
                    .no_compare(&["billy_api_key", "api_key_rotated_at"]);
                m.billy_key = true;
                m
            },
            t("billy_users", "users")
                .expr("role", "coalesce(src.role, 'user')")
                .expr("is_active", "coalesce(src.is_active, true)")
                .expr("metadata", "coalesce(src.metadata, '{}'::jsonb)")
                .or_now(&["created_at"]),
            cache("billy_cached_invoices", "cached_invoices"),
            cache("billy_cached_customers", "cached_customers"),
            cache("billy_cached_products", "cached_products"),
            audit,
            // NULL organization_id or hour: skipped (canonical NOT NULL), never defaulted.
            t("billy_usage_metrics", "usage_metrics")
                .expr("call_count", "coalesce(src.call_count, 0)")
                .expr("success_count", "coalesce(src.success_count, 0)")
                .expr("error_count", "coalesce(src.error_count, 0)")
                .or_now(&["created_at"]),
        ],
    }))
}
