//! The model-driven write engine, twin of [`crate::read`]: create, update, delete and
//! upsert one row of any table of `spec/model.json`, for the GraphQL API's generic
//! mutations. Each call checks its whole input against the catalog first (every problem
//! reported at once, nothing written), then runs ONE statement
//! (`INSERT/UPDATE/DELETE ... RETURNING jsonb_build_object(...)`) and returns the row as
//! the read engine renders it (readable columns only; numerics as strings).
//!
//! - Only columns of the table; secrets ([`crate::read::catalog::SECRET_COLUMNS`]) and
//!   `vector` columns are not writable here (they have dedicated service functions).
//! - Values are checked per column kind ([`crate::read::value::to_value`]), against enum
//!   lists, `character varying(n)` and `numeric(p,s)`; JSON `null` is SQL NULL and only
//!   allowed for nullable columns.
//! - Insert: NOT NULL columns without a database default are required, except the ids
//!   the application makes (`entity::behavior`: a cuid2 for the text keys of the cuid
//!   tables; uuid keys have a database default). `updated_at` columns have database
//!   defaults and the `updated_at` trigger keeps them current on update.
//! - Update: at least one column, never a primary key column; no row is
//!   [`Error::NotFound`].
//! - Upsert: `ON CONFLICT` on the primary key (when `conflict` is empty) or a unique
//!   constraint of the model, whose columns must be given; on conflict the given columns
//!   outside the conflict target and the primary key are updated.
//! - Database errors map through [`Error`]'s SQLSTATE mapping (unique → `CONFLICT`,
//!   foreign key/check/not null → `VALIDATION`); database text never leaks.
//!
//! Every value is a bound parameter; identifiers come only from the catalog, quoted.

mod input;
mod model;

pub use input::writable;
pub use model::{IdStrategy, TableInfo, info};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde_json::{Map, Value as Json};

use crate::read::catalog::quote_ident;
use crate::read::sql::{Built, Params};
use crate::read::{Table, catalog, exec, select};
use crate::validate::Problems;
use crate::{Error, Result};

use input::Bound;

/// Inserts one row into `table_key` (`schema.table`) and returns it.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    table_key: &str,
    values: Map<String, Json>,
) -> Result<Json> {
    let table = catalog()?.table(table_key)?;
    let info = info(table)?;
    let mut problems = Problems::new();
    let row = input::new_row(table, info, &values, &mut problems);
    problems.finish()?;
    let mut params = Params::default();
    let sql = insert_sql(table, &row, &mut params)?;
    returning_one(db, table, params.finish(sql)).await
}

/// Updates the columns in `patch` of the row of `table_key` with primary key `key` and
/// returns the row as it is now; [`Error::NotFound`] when there is no such row.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    table_key: &str,
    key: Map<String, Json>,
    patch: Map<String, Json>,
) -> Result<Json> {
    let table = catalog()?.table(table_key)?;
    let mut problems = Problems::new();
    let key = input::key(table, &key, &mut problems);
    let set = input::patch(table, &patch, &mut problems);
    problems.finish()?;
    let mut params = Params::default();
    let assignments: Vec<String> = set
        .into_iter()
        .map(|b| {
            let name = quote_ident(&b.column.name);
            format!("{name} = {}", params.bind(b.value, b.column.kind.cast()))
        })
        .collect();
    let sql = format!(
        "UPDATE {} AS t0 SET {} WHERE {} RETURNING {} AS row",
        table.sql_name(),
        assignments.join(", "),
        key_condition(key, &mut params),
        returning(table)?,
    );
    returning_one(db, table, params.finish(sql)).await
}

/// Deletes the row of `table_key` with primary key `key` and returns it;
/// [`Error::NotFound`] when there is no such row.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    table_key: &str,
    key: Map<String, Json>,
) -> Result<Json> {
    let table = catalog()?.table(table_key)?;
    let mut problems = Problems::new();
    let key = input::key(table, &key, &mut problems);
    problems.finish()?;
    let mut params = Params::default();
    let sql = format!(
        "DELETE FROM {} AS t0 WHERE {} RETURNING {} AS row",
        table.sql_name(),
        key_condition(key, &mut params),
        returning(table)?,
    );
    returning_one(db, table, params.finish(sql)).await
}

