//! `shared.users`, RenOS users and the RenOS sales/operations tables.

use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{DatabaseTransaction, Value};
use serde_json::json;

use super::Counts;
use super::people::{Person, company, person, sentence};
use super::rng::{Rng, at_minutes, epoch, text_id, ts, uuid};
use super::runner::{Key, Row, Seeder, cols, exec};
use crate::ops::{OpsError, OpsResult};
use service::renos::invoices::{NewInvoiceLine, invoice_totals};

const DAY: i64 = 24 * 60;

/// Shared user `i` (staff; `@tekup.dk`).
pub fn staff(seed: u64, i: u64) -> Person {
    person(&mut Rng::row(seed, "user", i), "u", i, Some("tekup.dk"))
}

/// Whether shared user `i` has a RenOS account / a Billy user.
pub fn has_renos_user(i: u64) -> bool {
    i % 10 < 4
}
pub fn has_billy_user(i: u64) -> bool {
    i % 10 < 3
}

pub async fn shared_users(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table("shared.users", Key::Uuid("id"), c.shared_users(), |i| {
        let p = staff(seed, i);
        let mut r = Rng::row(seed, "user.t", i);
        let t = ts(at_minutes(-400 * DAY + r.range(0, 30 * DAY)));
        Some(Row {
            key: uuid("user", i).to_string(),
            values: cols(json!({
                "id": uuid("user", i).to_string(), "email": p.email, "name": p.name(),
                "created_at": t, "updated_at": t,
            })),
        })
    })
    .await?;
    Ok(())
}

