//! TekupVault (`public.vault_*`) → `vault` (legacy-layouts.md §3).

use sea_orm::{DatabaseConnection, DbErr};

use super::Layout;
use super::engine::source_has;
use super::map::{Naming, TableMap};

/// The layout, when the source has `public.vault_documents`.
pub async fn layout(src: &DatabaseConnection) -> Result<Option<Layout>, DbErr> {
    if !source_has(src, "public", "vault_documents").await? {
        return Ok(None);
    }
    let t = |from: &'static str, to: &'static str| {
        TableMap::new("vault", ("public", from), ("vault", to), Naming::Snake)
            .coalesce("updated_at", &["updated_at", "created_at"])
            .or_now(&["created_at", "updated_at"])
    };
    Ok(Some(Layout {
        name: "vault",
        variant: None,
        maps: vec![
            // enums → text and the vector → text happen by source type.
            t("vault_documents", "documents")
                .expr("metadata", "coalesce(src.metadata, '{}'::jsonb)"),
            t("vault_embeddings", "embeddings"),
            t("vault_sync_status", "sync_status"),
        ],
    }))
}
