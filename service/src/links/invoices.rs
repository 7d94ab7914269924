//! P5: a RenOS invoice's row in the Billy.dk cache, by (`renos.invoices.billy_organization_id`,
//! `billy_invoice_id`) → `billy.cached_invoices(organization_id, billy_id)`. Cache rows
//! expire, so this is a lookup, not a foreign key.

use entity::{billy, renos};
use sea_orm::entity::prelude::*;

use crate::clock::now;
use crate::error::{Error, Result};

/// The fresh (not expired) cached Billy invoice of the RenOS invoice; `None` when the
/// invoice is not synced to Billy (organisation or Billy id missing), not cached, or the
/// cache row expired. An unknown invoice is `NotFound`.
pub async fn billy_cached_invoice_for<C: ConnectionTrait>(
    db: &C,
    invoice_id: &str,
) -> Result<Option<billy::cached_invoices::Model>> {
    let invoice = renos::invoices::Entity::find_by_id(invoice_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("invoice"))?;
    let (Some(org), Some(billy_id)) = (invoice.billy_organization_id, invoice.billy_invoice_id)
    else {
        return Ok(None);
    };
    Ok(billy::cached_invoices::Entity::find()
        .filter(billy::cached_invoices::Column::OrganizationId.eq(org))
        .filter(billy::cached_invoices::Column::BillyId.eq(billy_id))
        .filter(billy::cached_invoices::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?)
}

/// The fresh cached Billy contact of the RenOS invoice (by `billy_organization_id`,
/// `billy_contact_id`), with the same rules as [`billy_cached_invoice_for`].
pub async fn billy_cached_contact_for<C: ConnectionTrait>(
    db: &C,
    invoice_id: &str,
) -> Result<Option<billy::cached_customers::Model>> {
    let invoice = renos::invoices::Entity::find_by_id(invoice_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("invoice"))?;
    let (Some(org), Some(contact_id)) = (invoice.billy_organization_id, invoice.billy_contact_id)
    else {
        return Ok(None);
    };
    Ok(billy::cached_customers::Entity::find()
        .filter(billy::cached_customers::Column::OrganizationId.eq(org))
        .filter(billy::cached_customers::Column::BillyId.eq(contact_id))
        .filter(billy::cached_customers::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?)
}
