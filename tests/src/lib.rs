//! Test harness for Tekup Database: every test gets its own PostgreSQL database, cloned
//! from a template database that the migrations built once, so tests run in parallel
//! (threads or processes) with no shared state.
//!
//! `DATABASE_URL` names the server and a role that may create databases (`scripts/test`
//! sets it to the local PostgreSQL of `scripts/db`).

pub mod builders;
pub mod catalog;
pub mod counts;
pub mod errors;
pub mod model;
pub mod spawn_app;
pub mod test_db;

pub use test_db::TestDb;
