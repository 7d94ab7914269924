//! Cross-schema links (data-model.md §4): identities by normalised email (P1), parties
//! across renos, crm and Billy (P2), and a RenOS invoice's Billy cache row (P5). Audited
//! actions of every schema go to `shared.audit_logs` through [`crate::shared::audit`] (P7).

pub mod identities;
pub mod invoices;
pub mod parties;
