//! `renos`: leads and scoring, customers, quotes, bookings with time tracking, invoices, plans, email, GDPR, subcontractors.

pub mod analytics;
pub mod booking_list;
pub mod bookings;
pub mod cleaning_plans;
pub mod customer_stats;
pub mod customers;
pub mod invoice_status;
pub mod invoices;
pub mod lead_conversion;
pub mod lead_list;
pub mod lead_score_updates;
pub mod lead_scoring;
pub mod leads;
pub mod money;
pub mod quotes;
pub(crate) mod sales_audit;
pub(crate) mod sales_validation;
pub mod time_tracking;
