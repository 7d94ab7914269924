//! Billy organisations (API keys encrypted by the service), users, cache rows and usage
//! metrics; identity links (P1) of the shared users.

use chrono::{Duration, TimeDelta};
use sea_orm::{DatabaseTransaction, Value};
use serde_json::json;
use service::billy::cache::{CacheKind, set_cached};
use service::billy::crypto::{ApiKey, Keyring};
use service::billy::organizations::{NewOrganization, create_organization, replace_api_key};
use service::billy::usage::{UsageEvent, track_usage_at};

use super::Counts;
use super::people::company;
use super::renos::{customer, has_billy_user, has_renos_user, staff};
use super::rng::{Rng, at_minutes, epoch, ts, uuid};
use super::runner::{Key, Row, Seeder, cols, exec};
use crate::ops::{OpsError, OpsResult};

fn org_created(seed: u64, u: u64) -> chrono::DateTime<chrono::Utc> {
    at_minutes(-420 * 24 * 60 + Rng::row(seed, "org.t", u).range(0, 20 * 24 * 60))
}

/// Records in the report how many of `items` already existed.
fn set_present(s: &mut Seeder<'_>, present: usize) {
    if let Some(l) = s.lines.last_mut() {
        l.present = present as u64;
    }
}

pub async fn organizations(s: &mut Seeder<'_>, c: &Counts, keyring: &Keyring) -> OpsResult<()> {
    let seed = s.seed;
    let keys: Vec<String> = (0..c.orgs()).map(|u| uuid("org", u).to_string()).collect();
    let have = Seeder::existing(&s.ctx.db, "billy.organizations", Key::Uuid("id"), &keys).await?;
    let todo: Vec<u64> = (0..c.orgs())
        .filter(|u| !have.contains(&uuid("org", *u).to_string()))
        .collect();
    s.pass(
        "billy.organizations",
        &todo,
        async |txn: &DatabaseTransaction, u: &u64| {
            let mut r = Rng::row(seed, "org", *u);
            let key = || ApiKey::new(format!("seed-billy-key-{u}-{}", Rng::row(seed, "org.k", *u).hex(16)));
            let created = create_organization(
                txn,
                keyring,
                NewOrganization {
                    name: company(&mut r),
                    billy_organization_id: format!("seed-billy-org-{u}"),
                    api_key: key(),
                    settings: Some(json!({ "currency": "DKK", "language": "da" })),
                },
                None,
            )
            .await?;
            let id = uuid("org", *u);
            let t = org_created(seed, *u).fixed_offset();
            exec(
                txn,
                "UPDATE billy.organizations SET id = $1, created_at = $2, updated_at = $2 WHERE id = $3",
                [Value::from(id), Value::from(t), Value::from(created.id)],
            )
            .await?;
            exec(
                txn,
                "UPDATE billy.audit_logs SET resource_id = $1 WHERE resource_id = $2",
                [Value::from(id.to_string()), Value::from(created.id.to_string())],
            )
            .await?;
            exec(
                txn,
                "UPDATE shared.audit_logs SET resource_id = $1, \
                 metadata = jsonb_set(metadata, '{organization_id}', to_jsonb($1::text)) \
                 WHERE resource_type = 'billy.organizations' AND resource_id = $2",
                [Value::from(id.to_string()), Value::from(created.id.to_string())],
            )
            .await?;
            // The ciphertext is bound to the organisation id: seal it again under the new id.
            replace_api_key(txn, keyring, id, key(), None).await?;
            // Fixed ids for the two Billy audit rows, and for the shared mirror's reference.
            for (k, tool) in ["create_organization", "replace_api_key"].into_iter().enumerate() {
                exec(
                    txn,
                    "WITH b AS (UPDATE billy.audit_logs a SET id = $1 FROM billy.audit_logs o \
                       WHERE a.id = o.id AND o.organization_id = $2 AND o.tool_name = $3 \
                       RETURNING o.id AS old) \
                     UPDATE shared.audit_logs s SET metadata = \
                       jsonb_set(s.metadata, '{billy_audit_log_id}', to_jsonb($1::text)) \
                     FROM b WHERE s.metadata->>'billy_audit_log_id' = b.old::text",
                    [
                        Value::from(uuid("baudit", u * 10 + k as u64)),
                        Value::from(id),
                        Value::from(tool.to_owned()),
                    ],
                )
                .await?;
            }
            exec(
                txn,
                "UPDATE billy.organizations SET updated_at = created_at WHERE id = $1",
                [Value::from(id)],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await?;
    set_present(s, have.len());
    Ok(())
}

pub async fn users(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<Vec<u64>> {
    let seed = s.seed;
    let orgs = c.orgs();
    s.table("billy.users", Key::Uuid("id"), c.shared_users(), |i| {
        if !has_billy_user(i) || i / 10 >= orgs {
            return None;
        }
        let p = staff(seed, i);
        let id = uuid("buser", i).to_string();
        let t = org_created(seed, i / 10) + Duration::days(1 + (i % 10) as i64);
        Some(Row {
            key: id.clone(),
            values: cols(json!({
                "id": id, "email": p.email, "organization_id": uuid("org", i / 10).to_string(),
                "role": if i.is_multiple_of(10) { "admin" } else { "user" }, "created_at": ts(t),
                "metadata": { "seed": true },
            })),
        })
    })
    .await
}

/// Links each shared user that got a RenOS or Billy account in this run
/// (`links::identities::link_identities`).
pub async fn identities(s: &mut Seeder<'_>, shared: &[u64]) -> OpsResult<()> {
    let seed = s.seed;
    let mut todo: Vec<u64> = shared
        .iter()
        .copied()
        .filter(|i| has_renos_user(*i) || has_billy_user(*i))
        .collect();
    todo.sort_unstable();
    todo.dedup();
    s.pass(
        "shared.users (identity links)",
        &todo,
        async |txn: &DatabaseTransaction, i: &u64| {
            let p = staff(seed, *i);
            service::links::identities::link_identities(txn, &p.email).await?;
            exec(
                txn,
                "UPDATE renos.users SET updated_at = created_at WHERE lower(email) = lower($1)",
                [Value::from(p.email)],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await
}

/// Per organisation: 10 cached invoices and 10 cached customers (each customer the Billy
/// side of a RenOS customer, joined into its party link).
pub async fn cache(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    let mut items = Vec::new();
    for u in 0..c.orgs() {
        for k in 0..10u64 {
            items.push((CacheKind::Invoices, u, k));
            items.push((CacheKind::Customers, u, k));
        }
    }
    let key_of = |kind: CacheKind, u: u64, k: u64| match kind {
        CacheKind::Invoices => uuid("bcinv", u * 100 + k),
        CacheKind::Customers => uuid("bccust", u * 100 + k),
        CacheKind::Products => uuid("bcprod", u * 100 + k),
    };
    let mut have = std::collections::HashSet::new();
    for (table, kind) in [
        ("billy.cached_invoices", CacheKind::Invoices),
        ("billy.cached_customers", CacheKind::Customers),
    ] {
        let keys: Vec<String> = items
            .iter()
            .filter(|(kd, _, _)| *kd == kind)
            .map(|(kd, u, k)| key_of(*kd, *u, *k).to_string())
            .collect();
        have.extend(Seeder::existing(&s.ctx.db, table, Key::Uuid("id"), &keys).await?);
    }
    let present = items
        .iter()
        .filter(|(kd, u, k)| have.contains(&key_of(*kd, *u, *k).to_string()))
        .count();
    items.retain(|(kd, u, k)| !have.contains(&key_of(*kd, *u, *k).to_string()));
    s.pass(
        "billy.cached_* (cache rows)",
        &items,
        async |txn: &DatabaseTransaction, (kind, u, k): &(CacheKind, u64, u64)| {
            let org = uuid("org", *u);
            let mut r = Rng::row(seed, "bcache", u * 100 + k);
            let cust = u * 100 + k * 10;
            let (billy_id, data, table) = match kind {
                CacheKind::Customers => {
                    let cu = customer(seed, cust);
                    (
                        format!("seed-billy-contact-{cust}"),
                        json!({ "id": format!("seed-billy-contact-{cust}"),
                                "name": cu.company.clone().unwrap_or_else(|| cu.person.name()),
                                "email": cu.person.email, "countryId": "DK" }),
                        "billy.cached_customers",
                    )
                }
                _ => (
                    format!("seed-billy-invoice-{u}-{k}"),
                    json!({ "id": format!("seed-billy-invoice-{u}-{k}"),
                            "invoiceNo": format!("{}", 1000 + u * 100 + k),
                            "amount": r.range(500, 25_000), "currencyId": "DKK",
                            "state": r.pick(&["approved", "paid", "draft"]) }),
                    "billy.cached_invoices",
                ),
            };
            set_cached(txn, *kind, org, &billy_id, data, Some(TimeDelta::days(366))).await?;
            let cached_at = (epoch() - Duration::hours(r.range(1, 48))).fixed_offset();
            let expires = cached_at + Duration::days(366);
            exec(
                txn,
                &format!(
                    "UPDATE {table} SET id = $1, cached_at = $2, expires_at = $3 \
                     WHERE organization_id = $4 AND billy_id = $5"
                ),
                [
                    Value::from(key_of(*kind, *u, *k)),
                    Value::from(cached_at),
                    Value::from(expires),
                    Value::from(org),
                    Value::from(billy_id.clone()),
                ],
            )
            .await?;
            if *kind == CacheKind::Customers {
                let party =
                    service::links::parties::upsert_party_from_billy_contact(txn, org, &billy_id)
                        .await?;
                super::apps::settle_party(
                    txn,
                    party.id,
                    Some(uuid("party", cust)),
                    uuid("party-billy", cust),
                    cached_at,
                )
                .await?;
            }
            Ok::<(), OpsError>(())
        },
    )
    .await?;
    set_present(s, present);
    Ok(())
}

/// Per organisation: 3 days × 8 hours of tool calls (`billy::usage::track_usage_at`).
pub async fn usage(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    let mut items = Vec::new();
    for u in 0..c.orgs() {
        for d in 1..=3u64 {
            for h in 8..16u64 {
                items.push((u, d, h));
            }
        }
    }
    let key_of = |u: u64, d: u64, h: u64| uuid("usage", u * 1000 + d * 24 + h);
    let keys: Vec<String> = items
        .iter()
        .map(|(u, d, h)| key_of(*u, *d, *h).to_string())
        .collect();
    let have = Seeder::existing(&s.ctx.db, "billy.usage_metrics", Key::Uuid("id"), &keys).await?;
    let present = have.len();
    items.retain(|(u, d, h)| !have.contains(&key_of(*u, *d, *h).to_string()));
    s.pass(
        "billy.usage_metrics",
        &items,
        async |txn: &DatabaseTransaction, (u, d, h): &(u64, u64, u64)| {
            let mut r = Rng::row(seed, "usage", u * 1000 + d * 24 + h);
            let tool = *r.pick(&[
                "list_invoices",
                "get_invoice",
                "create_invoice",
                "list_customers",
            ]);
            let at = epoch() - Duration::days(*d as i64) + Duration::hours(*h as i64);
            let org = uuid("org", *u);
            for call in 0..r.range(1, 5) {
                let event = UsageEvent {
                    organization_id: org,
                    tool_name: tool.to_owned(),
                    success: !r.chance(0.1),
                    duration_ms: r.range(40, 1500) as u32,
                };
                track_usage_at(txn, event, at + Duration::minutes(call)).await?;
            }
            exec(
                txn,
                "UPDATE billy.usage_metrics SET id = $1, created_at = $2 \
                 WHERE organization_id = $3 AND date = $4 AND hour = $5 AND tool_name = $6",
                [
                    Value::from(key_of(*u, *d, *h)),
                    Value::from(at.fixed_offset()),
                    Value::from(org),
                    Value::from(at.date_naive()),
                    Value::from(*h as i16),
                    Value::from(tool.to_owned()),
                ],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await?;
    set_present(s, present);
    Ok(())
}
