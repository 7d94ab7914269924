//! Deterministic seed data (issue 6). Writes through [`service`] only.

pub use service as _service;

pub mod checksum;
pub mod legacy;
pub mod ops;
pub mod progress;
pub mod seed;
