//! RenOS staff: team member profiles, clock-in/clock-out time entries, and corrections of
//! entries with an approve/reject workflow.

pub mod members;
pub mod time_corrections;
pub mod time_entries;
