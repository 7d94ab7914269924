//! `billy { ... }` operations through `service::billy`:
//!
//! - API keys (service role only, `Action::ManageSecrets`; need the server's keyring):
//!   `createOrganization`, `replaceApiKey`, `rotateApiKeys`. The key is input only: results
//!   show `hasApiKey`, `apiKeyRotatedAt` and the keyring key id, never the key or its
//!   ciphertext.
//! - Tenant operations (`Action::TenantOperation`: a `user` only for its own Billy
//!   organisation): `setCachedInvoice`/`Customer`/`Product`, `invalidateCached`,
//!   `invalidateOrganizationCache`, `checkRateLimit`, `trackUsage`.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use async_graphql::dynamic::{
    Enum, Field, FieldFuture, InputObject, InputValue, Object, ResolverContext, Type, TypeRef,
};
use sea_orm::prelude::Uuid;
use serde_json::{Value as Json, json};
use service::Error;
use service::billy::cache::{
    CacheKind, MAX_TTL, invalidate_cached, invalidate_organization_cache, set_cached,
};
use service::billy::crypto::{ApiKey, Keyring};
use service::billy::organizations::{
    NewOrganization, Organization, create_organization, replace_api_key, rotate_api_keys,
};
use service::billy::rate_limit::{RateLimitRule, check_rate_limit};
use service::billy::usage::{UsageEvent, track_usage};

use super::{
    Out, arg, authorize, finish, invalid, object, object_out, opt_arg, read_row, row_out,
    savepoint, string, sub, uuid, uuid_arg, value,
};
use crate::auth::Role;
use crate::graphql::errors::to_gql;
use crate::graphql::guard::{self, Action};
use crate::graphql::{RequestDb, Services, scalars};

const ORGANIZATIONS: &str = "billy.organizations";
const USAGE: &str = "billy.usage_metrics";

const NEW_ORG: &str = "BillyNewOrganizationInput";
const KEY_RESULT: &str = "BillyOrganizationKeyResult";
const ROTATION: &str = "BillyKeyRotationReport";
const CACHE_KIND: &str = "BillyCacheKind";
const CACHE_COUNTS: &str = "BillyCacheCounts";
const DECISION: &str = "BillyRateLimitDecision";

pub fn types() -> Vec<Type> {
    vec![
        InputObject::new(NEW_ORG)
            .description(
                "A Billy.dk organisation with its API key (stored encrypted; never returned).",
            )
            .field(InputValue::new("name", TypeRef::named_nn(TypeRef::STRING)))
            .field(InputValue::new(
                "billyOrganizationId",
                TypeRef::named_nn(TypeRef::STRING),
            ))
            .field(InputValue::new(
                "apiKey",
                TypeRef::named_nn(TypeRef::STRING),
            ))
            .field(InputValue::new("settings", TypeRef::named(scalars::JSON)))
            .into(),
        Object::new(KEY_RESULT)
            .description(
                "An organisation after a key operation: the row, whether a key is stored, when \
                 it was last written or re-encrypted, and the keyring key id it is under (null \
                 for legacy or unrecognised values). Never the key.",
            )
            .field(object(
                "organization",
                TypeRef::named_nn("BillyOrganization"),
            ))
            .field(value("hasApiKey", TypeRef::named_nn(TypeRef::BOOLEAN)))
            .field(value("apiKeyRotatedAt", TypeRef::named_nn(TypeRef::STRING)))
            .field(value("apiKeyId", TypeRef::named(TypeRef::STRING)))
            .into(),
        Object::new(ROTATION)
            .description("What rotateApiKeys did.")
            .field(value("rotated", TypeRef::named_nn(TypeRef::INT)))
            .field(value("alreadyCurrent", TypeRef::named_nn(TypeRef::INT)))
            .field(value("failed", TypeRef::named_nn(TypeRef::INT)))
            .field(value("currentKeyId", TypeRef::named_nn(TypeRef::STRING)))
            .into(),
        Enum::new(CACHE_KIND)
            .description("A Billy cache table.")
            .items(["INVOICES", "CUSTOMERS", "PRODUCTS"])
            .into(),
        Object::new(CACHE_COUNTS)
            .description("Cache entries removed, per table.")
            .field(value("invoices", TypeRef::named_nn(TypeRef::INT)))
            .field(value("customers", TypeRef::named_nn(TypeRef::INT)))
            .field(value("products", TypeRef::named_nn(TypeRef::INT)))
            .into(),
        Object::new(DECISION)
            .description(
                "An admitted request: requests left in the window, its start, and seconds until \
                 it ends. A rejected request is the error RATE_LIMITED with \
                 `extensions.retryAfterSecs`.",
            )
            .field(value("remaining", TypeRef::named_nn(TypeRef::INT)))
            .field(value("windowStart", TypeRef::named_nn(TypeRef::STRING)))
            .field(value("resetAfterSecs", TypeRef::named_nn(TypeRef::INT)))
            .into(),
    ]
}

