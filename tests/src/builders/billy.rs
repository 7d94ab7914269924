//! `billy` organisations created through the service, with a one-key test keyring.

use sea_orm::DatabaseConnection;
use service::billy::crypto::{ApiKey, Keyring};
use service::billy::organizations::{NewOrganization, Organization, create_organization};

/// A test key: 64 hex characters.
pub const K1: &str = "1111111111111111111111111111111111111111111111111111111111111111";

/// A keyring whose only (and current) key is `k1` = [`K1`].
pub fn keyring() -> Keyring {
    Keyring::new("k1", [("k1", K1)], None).unwrap_or_else(|e| panic!("keyring: {e}"))
}

/// An organisation `name` with Billy id `billy-{name}` and API key `key-{name}`, encrypted
/// under [`keyring`].
pub async fn organization(db: &DatabaseConnection, name: &str) -> Organization {
    create_organization(
        db,
        &keyring(),
        NewOrganization {
            name: name.to_owned(),
            billy_organization_id: format!("billy-{name}"),
            api_key: ApiKey::new(format!("key-{name}")),
            settings: None,
        },
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("create_organization: {e}"))
}
