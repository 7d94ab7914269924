//! `renos`: leads and scoring, customers, quotes, bookings with time tracking, invoices, plans, email, GDPR, subcontractors.
