//! The HTTP application: shared state and the route table.

use axum::{Router, routing::get};
use sea_orm::DatabaseConnection;

use crate::{graphql, health};

/// What every request handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/graphql",
            get(graphql::handler::graphql).post(graphql::handler::graphql),
        )
        .with_state(state)
}
