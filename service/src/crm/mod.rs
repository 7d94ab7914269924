//! `crm`: contacts, companies, deals and their products, activities, emails, tasks, metrics.

pub mod activities;
pub mod companies;
pub mod contact_queries;
pub mod contacts;
pub mod deal_products;
pub mod deal_stage;
pub mod deals;
pub mod emails;
pub mod metrics;
pub mod pipeline;
pub mod tasks;
