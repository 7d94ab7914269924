//! The HTTP application: shared state and the route table.

use std::sync::Arc;

use axum::{Router, extract::State, middleware, routing::get};
use sea_orm::DatabaseConnection;

use crate::auth::Authenticator;
use crate::graphql::Services;
use crate::{graphiql, graphql, health, metrics};

/// Request limits of the GraphQL endpoint.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// `statement_timeout` set in every request's transaction.
    pub statement_timeout_ms: u32,
    /// Whether introspection is allowed.
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_048_576,
            statement_timeout_ms: 5000,
            introspection: true,
        }
    }
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: Arc<Authenticator>,
    pub limits: Limits,
    pub services: Services,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `db` with default limits, no JWT key and no Billy keyring.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            auth: Arc::new(Authenticator::default()),
            limits: Limits::default(),
            services: Services::default(),
        }
    }
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