/// Inserts a row into `table_key`, or, when a row with the same values in the `conflict`
/// columns exists (the primary key when empty, or a unique constraint of the model),
/// updates that row's given non-key columns. Returns the row.
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    table_key: &str,
    values: Map<String, Json>,
    conflict: &[String],
) -> Result<Json> {
    let table = catalog()?.table(table_key)?;
    let info = info(table)?;
    let mut problems = Problems::new();
    let row = input::new_row(table, info, &values, &mut problems);
    let target = input::conflict_target(table, info, conflict, &values, &mut problems);
    problems.finish()?;
    let updates: Vec<String> = row
        .iter()
        .map(|b| b.column.name.as_str())
        .filter(|c| values.contains_key(*c))
        .filter(|c| !target.iter().any(|t| t == c) && !table.primary_key.iter().any(|k| k == c))
        .map(|c| format!("{0} = EXCLUDED.{0}", quote_ident(c)))
        .collect();
    let set = match (updates.is_empty(), target.first()) {
        (false, _) => updates.join(", "),
        // Nothing to change: a no-op update still returns the existing row.
        (true, Some(first)) => format!("{0} = t0.{0}", quote_ident(first)),
        (true, None) => return Err(Error::internal(&"upsert without a conflict target")),
    };
    let mut params = Params::default();
    let insert = insert_head(table, &row, &mut params);
    let sql = format!(
        "{insert} ON CONFLICT ({}) DO UPDATE SET {set} RETURNING {} AS row",
        target
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", "),
        returning(table)?,
    );
    returning_one(db, table, params.finish(sql)).await
}

/// Whether `column` of `table` must be given when a row is inserted (NOT NULL, no
/// database default, not made by the application): the GraphQL input's non-null fields.
pub fn required_on_insert(table: &Table, column: &str) -> Result<bool> {
    let info = info(table)?;
    Ok(table
        .column(column)
        .is_some_and(|c| info.required_on_insert(table, c)))
}

/// Whether rows of `table` can be created here at all: false when a column an insert
/// needs is not writable (a secret such as `billy.organizations.billy_api_key`, or
/// `vault.embeddings.embedding`): those rows are created by their service functions.
pub fn insertable(table: &Table) -> Result<bool> {
    let info = info(table)?;
    Ok(!table
        .columns
        .iter()
        .any(|c| !input::writable(c) && info.required_on_insert(table, c)))
}

/// `INSERT INTO t AS t0 (cols) VALUES (...)` (`DEFAULT VALUES` for no columns).
fn insert_head(table: &Table, row: &[Bound<'_>], params: &mut Params) -> String {
    if row.is_empty() {
        return format!("INSERT INTO {} AS t0 DEFAULT VALUES", table.sql_name());
    }
    let mut names = Vec::with_capacity(row.len());
    let mut values = Vec::with_capacity(row.len());
    for b in row {
        names.push(quote_ident(&b.column.name));
        values.push(params.bind(b.value.clone(), b.column.kind.cast()));
    }
    format!(
        "INSERT INTO {} AS t0 ({}) VALUES ({})",
        table.sql_name(),
        names.join(", "),
        values.join(", ")
    )
}

fn insert_sql(table: &Table, row: &[Bound<'_>], params: &mut Params) -> Result<String> {
    Ok(format!(
        "{} RETURNING {} AS row",
        insert_head(table, row, params),
        returning(table)?
    ))
}

/// `t0."a" = $1::text AND ...` over the checked key.
fn key_condition(key: Vec<Bound<'_>>, params: &mut Params) -> String {
    key.into_iter()
        .map(|b| {
            let p = params.bind(b.value, b.column.kind.cast());
            format!("t0.{} = {p}", quote_ident(&b.column.name))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The row as the read engine renders it: every readable column.
fn returning(table: &Table) -> Result<String> {
    let columns = select::columns(table, &table.readable_columns())?;
    Ok(select::json_object("t0", &columns))
}

/// Runs `built` and returns its one row; [`Error::NotFound`] when it returned none.
async fn returning_one<C: ConnectionTrait>(
    db: &C,
    table: &'static Table,
    built: Built,
) -> Result<Json> {
    tracing::debug!(sql = %built.sql, params = built.values.len(), "write engine statement");
    let stmt =
        Statement::from_sql_and_values(DbBackend::Postgres, &built.sql, built.values.clone());
    let rows = db.query_all_raw(stmt).await.map_err(db_error)?;
    let Some(row) = rows.first() else {
        return Err(Error::not_found(table.key.as_str()));
    };
    exec::json(row, "row")?.ok_or_else(|| Error::internal(&"write returned no row value"))
}

/// A database error as a service error ([`Error`]'s SQLSTATE mapping: a row-level
/// security refusal is [`Error::Forbidden`], a RESTRICT key a validation error).
fn db_error(err: DbErr) -> Error {
    Error::from(err)
}
