//! RenOS email (service-api.md §3.3): Gmail thread mirror, messages, AI-drafted responses
//! with an approval workflow, and ingestion runs.

pub mod ingest_runs;
pub mod messages;
pub mod responses;
pub mod threads;
