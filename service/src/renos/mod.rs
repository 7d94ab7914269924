//! `renos`: leads and scoring, customers, quotes, bookings with time tracking, invoices, plans, email, GDPR, subcontractors.

pub mod analytics;
pub mod booking_list;
pub mod bookings;
pub mod chat;
pub mod cleaning_plans;
pub mod customer_stats;
pub mod customers;
pub mod email;
pub mod escalations;
pub mod gdpr;
pub mod invoice_status;
pub mod invoices;
pub mod lead_conversion;
pub mod lead_list;
pub mod lead_score_updates;
pub mod lead_scoring;
pub mod leads;
pub mod notifications;
pub mod quality;
pub mod quotes;
pub mod security;
pub mod subcontractors;
pub mod team;
pub mod time_tracking;
pub(crate) mod transition;
pub mod users;