pub fn fields() -> Vec<Field> {
    vec![
        create_org(),
        replace_key(),
        rotate_keys(),
        set_cache("setCachedInvoice", CacheKind::Invoices),
        set_cache("setCachedCustomer", CacheKind::Customers),
        set_cache("setCachedProduct", CacheKind::Products),
        invalidate(),
        invalidate_org(),
        rate_limit(),
        usage(),
    ]
}

// ---------------------------------------------------------------------------------------
// Keys

/// The server's keyring; without one, an `INTERNAL` error (logged).
fn keyring(ctx: &ResolverContext<'_>) -> async_graphql::Result<Arc<Keyring>> {
    match &ctx.data::<Services>()?.keyring {
        Some(k) => Ok(k.clone()),
        None => Err(to_gql(Error::internal(&"Billy keyring not configured"))),
    }
}

/// The key result of `org`: its row (as selected under `organization`) and key status.
async fn key_result(ctx: &ResolverContext<'_>, db: &RequestDb, org: &Organization) -> Out {
    let row = read_row(db, ORGANIZATIONS, json!(org.id), &sub(ctx, "organization")).await?;
    object_out(json!({
        "organization": row,
        "hasApiKey": org.has_api_key,
        "apiKeyRotatedAt": org.api_key_rotated_at.to_rfc3339(),
        "apiKeyId": org.api_key_id(),
    }))
}

fn create_org() -> Field {
    Field::new("createOrganization", TypeRef::named_nn(KEY_RESULT), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::ManageSecrets)?;
            let keys = keyring(&ctx)?;
            let v = arg(&ctx, "input")?.as_value().clone().into_json()?;
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let input = NewOrganization {
                name: text("name"),
                billy_organization_id: text("billyOrganizationId"),
                api_key: ApiKey::new(text("apiKey")),
                settings: match &v["settings"] {
                    Json::Null => None,
                    s => Some(s.clone()),
                },
            };
            let sp = savepoint(&db).await?;
            let res = create_organization(&sp, &keys, input, None).await;
            let org = finish(sp, res, Some("input")).await?;
            key_result(&ctx, &db, &org).await
        })
    })
    .description(
        "Creates a Billy organisation with its API key, encrypted under the keyring's current \
         key (service role only). A taken billyOrganizationId is a CONFLICT.",
    )
    .argument(InputValue::new("input", TypeRef::named_nn(NEW_ORG)))
}

fn replace_key() -> Field {
    Field::new("replaceApiKey", TypeRef::named_nn(KEY_RESULT), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::ManageSecrets)?;
            let keys = keyring(&ctx)?;
            let org = uuid_arg(&ctx, "organizationId")?;
            let key = ApiKey::new(string(&ctx, "apiKey")?);
            let sp = savepoint(&db).await?;
            let res = replace_api_key(&sp, &keys, org, key, None).await;
            let org = finish(sp, res, None).await?;
            key_result(&ctx, &db, &org).await
        })
    })
    .description(
        "Stores a new API key for the organisation (encrypted under the current key) and \
         sets apiKeyRotatedAt (service role only).",
    )
    .argument(InputValue::new(
        "organizationId",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .argument(InputValue::new(
        "apiKey",
        TypeRef::named_nn(TypeRef::STRING),
    ))
}

fn rotate_keys() -> Field {
    Field::new("rotateApiKeys", TypeRef::named_nn(ROTATION), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::ManageSecrets)?;
            let keys = keyring(&ctx)?;
            let batch = match opt_arg(&ctx, "batchSize") {
                // A negative size becomes 0, which the service rejects.
                Some(v) => Some(u64::try_from(v.i64()?).unwrap_or(0)),
                None => None,
            };
            let sp = savepoint(&db).await?;
            let res = rotate_api_keys(&sp, &keys, batch, None).await;
            let r = finish(sp, res, None).await?;
            object_out(json!({
                "rotated": r.rotated,
                "alreadyCurrent": r.already_current,
                "failed": r.failed,
                "currentKeyId": keys.current_key_id().as_str(),
            }))
        })
    })
    .description(
        "Re-encrypts every stored API key that is not under the keyring's current key \
         (older keys, legacy format) in batches (default 100); undecryptable keys are counted \
         as failed and left unchanged (service role only).",
    )
    .argument(InputValue::new("batchSize", TypeRef::named(TypeRef::INT)))
}

