//! Batching, "skip if exists", progress and the per-table report lines.

use std::collections::HashSet;
use std::time::Instant;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait, Value,
};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::ops::{Ctx, OpsError, OpsResult};
use crate::progress::Step;

/// Rows per transaction.
pub const BATCH: usize = 500;

/// One line of the report: a table (or a pass over a table's new rows).
#[derive(Clone, Debug, Serialize)]
pub struct TableLine {
    /// `schema.table`, or `schema.table (what)` for a pass over rows.
    pub table: String,
    /// Rows inserted (or processed by a pass) in this run.
    pub inserted: u64,
    /// Rows that already existed and were left alone.
    pub present: u64,
    pub seconds: f64,
}

/// The key by which "already present" is decided.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    /// A text key column.
    Text(&'static str),
    /// A uuid key column.
    Uuid(&'static str),
}

/// A row to insert: its key value and its columns.
pub struct Row {
    pub key: String,
    pub values: Map<String, Json>,
}

/// `json!({...})` as a column map (empty for anything that is not an object).
pub fn cols(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// Runs the seed's steps and collects their report lines.
pub struct Seeder<'a> {
    pub ctx: &'a Ctx,
    pub seed: u64,
    pub lines: Vec<TableLine>,
    pub notes: Vec<String>,
}

impl<'a> Seeder<'a> {
    pub fn new(ctx: &'a Ctx, seed: u64) -> Self {
        Self {
            ctx,
            seed,
            lines: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Which of `keys` exist in `table`.
    pub async fn existing<C: ConnectionTrait>(
        db: &C,
        table: &str,
        key: Key,
        keys: &[String],
    ) -> OpsResult<HashSet<String>> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        let (col, cast) = match key {
            Key::Text(c) => (c, "text[]"),
            Key::Uuid(c) => (c, "uuid[]"),
        };
        let sql = format!(
            "SELECT {col}::text AS k FROM {table} WHERE {col} = ANY(CAST($1 AS text[])::{cast})"
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [Value::from(keys.to_vec())],
            ))
            .await?;
        let mut out = HashSet::new();
        for r in rows {
            out.insert(r.try_get::<String>("", "k")?);
        }
        Ok(out)
    }

    /// Inserts row `i` of `0..n` (those for which `make` gives a row) into `table` through
    /// the service's validated write engine, skipping keys that exist; batches of
    /// [`BATCH`] rows per transaction. Returns the indices inserted in this run.
    pub async fn table(
        &mut self,
        table: &str,
        key: Key,
        n: u64,
        make: impl Fn(u64) -> Option<Row>,
    ) -> OpsResult<Vec<u64>> {
        let started = Instant::now();
        let rows: Vec<(u64, Row)> = (0..n).filter_map(|i| make(i).map(|r| (i, r))).collect();
        let mut step = Step::start(self.ctx.progress, table, Some(rows.len() as u64));
        let mut inserted = Vec::new();
        let mut present = 0u64;
        for chunk in rows.chunks(BATCH) {
            let keys: Vec<String> = chunk.iter().map(|(_, r)| r.key.clone()).collect();
            let have = Self::existing(&self.ctx.db, table, key, &keys).await?;
            let txn = self.ctx.db.begin().await?;
            for (i, r) in chunk {
                if have.contains(&r.key) {
                    present += 1;
                } else {
                    service::write::insert(&txn, table, r.values.clone())
                        .await
                        .map_err(|e| row_error(table, &r.key, e))?;
                    inserted.push(*i);
                }
            }
            txn.commit().await?;
            step.advance(chunk.len() as u64);
        }
        step.finish(&format!("{} new, {present} present", inserted.len()));
        self.lines.push(TableLine {
            table: table.to_owned(),
            inserted: inserted.len() as u64,
            present,
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(inserted)
    }

    /// Runs `f` once per item in transactions of [`BATCH`] items (a pass over new rows
    /// through a dedicated service function), with its own progress step and report line.
    pub async fn pass<T>(
        &mut self,
        label: &str,
        items: &[T],
        f: impl AsyncFn(&DatabaseTransaction, &T) -> OpsResult<()>,
    ) -> OpsResult<()> {
        let started = Instant::now();
        let mut step = Step::start(self.ctx.progress, label, Some(items.len() as u64));
        for chunk in items.chunks(BATCH) {
            let txn = self.ctx.db.begin().await?;
            for item in chunk {
                f(&txn, item).await.map_err(|e| match e {
                    OpsError::Service(e) => row_error(label, "", e),
                    e => OpsError::Invalid(format!("{label}: {e}")),
                })?;
            }
            txn.commit().await?;
            step.advance(chunk.len() as u64);
        }
        step.finish(&format!("{} rows", items.len()));
        self.lines.push(TableLine {
            table: label.to_owned(),
            inserted: items.len() as u64,
            present: 0,
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(())
    }
}

/// Runs one statement with bound values.
pub async fn exec<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> OpsResult<u64> {
    let r = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(r.rows_affected())
}

/// A refused row, with the fields the service named.
fn row_error(table: &str, key: &str, e: service::Error) -> OpsError {
    match &e {
        service::Error::Validation { fields } => OpsError::Invalid(format!(
            "{table} {key}: {}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        _ => OpsError::Invalid(format!("{table} {key}: {e}")),
    }
}
