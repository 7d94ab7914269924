//! `tekup import legacy` and `tekup verify`: move the pre-consolidation layouts of
//! legacy-layouts.md into the canonical tables, and compare them (docs/legacy-import.md).
//!
//! One module per layout ([`vault`], [`billy`], [`renos`], [`calendar`],
//! [`subcontractors`], [`crm_flow`]) declares its table mappings ([`map::TableMap`]);
//! [`engine`] runs them: read in key order and in batches from the source, convert and
//! validate each row (invalid rows are skipped with a reason, never coerced), upsert the
//! valid ones keyed by the canonical key (unchanged rows are not written), one
//! transaction per batch, and checksum source and target values.

pub mod billy;
pub mod calendar;
pub mod crm_flow;
pub mod engine;
pub mod map;
pub mod renos;
pub mod report;
pub mod subcontractors;
pub mod vault;

use std::fmt;

use clap::Args;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, TransactionTrait};
use service::billy::crypto::Keyring;

pub use report::{LayoutFound, LegacyReport, SkipExample, TableReport};

use self::engine::{Action, RunOpts};
use self::map::TableMap;
use crate::ops::{Ctx, OpsError, OpsResult};
use crate::progress::Step;

/// Default rows per batch (and per transaction).
pub const DEFAULT_BATCH_SIZE: u64 = 500;

/// Arguments of `tekup import legacy` (`Debug` hides the source URL's password).
#[derive(Clone, Args)]
pub struct ImportArgs {
    /// The legacy source database (any PostgreSQL), e.g. postgres://user:pw@host/db.
    #[arg(
        long = "from",
        value_name = "URL",
        env = "TEKUP_LEGACY_URL",
        hide_env_values = true
    )]
    pub from: String,
    /// Show per table what would be inserted, updated and skipped; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows per batch; each batch is one transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch_size: u64,
    /// Only these layouts (vault, billy, renos, calendar, subcontractors, crm_flow).
    #[arg(long = "layout", value_name = "NAME")]
    pub layouts: Vec<String>,
    /// `renos.chat_sessions.organization_id` for legacy chat sessions (they have none).
    #[arg(long, default_value = "legacy")]
    pub renos_organization_id: String,
    /// Testing: stop (as if killed) after this many source rows.
    #[arg(long, hide = true)]
    pub stop_after: Option<u64>,
}

impl fmt::Debug for ImportArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportArgs")
            .field("from", &redact(&self.from))
            .field("dry_run", &self.dry_run)
            .field("batch_size", &self.batch_size)
            .field("layouts", &self.layouts)
            .field("renos_organization_id", &self.renos_organization_id)
            .field("stop_after", &self.stop_after)
            .finish()
    }
}

impl fmt::Debug for VerifyArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyArgs")
            .field("from", &redact(&self.from))
            .field("batch_size", &self.batch_size)
            .field("layouts", &self.layouts)
            .field("renos_organization_id", &self.renos_organization_id)
            .finish()
    }
}

impl ImportArgs {
    /// Arguments for a source URL with every default.
    pub fn new(from: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            dry_run: false,
            batch_size: DEFAULT_BATCH_SIZE,
            layouts: Vec::new(),
            renos_organization_id: "legacy".to_owned(),
            stop_after: None,
        }
    }
}

/// Arguments of `tekup verify` (`Debug` hides the source URL's password).
#[derive(Clone, Args)]
pub struct VerifyArgs {
    /// The legacy source database (any PostgreSQL).
    #[arg(
        long = "from",
        value_name = "URL",
        env = "TEKUP_LEGACY_URL",
        hide_env_values = true
    )]
    pub from: String,
    /// Rows per batch.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch_size: u64,
    /// Only these layouts.
    #[arg(long = "layout", value_name = "NAME")]
    pub layouts: Vec<String>,
    /// As for `import legacy` (the value the import used).
    #[arg(long, default_value = "legacy")]
    pub renos_organization_id: String,
}

