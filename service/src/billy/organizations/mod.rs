//! `billy.organizations`: tenants and their encrypted Billy.dk API keys. Every function
//! returns [`Organization`] views, which never contain the key or its ciphertext; the
//! plaintext is available only through [`reveal_api_key`].

mod api_key;
mod create;
mod find;
mod rotate;
mod update;
mod view;

pub use api_key::{replace_api_key, reveal_api_key};
pub use create::{NewOrganization, create_organization};
pub use find::{OrganizationFilter, find_organization, get_organization, list_organizations};
pub use rotate::{DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, RotationReport, rotate_api_keys};
pub use update::{set_organization_active, update_organization_settings};
pub use view::{Organization, OrganizationWithUsers};

use entity::billy::organizations;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Loads the row (with its ciphertext) for update inside the caller's transaction.
pub(crate) async fn lock_row<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<organizations::Model> {
    organizations::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("billy organization"))
}

/// A settings value must be a JSON object.
pub(crate) fn check_settings(settings: &serde_json::Value) -> Result<()> {
    if settings.is_object() {
        Ok(())
    } else {
        Err(Error::invalid("settings", "must be a JSON object"))
    }
}
