//! CRM, Flow and Vault rows, and the party links (P2) between RenOS customers, CRM contacts
//! and Billy contacts.

use chrono::{DateTime, Duration, FixedOffset};
use sea_orm::prelude::Uuid;
use sea_orm::{DatabaseTransaction, Value};
use serde_json::json;
use service::vault::{NewEmbedding, SyncUpdate, set_embedding, update_sync_status};

use super::Counts;
use super::people::{company, sentence};
use super::renos::customer;
use super::rng::{Rng, at_minutes, epoch, text_id, ts, uuid};
use super::runner::{Key, Row, Seeder, cols, exec};
use crate::ops::{OpsError, OpsResult};

const DAY: i64 = 24 * 60;

/// After a party upsert: when it joined the party `expected` (made earlier by the seed),
/// that party's `updated_at` goes back to its `created_at`; otherwise the party was just
/// made (random id, `now()` times) and gets the fixed id `fixed` and the time `t`.
pub async fn settle_party(
    txn: &DatabaseTransaction,
    got: Uuid,
    expected: Option<Uuid>,
    fixed: Uuid,
    t: DateTime<FixedOffset>,
) -> OpsResult<()> {
    if expected == Some(got) {
        exec(
            txn,
            "UPDATE shared.party_links SET updated_at = created_at WHERE id = $1",
            [Value::from(got)],
        )
        .await?;
    } else {
        exec(
            txn,
            "UPDATE shared.party_links SET id = $2, created_at = $3, updated_at = $3 WHERE id = $1",
            [Value::from(got), Value::from(fixed), Value::from(t)],
        )
        .await?;
    }
    Ok(())
}

pub async fn companies(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table("crm.companies", Key::Text("id"), c.companies(), |i| {
        let mut r = Rng::row(seed, "co", i);
        let t = ts(at_minutes(-500 * DAY + r.range(0, 100 * DAY)));
        let name = company(&mut r);
        Some(Row {
            key: text_id("co", i),
            values: cols(json!({
                "id": text_id("co", i), "name": name,
                "website": format!("https://co{i}.example.dk"),
                "industry": r.pick(&["Ejendomsadministration", "Kontor", "Detail", "Sundhed", "Hotel"]),
                "size": r.pick(&["1-10", "11-50", "51-200"]),
                "revenue": (r.range(1, 500) * 100_000) as f64,
                "email": format!("info@co{i}.example.dk"), "city": r.pick(&["Aarhus", "Vejle", "Odense"]),
                "country": "Denmark", "vat_number": format!("DK{:08}", 10_000_000 + i),
                "status": r.pick(&["active", "prospect", "customer"]), "owner": "seed",
                "tags": [], "created_at": t, "updated_at": t,
            })),
        })
    })
    .await?;
    Ok(())
}

