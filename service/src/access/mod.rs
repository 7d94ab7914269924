//! API access records (migration `access`): API keys, stored as hashes.

pub mod api_keys;
