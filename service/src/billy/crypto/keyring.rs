//! The configured encryption keys. No built-in defaults: a keyring without a current key
//! cannot be built.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};
use crate::validate::Problems;

/// Environment variable naming the key id new ciphertexts are written under.
pub const ENV_CURRENT_KEY_ID: &str = "BILLY_KEYRING_CURRENT_KEY_ID";
/// Environment variable listing the keys: `id=hex64,id=hex64` (older ids stay readable).
pub const ENV_KEYS: &str = "BILLY_KEYRING_KEYS";
/// Legacy Tekup-Billy scrypt password (optional; needs [`ENV_LEGACY_SALT`]).
pub const ENV_LEGACY_KEY: &str = "ENCRYPTION_KEY";
/// Legacy Tekup-Billy scrypt salt (optional; needs [`ENV_LEGACY_KEY`]).
pub const ENV_LEGACY_SALT: &str = "ENCRYPTION_SALT";

/// Longest accepted key id.
const MAX_KEY_ID_LEN: usize = 32;

/// The name of a key: 1–32 characters of `A-Z a-z 0-9 _ -` (it is stored in every
/// ciphertext, so it must not contain the `:` separator).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Checks a key id; `field` names the input in the validation error.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_KEY_ID_LEN
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "must be 1-32 characters of letters, digits, '_' or '-'",
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The legacy Tekup-Billy secret (`ENCRYPTION_KEY`, `ENCRYPTION_SALT`) from which the
/// legacy AES key is derived with scrypt. `Debug` is redacted.
#[derive(Clone)]
pub struct LegacySecret {
    password: String,
    salt: String,
}

impl LegacySecret {
    /// The scrypt password and salt exactly as the legacy service was configured.
    pub fn new(password: impl Into<String>, salt: impl Into<String>) -> Self {
        Self {
            password: password.into(),
            salt: salt.into(),
        }
    }
}

impl fmt::Debug for LegacySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LegacySecret(<redacted>)")
    }
}

/// A 256-bit AES key.
#[derive(Clone)]
pub(crate) struct AesKey(pub(crate) [u8; 32]);