// ---------------------------------------------------------------------------------------
// Tenant operations

/// Authorizes a tenant operation on organisation argument `organizationId`: a `user` only
/// for its own Billy organisation (`FORBIDDEN` otherwise).
fn tenant(ctx: &ResolverContext<'_>) -> async_graphql::Result<(Arc<RequestDb>, Uuid)> {
    let db = authorize(ctx, Action::TenantOperation)?;
    let p = guard::principal(ctx)?;
    let org = uuid("organizationId", &string(ctx, "organizationId")?);
    if p.role == Role::User
        && (p.billy_organization_id.is_none()
            || org.as_ref().ok() != p.billy_organization_id.as_ref())
    {
        return Err(to_gql(Error::Forbidden));
    }
    Ok((db, org?))
}

fn org_arg(f: Field) -> Field {
    f.argument(InputValue::new(
        "organizationId",
        TypeRef::named_nn(TypeRef::STRING),
    ))
}

fn set_cache(name: &'static str, kind: CacheKind) -> Field {
    let row_type = match kind {
        CacheKind::Invoices => "BillyCachedInvoice",
        CacheKind::Customers => "BillyCachedCustomer",
        CacheKind::Products => "BillyCachedProduct",
    };
    let f = Field::new(name, TypeRef::named_nn(row_type), move |ctx| {
        FieldFuture::new(async move {
            let (db, org) = tenant(&ctx)?;
            let billy_id = string(&ctx, "billyId")?;
            let data = arg(&ctx, "data")?.as_value().clone().into_json()?;
            let ttl = match opt_arg(&ctx, "ttlSeconds") {
                Some(v) => {
                    let secs = v.i64()?;
                    let max = i32::try_from(MAX_TTL.num_seconds()).unwrap_or(i32::MAX);
                    let secs = i32::try_from(secs).unwrap_or(0);
                    if !(1..=max).contains(&secs) {
                        return Err(invalid(
                            "ttlSeconds",
                            "must be between 1 and 31622400 (366 days)",
                        ));
                    }
                    // `secs` seconds as the service's duration type (whole seconds: the
                    // maximum is a whole number of seconds).
                    Some(MAX_TTL / max * secs)
                }
                None => None,
            };
            let sp = savepoint(&db).await?;
            let res = set_cached(&sp, kind, org, &billy_id, data, ttl).await;
            let entry = finish(sp, res, None).await?;
            row_out(&ctx, &db, kind.table(), json!(entry.id)).await
        })
    })
    .description(format!(
        "Stores Billy.dk JSON in {} for (organizationId, billyId) for ttlSeconds (default \
         3600, at most 366 days), replacing an existing entry. A user only for its own \
         organisation.",
        kind.table()
    ));
    org_arg(f)
        .argument(InputValue::new(
            "billyId",
            TypeRef::named_nn(TypeRef::STRING),
        ))
        .argument(InputValue::new("data", TypeRef::named_nn(scalars::JSON)))
        .argument(InputValue::new("ttlSeconds", TypeRef::named(TypeRef::INT)))
}

fn invalidate() -> Field {
    let f = Field::new(
        "invalidateCached",
        TypeRef::named_nn(TypeRef::BOOLEAN),
        |ctx| {
            FieldFuture::new(async move {
                let (db, org) = tenant(&ctx)?;
                let kind = match arg(&ctx, "kind")?.enum_name()? {
                    "INVOICES" => CacheKind::Invoices,
                    "CUSTOMERS" => CacheKind::Customers,
                    _ => CacheKind::Products,
                };
                let billy_id = string(&ctx, "billyId")?;
                let sp = savepoint(&db).await?;
                let res = invalidate_cached(&sp, kind, org, &billy_id).await;
                let removed = finish(sp, res, None).await?;
                Ok(Some(async_graphql::dynamic::FieldValue::value(removed)))
            })
        },
    )
    .description(
        "Removes the cache entry of (organizationId, billyId) from the `kind` table; true if \
         there was one. A user only for its own organisation.",
    );
    org_arg(f)
        .argument(InputValue::new("kind", TypeRef::named_nn(CACHE_KIND)))
        .argument(InputValue::new(
            "billyId",
            TypeRef::named_nn(TypeRef::STRING),
        ))
}

