//! A RenOS organisation id as the API accepts it: 1–64 characters of `[A-Za-z0-9_.:-]`.
//! Parsed at the edge so it can be set in the database session without escaping issues.

use std::fmt;

/// A validated RenOS organisation id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenosOrgId(String);

impl RenosOrgId {
    /// Parses `s`; `None` when it is empty, longer than 64 or has other characters.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RenosOrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::RenosOrgId;

    #[test]
    fn accepts_plain_ids_only() {
        assert!(RenosOrgId::parse("org_42-a.b:c").is_some());
        assert!(RenosOrgId::parse("").is_none());
        assert!(RenosOrgId::parse("a'b").is_none());
        assert!(RenosOrgId::parse("a b").is_none());
        assert!(RenosOrgId::parse(&"x".repeat(65)).is_none());
    }
}
