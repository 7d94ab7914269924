//! SeaORM entities for every table of Tekup Database.
//!
//! One module per PostgreSQL schema (`vault`, `billy`, `renos`, `crm`, `flow`, `shared`),
//! one submodule per table. The table modules are generated from `spec/model.json` by
//! `tools/gen_entities.py`; what entities *do* on save (ids, `updated_at`) is hand-written
//! in [`behavior`].
//!
//! These types are persistence types: they are never exposed to clients as they are (the
//! API crate defines its own GraphQL types, without secret columns).

pub mod behavior;

pub mod billy;
pub mod crm;
pub mod flow;
pub mod renos;
pub mod shared;
pub mod vault;
