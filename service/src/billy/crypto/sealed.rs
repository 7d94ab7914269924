//! Sealing and opening stored API keys (current `v2` format and legacy format).

use std::fmt;

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::{Aes256Gcm, AesGcm, KeyInit, Nonce};
use serde::Serialize;
use uuid::Uuid;

use super::api_key::ApiKey;
use super::keyring::{KeyId, Keyring};

/// AES-256-GCM with the 16-byte IV of the legacy Tekup-Billy code.
type LegacyAesGcm = AesGcm<Aes256, U16>;

const V2: &str = "v2";
const NONCE_LEN: usize = 12;
const LEGACY_IV_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// How a stored `billy_api_key` value is encrypted (read from its text, without a key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "scheme", rename_all = "snake_case")]
pub enum KeyScheme {
    /// `v2:<key_id>:…` under this keyring key id.
    Keyring {
        /// The key id in the stored value.
        key_id: String,
    },
    /// The legacy `iv:tag:ciphertext` format (scrypt-derived key).
    Legacy,
    /// Neither format (e.g. a placeholder from a seed); cannot be decrypted.
    Unrecognised,
}

impl KeyScheme {
    /// The scheme of a stored value.
    pub fn of(stored: &str) -> Self {
        match parse(stored) {
            Some(Parsed::V2 { key_id, .. }) => Self::Keyring {
                key_id: key_id.to_owned(),
            },
            Some(Parsed::Legacy { .. }) => Self::Legacy,
            None => Self::Unrecognised,
        }
    }

    /// The keyring key id, for `v2` values.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Self::Keyring { key_id } => Some(key_id),
            Self::Legacy | Self::Unrecognised => None,
        }
    }
}

/// Why a value could not be sealed or opened. Carries no key material or plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CipherError {
    /// Not a `v2` or legacy value.
    Malformed,
    /// A `v2` value under a key id that the keyring does not have.
    UnknownKeyId,
    /// A legacy value, but no legacy key is configured.
    NoLegacyKey,
    /// Wrong key, or the value (or its organisation / key id binding) was modified.
    Authentication,
    /// Decrypted, but not UTF-8 text.
    NotUtf8,
    /// Encryption itself failed.
    Encrypt,
}

impl fmt::Display for CipherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "stored api key has an unknown format",
            Self::UnknownKeyId => "stored api key uses a key id missing from the keyring",
            Self::NoLegacyKey => {
                "stored api key is in the legacy format but no legacy key is configured"
            }
            Self::Authentication => "stored api key failed authentication (wrong key or modified)",
            Self::NotUtf8 => "stored api key is not text",
            Self::Encrypt => "api key encryption failed",
        })
    }
}

/// Encrypts `plaintext` for organisation `org_id` under the keyring's current key.
pub(crate) fn seal(
    keyring: &Keyring,
    org_id: Uuid,
    plaintext: &ApiKey,
) -> Result<String, CipherError> {
    let key_id = keyring.current_key_id();
    let key = keyring.current_key().ok_or(CipherError::UnknownKeyId)?;
    let cipher = Aes256Gcm::new(&key.0.into());
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = associated_data(key_id.as_str(), org_id);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext.expose().as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| CipherError::Encrypt)?;
    Ok(format!(
        "{V2}:{}:{}:{}",
        key_id.as_str(),
        hex::encode(nonce),
        hex::encode(sealed)
    ))
}

/// Decrypts a stored value of organisation `org_id` (either format).
pub(crate) fn open(keyring: &Keyring, org_id: Uuid, stored: &str) -> Result<ApiKey, CipherError> {
    let plain = match parse(stored).ok_or(CipherError::Malformed)? {
        Parsed::V2 {
            key_id,
            nonce,
            sealed,
        } => {
            let key = keyring.key(key_id).ok_or(CipherError::UnknownKeyId)?;
            let cipher = Aes256Gcm::new(&key.0.into());
            let aad = associated_data(key_id, org_id);
            cipher
                .decrypt(
                    &Nonce::<U12>::from(nonce),
                    Payload {
                        msg: &sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| CipherError::Authentication)?
        }
        Parsed::Legacy {
            iv,
            tag,
            ciphertext,
        } => {
            let key = keyring.legacy_key().ok_or(CipherError::NoLegacyKey)?;
            let cipher = LegacyAesGcm::new(&key.0.into());
            let mut sealed = ciphertext;
            sealed.extend_from_slice(&tag);
            cipher
                .decrypt(&Nonce::<U16>::from(iv), sealed.as_slice())
                .map_err(|_| CipherError::Authentication)?
        }
    };
    String::from_utf8(plain)
        .map(ApiKey::new)
        .map_err(|_| CipherError::NotUtf8)
}

/// Binds a `v2` ciphertext to its row and key id.
fn associated_data(key_id: &str, org_id: Uuid) -> Vec<u8> {
    format!("billy.organizations.billy_api_key:{V2}:{key_id}:{org_id}").into_bytes()
}

enum Parsed<'a> {
    V2 {
        key_id: &'a str,
        nonce: [u8; NONCE_LEN],
        sealed: Vec<u8>,
    },
    Legacy {
        iv: [u8; LEGACY_IV_LEN],
        tag: [u8; TAG_LEN],
        ciphertext: Vec<u8>,
    },
}

fn parse(stored: &str) -> Option<Parsed<'_>> {
    let parts: Vec<&str> = stored.split(':').collect();
    match parts.as_slice() {
        [V2, key_id, nonce, sealed] => {
            KeyId::parse("key_id", key_id).ok()?;
            let nonce = decode(nonce)?.try_into().ok()?;
            let sealed = decode(sealed)?;
            (sealed.len() > TAG_LEN).then_some(Parsed::V2 {
                key_id,
                nonce,
                sealed,
            })
        }
        [iv, tag, ciphertext] => Some(Parsed::Legacy {
            iv: decode(iv)?.try_into().ok()?,
            tag: decode(tag)?.try_into().ok()?,
            ciphertext: decode(ciphertext)?,
        }),
        _ => None,
    }
}

/// Non-empty hex → bytes.
fn decode(part: &str) -> Option<Vec<u8>> {
    if part.is_empty() {
        return None;
    }
    hex::decode(part).ok()
}
