//! `tekup embed`: embeds the vault documents that need it (no embedding, content changed,
//! or made by another model) through an OpenAI-compatible embeddings endpoint
//! ([`service::vault::embed`]), with a progress bar and a summary. `--dry-run` only counts.
//!
//! Configuration: flags, or the `TEKUP_EMBED_*` environment variables behind them; the API
//! key only from `TEKUP_EMBED_API_KEY` (never a flag, so it stays out of shell history and
//! process lists), and it is never printed.

use std::time::Duration;

use clap::Args;
use serde::Serialize;
use service::vault::embed::{
    BATCH_SIZE_DEFAULT, CONCURRENCY_DEFAULT, EmbedConfig, EmbedOptions, EmbedReport,
    EmbeddingClient, MAX_RETRIES_DEFAULT, MODEL_DEFAULT, embed_pending,
};
use service::vault::{BacklogCount, EmbeddingBacklog, count_documents_needing_embedding};

use crate::ops::report::table;
use crate::ops::{Ctx, OpsError, OpsResult, Report};
use crate::progress::Step;

/// The environment variable holding the API key.
pub const API_KEY_ENV: &str = "TEKUP_EMBED_API_KEY";

/// Arguments of `tekup embed`.
#[derive(Clone, Debug, Args)]
pub struct EmbedArgs {
    /// API root of the OpenAI-compatible endpoint; requests go to <BASE_URL>/embeddings.
    #[arg(
        long,
        env = "TEKUP_EMBED_BASE_URL",
        default_value = "https://api.openai.com/v1"
    )]
    pub base_url: String,
    /// Embedding model, recorded with every vector (a change makes all vectors stale).
    #[arg(long, env = "TEKUP_EMBED_MODEL", default_value = MODEL_DEFAULT)]
    pub model: String,
    /// Documents per request.
    #[arg(long, env = "TEKUP_EMBED_BATCH_SIZE", default_value_t = BATCH_SIZE_DEFAULT)]
    pub batch_size: usize,
    /// Requests in flight at once.
    #[arg(long, env = "TEKUP_EMBED_CONCURRENCY", default_value_t = CONCURRENCY_DEFAULT)]
    pub concurrency: usize,
    /// Retries of a request after 429, 5xx or no answer.
    #[arg(long, env = "TEKUP_EMBED_MAX_RETRIES", default_value_t = MAX_RETRIES_DEFAULT)]
    pub max_retries: u32,
    /// Timeout of one request, in seconds.
    #[arg(long, env = "TEKUP_EMBED_TIMEOUT_SECS", default_value_t = 60)]
    pub timeout_secs: u64,
    /// Only documents of this source (e.g. github).
    #[arg(long)]
    pub source: Option<String>,
    /// Only documents of this repository (e.g. owner/repo).
    #[arg(long)]
    pub repository: Option<String>,
    /// At most this many documents.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Only count the documents that need an embedding; send and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What `tekup embed` reports.
#[derive(Debug, Serialize)]
pub struct EmbedSummary {
    pub dry_run: bool,
    /// The endpoint's root (without credentials).
    pub base_url: String,
    pub model: String,
    /// Documents needing an embedding before the run, per (source, repository).
    pub backlog: Vec<BacklogCount>,
    /// The run (absent with `--dry-run`).
    pub run: Option<EmbedReport>,
}

