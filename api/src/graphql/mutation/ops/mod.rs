//! The business operations as mutation fields, each calling `service` functions in a
//! savepoint of the request's read-write transaction (one failed operation leaves the
//! transaction usable for the error to be reported; the handler rolls the whole request
//! back anyway).
//!
//! Every field checks the caller first (`guard::authorize`): `Operation` (service, admin)
//! for RenOS and vault operations, `TenantOperation` (also a `user` for its own Billy
//! organisation) for Billy caches, rate limits and usage, `ManageSecrets` (service only)
//! for Billy API keys. Operations that produce a table row return it as the row type,
//! re-read by primary key through `service::read::Reader` in the same transaction, so
//! relation fields below it load as in queries; the others return small result objects
//! named after the schema (`RenosLeadScoreResult`).

mod billy;
mod renos_bookings;
mod renos_gdpr;
mod renos_invoices;
mod renos_leads;
mod vault;

use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, ResolverContext, Type, TypeRef, ValueAccessor,
};
use async_graphql::{Name, SelectionField, Value};
use sea_orm::prelude::{DateTimeUtc, DateTimeWithTimeZone, Uuid};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::{Map, Value as Json};
use service::read::{ByPkQuery, Reader};
use service::{Error, FieldError};

use crate::graphql::errors::to_gql;
use crate::graphql::relations::{NodeSel, preload};
use crate::graphql::{RequestDb, fields, names};

/// What a resolver returns.
type Out = async_graphql::Result<Option<FieldValue<'static>>>;

/// The input and result types of the operations.
pub fn types() -> Vec<Type> {
    let mut out = Vec::new();
    out.extend(renos_leads::types());
    out.extend(renos_bookings::types());
    out.extend(renos_invoices::types());
    out.extend(renos_gdpr::types());
    out.extend(vault::types());
    out.extend(billy::types());
    out
}

/// The operation fields, by schema name (`"renos"`, `"billy"`, ...).
pub fn fields() -> Vec<(&'static str, Vec<Field>)> {
    let mut renos = renos_leads::fields();
    renos.extend(renos_bookings::fields());
    renos.extend(renos_invoices::fields());
    renos.extend(renos_gdpr::fields());
    vec![
        ("renos", renos),
        ("vault", vault::fields()),
        ("billy", billy::fields()),
    ]
}

// ---------------------------------------------------------------------------------------
// Running service calls

/// Opens a savepoint of the request's transaction for one operation.
async fn savepoint(db: &RequestDb) -> async_graphql::Result<DatabaseTransaction> {
    db.txn.begin().await.map_err(|e| to_gql(Error::from(e)))
}

/// Releases the savepoint when the operation succeeded, rolls it back otherwise; the
/// error as a GraphQL error with client field names (see [`client_error`]).
async fn finish<T>(
    sp: DatabaseTransaction,
    res: service::Result<T>,
    input: Option<&str>,
) -> async_graphql::Result<T> {
    match res {
        Ok(v) => {
            sp.commit().await.map_err(|e| to_gql(Error::from(e)))?;
            Ok(v)
        }
        Err(e) => {
            if let Err(r) = sp.rollback().await {
                tracing::error!(error = %r, "operation savepoint rollback");
            }
            Err(to_gql(client_error(e, input)))
        }
    }
}

/// A service validation error with the client's names: each dot-separated part in
/// camelCase (`lines[0].unit_price` → `lines[0].unitPrice`), prefixed by the input
/// argument when the operation takes one (`input.lines[0].unitPrice`).
fn client_error(e: Error, input: Option<&str>) -> Error {
    let Error::Validation { fields } = e else {
        return e;
    };
    let rename = |field: &str| -> String {
        let camel: Vec<String> = field.split('.').map(names::camel).collect();
        let camel = camel.join(".");
        match input {
            Some(prefix) => format!("{prefix}.{camel}"),
            None => camel,
        }
    };
    Error::Validation {
        fields: fields
            .into_iter()
            .map(|f| FieldError::new(rename(&f.field), f.message))
            .collect(),
    }
}

/// A `VALIDATION` error on one argument, as a GraphQL error.
fn invalid(field: &str, message: &str) -> async_graphql::Error {
    to_gql(Error::invalid(field, message))
}

// ---------------------------------------------------------------------------------------
// Rows as the row types

