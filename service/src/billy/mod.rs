//! `billy`: tenant organisations with encrypted API keys, users, TTL caches, audit log, usage metrics, rate limits.

pub mod audit;
pub mod cache;
pub mod crypto;
pub mod organizations;
pub mod rate_limit;
pub mod usage;
pub mod users;
