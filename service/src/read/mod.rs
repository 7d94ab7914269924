//! The model-driven read engine under the GraphQL API: by-key reads, filtered and ordered
//! lists with offset or cursor pagination and total counts, aggregates, and batched
//! relation loading (one statement per relation per nesting level), for every table of
//! `spec/model.json`. Rows come back as JSON objects built in SQL from the selected
//! columns only; secret columns are never readable. Every value is a bound parameter.
//!
//! Use a [`Reader`] per request over the request's connection or transaction. Design
//! notes: `docs/read-engine.md`.

pub mod aggregate;
pub mod by_pk;
pub mod catalog;
pub mod children;
pub mod cursor;
pub mod exec;
pub mod filter;
pub(crate) mod model;
pub mod order;
pub mod parents;
pub mod query;
pub mod reader;
pub(crate) mod relations;
pub mod select;
pub mod sql;
pub mod value;

pub use aggregate::{AggregateFn, AggregateQuery};
pub use by_pk::ByPkQuery;
pub use catalog::{Catalog, Column, ColumnKind, Relation, RelationKind, Table, catalog};
pub use children::{ChildPage, ChildrenQuery};
pub use filter::{Filter, Op};
pub use order::{Direction, Nulls, OrderBy};
pub use parents::ParentsQuery;
pub use query::{Connection, DEFAULT_PAGE_SIZE, ListQuery, MAX_PAGE_SIZE, Page};
pub use reader::Reader;
pub use value::key_text;
