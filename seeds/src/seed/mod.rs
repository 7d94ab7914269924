//! `tekup seed`: deterministic data for all six schemas, written through the service
//! layer. Same seed and size → same rows and the same checksum; a re-run inserts nothing
//! that exists (every row has a fixed id; "skip if exists"). See README "tekup seed".
//!
//! - Entity rows go through `service::write::insert` (the validated, model-driven write
//!   engine behind the API's mutations), which accepts the fixed ids and timestamps. The
//!   business `create_*` functions make their own ids and `now()` times, so they are used
//!   where they compute or protect something: lead scores, timers, invoice totals, customer
//!   stats, Billy organisations (API key encryption), Billy cache and usage, embeddings,
//!   sync status, analytics, identity and party links. Where such a function made an id
//!   or a timestamp, the seed sets the fixed one afterwards in the same transaction.
//! - Volatile columns left out of the checksum: the audit logs' `id` and `created_at`
//!   (and the `resource_id`s of party links they may name), the Billy key ciphertext
//!   (random nonce) and `api_key_rotated_at`.

mod apps;
mod billy;
mod check;
mod people;
mod renos;
pub mod rng;
mod runner;

use std::time::Instant;

use clap::{Args, ValueEnum};
use serde::Serialize;
use service::billy::crypto::Keyring;

use crate::checksum::TableChecksum;
use crate::ops::report::table;
use crate::ops::{Ctx, OpsResult, Report};
pub use runner::TableLine;

/// Data set sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// Tens to hundreds of rows per main table (seconds).
    Small,
    /// Ten times small.
    Medium,
    /// The API benchmark's sizes: 1,000 shared users, 10,000 customers, 50,000 leads,
    /// 200,000 bookings.
    Large,
}

/// Row counts of a size: all proportional to `units`, and every reference is by integer
/// division by a fixed ratio, so a row's content and references do not depend on the
/// size (large after small adds rows and changes none).
#[derive(Clone, Copy, Debug)]
pub struct Counts(u64);

impl Counts {
    pub fn of(size: Size) -> Self {
        Self(match size {
            Size::Small => 1,
            Size::Medium => 10,
            Size::Large => 100,
        })
    }
    pub fn units(&self) -> u64 {
        self.0
    }
    pub fn shared_users(&self) -> u64 {
        10 * self.0
    }
    pub fn orgs(&self) -> u64 {
        self.0
    }
    pub fn customers(&self) -> u64 {
        100 * self.0
    }
    pub fn leads(&self) -> u64 {
        500 * self.0
    }
    pub fn bookings(&self) -> u64 {
        2000 * self.0
    }
    pub fn companies(&self) -> u64 {
        20 * self.0
    }
    pub fn contacts(&self) -> u64 {
        100 * self.0
    }
    pub fn deals(&self) -> u64 {
        50 * self.0
    }
    pub fn activities(&self) -> u64 {
        200 * self.0
    }
    pub fn workflows(&self) -> u64 {
        5 * self.0
    }
    pub fn documents(&self) -> u64 {
        50 * self.0
    }
}

/// Arguments of `tekup seed`.
#[derive(Clone, Debug, Args)]
pub struct SeedArgs {
    /// How much data.
    #[arg(long, value_enum, default_value_t = Size::Small)]
    pub size: Size,
    /// The PRNG seed (same seed and size → same rows and checksum).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What `tekup seed` reports.
#[derive(Debug, Serialize)]
pub struct SeedReport {
    pub size: Size,
    pub seed: u64,
    /// Per table (and per pass over new rows): rows inserted and already present.
    pub tables: Vec<TableLine>,
    /// Rows inserted in this run, over all tables.
    pub inserted: u64,
    /// What was skipped and why.
    pub notes: Vec<String>,
    pub seconds: f64,
    /// SHA-256 over the stable columns of every table of the six schemas.
    pub checksum: String,
    /// The per-table checksums behind it.
    pub checksums: Vec<TableChecksum>,
}

impl Report for SeedReport {
    fn human(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .tables
            .iter()
            .map(|l| {
                vec![
                    l.table.clone(),
                    l.inserted.to_string(),
                    l.present.to_string(),
                    format!("{:.2}", l.seconds),
                ]
            })
            .collect();
        let mut out = table(&["table", "inserted", "present", "seconds"], &rows);
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out.push_str(&format!(
            "seed {} size {:?}: {} rows inserted in {:.1} s\nchecksum {}\n",
            self.seed, self.size, self.inserted, self.seconds, self.checksum
        ));
        out
    }
}

/// Runs `tekup seed` (the Billy keyring from the environment).
pub async fn run(ctx: &Ctx, args: &SeedArgs) -> OpsResult<SeedReport> {
    let keyring = Keyring::from_env();
    match keyring {
        Ok(k) => run_with(ctx, args, Ok(k)).await,
        Err(e) => run_with(ctx, args, Err(e.to_string())).await,
    }
}

/// Runs `tekup seed` with this keyring, or without Billy organisations (and their users,
/// cache rows and usage metrics) when there is none (`Err`: why).
pub async fn run_with(
    ctx: &Ctx,
    args: &SeedArgs,
    keyring: Result<Keyring, String>,
) -> OpsResult<SeedReport> {
    let started = Instant::now();
    let c = Counts::of(args.size);
    let mut s = runner::Seeder::new(ctx, args.seed);

    renos::shared_users(&mut s, &c).await?;
    let shared_new: Vec<u64> = renos::renos_users(&mut s, &c).await?;
    let mut linked = shared_new;
    let billy_orgs = match &keyring {
        Ok(k) => {
            billy::organizations(&mut s, &c, k).await?;
            linked.extend(billy::users(&mut s, &c).await?);
            c.orgs()
        }
        Err(why) => {
            s.notes.push(format!(
                "billy organisations, users, cache rows and usage metrics skipped: no Billy \
                 keyring ({why}); set BILLY_KEYRING_CURRENT_KEY_ID and BILLY_KEYRING_KEYS"
            ));
            0
        }
    };
    billy::identities(&mut s, &linked).await?;

    let new_customers = renos::customers(&mut s, &c).await?;
    renos::leads(&mut s, &c).await?;
    renos::quotes(&mut s, &c).await?;
    renos::bookings(&mut s, &c).await?;
    renos::invoices(&mut s, &c, billy_orgs).await?;
    renos::customer_stats(&mut s, &new_customers).await?;
    renos::analytics(&mut s, &c).await?;

    apps::companies(&mut s, &c).await?;
    let new_contacts = apps::contacts(&mut s, &c).await?;
    apps::deals(&mut s, &c).await?;
    apps::activities(&mut s, &c).await?;
    apps::parties(&mut s, &new_customers, &new_contacts).await?;
    if billy_orgs > 0 {
        billy::cache(&mut s, &c).await?;
        billy::usage(&mut s, &c).await?;
    }

    apps::workflows(&mut s, &c).await?;
    apps::executions(&mut s, &c).await?;
    apps::documents(&mut s, &c).await?;

    let checksums = check::stable_checksums(&ctx.db).await?;
    let checksum = crate::checksum::combined(&checksums);
    let inserted = s
        .lines
        .iter()
        .filter(|l| !l.table.contains('('))
        .map(|l| l.inserted)
        .sum();
    Ok(SeedReport {
        size: args.size,
        seed: args.seed,
        tables: s.lines,
        inserted,
        notes: s.notes,
        seconds: started.elapsed().as_secs_f64(),
        checksum,
        checksums,
    })
}

pub use check::stable_checksums;
