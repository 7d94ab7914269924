//! `renos` rows created through the service (so defaults, normalisation and audit apply).

use entity::renos::customers;
use sea_orm::DatabaseConnection;
use service::renos::customers::{NewCustomer, create_customer};

/// A customer named `name`, with `email` when given; the rest defaults.
pub async fn customer(
    db: &DatabaseConnection,
    name: &str,
    email: Option<&str>,
) -> customers::Model {
    create_customer(
        db,
        NewCustomer {
            name: name.into(),
            email: email.map(Into::into),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("create_customer: {e}"))
}
