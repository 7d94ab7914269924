//! What every entity does when it is saved: hand-written, shared by all generated modules.
//!
//! - On insert, an id that the caller did not set is generated: a UUID v4 for `uuid` keys,
//!   a cuid2 for `text` keys (existing ids, e.g. legacy cuids, are kept as given).
//! - On every save, the `updated_at` column (`last_updated` in
//!   `renos.customer_intelligence`) is set to now unless the caller set it explicitly (an
//!   import that preserves history). A database trigger does the same for raw SQL.
//!
//! Each generated table module names its behaviour with one line, for example
//! `crate::behavior::stamped!(id = uuid, touch = updated_at);`.

use sea_orm::prelude::DateTimeWithTimeZone;

/// The timestamp written to `updated_at`: now, in UTC.
pub fn now() -> DateTimeWithTimeZone {
    chrono::Utc::now().fixed_offset()
}

/// A new text id for the cuid-keyed tables (renos, crm, flow).
pub fn new_cuid() -> String {
    cuid2::create_id()
}

/// Implements `ActiveModelBehavior` for the `ActiveModel` of the module it is invoked in.
macro_rules! stamped {
    (id = $id:ident, touch = $touch:ident) => {
        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                if insert {
                    $crate::behavior::stamped!(@id self, $id);
                }
                $crate::behavior::stamped!(@touch self, $touch);
                Ok(self)
            }
        }
    };
    (@id $s:ident, uuid) => {
        if $s.id.is_not_set() {
            $s.id = sea_orm::ActiveValue::Set(Uuid::new_v4());
        }
    };
    (@id $s:ident, cuid) => {
        if $s.id.is_not_set() {
            $s.id = sea_orm::ActiveValue::Set($crate::behavior::new_cuid());
        }
    };
    (@id $s:ident, none) => {};
    (@touch $s:ident, none) => {};
    (@touch $s:ident, $col:ident) => {
        if !$s.$col.is_set() {
            $s.$col = sea_orm::ActiveValue::Set($crate::behavior::now());
        }
    };
}
pub(crate) use stamped;
