//! What callers see of an organisation: everything except the API key.

use chrono::{DateTime, Utc};
use entity::billy::{organizations, users};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::billy::crypto::KeyScheme;

/// A `billy.organizations` row without its API key: only whether one is stored, when it
/// was last (re-)encrypted and under which scheme/key id.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Organization {
    /// Primary key.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Billy.dk organisation id (unique).
    pub billy_organization_id: String,
    /// Settings JSON object.
    pub settings: Value,
    /// Whether the tenant may use the tools.
    pub is_active: bool,
    /// Whether an API key is stored.
    pub has_api_key: bool,
    /// When the stored key was last written or re-encrypted.
    pub api_key_rotated_at: DateTime<Utc>,
    /// How the stored key is encrypted (keyring key id, legacy, or unrecognised).
    pub api_key_scheme: KeyScheme,
    /// Row creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    /// The keyring key id of the stored key (`None` for legacy or unrecognised values).
    pub fn api_key_id(&self) -> Option<&str> {
        self.api_key_scheme.key_id()
    }
}

impl From<organizations::Model> for Organization {
    fn from(m: organizations::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            billy_organization_id: m.billy_organization_id,
            settings: m.settings,
            is_active: m.is_active,
            has_api_key: !m.billy_api_key.is_empty(),
            api_key_scheme: KeyScheme::of(&m.billy_api_key),
            api_key_rotated_at: m.api_key_rotated_at.to_utc(),
            created_at: m.created_at.to_utc(),
            updated_at: m.updated_at.to_utc(),
        }
    }
}

/// An organisation with its users (ordered by email).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrganizationWithUsers {
    /// The organisation.
    pub organization: Organization,
    /// Its users, active and inactive.
    pub users: Vec<users::Model>,
}
