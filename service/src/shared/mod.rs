//! `shared`: cross-application users and the cross-app audit trail (the original had no
//! helper for this schema).

pub mod audit;
pub mod users;