impl Report for EmbedSummary {
    fn human(&self) -> String {
        let due: u64 = self.backlog.iter().map(BacklogCount::total).sum();
        let mut out = format!(
            "endpoint {} · model {}\n{due} documents need an embedding\n\n",
            self.base_url, self.model
        );
        let Some(run) = &self.run else {
            let rows: Vec<Vec<String>> = self
                .backlog
                .iter()
                .map(|b| {
                    vec![
                        b.source.clone(),
                        b.repository.clone(),
                        b.missing.to_string(),
                        b.content_changed.to_string(),
                        b.model_changed.to_string(),
                        b.total().to_string(),
                    ]
                })
                .collect();
            out.push_str(&table(
                &[
                    "source",
                    "repository",
                    "missing",
                    "content changed",
                    "model changed",
                    "total",
                ],
                &rows,
            ));
            out.push_str("\ndry run: nothing sent, nothing written\n");
            return out;
        };
        let totals = vec![
            vec!["found".to_owned(), run.found.to_string()],
            vec!["embedded".to_owned(), run.embedded.to_string()],
            vec!["skipped".to_owned(), run.skipped.len().to_string()],
            vec!["failed".to_owned(), run.failed.len().to_string()],
            vec!["requests".to_owned(), run.requests.to_string()],
            vec!["retries".to_owned(), run.retries.to_string()],
            vec!["tokens".to_owned(), run.tokens.to_string()],
            vec!["seconds".to_owned(), format!("{:.1}", run.seconds)],
        ];
        out.push_str(&table(&["", "documents"], &totals));
        if !run.repositories.is_empty() {
            out.push('\n');
            let rows: Vec<Vec<String>> = run
                .repositories
                .iter()
                .map(|r| {
                    vec![
                        r.source.clone(),
                        r.repository.clone(),
                        r.found.to_string(),
                        r.embedded.to_string(),
                        r.skipped.to_string(),
                        r.failed.to_string(),
                        sea_orm::ActiveEnum::to_value(&r.status),
                    ]
                })
                .collect();
            out.push_str(&table(
                &[
                    "source",
                    "repository",
                    "found",
                    "embedded",
                    "skipped",
                    "failed",
                    "sync status",
                ],
                &rows,
            ));
        }
        for (title, issues) in [("failed", &run.failed), ("skipped", &run.skipped)] {
            if issues.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{title}:\n"));
            let rows: Vec<Vec<String>> = issues
                .iter()
                .map(|i| {
                    vec![
                        i.document_id.to_string(),
                        format!("{}:{}", i.source, i.repository),
                        i.reason.clone(),
                    ]
                })
                .collect();
            out.push_str(&table(&["document", "repository", "reason"], &rows));
        }
        out
    }

    fn ok(&self) -> bool {
        self.run.as_ref().is_none_or(EmbedReport::ok)
    }
}

/// Runs `tekup embed` with the key from `TEKUP_EMBED_API_KEY`.
pub async fn run(ctx: &Ctx, args: &EmbedArgs) -> OpsResult<EmbedSummary> {
    run_with(ctx, args, std::env::var(API_KEY_ENV).ok()).await
}

/// Runs `tekup embed` with the given API key (required unless `--dry-run`).
pub async fn run_with(
    ctx: &Ctx,
    args: &EmbedArgs,
    api_key: Option<String>,
) -> OpsResult<EmbedSummary> {
    let api_key = match api_key.filter(|k| !k.trim().is_empty()) {
        Some(k) => k.trim().to_owned(),
        None if args.dry_run => String::new(),
        None => {
            return Err(OpsError::Invalid(format!(
                "{API_KEY_ENV} is not set: export the embedding provider's API key"
            )));
        }
    };
    let config = EmbedConfig {
        model: args.model.clone(),
        batch_size: args.batch_size,
        concurrency: args.concurrency,
        max_retries: args.max_retries,
        timeout: Duration::from_secs(args.timeout_secs),
        ..EmbedConfig::new(args.base_url.clone(), api_key)
    };
    let client = EmbeddingClient::new(config)?;
    let backlog = count_documents_needing_embedding(
        &ctx.db,
        EmbeddingBacklog {
            model: Some(client.model().to_owned()),
            source: args.source.clone(),
            repository: args.repository.clone(),
            ..Default::default()
        },
    )
    .await?;
    let mut summary = EmbedSummary {
        dry_run: args.dry_run,
        base_url: client.config().display_base_url(),
        model: client.model().to_owned(),
        backlog,
        run: None,
    };
    if args.dry_run {
        return Ok(summary);
    }
    let due: u64 = summary.backlog.iter().map(BacklogCount::total).sum();
    let mut total = args.limit.map_or(due, |l| l.min(due));
    let mut step = Step::start(ctx.progress, "documents", Some(total));
    let options = EmbedOptions {
        source: args.source.clone(),
        repository: args.repository.clone(),
        limit: args.limit,
    };
    let report = embed_pending(&ctx.db, &client, &options, |p| {
        if p.found > total {
            total = p.found;
            step.set_total(total);
        }
        let done = p.done();
        if done > step.done() {
            step.advance(done - step.done());
        }
    })
    .await?;
    step.finish(&format!(
        "{} embedded, {} skipped, {} failed",
        report.embedded,
        report.skipped.len(),
        report.failed.len()
    ));
    summary.run = Some(report);
    Ok(summary)
}