impl VerifyArgs {
    /// Arguments for a source URL with every default.
    pub fn new(from: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            batch_size: DEFAULT_BATCH_SIZE,
            layouts: Vec::new(),
            renos_organization_id: "legacy".to_owned(),
        }
    }
}

/// Settings the layouts need.
#[derive(Clone, Debug)]
pub struct LayoutOpts {
    pub renos_organization_id: String,
}

/// A layout found in the source: its table mappings in load order.
#[derive(Debug)]
pub struct Layout {
    pub name: &'static str,
    pub variant: Option<String>,
    pub maps: Vec<TableMap>,
}

/// Every layout name, in load order.
pub const LAYOUTS: &[&str] = &[
    "vault",
    "billy",
    "renos",
    "calendar",
    "subcontractors",
    "crm_flow",
];

/// Runs `tekup import legacy` (keyring from the environment when the source has Billy
/// organisations).
pub async fn import(ctx: &Ctx, args: &ImportArgs) -> OpsResult<LegacyReport> {
    import_with_keyring(ctx, args, None).await
}

/// Runs `tekup verify` (keyring from the environment when needed).
pub async fn verify(ctx: &Ctx, args: &VerifyArgs) -> OpsResult<LegacyReport> {
    verify_with_keyring(ctx, args, None).await
}

/// `import legacy` with an explicit keyring (`None`: `Keyring::from_env` when needed).
pub async fn import_with_keyring(
    ctx: &Ctx,
    args: &ImportArgs,
    keyring: Option<&Keyring>,
) -> OpsResult<LegacyReport> {
    let mode = if args.dry_run { "dry-run" } else { "import" };
    let opts = LayoutOpts {
        renos_organization_id: args.renos_organization_id.clone(),
    };
    let run = Run {
        from: &args.from,
        layouts: &args.layouts,
        batch_size: args.batch_size,
        stop_after: args.stop_after,
        opts,
    };
    if args.dry_run {
        // The same pipeline inside one transaction that is rolled back.
        let txn = ctx.db.begin().await?;
        let result = run.go(ctx, &txn, mode, Action::Import, keyring).await;
        txn.rollback().await?;
        result
    } else {
        run.go(ctx, &ctx.db, mode, Action::Import, keyring).await
    }
}

/// `verify` with an explicit keyring (`None`: `Keyring::from_env` when needed).
pub async fn verify_with_keyring(
    ctx: &Ctx,
    args: &VerifyArgs,
    keyring: Option<&Keyring>,
) -> OpsResult<LegacyReport> {
    let run = Run {
        from: &args.from,
        layouts: &args.layouts,
        batch_size: args.batch_size,
        stop_after: None,
        opts: LayoutOpts {
            renos_organization_id: args.renos_organization_id.clone(),
        },
    };
    run.go(ctx, &ctx.db, "verify", Action::Verify, keyring)
        .await
}

struct Run<'a> {
    from: &'a str,
    layouts: &'a [String],
    batch_size: u64,
    stop_after: Option<u64>,
    opts: LayoutOpts,
}

