//! `crm`: contacts, companies, deals and their products, activities, emails, tasks, metrics.
