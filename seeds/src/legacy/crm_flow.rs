//! `crm."Crm…"` and `flow."Flow…"` Prisma tables (camelCase, `timestamp(3)`) → the
//! snake_case canonical `crm` and `flow` tables (legacy-layouts.md §9).

use sea_orm::{DatabaseConnection, DbErr};

use super::Layout;
use super::engine::source_has;
use super::map::{Naming, TableMap};

const CRM: &[(&str, &str)] = &[
    ("CrmCompany", "companies"),
    ("CrmContact", "contacts"),
    ("CrmDeal", "deals"),
    ("CrmDealProduct", "deal_products"),
    ("CrmActivity", "activities"),
    ("CrmEmail", "emails"),
    ("CrmTask", "tasks"),
    ("CrmMetric", "metrics"),
];

const FLOW: &[(&str, &str)] = &[
    ("FlowWorkflow", "workflows"),
    ("FlowExecution", "executions"),
    ("FlowExecutionStep", "execution_steps"),
    ("FlowExecutionLog", "execution_logs"),
    ("FlowSchedule", "schedules"),
    ("FlowWebhook", "webhooks"),
    ("FlowIntegration", "integrations"),
    ("FlowVariable", "variables"),
    ("FlowMetric", "metrics"),
];

/// The layout, when the source has `crm."CrmContact"` or `flow."FlowWorkflow"`.
pub async fn layout(src: &DatabaseConnection) -> Result<Option<Layout>, DbErr> {
    let crm = source_has(src, "crm", "CrmContact").await?;
    let flow = source_has(src, "flow", "FlowWorkflow").await?;
    if !crm && !flow {
        return Ok(None);
    }
    let mut maps = Vec::new();
    for (schema, list, on) in [("crm", CRM, crm), ("flow", FLOW, flow)] {
        if on {
            for (from, to) in list {
                maps.push(TableMap::new(
                    "crm_flow",
                    (schema, from),
                    (schema, to),
                    Naming::Camel,
                ));
            }
        }
    }
    Ok(Some(Layout {
        name: "crm_flow",
        variant: None,
        maps,
    }))
}
