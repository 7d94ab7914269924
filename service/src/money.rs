//! Money arithmetic, shared by every schema that stores amounts (`crm` deals and product
//! lines, `renos` quotes, invoices and plans).
//!
//! - Amounts are [`Decimal`]s throughout; `f64` appears only at the column boundary
//!   ([`to_db`] / [`from_db`]), because the legacy columns are `double precision`.
//! - Amounts are rounded to 2 decimals with standard commercial rounding: half away from
//!   zero, i.e. half-up for positive amounts ([`round_money`]).
//! - Accepted amounts are at most [`MAX_AMOUNT`], well inside the range where a
//!   `double precision` column keeps every cent (øre) exact.
//! - Danish VAT is 25 % ([`VAT_RATE_PERCENT`], [`totals_from_subtotal`]).

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{Error, Result};

/// Danish VAT in percent, as stored in `vat_rate` columns.
pub const VAT_RATE_PERCENT: Decimal = Decimal::from_parts(25, 0, 0, false, 0);

/// The largest amount accepted (1,000,000,000,000.00): well inside the range where a
/// `double precision` column keeps every cent exact. (`10^12` = `mid 232, lo 3_567_587_328`.)
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// Subtotal, VAT and total of a quote or an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    /// Sum before VAT, 2 decimals.
    pub subtotal: Decimal,
    /// `round(subtotal × 25 %, 2)`.
    pub vat_amount: Decimal,
    /// `subtotal + vat_amount`.
    pub total: Decimal,
}

/// `d` rounded to 2 decimals, half away from zero.
pub fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount from input: `0 <= v <= MAX_AMOUNT`, rounded to 2 decimals (half away from
/// zero); otherwise a validation error on `field`.
pub fn parse_amount(field: &str, v: Decimal) -> Result<Decimal> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(Error::invalid(field, "must not be negative"));
    }
    if v > MAX_AMOUNT {
        return Err(Error::invalid(field, "is too large"));
    }
    Ok(round_money(v))
}

/// `round(a × b, 2)`, or a validation error on `field` when the product is out of range.
pub fn money_product(field: &str, a: Decimal, b: Decimal) -> Result<Decimal> {
    match a.checked_mul(b).map(round_money) {
        Some(v) if v.abs() <= MAX_AMOUNT => Ok(v),
        _ => Err(Error::invalid(field, "amount is too large")),
    }
}

/// Totals for a (rounded) subtotal: VAT = `round(subtotal × 0.25, 2)`, total = subtotal + VAT.
pub fn totals_from_subtotal(subtotal: Decimal) -> Totals {
    let subtotal = round_money(subtotal);
    let vat_amount = round_money(subtotal * VAT_RATE_PERCENT / Decimal::ONE_HUNDRED);
    Totals {
        subtotal,
        vat_amount,
        total: subtotal + vat_amount,
    }
}

/// A decimal as stored in a `double precision` column.
pub fn to_db(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A stored `double precision` amount as a decimal (shortest representation, so `0.1`
/// reads back as `0.1`); non-finite values, which are never written, read as zero.
pub fn from_db(v: f64) -> Decimal {
    Decimal::from_f64(v).unwrap_or(Decimal::ZERO)
}
