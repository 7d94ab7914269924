//! Flow variables: global (no workflow) or per workflow, unique per (workflow, key).
//!
//! Fixes defect 5: the unique key is `UNIQUE NULLS NOT DISTINCT (workflow_id, key)`, so a
//! global variable is one row that [`set_variable`] updates in place, and the reads ask
//! for `workflow_id IS NULL` explicitly. Secret variables are flagged but stored in clear
//! (defect 11, not fixed).

use entity::flow::variables::{self, VariableType};
use entity::flow::workflows;
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, QueryOrder, Statement, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::error::{Error, Result};
use crate::shared::audit;
use crate::validate::{Problems, non_empty, opt_text};

/// Input of [`set_variable`].
#[derive(Clone, Debug, Default)]
pub struct NewVariable {
    pub key: String,
    /// Stored as text; must parse as `type` when a type is given.
    pub value: String,
    /// `None` = a global variable.
    pub workflow_id: Option<String>,
    /// Once secret, a variable stays secret (a later `false` does not clear the flag).
    pub is_secret: bool,
    /// `None`: `string` for a new variable, unchanged for an existing one.
    pub r#type: Option<VariableType>,
    /// `None` keeps the existing description.
    pub description: Option<String>,
}

/// Checks that `value` is a valid `kind` value (`number`: finite; `boolean`: `true` or
/// `false`; `json`: any JSON document; `string`: anything).
pub fn check_value(kind: VariableType, value: &str) -> Result<()> {
    let ok = match kind {
        VariableType::String => true,
        VariableType::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        VariableType::Boolean => matches!(value, "true" | "false"),
        VariableType::Json => serde_json::from_str::<serde_json::Value>(value).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "value",
            format!("is not a valid {}", kind.to_value()),
        ))
    }
}

const UPSERT: &str = r#"
INSERT INTO flow.variables (id, workflow_id, key, value, type, is_secret, encrypted, description)
VALUES ($1, $2, $3, $4, COALESCE($5, $6), $7, $7, $8)
ON CONFLICT (workflow_id, key) DO UPDATE SET
    value = EXCLUDED.value,
    type = COALESCE($5, variables.type),
    is_secret = variables.is_secret OR EXCLUDED.is_secret,
    encrypted = variables.encrypted OR EXCLUDED.encrypted,
    description = COALESCE(EXCLUDED.description, variables.description)
RETURNING *
"#;

/// Creates the variable, or updates the one with the same (workflow, key): value replaced,
/// type replaced when given, secret flag only ever raised, description replaced when
/// given. `encrypted` mirrors `is_secret` (a flag only: no encryption is done). A
/// workflow id that names no workflow is a validation error.
pub async fn set_variable<C: TransactionTrait>(
    db: &C,
    input: NewVariable,
    actor: Option<Uuid>,
) -> Result<variables::Model> {
    let mut p = Problems::new();
    let key = p.take(non_empty("key", &input.key));
    if let Some(kind) = input.r#type {
        p.take(check_value(kind, &input.value));
    }
    p.finish()?;
    let workflow_id = opt_text(input.workflow_id);
    let txn = db.begin().await?;
    if let Some(w) = &workflow_id
        && workflows::Entity::find_by_id(w.clone())
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Error::invalid("workflow_id", "no such workflow"));
    }
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        UPSERT,
        [
            entity::behavior::new_cuid().into(),
            workflow_id.clone().into(),
            key.unwrap_or_default().into(),
            input.value.into(),
            input.r#type.map(|t| t.to_value()).into(),
            VariableType::String.to_value().into(),
            input.is_secret.into(),
            opt_text(input.description).into(),
        ],
    );
    let variable = variables::Entity::find()
        .from_raw_sql(stmt)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::internal(&"variable upsert returned no row"))?;
    audit::record_action(
        &txn,
        actor,
        "set",
        "flow.variables",
        &variable.id,
        json!({
            "key": variable.key,
            "workflow_id": variable.workflow_id,
            "is_secret": variable.is_secret,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(variable)
}

/// Filter of one scope: `None` = global variables (`workflow_id IS NULL`).
fn in_scope(q: Select<variables::Entity>, workflow_id: Option<&str>) -> Select<variables::Entity> {
    match opt_text(workflow_id.map(str::to_owned)) {
        Some(w) => q.filter(variables::Column::WorkflowId.eq(w)),
        None => q.filter(variables::Column::WorkflowId.is_null()),
    }
}

/// The variable `key` of the workflow, or the global one when `workflow_id` is `None`.
/// A workflow's lookup does not fall back to the global variable.
pub async fn get_variable<C: ConnectionTrait>(
    db: &C,
    key: &str,
    workflow_id: Option<&str>,
) -> Result<Option<variables::Model>> {
    Ok(in_scope(variables::Entity::find(), workflow_id)
        .filter(variables::Column::Key.eq(key.trim()))
        .one(db)
        .await?)
}

/// The workflow's variables, or with `None` only the global ones (never all of them),
/// sorted by key.
pub async fn get_variables<C: ConnectionTrait>(
    db: &C,
    workflow_id: Option<&str>,
) -> Result<Vec<variables::Model>> {
    Ok(in_scope(variables::Entity::find(), workflow_id)
        .order_by_asc(variables::Column::Key)
        .all(db)
        .await?)
}
