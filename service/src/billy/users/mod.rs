//! `billy.users`: people allowed to use the Billy tools in one organisation. Emails are
//! stored normalised (trimmed, lower-case) and are unique per organisation.

mod create;
mod find;
mod update;

pub use create::{NewUser, create_user};
pub use find::{UserFilter, find_user, get_user, list_users};
pub use update::{deactivate_user, update_user_role};
