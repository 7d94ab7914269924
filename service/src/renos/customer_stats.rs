//! Recomputing a customer's denormalised totals in one statement.

use entity::renos::customers;
use entity::renos::invoices::InvoiceStatus;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, Statement};

use crate::error::{Error, Result};

const UPDATE_STATS: &str = r#"
UPDATE renos.customers c SET
    total_leads = (SELECT count(*) FROM renos.leads l WHERE l.customer_id = c.id),
    total_bookings = (SELECT count(*) FROM renos.bookings b WHERE b.customer_id = c.id),
    total_revenue = COALESCE((
        SELECT round(sum(i.total)::numeric, 2)::double precision
        FROM renos.invoices i
        WHERE i.customer_id = c.id AND i.status = $2
    ), 0)
WHERE c.id = $1
RETURNING c.*
"#;

/// Sets `total_leads`, `total_bookings` and `total_revenue` (sum of the totals of the
/// customer's **paid** invoices, rounded to 2 decimals) from the current rows, in one SQL
/// statement. `last_contact_at` is left alone: recounting is not a contact (lead
/// conversion sets it).
pub async fn update_customer_stats<C: ConnectionTrait>(
    db: &C,
    customer_id: &str,
) -> Result<customers::Model> {
    customers::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            UPDATE_STATS,
            [customer_id.into(), InvoiceStatus::Paid.to_value().into()],
        ))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("customer"))
}
