//! The HTTP application: shared state and the route table.

use std::sync::Arc;

use axum::{Router, extract::State, middleware, routing::get};
use sea_orm::DatabaseConnection;

use crate::{graphiql, graphql, health, metrics};

/// What every request handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
}

/// Every route of the server. Each router counts its own requests (`/metrics`).
pub fn router(state: AppState) -> Router {
    let counters = Arc::new(metrics::Metrics::default());
    let scrape = {
        let counters = counters.clone();
        move |State(state): State<AppState>| async move { metrics::response(&counters, &state.db) }
    };
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/graphql",
            get(graphql::handler::graphql).post(graphql::handler::graphql),
        )
        .route("/metrics", get(scrape))
        .merge(graphiql::routes())
        .layer(middleware::from_fn_with_state(counters, metrics::track))
        .with_state(state)
}