/// The row of `table` with primary key `key` (a single-column key), selecting what
/// `sel` selects (fields whose selection sets are rows of the table), relations loaded.
async fn read_row(
    db: &RequestDb,
    table: &str,
    key: Json,
    sel: &[SelectionField<'_>],
) -> async_graphql::Result<Json> {
    let cat = service::read::catalog().map_err(to_gql)?;
    let t = cat.table(table).map_err(to_gql)?;
    let nodes = NodeSel::build(cat, t, sel).map_err(to_gql)?;
    let pk = t
        .primary_key
        .first()
        .ok_or_else(|| to_gql(Error::internal(&"table without a primary key")))?;
    let mut k = Map::new();
    k.insert(pk.clone(), key);
    let reader = Reader::new(&db.txn);
    let res = async {
        let q = ByPkQuery {
            table: t.key.clone(),
            columns: nodes.columns(t),
            key: k,
        };
        let Some(row) = reader.by_pk(&q).await? else {
            return Err(Error::internal(&format_args!(
                "{table}: the row just written is not readable"
            )));
        };
        let mut rows = vec![row];
        preload(&reader, t, &mut rows, &nodes).await?;
        rows.pop()
            .ok_or_else(|| Error::internal(&"preload lost the row"))
    }
    .await;
    db.count(&reader);
    res.map_err(to_gql)
}

/// The field's value: the row of `table` with key `key` (the field's type is the row type).
async fn row_out(ctx: &ResolverContext<'_>, db: &RequestDb, table: &str, key: Json) -> Out {
    let row = read_row(db, table, key, &[ctx.field()]).await?;
    Ok(Some(FieldValue::owned_any(row)))
}

/// The selections of the sub-field `name` of this field (a row inside a result object).
fn sub<'a>(ctx: &'a ResolverContext<'a>, name: &str) -> Vec<SelectionField<'a>> {
    ctx.field()
        .selection_set()
        .filter(|f| f.name() == name)
        .collect()
}

/// A result object (JSON read by its fields) as the field's value.
fn object_out(v: Json) -> Out {
    Ok(Some(FieldValue::owned_any(v)))
}

// ---------------------------------------------------------------------------------------
// Output fields of result objects

/// A scalar field of a result object.
fn value(name: &str, ty: TypeRef) -> Field {
    fields::value(name, ty, name)
}

/// A row (or result object) field of a result object.
fn object(name: &str, ty: TypeRef) -> Field {
    fields::object(name, ty, name)
}

/// An enum field of a result object: the stored snake_case text as the enum value.
fn enum_value(name: &str, ty: TypeRef) -> Field {
    let key = name.to_owned();
    Field::new(name, ty, move |ctx| {
        let key = key.clone();
        FieldFuture::new(async move {
            let v = &fields::parent(&ctx)?[&key];
            Ok(v.as_str()
                .map(|s| FieldValue::value(Value::Enum(Name::new(names::screaming(s))))))
        })
    })
}

// ---------------------------------------------------------------------------------------
// Arguments

/// A required argument.
fn arg<'a>(ctx: &'a ResolverContext<'_>, name: &str) -> async_graphql::Result<ValueAccessor<'a>> {
    ctx.args.try_get(name)
}

/// An optional argument (`None` when absent or null).
fn opt_arg<'a>(ctx: &'a ResolverContext<'_>, name: &str) -> Option<ValueAccessor<'a>> {
    ctx.args.get(name).filter(|v| !v.is_null())
}

/// A required string argument.
fn string(ctx: &ResolverContext<'_>, name: &str) -> async_graphql::Result<String> {
    Ok(arg(ctx, name)?.string()?.to_owned())
}

/// An optional string argument.
fn opt_string(ctx: &ResolverContext<'_>, name: &str) -> async_graphql::Result<Option<String>> {
    opt_arg(ctx, name)
        .map(|v| v.string().map(str::to_owned))
        .transpose()
}

/// A UUID (`field` names it in the validation error).
fn uuid(field: &str, raw: &str) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| invalid(field, "must be a UUID"))
}

/// A required UUID argument.
fn uuid_arg(ctx: &ResolverContext<'_>, name: &str) -> async_graphql::Result<Uuid> {
    uuid(name, &string(ctx, name)?)
}

/// An ISO 8601 / RFC 3339 timestamp with offset.
fn timestamp(field: &str, raw: &str) -> async_graphql::Result<DateTimeWithTimeZone> {
    DateTimeWithTimeZone::parse_from_rfc3339(raw.trim())
        .map_err(|_| invalid(field, "must be an ISO 8601 timestamp with offset"))
}

/// The optional `at` argument of time-dependent operations (default: now).
fn at_or_now(ctx: &ResolverContext<'_>) -> async_graphql::Result<DateTimeUtc> {
    Ok(match opt_string(ctx, "at")? {
        Some(raw) => timestamp("at", &raw)?.to_utc(),
        None => service::clock::now().to_utc(),
    })
}

/// The request's database, for an operation the caller may run (checked before anything).
fn authorize(
    ctx: &ResolverContext<'_>,
    action: crate::graphql::guard::Action<'_>,
) -> async_graphql::Result<Arc<RequestDb>> {
    crate::graphql::guard::authorize(ctx, action)
}