impl Run<'_> {
    async fn go<C: TransactionTrait<Transaction = sea_orm::DatabaseTransaction>>(
        &self,
        ctx: &Ctx,
        target: &C,
        mode: &str,
        action: Action,
        keyring: Option<&Keyring>,
    ) -> OpsResult<LegacyReport> {
        for l in self.layouts {
            if !LAYOUTS.contains(&l.as_str()) {
                return Err(OpsError::Invalid(format!(
                    "unknown layout {l} (known: {})",
                    LAYOUTS.join(", ")
                )));
            }
        }
        let src = connect_source(self.from).await?;
        let result = self.go_with(ctx, target, &src, mode, action, keyring).await;
        let _ = src.close().await;
        result
    }

    async fn go_with<C: TransactionTrait<Transaction = sea_orm::DatabaseTransaction>>(
        &self,
        ctx: &Ctx,
        target: &C,
        src: &DatabaseConnection,
        mode: &str,
        action: Action,
        keyring: Option<&Keyring>,
    ) -> OpsResult<LegacyReport> {
        let found = detect(src, &self.opts).await?;
        let mut report = LegacyReport {
            mode: mode.to_owned(),
            source: redact(self.from),
            layouts: Vec::new(),
            tables: Vec::new(),
            stopped_early: false,
        };
        let env_keyring;
        let keyring = match keyring {
            Some(k) => Some(k),
            None if found.iter().any(|l| l.name == "billy") => {
                env_keyring = Keyring::from_env().ok();
                env_keyring.as_ref()
            }
            None => None,
        };
        let mut opts = RunOpts {
            action,
            batch_size: self.batch_size,
            budget: self.stop_after,
            keyring,
        };
        let wanted = |name: &str| self.layouts.is_empty() || self.layouts.iter().any(|l| l == name);
        for name in LAYOUTS {
            let layout = found.iter().find(|l| l.name == *name);
            report.layouts.push(LayoutFound {
                layout: (*name).to_owned(),
                found: layout.is_some(),
                variant: layout.and_then(|l| l.variant.clone()),
            });
        }
        'layouts: for layout in found.into_iter().filter(|l| wanted(l.name)) {
            for map in layout.maps {
                if !engine::source_has(src, map.source.0, map.source.1).await? {
                    continue;
                }
                let source = map.source_name();
                let target_name = map.target_name();
                let src_cols = engine::source_columns(src, map.source.0, map.source.1).await?;
                let planned = engine::plan(&ctx.db, &src_cols, map).await;
                let plan = match planned {
                    Ok(p) => p,
                    Err(e) => {
                        let mut t = TableReport::new(layout.name, source, target_name);
                        t.error = Some(e.to_string());
                        report.tables.push(t);
                        continue;
                    }
                };
                let total = plan.count_source(src).await?;
                let mut step = Step::start(
                    ctx.progress,
                    format!("{source} → {target_name}"),
                    Some(total),
                );
                match engine::run_table(target, src, &plan, &mut opts, &mut step).await {
                    Ok((t, stopped)) => {
                        step.finish(&match action {
                            Action::Verify => format!(
                                "{} rows: {} equal, {} different, {} missing, {} skipped",
                                t.source_rows, t.equal, t.different, t.missing, t.skipped
                            ),
                            Action::Import => format!(
                                "{} rows: {} inserted, {} updated, {} unchanged, {} skipped",
                                t.source_rows, t.inserted, t.updated, t.unchanged, t.skipped
                            ),
                        });
                        report.tables.push(t);
                        if stopped {
                            report.stopped_early = true;
                            break 'layouts;
                        }
                    }
                    Err(e) => {
                        step.finish("failed");
                        let mut t = TableReport::new(layout.name, source, target_name);
                        t.source_rows = total;
                        t.error = Some(e.to_string());
                        report.tables.push(t);
                    }
                }
            }
        }
        Ok(report)
    }
}

/// The layouts the source has (legacy-layouts.md), in load order.
pub async fn detect(src: &DatabaseConnection, opts: &LayoutOpts) -> OpsResult<Vec<Layout>> {
    let mut out = Vec::new();
    out.extend(vault::layout(src).await?);
    out.extend(billy::layout(src).await?);
    out.extend(renos::layout(src, opts).await?);
    out.extend(calendar::layout(src).await?);
    out.extend(subcontractors::layout(src).await?);
    out.extend(crm_flow::layout(src).await?);
    Ok(out)
}

async fn connect_source(url: &str) -> OpsResult<DatabaseConnection> {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(2)
        .min_connections(0)
        .sqlx_logging(false);
    Database::connect(opt).await.map_err(|e| {
        OpsError::Invalid(format!(
            "cannot connect to the legacy source {}: {e}",
            redact(url)
        ))
    })
}

/// A URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_also_in_debug() {
        let args = super::ImportArgs::new("postgres://u:secret@h:5/db");
        assert!(!format!("{args:?}").contains("secret"));
        let args = super::VerifyArgs::new("postgres://u:secret@h:5/db");
        assert!(!format!("{args:?}").contains("secret"));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5/db"),
            "postgres://u:***@h:5/db"
        );
        assert_eq!(super::redact("postgres://h/db"), "postgres://h/db");
    }
}
