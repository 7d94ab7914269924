//! Builders for test rows: each inserts a valid row with sensible defaults through the
//! entities (so ids and timestamps come from the entity behaviour) and returns its model.
//! Change what a test cares about on the builder; leave the rest to the defaults.
//!
//! The submodules create rows through the service instead (so its defaults, normalisation
//! and audit apply) and panic when that fails: [`billy`], [`renos`].

pub mod billy;
pub mod renos;

use std::sync::atomic::{AtomicU64, Ordering};

use entity::vault;
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr};
use serde_json::json;

static SEQ: AtomicU64 = AtomicU64::new(1);

/// A number unique within the test process, for unique columns.
pub fn unique() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// A `vault.documents` row.
pub struct DocumentBuilder {
    pub source: String,
    pub repository: String,
    pub path: String,
    pub content: String,
}

impl Default for DocumentBuilder {
    fn default() -> Self {
        let n = unique();
        Self {
            source: "github".into(),
            repository: "tekup/docs".into(),
            path: format!("docs/{n}.md"),
            content: format!("document {n}"),
        }
    }
}

impl DocumentBuilder {
    pub fn source(mut self, s: &str) -> Self {
        s.clone_into(&mut self.source);
        self
    }
    pub fn repository(mut self, r: &str) -> Self {
        r.clone_into(&mut self.repository);
        self
    }
    pub fn content(mut self, c: &str) -> Self {
        c.clone_into(&mut self.content);
        self
    }
    pub async fn insert(self, db: &DatabaseConnection) -> Result<vault::documents::Model, DbErr> {
        vault::documents::ActiveModel {
            source: Set(self.source),
            repository: Set(self.repository),
            path: Set(self.path),
            content: Set(self.content),
            metadata: Set(json!({})),
            ..Default::default()
        }
        .insert(db)
        .await
    }
}

/// A document's embedding.
pub async fn embedding(
    db: &DatabaseConnection,
    document_id: Uuid,
    vector: Vec<f32>,
) -> Result<vault::embeddings::Model, DbErr> {
    vault::embeddings::ActiveModel {
        document_id: Set(document_id),
        embedding: Set(PgVector::from(vector)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A 1536-dimension vector whose first components are `head` and the rest zero.
pub fn vector(head: &[f32]) -> Vec<f32> {
    let mut v = vec![0.0; 1536];
    v[..head.len()].copy_from_slice(head);
    v
}

/// A `billy.organizations` row (the API key column holds placeholder ciphertext).
pub async fn billy_organization(
    db: &DatabaseConnection,
) -> Result<entity::billy::organizations::Model, DbErr> {
    let n = unique();
    entity::billy::organizations::ActiveModel {
        name: Set(format!("Org {n}")),
        billy_api_key: Set(format!("00:00:{n:x}")),
        billy_organization_id: Set(format!("billy-org-{n}")),
        settings: Set(json!({})),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A `billy.users` row in `organization_id`.
pub async fn billy_user(
    db: &DatabaseConnection,
    organization_id: Uuid,
) -> Result<entity::billy::users::Model, DbErr> {
    entity::billy::users::ActiveModel {
        email: Set(format!("user{}@example.com", unique())),
        organization_id: Set(organization_id),
        metadata: Set(json!({})),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A decimal from its text, e.g. `dec("12.50")` (panics on bad text).
pub fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|e| panic!("not a decimal: {s:?}: {e}"))
}