/// RenOS users for some shared users (same email; `renos::users::create_user`, which
/// keeps the password hash out of the generic write path); returns the shared indices
/// whose user was made now.
pub async fn renos_users(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<Vec<u64>> {
    use entity::renos::users::UserRole;
    use service::renos::users::{NewRenosUser, create_user};
    let seed = s.seed;
    let all: Vec<u64> = (0..c.shared_users())
        .filter(|i| has_renos_user(*i))
        .collect();
    let keys: Vec<String> = all.iter().map(|i| text_id("ruser", *i)).collect();
    let have = Seeder::existing(&s.ctx.db, "renos.users", Key::Text("id"), &keys).await?;
    let todo: Vec<u64> = all
        .into_iter()
        .filter(|i| !have.contains(&text_id("ruser", *i)))
        .collect();
    s.pass(
        "renos.users",
        &todo,
        async |txn: &DatabaseTransaction, i: &u64| {
            let p = staff(seed, *i);
            let mut r = Rng::row(seed, "ruser", *i);
            let t = at_minutes(-380 * DAY + r.range(0, 30 * DAY)).fixed_offset();
            let made = create_user(
                txn,
                NewRenosUser {
                    email: p.email.clone(),
                    name: p.name(),
                    phone: Some(p.phone.clone()),
                    // Not a hash of any password: seeded accounts cannot sign in.
                    password_hash: "$seed$no-password-can-match-this".to_owned(),
                    role: Some(if i.is_multiple_of(10) {
                        UserRole::Admin
                    } else {
                        UserRole::Employee
                    }),
                },
            )
            .await?;
            let id = text_id("ruser", *i);
            exec(
                txn,
                "UPDATE renos.users SET id = $1, created_at = $2, updated_at = $2 WHERE id = $3",
                [
                    Value::from(id.clone()),
                    Value::from(t),
                    Value::from(made.id.clone()),
                ],
            )
            .await?;
            exec(
                txn,
                "UPDATE shared.audit_logs SET resource_id = $1 \
                 WHERE resource_type = 'renos.users' AND resource_id = $2",
                [Value::from(id), Value::from(made.id)],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await?;
    if let Some(l) = s.lines.last_mut() {
        l.present = have.len() as u64;
    }
    Ok(todo)
}

/// Customer `i`: a person, 1 in 5 with a company.
pub struct Customer {
    pub person: Person,
    pub company: Option<String>,
    pub created_minutes: i64,
}

pub fn customer(seed: u64, i: u64) -> Customer {
    let mut r = Rng::row(seed, "cust", i);
    let person = person(&mut r, "c", i, None);
    let company = (i.is_multiple_of(5)).then(|| company(&mut r));
    Customer {
        person,
        company,
        created_minutes: -365 * DAY + r.range(0, 150 * DAY),
    }
}

pub async fn customers(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<Vec<u64>> {
    let seed = s.seed;
    s.table("renos.customers", Key::Text("id"), c.customers(), |i| {
        let cu = customer(seed, i);
        let mut r = Rng::row(seed, "cust.x", i);
        let t = ts(at_minutes(cu.created_minutes));
        let name = cu.company.clone().unwrap_or_else(|| cu.person.name());
        let tags: Vec<&str> = ["privat", "erhverv", "fast", "vip"]
            .into_iter()
            .filter(|_| r.chance(0.3))
            .collect();
        Some(Row {
            key: text_id("cust", i),
            values: cols(json!({
                "id": text_id("cust", i), "name": name, "email": cu.person.email,
                "phone": cu.person.phone, "address": cu.person.address,
                "company_name": cu.company, "status": "active", "tags": tags,
                "last_contact_at": ts(at_minutes(cu.created_minutes + r.range(DAY, 200 * DAY))),
                "created_at": t, "updated_at": t,
            })),
        })
    })
    .await
}

const TASKS: &[&str] = &[
    "Fast rengøring",
    "Flytterengøring",
    "Hovedrengøring",
    "Vinduespudsning",
    "Erhvervsrengøring",
];

fn lead_created(seed: u64, i: u64) -> i64 {
    customer(seed, i / 5).created_minutes + Rng::row(seed, "lead.t", i).range(0, 60 * DAY)
}

pub async fn leads(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    let new = s
        .table("renos.leads", Key::Text("id"), c.leads(), |i| {
            let cu = customer(seed, i / 5);
            let mut r = Rng::row(seed, "lead", i);
            let t = ts(at_minutes(lead_created(seed, i)));
            let status = *r.pick(&[
                "new",
                "new",
                "contacted",
                "qualified",
                "quoted",
                "converted",
                "lost",
            ]);
            let sqm = r.range(35, 260);
            Some(Row {
                key: text_id("lead", i),
                values: cols(json!({
                    "id": text_id("lead", i), "customer_id": text_id("cust", i / 5),
                    "source": r.pick(&["website", "email", "phone", "referral", "leadpoint"]),
                    "name": cu.person.name(), "email": cu.person.email, "phone": cu.person.phone,
                    "address": cu.person.address, "company_name": cu.company,
                    "task_type": r.pick(TASKS), "square_meters": sqm as f64,
                    "rooms": r.range(1, 8), "estimated_value": (sqm * r.range(25, 60)) as f64,
                    "status": status, "idempotency_key": text_id("lead", i),
                    "assigned_user_id": uuid("user", i / 50).to_string(),
                    "created_at": t, "updated_at": t,
                })),
            })
        })
        .await?;
    let ids: Vec<(String, i64)> = new
        .iter()
        .map(|&i| (text_id("lead", i), lead_created(seed, i)))
        .collect();
    s.pass(
        "renos.leads (scored)",
        &ids,
        async |txn: &DatabaseTransaction, (id, created): &(String, i64)| {
            let now = at_minutes(*created + 60);
            service::renos::lead_score_updates::score_and_save_lead(txn, id, now).await?;
            restamp(txn, "renos.leads", id).await
        },
    )
    .await
}

/// Sets `updated_at = created_at` again after a service function touched the row.
pub async fn restamp(txn: &DatabaseTransaction, table: &str, id: &str) -> OpsResult<()> {
    exec(
        txn,
        &format!("UPDATE {table} SET updated_at = created_at WHERE id = $1"),
        [Value::from(id.to_owned())],
    )
    .await?;
    Ok(())
}

/// Quotes price in whole kroner per hour times half hours: exact in cents.
fn cents(c: i64) -> f64 {
    c as f64 / 100.0
}

pub async fn quotes(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    s.table("renos.quotes", Key::Text("id"), c.leads(), |i| {
        if !i.is_multiple_of(5) {
            return None;
        }
        let mut r = Rng::row(seed, "quote", i);
        let rate = *r.pick(&[349i64, 399, 449, 499]);
        let half_hours = r.range(4, 32);
        let sub = rate * half_hours * 50;
        let vat = (sub * 25 + 50) / 100;
        let created = lead_created(seed, i) + r.range(60, 3 * DAY);
        Some(Row {
            key: text_id("quote", i),
            values: cols(json!({
                "id": text_id("quote", i), "lead_id": text_id("lead", i),
                "hourly_rate": rate as f64, "estimated_hours": half_hours as f64 / 2.0,
                "subtotal": cents(sub), "vat_rate": 25.0, "total": cents(sub + vat),
                "status": r.pick(&["draft", "sent", "accepted", "rejected", "expired"]),
                "valid_until": ts(at_minutes(created + 30 * DAY)),
                "created_at": ts(at_minutes(created)), "updated_at": ts(at_minutes(created)),
            })),
        })
    })
    .await?;
    Ok(())
}

/// Booking `i`: when it is and whether its timer is run.
struct Slot {
    scheduled: i64,
    duration: i64,
    timed: bool,
}

fn slot(seed: u64, i: u64) -> Slot {
    let mut r = Rng::row(seed, "book.t", i);
    let day = r.range(-200, 60);
    let scheduled = day * DAY + r.range(7, 15) * 60;
    Slot {
        scheduled,
        duration: *r.pick(&[120i64, 180, 240]),
        timed: i.is_multiple_of(4) && scheduled < -DAY,
    }
}

pub async fn bookings(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    let new = s
        .table("renos.bookings", Key::Text("id"), c.bookings(), |i| {
            let cu = customer(seed, i / 20);
            let sl = slot(seed, i);
            let mut r = Rng::row(seed, "book", i);
            let status = if sl.timed {
                "confirmed"
            } else if sl.scheduled < 0 {
                *r.pick(&["completed", "completed", "completed", "cancelled"])
            } else {
                *r.pick(&["scheduled", "scheduled", "confirmed"])
            };
            let created = ts(at_minutes(sl.scheduled - r.range(DAY, 30 * DAY)));
            Some(Row {
                key: text_id("book", i),
                values: cols(json!({
                    "id": text_id("book", i), "customer_id": text_id("cust", i / 20),
                    "lead_id": text_id("lead", i / 4), "service_type": r.pick(TASKS),
                    "address": cu.person.address, "scheduled_at": ts(at_minutes(sl.scheduled)),
                    "estimated_duration": sl.duration, "status": status,
                    "notes": r.chance(0.3).then(|| sentence(&mut r)),
                    "created_at": created, "updated_at": created,
                })),
            })
        })
        .await?;
    let timed: Vec<(String, i64, i64)> = new
        .iter()
        .filter_map(|&i| {
            let sl = slot(seed, i);
            sl.timed.then(|| {
                let mut r = Rng::row(seed, "book.timer", i);
                let start = sl.scheduled + r.range(-10, 20);
                let end = start + sl.duration + r.range(-40, 60);
                (text_id("book", i), start, end)
            })
        })
        .collect();
    s.pass(
        "renos.bookings (timed)",
        &timed,
        async |txn: &DatabaseTransaction, (id, start, end): &(String, i64, i64)| {
            use service::renos::time_tracking::{start_timer, stop_timer};
            start_timer(txn, id, at_minutes(*start)).await?;
            stop_timer(txn, id, at_minutes(*end), None).await?;
            restamp(txn, "renos.bookings", id).await
        },
    )
    .await
}

pub async fn invoices(s: &mut Seeder<'_>, c: &Counts, billy_orgs: u64) -> OpsResult<()> {
    let seed = s.seed;
    let make = |i: u64| -> OpsResult<Option<(Row, Vec<Row>)>> {
        if !i.is_multiple_of(20) {
            return Ok(None);
        }
        let cu = customer(seed, i / 20);
        let sl = slot(seed, i);
        let mut r = Rng::row(seed, "inv", i);
        let issue = sl.scheduled + DAY;
        let lines: Vec<NewInvoiceLine> = (0..r.range(1, 3))
            .map(|k| NewInvoiceLine {
                description: format!("{} ({})", r.pick(TASKS), k + 1),
                quantity: Decimal::new(r.range(2, 16), 0) / Decimal::new(2, 0),
                unit_price: Decimal::new(*r.pick(&[349i64, 399, 449, 49_900]), 0),
            })
            .collect();
        let (amounts, totals) = invoice_totals(&lines)?;
        let f = |d: Decimal| service::money::to_db(d);
        let status = if issue > 0 {
            "draft"
        } else {
            *r.pick(&["sent", "paid", "paid", "paid", "overdue"])
        };
        let paid = status == "paid";
        let created = ts(at_minutes(issue));
        let id = text_id("inv", i);
        let org = (billy_orgs > 0 && paid)
            .then(|| uuid("org", (i / 2000).min(billy_orgs - 1)).to_string());
        let head = Row {
            key: id.clone(),
            values: cols(json!({
                "id": id, "invoice_number": format!("SEED-{i:07}"),
                "booking_id": text_id("book", i), "customer_id": text_id("cust", i / 20),
                "customer_name": cu.company.clone().unwrap_or_else(|| cu.person.name()),
                "customer_email": cu.person.email, "customer_address": cu.person.address,
                "issue_date": created, "due_date": ts(at_minutes(issue + 14 * DAY)),
                "status": status, "subtotal": f(totals.subtotal), "vat_rate": 25.0,
                "vat_amount": f(totals.vat_amount), "total": f(totals.total),
                "paid_at": paid.then(|| ts(at_minutes(issue + r.range(DAY, 14 * DAY)))),
                "paid_amount": paid.then(|| f(totals.total)),
                "payment_method": paid.then(|| *r.pick(&["bank_transfer", "mobilepay", "card"])),
                "sent_at": (status != "draft").then(|| created.clone()),
                "billy_organization_id": org,
                "billy_invoice_id": paid.then(|| format!("seed-billy-inv-{i}")),
                "created_at": created, "updated_at": created,
            })),
        };
        let line_rows = lines
            .iter()
            .zip(amounts)
            .enumerate()
            .map(|(k, (l, amount))| {
                let lid = format!("{id}-l{k}");
                Row {
                    key: lid.clone(),
                    values: cols(json!({
                        "id": lid, "invoice_id": id, "description": l.description,
                        "quantity": f(l.quantity), "unit_price": f(l.unit_price),
                        "amount": f(amount), "sort_order": k, "created_at": created,
                        "updated_at": created,
                    })),
                }
            })
            .collect();
        Ok(Some((head, line_rows)))
    };
    let mut all = Vec::new();
    for i in 0..c.bookings() {
        if let Some(x) = make(i)? {
            all.push(x);
        }
    }
    let heads: Vec<Row> = all
        .iter()
        .map(|(h, _)| Row {
            key: h.key.clone(),
            values: h.values.clone(),
        })
        .collect();
    let lines: Vec<Row> = all.into_iter().flat_map(|(_, l)| l).collect();
    s.table("renos.invoices", Key::Text("id"), heads.len() as u64, |k| {
        heads.get(k as usize).map(|r| Row {
            key: r.key.clone(),
            values: r.values.clone(),
        })
    })
    .await?;
    s.table(
        "renos.invoice_line_items",
        Key::Text("id"),
        lines.len() as u64,
        |k| {
            lines.get(k as usize).map(|r| Row {
                key: r.key.clone(),
                values: r.values.clone(),
            })
        },
    )
    .await?;
    Ok(())
}

/// Recounts the new customers' leads, bookings and paid revenue.
pub async fn customer_stats(s: &mut Seeder<'_>, new_customers: &[u64]) -> OpsResult<()> {
    let ids: Vec<String> = new_customers.iter().map(|&i| text_id("cust", i)).collect();
    s.pass(
        "renos.customers (stats)",
        &ids,
        async |txn: &DatabaseTransaction, id: &String| {
            service::renos::customer_stats::update_customer_stats(txn, id).await?;
            restamp(txn, "renos.customers", id).await
        },
    )
    .await
}

/// Daily analytics for the last 30 days before the epoch (per unit of size: one metric).
pub async fn analytics(s: &mut Seeder<'_>, c: &Counts) -> OpsResult<()> {
    let seed = s.seed;
    let metrics = ["seed_bookings", "seed_leads", "seed_revenue"];
    let n = c.units().min(metrics.len() as u64);
    let mut items = Vec::new();
    for m in 0..n {
        for d in 1..=30u64 {
            let idx = m * 100 + d;
            let key = text_id("metric", idx);
            items.push((key, m as usize, d));
        }
    }
    let keys: Vec<String> = items.iter().map(|(k, _, _)| k.clone()).collect();
    let have = Seeder::existing(&s.ctx.db, "renos.analytics", Key::Text("id"), &keys).await?;
    let todo: Vec<(String, usize, u64)> = items
        .into_iter()
        .filter(|(k, _, _)| !have.contains(k))
        .collect();
    s.pass(
        "renos.analytics",
        &todo,
        async |txn: &DatabaseTransaction, (key, m, d): &(String, usize, u64)| {
            let mut r = Rng::row(seed, "metric", *d + (*m as u64) * 100);
            let day = epoch() - Duration::days(*d as i64);
            let metric = metrics.get(*m).copied().unwrap_or("seed_bookings");
            let row = service::renos::analytics::track_metric(
                txn,
                metric,
                r.range(0, 500) as f64,
                Some(json!({ "seed": true })),
                day,
            )
            .await?;
            exec(
                txn,
                "UPDATE renos.analytics SET id = $1, created_at = $2 WHERE id = $3",
                [
                    Value::from(key.clone()),
                    Value::from(day.fixed_offset()),
                    Value::from(row.id),
                ],
            )
            .await?;
            Ok::<(), OpsError>(())
        },
    )
    .await
}