/// CRM contact `i` is the person of RenOS customer `i` (same email: one party).
pub async fn contacts(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<Vec<u64>> {
    let seed = s.seed;
    s.table("crm.contacts", Key::Text("id"), c.contacts(), |i| {
        let cu = customer(seed, i);
        let mut r = Rng::row(seed, "contact", i);
        let t = ts(at_minutes(cu.created_minutes + r.range(0, 10 * DAY)));
        Some(Row {
            key: text_id("contact", i),
            values: cols(json!({
                "id": text_id("contact", i), "first_name": cu.person.first,
                "last_name": cu.person.last, "email": cu.person.email, "phone": cu.person.phone,
                "title": r.pick(&["Ejer", "Indkøber", "Driftschef", "Privat"]),
                "company_id": text_id("co", i / 5), "address": cu.person.address,
                "city": cu.person.city, "postal_code": cu.person.postal_code,
                "country": "Denmark", "status": r.pick(&["active", "active", "lead", "inactive"]),
                "source": r.pick(&["website", "referral", "renos"]), "owner": "seed",
                "tags": [], "created_at": t, "updated_at": t,
            })),
        })
    })
    .await
}

pub async fn deals(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table("crm.deals", Key::Text("id"), c.deals(), |i| {
        let mut r = Rng::row(seed, "deal", i);
        let stage = *r.pick(&[
            "qualification",
            "proposal",
            "negotiation",
            "closed_won",
            "closed_lost",
        ]);
        let (status, probability) = match stage {
            "closed_won" => ("won", 100),
            "closed_lost" => ("lost", 0),
            "negotiation" => ("open", 60),
            "proposal" => ("open", 40),
            _ => ("open", 20),
        };
        let created = -300 * DAY + r.range(0, 280 * DAY);
        let closed = (status != "open").then(|| ts(at_minutes(created + r.range(DAY, 40 * DAY))));
        let t = ts(at_minutes(created));
        Some(Row {
            key: text_id("deal", i),
            values: cols(json!({
                "id": text_id("deal", i), "title": format!("Rengøringsaftale {i}"),
                "value": (r.range(10, 400) * 500) as f64, "currency": "DKK", "stage": stage,
                "pipeline": "sales", "probability": probability,
                "contact_id": text_id("contact", 2 * i), "company_id": text_id("co", 2 * i / 5),
                "owner": "seed", "expected_close_date": ts(at_minutes(created + 45 * DAY)),
                "actual_close_date": closed, "status": status,
                "lost_reason": (status == "lost").then_some("Pris"),
                "tags": [], "created_at": t, "updated_at": t,
            })),
        })
    })
    .await?;
    Ok(())
}

pub async fn activities(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table("crm.activities", Key::Text("id"), c.activities(), |i| {
        let mut r = Rng::row(seed, "act", i);
        let kind = *r.pick(&["call", "email", "meeting", "note", "task_completed"]);
        let t = ts(at_minutes(-250 * DAY + r.range(0, 250 * DAY)));
        Some(Row {
            key: text_id("act", i),
            values: cols(json!({
                "id": text_id("act", i), "type": kind, "subject": sentence(&mut r),
                "contact_id": text_id("contact", i / 2), "company_id": text_id("co", i / 10),
                "owner": "seed",
                "duration_minutes": matches!(kind, "call" | "meeting").then(|| r.range(5, 90)),
                "outcome": r.pick(&["positive", "neutral", "no_answer"]),
                "occurred_at": t, "created_at": t,
            })),
        })
    })
    .await?;
    Ok(())
}

/// Party links of the new customers, then of the new contacts (same email: the contact
/// joins the customer's party).
pub async fn parties(
    s: &mut Seeder<'_>,
    new_customers: &[u64],
    new_contacts: &[u64],
) -> OpsResult<()> {
    let seed = s.seed;
    s.pass(
        "shared.party_links (customers)",
        new_customers,
        async |txn: &DatabaseTransaction, i: &u64| {
            let p = service::links::parties::upsert_party_from_renos_customer(
                txn,
                &text_id("cust", *i),
            )
            .await?;
            let t = at_minutes(customer(seed, *i).created_minutes).fixed_offset();
            settle_party(txn, p.id, None, uuid("party", *i), t).await
        },
    )
    .await?;
    s.pass(
        "shared.party_links (contacts)",
        new_contacts,
        async |txn: &DatabaseTransaction, i: &u64| {
            let p = service::links::parties::upsert_party_from_crm_contact(
                txn,
                &text_id("contact", *i),
            )
            .await?;
            let t = at_minutes(customer(seed, *i).created_minutes).fixed_offset();
            settle_party(txn, p.id, Some(uuid("party", *i)), uuid("party-crm", *i), t).await
        },
    )
    .await
}

/// Execution `e`: (status, duration ms), the same for the workflow's counters.
fn outcome(seed: u64, e: u64) -> (&'static str, i64) {
    let mut r = Rng::row(seed, "exec", e);
    let status = if r.chance(0.15) {
        "failed"
    } else {
        "completed"
    };
    (status, r.range(200, 20_000))
}

pub async fn workflows(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table("flow.workflows", Key::Text("id"), c.workflows(), |w| {
        let mut r = Rng::row(seed, "wf", w);
        let t = ts(at_minutes(-200 * DAY + r.range(0, 30 * DAY)));
        let runs: Vec<(&str, i64)> = (w * 10..w * 10 + 10).map(|e| outcome(seed, e)).collect();
        let ok: Vec<i64> = runs
            .iter()
            .filter(|(st, _)| *st == "completed")
            .map(|(_, d)| *d)
            .collect();
        let avg = (!ok.is_empty()).then(|| {
            let n = ok.len() as i64;
            (ok.iter().sum::<i64>() + n / 2) / n
        });
        let name = *r.pick(&[
            "Ny lead → velkomstmail",
            "Faktura forfalden → påmindelse",
            "Booking bekræftet → SMS",
            "Ugentlig rapport",
        ]);
        Some(Row {
            key: text_id("wf", w),
            values: cols(json!({
                "id": text_id("wf", w), "name": format!("{name} #{w}"),
                "description": sentence(&mut r), "is_template": w % 5 == 4,
                "status": "active",
                "trigger": { "type": r.pick(&["event", "schedule", "webhook"]), "event": "renos.lead.created" },
                "nodes": [ { "id": "n1", "type": "trigger" }, { "id": "n2", "type": "email" } ],
                "edges": [ { "from": "n1", "to": "n2" } ],
                "owner": "seed", "execution_count": 10, "success_count": ok.len(),
                "failure_count": 10 - ok.len(), "avg_duration_ms": avg,
                "last_executed_at": ts(at_minutes(-DAY)),
                "created_at": t, "updated_at": t,
            })),
        })
    })
    .await?;
    Ok(())
}

pub async fn executions(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table(
        "flow.executions",
        Key::Text("id"),
        c.workflows() * 10,
        |e| {
            let (status, ms) = outcome(seed, e);
            let mut r = Rng::row(seed, "exec.t", e);
            let started = at_minutes(-60 * DAY + r.range(0, 59 * DAY));
            let done = started + Duration::milliseconds(ms);
            let failed = status == "failed";
            Some(Row {
                key: text_id("exec", e),
                values: cols(json!({
                    "id": text_id("exec", e), "workflow_id": text_id("wf", e / 10),
                    "status": status, "input": { "lead_id": text_id("lead", e) },
                    "output": (!failed).then(|| json!({ "sent": true })),
                    "error": failed.then_some("SMTP timeout"),
                    "completed_steps": if failed { vec!["n1"] } else { vec!["n1", "n2"] },
                    "failed_step": failed.then_some("n2"),
                    "started_at": ts(started), "completed_at": ts(done), "duration_ms": ms,
                    "triggered_by": r.pick(&["event", "schedule", "manual"]),
                })),
            })
        },
    )
    .await?;
    Ok(())
}

fn repository(d: u64) -> String {
    format!("tekup/seed-repo-{}", d / 10)
}

/// A unit vector near the repository's direction, from the PRNG.
fn embedding(seed: u64, d: u64) -> Vec<f64> {
    let mut base = Rng::row(seed, "emb.repo", d / 10);
    let mut own = Rng::row(seed, "emb", d);
    let v: Vec<f64> = (0..service::vault::DIMENSIONS)
        .map(|_| base.normal() + 0.7 * own.normal())
        .collect();
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    v.into_iter().map(|x| x / norm).collect()
}

pub async fn documents(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    let created = |d: u64| at_minutes(-90 * DAY + Rng::row(seed, "doc.t", d).range(0, 80 * DAY));
    let new = s
        .table("vault.documents", Key::Uuid("id"), c.documents(), |d| {
            let mut r = Rng::row(seed, "doc", d);
            let t = ts(created(d));
            let content = (0..r.range(3, 12))
                .map(|_| sentence(&mut r))
                .collect::<Vec<_>>()
                .join(" ");
            Some(Row {
                key: uuid("doc", d).to_string(),
                values: cols(json!({
                    "id": uuid("doc", d).to_string(), "source": "github",
                    "repository": repository(d), "path": format!("docs/note-{d:05}.md"),
                    "content": content, "metadata": { "seed": true, "lang": "da" },
                    "sha": r.hex(20), "created_at": t, "updated_at": t,
                })),
            })
        })
        .await?;
    s.pass(
        "vault.embeddings",
        &new,
        async |txn: &DatabaseTransaction, d: &u64| {
            set_embedding(
                txn,
                NewEmbedding {
                    document_id: uuid("doc", *d),
                    embedding: embedding(seed, *d),
                    model: "seed-embedding-1536".to_owned(),
                    expected_content_hash: None,
                },
            )
            .await?;
            let t = (created(*d) + Duration::minutes(5)).fixed_offset();
            exec(
                txn,
                "UPDATE vault.embeddings SET id = $1, created_at = $2, updated_at = $2 \
                 WHERE document_id = $3",
                [
                    Value::from(uuid("emb", *d)),
                    Value::from(t),
                    Value::from(uuid("doc", *d)),
                ],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await?;
    s.table(
        "vault.document_links",
        Key::Uuid("document_id"),
        c.documents(),
        |d| {
            Some(Row {
                key: uuid("doc", d).to_string(),
                values: cols(json!({
                    "document_id": uuid("doc", d).to_string(), "entity_schema": "renos",
                    "entity_table": "customers", "entity_id": text_id("cust", 2 * d),
                    "relation": "about", "created_at": ts(created(d)),
                })),
            })
        },
    )
    .await?;
    // One sync status per repository.
    let repos: Vec<u64> = (0..c.documents()).step_by(10).map(|d| d / 10).collect();
    let keys: Vec<String> = repos.iter().map(|r| uuid("sync", *r).to_string()).collect();
    let have = Seeder::existing(&s.ctx.db, "vault.sync_status", Key::Uuid("id"), &keys).await?;
    let todo: Vec<u64> = repos
        .into_iter()
        .filter(|r| !have.contains(&uuid("sync", *r).to_string()))
        .collect();
    s.pass(
        "vault.sync_status",
        &todo,
        async |txn: &DatabaseTransaction, repo: &u64| {
            let mut r = Rng::row(seed, "sync", *repo);
            let failed = r.chance(0.2);
            let repository = repository(repo * 10);
            update_sync_status(
                txn,
                SyncUpdate {
                    source: "github".to_owned(),
                    repository: repository.clone(),
                    status: if failed {
                        entity::vault::sync_status::SyncState::Error
                    } else {
                        entity::vault::sync_status::SyncState::Success
                    },
                    error_message: failed.then(|| "GitHub rate limit".to_owned()),
                },
            )
            .await?;
            let t = (epoch() - Duration::hours(r.range(1, 72))).fixed_offset();
            exec(
                txn,
                "UPDATE vault.sync_status SET id = $1, last_sync_at = $2, created_at = $2, \
                 updated_at = $2 WHERE source = 'github' AND repository = $3",
                [
                    Value::from(uuid("sync", *repo)),
                    Value::from(t),
                    Value::from(repository),
                ],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await?;
    if let Some(l) = s.lines.last_mut() {
        l.present = have.len() as u64;
    }
    Ok(())
}