/// The encryption keys of the service: the current key id (used for every new
/// ciphertext), every key that may still be read, and optionally the legacy key.
/// `Debug` prints key ids only.
#[derive(Clone)]
pub struct Keyring {
    current: KeyId,
    keys: BTreeMap<KeyId, AesKey>,
    legacy: Option<AesKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.as_str())
            .field(
                "key_ids",
                &self.keys.keys().map(KeyId::as_str).collect::<Vec<_>>(),
            )
            .field("legacy", &self.legacy.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Keyring {
    /// Builds a keyring. `keys` are `(key id, 64 hex characters)`; `current_key_id` must
    /// be one of them. Every problem is reported (naming the field, never the key).
    pub fn new<K, V>(
        current_key_id: &str,
        keys: impl IntoIterator<Item = (K, V)>,
        legacy: Option<LegacySecret>,
    ) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut p = Problems::new();
        let current = p.take(KeyId::parse("current_key_id", current_key_id.trim()));
        let mut parsed = BTreeMap::new();
        for (id, hex_key) in keys {
            let Some(id) = p.take(KeyId::parse("keys", id.as_ref().trim())) else {
                continue;
            };
            let field = format!("keys.{}", id.as_str());
            match parse_key(hex_key.as_ref().trim()) {
                Ok(key) => {
                    if parsed.insert(id, key).is_some() {
                        p.add(field, "is listed twice");
                    }
                }
                Err(message) => p.add(field, message),
            }
        }
        if let Some(current) = &current
            && !parsed.contains_key(current)
        {
            p.add("current_key_id", "has no key in the keyring");
        }
        let legacy = legacy.and_then(|secret| p.take(derive_legacy_key(&secret)));
        p.finish()?;
        let current = current.ok_or_else(|| Error::internal(&"checked key id missing"))?;
        Ok(Self {
            current,
            keys: parsed,
            legacy,
        })
    }

    /// Builds the keyring from the process environment (see [`Keyring::from_lookup`]).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the keyring from configuration values looked up by name:
    /// `BILLY_KEYRING_CURRENT_KEY_ID`, `BILLY_KEYRING_KEYS` (`id=hex64,id=hex64`) and,
    /// optionally and only together, the legacy `ENCRYPTION_KEY` and `ENCRYPTION_SALT`.
    /// Missing values are errors; there are no defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let present = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut p = Problems::new();
        let current = present(ENV_CURRENT_KEY_ID);
        p.check(current.is_some(), ENV_CURRENT_KEY_ID, "is not set");
        let mut pairs = Vec::new();
        match present(ENV_KEYS) {
            None => p.add(ENV_KEYS, "is not set"),
            Some(list) => {
                for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    match item.split_once('=') {
                        Some((id, key)) => pairs.push((id.to_owned(), key.to_owned())),
                        None => p.add(
                            ENV_KEYS,
                            "entries must look like id=hex64, separated by commas",
                        ),
                    }
                }
            }
        }
        let legacy = match (present(ENV_LEGACY_KEY), present(ENV_LEGACY_SALT)) {
            (Some(password), Some(salt)) => Some(LegacySecret::new(password, salt)),
            (None, None) => None,
            (Some(_), None) => {
                p.add(ENV_LEGACY_SALT, "is required with ENCRYPTION_KEY");
                None
            }
            (None, Some(_)) => {
                p.add(ENV_LEGACY_KEY, "is required with ENCRYPTION_SALT");
                None
            }
        };
        p.finish()?;
        Self::new(current.as_deref().unwrap_or_default(), pairs, legacy)
    }

    /// The key id new ciphertexts are written under.
    pub fn current_key_id(&self) -> &KeyId {
        &self.current
    }

    /// Every key id this keyring can decrypt.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// Whether values in the legacy format can be decrypted.
    pub fn has_legacy_key(&self) -> bool {
        self.legacy.is_some()
    }

    pub(crate) fn current_key(&self) -> Option<&AesKey> {
        self.keys.get(&self.current)
    }

    pub(crate) fn key(&self, id: &str) -> Option<&AesKey> {
        self.keys.get(&KeyId(id.to_owned()))
    }

    pub(crate) fn legacy_key(&self) -> Option<&AesKey> {
        self.legacy.as_ref()
    }
}

/// 64 hex characters → 32 bytes; an all-zero key is refused as a placeholder.
fn parse_key(hex_key: &str) -> std::result::Result<AesKey, &'static str> {
    let mut key = [0u8; 32];
    if hex_key.len() != 64 || hex::decode_to_slice(hex_key, &mut key).is_err() {
        return Err("must be 64 hex characters (32 bytes)");
    }
    if key.iter().all(|b| *b == 0) {
        return Err("must not be all zeros");
    }
    Ok(AesKey(key))
}

/// The legacy key: scrypt(password, salt, N = 16384, r = 8, p = 1, 32 bytes), as Node's
/// `crypto.scryptSync(ENCRYPTION_KEY, ENCRYPTION_SALT, 32)`.
fn derive_legacy_key(secret: &LegacySecret) -> Result<AesKey> {
    let mut p = Problems::new();
    p.check(
        !secret.password.is_empty(),
        "legacy.encryption_key",
        "must not be empty",
    );
    p.check(
        !secret.salt.is_empty(),
        "legacy.encryption_salt",
        "must not be empty",
    );
    p.finish()?;
    let mut key = [0u8; 32];
    let derived = scrypt::Params::new(14, 8, 1, 32)
        .map_err(|_| ())
        .and_then(|params| {
            scrypt::scrypt(
                secret.password.as_bytes(),
                secret.salt.as_bytes(),
                &params,
                &mut key,
            )
            .map_err(|_| ())
        });
    match derived {
        Ok(()) => Ok(AesKey(key)),
        Err(()) => Err(Error::invalid(
            "legacy",
            "the legacy key could not be derived",
        )),
    }
}
