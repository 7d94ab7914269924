//! Deterministic seed data (issue 6). Writes through [`service`] only, except [`bench`]
//! (bulk SQL for the API benchmark).

pub use service as _service;

pub mod bench;
pub mod bench_search;
pub mod checksum;
pub mod embed;
pub mod legacy;
pub mod ops;
pub mod progress;
pub mod seed;