fn invalidate_org() -> Field {
    let f = Field::new(
        "invalidateOrganizationCache",
        TypeRef::named_nn(CACHE_COUNTS),
        |ctx| {
            FieldFuture::new(async move {
                let (db, org) = tenant(&ctx)?;
                let sp = savepoint(&db).await?;
                let res = invalidate_organization_cache(&sp, org).await;
                let c = finish(sp, res, None).await?;
                object_out(json!({
                    "invoices": c.invoices, "customers": c.customers, "products": c.products,
                }))
            })
        },
    )
    .description(
        "Removes every cache entry of the organisation from the three cache tables. A user \
         only for its own organisation.",
    );
    org_arg(f)
}

fn rate_limit() -> Field {
    let f = Field::new("checkRateLimit", TypeRef::named_nn(DECISION), |ctx| {
        FieldFuture::new(async move {
            let (db, org) = tenant(&ctx)?;
            let endpoint = string(&ctx, "endpoint")?;
            let mut rule = RateLimitRule::default();
            // Out-of-range numbers become 0, which the service rejects.
            if let Some(v) = opt_arg(&ctx, "windowSecs") {
                rule.window_secs = u32::try_from(v.i64()?).unwrap_or(0);
            }
            if let Some(v) = opt_arg(&ctx, "maxRequests") {
                rule.max_requests = u32::try_from(v.i64()?).unwrap_or(0);
            }
            let sp = savepoint(&db).await?;
            let res = check_rate_limit(&sp, org, &endpoint, rule).await;
            if let Err(Error::RateLimited { retry_after_secs }) = &res {
                let secs = *retry_after_secs;
                if let Err(e) = sp.rollback().await {
                    tracing::error!(error = %e, "operation savepoint rollback");
                }
                return Err(to_gql(Error::RateLimited {
                    retry_after_secs: secs,
                })
                .extend_with(move |_, ext| ext.set("retryAfterSecs", secs)));
            }
            let d = finish(sp, res, None).await?;
            object_out(json!({
                "remaining": d.remaining,
                "windowStart": d.window_start.to_rfc3339(),
                "resetAfterSecs": d.reset_after_secs,
            }))
        })
    })
    .description(
        "Counts one request of the organisation on `endpoint` in the current fixed window \
         (`windowSecs` 1..=86400, default 900; `maxRequests` ≥ 1, default 100) and admits it \
         while the window's count is at most maxRequests; otherwise the error RATE_LIMITED \
         with extensions.retryAfterSecs (and the request's changes are rolled back). A user \
         only for its own organisation.",
    );
    org_arg(f)
        .argument(InputValue::new(
            "endpoint",
            TypeRef::named_nn(TypeRef::STRING),
        ))
        .argument(InputValue::new("windowSecs", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("maxRequests", TypeRef::named(TypeRef::INT)))
}

fn usage() -> Field {
    let f = Field::new("trackUsage", TypeRef::named_nn("BillyUsageMetric"), |ctx| {
        FieldFuture::new(async move {
            let (db, org) = tenant(&ctx)?;
            let duration = arg(&ctx, "durationMs")?.i64()?;
            let event = UsageEvent {
                organization_id: org,
                tool_name: string(&ctx, "toolName")?,
                success: arg(&ctx, "success")?.boolean()?,
                duration_ms: u32::try_from(duration)
                    .map_err(|_| invalid("durationMs", "must not be negative"))?,
            };
            let sp = savepoint(&db).await?;
            let res = track_usage(&sp, event).await;
            let m = finish(sp, res, None).await?;
            row_out(&ctx, &db, USAGE, json!(m.id)).await
        })
    })
    .description(
        "Counts one tool call of the organisation in the bucket of the current UTC date and \
         hour (call, success/error counts, durations). A user only for its own organisation.",
    );
    org_arg(f)
        .argument(InputValue::new(
            "toolName",
            TypeRef::named_nn(TypeRef::STRING),
        ))
        .argument(InputValue::new(
            "success",
            TypeRef::named_nn(TypeRef::BOOLEAN),
        ))
        .argument(InputValue::new(
            "durationMs",
            TypeRef::named_nn(TypeRef::INT),
        ))
}
