//! The seed's only source of variety: a splitmix64 generator per row, keyed by (seed,
//! table tag, row index), so a row's content never depends on the size or on the order in
//! which rows are made. Ids depend on (tag, index) only (see [`uuid`], [`text_id`]).

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

/// The fixed "now" of the seed: every timestamp is this plus or minus a PRNG offset.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// `epoch() + minutes`.
pub fn at_minutes(minutes: i64) -> DateTime<Utc> {
    epoch() + Duration::minutes(minutes)
}

/// An RFC 3339 timestamp (whole seconds, `Z`), the form the write engine takes.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(seed: u64, tag: &str, index: u64) -> u64 {
    let mut h = mix(seed ^ 0x7465_6b75_7073_6565);
    for b in tag.bytes() {
        h = mix(h ^ u64::from(b));
    }
    mix(h ^ index)
}

/// splitmix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// The generator of row `index` of `tag` under `seed`.
    pub fn row(seed: u64, tag: &str, index: u64) -> Self {
        Self(key(seed, tag, index))
    }

    /// The generator whose state is `state` (for callers that derive states themselves).
    pub fn from_state(state: u64) -> Self {
        Self(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.saturating_sub(lo).max(0) as u64 + 1;
        lo + self.below(span) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        let i = self.below(xs.len() as u64) as usize;
        &xs[i.min(xs.len().saturating_sub(1))]
    }

    /// An approximately standard normal number (sum of 12 uniforms).
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// Lower-case hex of `n` random bytes.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| format!("{:02x}", self.below(256))).collect()
    }
}

/// The fixed UUID of row `index` of `tag`: PRNG bytes with the version 4 and variant bits
/// set. Independent of the seed, so a re-run with any seed finds the rows it made.
pub fn uuid(tag: &str, index: u64) -> Uuid {
    let mut r = Rng::row(0, tag, index);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&r.next_u64().to_le_bytes());
    b[8..].copy_from_slice(&r.next_u64().to_le_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Uuid::from_bytes(b)
}

/// The fixed text id of row `index` of `tag`, e.g. `seed-cust-000123`.
pub fn text_id(tag: &str, index: u64) -> String {
    format!("seed-{tag}-{index:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::row(1, "x", 7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::row(1, "x", 7).next_u64(),
            Rng::row(2, "x", 7).next_u64()
        );
        assert_ne!(
            Rng::row(1, "x", 7).next_u64(),
            Rng::row(1, "y", 7).next_u64()
        );
        assert_ne!(
            Rng::row(1, "x", 7).next_u64(),
            Rng::row(1, "x", 8).next_u64()
        );
        let u = uuid("user", 3);
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(u, uuid("user", 3));
        assert_eq!(text_id("cust", 123), "seed-cust-000123");
    }
}
