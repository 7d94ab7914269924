//! GDPR for RenOS users: data export (portability), scheduled deletion (erasure), consent
//! records and privacy-policy versions. Every change is written to `shared.audit_logs`.

pub mod consents;
pub mod deletion;
pub mod export;
pub mod privacy_policies;
