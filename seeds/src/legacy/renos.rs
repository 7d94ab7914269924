//! RenOS Prisma tables in `public` (camelCase columns, `timestamp(3)`) → `renos`
//! (legacy-layouts.md §5). The snake_case uuid variant (`supabase-migration.sql`) is read
//! with the same mappings by snake_case names.

use sea_orm::{DatabaseConnection, DbErr};

use super::engine::{source_columns, source_has};
use super::map::{Naming, TableMap};
use super::{Layout, LayoutOpts};

/// Source table → canonical table, parents before children.
const TABLES: &[(&str, &str)] = &[
    ("customers", "customers"),
    ("leads", "leads"),
    ("quotes", "quotes"),
    ("bookings", "bookings"),
    ("breaks", "breaks"),
    ("chat_sessions", "chat_sessions"),
    ("chat_messages", "chat_messages"),
    ("analytics", "analytics"),
    ("task_executions", "task_executions"),
    ("conversations", "conversations"),
    ("email_ingest_runs", "email_ingest_runs"),
    ("email_threads", "email_threads"),
    ("email_messages", "email_messages"),
    ("email_responses", "email_responses"),
    ("escalations", "escalations"),
    ("Service", "services"),
    ("Label", "labels"),
    ("cleaning_plans", "cleaning_plans"),
    ("cleaning_tasks", "cleaning_tasks"),
    ("cleaning_plan_bookings", "cleaning_plan_bookings"),
    ("invoices", "invoices"),
    ("invoice_line_items", "invoice_line_items"),
    ("competitor_pricing", "competitor_pricing"),
];

/// The layout, when the source has `public.leads` and `public.customers`.
pub async fn layout(src: &DatabaseConnection, opts: &LayoutOpts) -> Result<Option<Layout>, DbErr> {
    if !(source_has(src, "public", "leads").await?
        && source_has(src, "public", "customers").await?)
    {
        return Ok(None);
    }
    let cols = source_columns(src, "public", "customers").await?;
    let naming = if cols.contains_key("createdAt") {
        Naming::Camel
    } else {
        Naming::Snake
    };
    let mut maps = Vec::new();
    for (from, to) in TABLES {
        let mut m = TableMap::new("renos", ("public", from), ("renos", to), naming);
        // Canonical columns with no RenOS-era source.
        m = m.exclude(&["billy_organization_id", "shared_user_id"]);
        match (*to, naming) {
            ("chat_sessions", Naming::Camel) => {
                // PROPOSAL of §5: sentinel user, configured organisation, context
                // 'customer', channel/locale kept in metadata.
                m = m
                    .expr("user_id", "coalesce(src.\"userId\", 'legacy:anonymous')")
                    .expr("organization_id", format!("'{}'", opts.renos_organization_id.replace('\'', "''")))
                    .expr("context", "'customer'")
                    .expr(
                        "metadata",
                        "nullif(jsonb_strip_nulls(jsonb_build_object('channel', src.\"channel\", 'locale', src.\"locale\")), '{}'::jsonb)",
                    );
            }
            ("chat_sessions", Naming::Snake) => {
                // The uuid variant: the same chat handling, where the columns are absent.
                let have = source_columns(src, "public", "chat_sessions").await?;
                if have.contains_key("user_id") {
                    m = m.expr("user_id", "coalesce(src.user_id::text, 'legacy:anonymous')");
                }
                if !have.contains_key("organization_id") {
                    m = m.expr(
                        "organization_id",
                        format!("'{}'", opts.renos_organization_id.replace('\'', "''")),
                    );
                }
                if !have.contains_key("context") {
                    m = m.expr("context", "'customer'");
                }
            }
            ("chat_messages", Naming::Camel) => {
                m = m.coalesce("created_at", &["timestamp"]);
            }
            ("email_messages", Naming::Snake) => {
                m = m.expr("from", "src.from_email").expr("to", "src.to_emails");
            }
            _ => {}
        }
        maps.push(m);
    }
    Ok(Some(Layout {
        name: "renos",
        variant: Some(match naming {
            Naming::Camel => "Prisma (camelCase, timestamp(3))".to_owned(),
            Naming::Snake => "snake_case uuid variant (supabase-migration.sql)".to_owned(),
        }),
        maps,
    }))
}
