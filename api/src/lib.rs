//! The Tekup Database API server as a library, so the `api` binary and the integration tests
//! build the same application.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod metrics;
