//! RenOS subcontractor tables in `public` → `renos` (legacy-layouts.md §7).

use sea_orm::{DatabaseConnection, DbErr};

use super::Layout;
use super::engine::{source_columns, source_has};
use super::map::{Naming, TableMap};

/// The layout, when the source has `public.subcontractors`.
pub async fn layout(src: &DatabaseConnection) -> Result<Option<Layout>, DbErr> {
    if !source_has(src, "public", "subcontractors").await? {
        return Ok(None);
    }
    let t = |from: &'static str, to: &'static str| {
        TableMap::new(
            "subcontractors",
            ("public", from),
            ("renos", to),
            Naming::Snake,
        )
        .or_now(&["created_at"])
    };
    let mut maps = vec![
        t("subcontractors", "subcontractors")
            .expr(
                "address",
                "nullif(concat_ws(', ', src.address, nullif(concat_ws(' ', src.zip_code, src.city), '')), '')",
            )
            .coalesce("updated_at", &["updated_at", "created_at"])
            .or_now(&["updated_at"]),
    ];
    // The subcontractor-era `services` (uuid ids, default_price_dkk), not RenOS' "Service".
    if source_columns(src, "public", "services")
        .await?
        .contains_key("default_price_dkk")
    {
        maps.push(
            t("services", "services")
                .expr("price", "coalesce(src.default_price_dkk::float8, 0)")
                .expr("duration", "60")
                .coalesce("updated_at", &["created_at"])
                .or_now(&["updated_at"]),
        );
    }
    let pair = "src.subcontractor_id::text || '/' || src.service_id::text";
    maps.extend([
        t("subcontractor_services", "subcontractor_services")
            .key(pair)
            .expr("id", format!("md5({pair})::uuid"))
            .expr(
                "certifications",
                "CASE WHEN src.certified THEN '{certified}'::text[] ELSE '{}'::text[] END",
            ),
        t("subcontractor_documents", "subcontractor_documents")
            .expr("storage_url", "src.file_url")
            .coalesce("uploaded_at", &["created_at"])
            .coalesce("updated_at", &["updated_at", "created_at"])
            .or_now(&["uploaded_at", "updated_at"]),
        t("subcontractor_availability", "subcontractor_availability"),
        t("subcontractor_agreements", "subcontractor_agreements")
            .coalesce("updated_at", &["updated_at", "created_at"])
            .or_now(&["updated_at"]),
        t("task_assignments", "task_assignments")
            .coalesce("updated_at", &["updated_at", "created_at"])
            .or_now(&["assigned_at", "updated_at"]),
        t("subcontractor_reviews", "subcontractor_reviews"),
        t("push_subscriptions", "push_subscriptions").or_now(&["last_used_at"]),
    ]);
    Ok(Some(Layout {
        name: "subcontractors",
        variant: None,
        maps,
    }))
}
