//! The entry point of the GraphQL layer: one `Reader` per request, over the request's
//! connection or transaction, counting the statements it runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::ConnectionTrait;
use serde_json::Value as Json;

use super::aggregate::{AggregateQuery, check_group_count};
use super::by_pk::ByPkQuery;
use super::children::{ChildPage, ChildrenQuery};
use super::exec;
use super::parents::ParentsQuery;
use super::query::{Connection, ListQuery};
use super::sql::Built;
use crate::Result;

/// Runs read queries on `db`; every method runs at most one statement.
pub struct Reader<'a, C> {
    db: &'a C,
    statements: AtomicUsize,
}

impl<C> std::fmt::Debug for Reader<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("statements", &self.statements.load(Ordering::Relaxed))
            .finish()
    }
}

impl<'a, C: ConnectionTrait> Reader<'a, C> {
    /// A reader over `db` (a pool, or the request's transaction with its tenant settings).
    pub fn new(db: &'a C) -> Self {
        Self {
            db,
            statements: AtomicUsize::new(0),
        }
    }

    /// Statements run so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::Relaxed)
    }

    async fn run(&self, built: &Built) -> Result<Vec<sea_orm::QueryResult>> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        exec::query(self.db, built).await
    }

    /// One row by primary key (`None` when absent).
    pub async fn by_pk(&self, q: &ByPkQuery) -> Result<Option<Json>> {
        let built = q.build()?;
        let rows = self.run(&built).await?;
        match rows.first() {
            Some(r) => exec::json(r, "row"),
            None => Ok(None),
        }
    }

    /// A page of a list (one statement, the total count included).
    pub async fn list(&self, q: &ListQuery) -> Result<Connection> {
        let plan = q.build()?;
        let rows = self.run(&plan.built).await?;
        plan.decode(&rows)
    }

    /// The children of many parents, by parent key text (one statement; none when there
    /// are no keys).
    pub async fn children(&self, q: &ChildrenQuery) -> Result<HashMap<String, ChildPage>> {
        let plan = q.build()?;
        let rows = match &plan.built {
            Some(b) => self.run(b).await?,
            None => Vec::new(),
        };
        plan.decode(&rows)
    }

    /// The related rows of many rows through a belongs-to/has-one relation, by key text
    /// (one statement; none when there are no keys).
    pub async fn parents(&self, q: &ParentsQuery) -> Result<HashMap<String, Json>> {
        let plan = q.build()?;
        let rows = match &plan.built {
            Some(b) => self.run(b).await?,
            None => Vec::new(),
        };
        plan.decode(&rows)
    }

    /// Aggregate rows (one per group, or one), as JSON objects.
    pub async fn aggregate(&self, q: &AggregateQuery) -> Result<Vec<Json>> {
        let built = q.build()?;
        let rows = self
            .run(&built)
            .await?
            .iter()
            .map(|r| exec::json(r, "row").map(Option::unwrap_or_default))
            .collect::<Result<Vec<_>>>()?;
        check_group_count(rows.len())?;
        Ok(rows)
    }
}
