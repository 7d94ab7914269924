//! Encryption at rest of `billy.organizations.billy_api_key`.
//!
//! - [`Keyring`]: the configured AES-256 keys (current key id + older ids kept for reading)
//!   and the optional legacy scrypt key of Tekup-Billy.
//! - [`ApiKey`]: a plaintext Billy.dk API key whose `Debug`/`Display` are redacted.
//! - [`KeyScheme`]: which scheme and key a stored value uses (readable without any key).
//!
//! Stored formats (same text column):
//! - current: `v2:<key_id>:<nonce hex, 12 bytes>:<ciphertext+tag hex>`, AES-256-GCM with
//!   the organisation id and key id as associated data (a value copied to another row or
//!   relabelled with another key id does not decrypt);
//! - legacy (read only): `<iv hex, 16 bytes>:<tag hex, 16 bytes>:<ciphertext hex>`,
//!   AES-256-GCM with a 16-byte IV under `scrypt(ENCRYPTION_KEY, ENCRYPTION_SALT)`.
//!
//! Encrypting and decrypting are crate-private: the plaintext leaves the service only
//! through [`crate::billy::organizations::reveal_api_key`].

mod api_key;
mod keyring;
mod sealed;

pub use api_key::ApiKey;
pub use keyring::{
    ENV_CURRENT_KEY_ID, ENV_KEYS, ENV_LEGACY_KEY, ENV_LEGACY_SALT, KeyId, Keyring, LegacySecret,
};
pub use sealed::KeyScheme;
pub(crate) use sealed::{open, seal};
