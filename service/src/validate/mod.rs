//! Parsing input at the edge of the service: small helpers that turn raw values into
//! checked ones or an [`Error::Validation`](crate::Error) naming the field, and
//! [`Problems`], which collects the problems of every field of one input so a call reports
//! all of them at once.
//!
//! The free functions return `Result`s; feed them to [`Problems::take`] (or
//! [`Problems::take_or_default`]) to keep checking after the first bad field. Checks that
//! only one schema needs live in that schema's module.

mod number;
mod problems;
mod text;

pub use number::{
    date_range, finite, limit, non_negative, non_negative_decimal, positive, positive_decimal,
    positive_minutes,
};
pub use problems::Problems;
pub use text::{Email, non_empty, opt_email, opt_text};
