//! Deterministic seed data (issue 6). Writes through [`service`] only.
pub use service as _service;
