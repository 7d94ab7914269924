//! One embedding pass over the backlog: [`embed_pending`].

use std::collections::BTreeMap;
use std::time::Instant;

use entity::vault::sync_status::SyncState;
use futures::StreamExt;
use sea_orm::ConnectionTrait;
use sea_orm::prelude::Uuid;
use serde::Serialize;

use super::client::EmbeddingClient;
use crate::error::{Error, Result};
use crate::vault::{
    BACKLOG_LIMIT_MAX, DIMENSIONS, EMBEDDING_INPUT_CHARS, EmbeddingBacklog, EmbeddingVector,
    NewEmbedding, PendingEmbedding, SyncUpdate, documents_needing_embedding, set_embedding,
    update_sync_status,
};

/// Which documents [`embed_pending`] looks at.
#[derive(Clone, Debug, Default)]
pub struct EmbedOptions {
    /// Only documents of this source (absent or blank = any).
    pub source: Option<String>,
    /// Only documents of this repository (absent or blank = any).
    pub repository: Option<String>,
    /// At most this many documents (absent = the whole backlog).
    pub limit: Option<u64>,
}

/// Progress of a pass, given to the callback after every batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EmbedProgress {
    /// Documents found needing an embedding so far (grows page by page).
    pub found: u64,
    /// Stored.
    pub embedded: u64,
    /// Left for a later run (empty content, changed or deleted meanwhile).
    pub skipped: u64,
    /// Failed (the endpoint refused or kept failing, or the vector was invalid).
    pub failed: u64,
}

impl EmbedProgress {
    /// Documents finished (embedded, skipped or failed).
    pub fn done(&self) -> u64 {
        self.embedded + self.skipped + self.failed
    }
}

/// A document that was not embedded, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentIssue {
    pub document_id: Uuid,
    pub source: String,
    pub repository: String,
    /// Why (for failures: the endpoint's status and message, never the API key).
    pub reason: String,
}

/// One repository's part of a pass, and the sync status it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RepositoryOutcome {
    pub source: String,
    pub repository: String,
    pub found: u64,
    pub embedded: u64,
    pub skipped: u64,
    pub failed: u64,
    /// `success`, or `error` when a document failed.
    pub status: SyncState,
    /// The `error_message` written with `error`.
    pub error_message: Option<String>,
}

/// What [`embed_pending`] did. Never contains the API key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmbedReport {
    /// The model recorded with the new vectors.
    pub model: String,
    /// Documents that needed an embedding (within the limit).
    pub found: u64,
    /// Vectors stored.
    pub embedded: u64,
    /// Documents left for a later run, with the reason.
    pub skipped: Vec<DocumentIssue>,
    /// Documents that failed, with the reason.
    pub failed: Vec<DocumentIssue>,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests repeated after a 429, a 5xx or no answer.
    pub retries: u64,
    /// Tokens the endpoint reported (`usage.total_tokens`).
    pub tokens: u64,
    /// Per (source, repository) touched, sorted.
    pub repositories: Vec<RepositoryOutcome>,
    /// Wall-clock time of the pass.
    pub seconds: f64,
}

impl EmbedReport {
    /// No document failed.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// What became of one document.
enum Outcome {
    Embedded,
    Skipped(String),
    Failed(String),
}

#[derive(Default)]
struct BatchOutcome {
    documents: Vec<(PendingEmbedding, Outcome)>,
    requests: u64,
    retries: u64,
    tokens: u64,
}

/// Embeds every document that needs it (no embedding, content changed since embedding, or
/// embedded by another model than the client's), within `options`.
///
/// The backlog is read in pages of up to 1,000 documents ([`documents_needing_embedding`]);
/// each page is cut into batches of `batch_size` texts (the first 8,000 characters of the
/// content) sent with at most `concurrency` requests in flight. A request is retried on
/// 429, 5xx or no answer (exponential backoff with jitter, `Retry-After` honoured). When the
/// endpoint refuses a batch's input (400, 413, 422) the batch is split in halves until the
/// refused documents are alone; any other final failure fails the batch's documents. A
/// failure is recorded per document and the pass goes on. Vectors are checked (1536 finite
/// numbers, not all zero) and stored with the model name and, as a guard, the content hash
/// they were made from: a document whose content changed meanwhile is skipped (the next
/// pass embeds the new content). Documents with empty content are skipped (there is
/// nothing to embed). Documents that failed or were skipped are not tried again in the
/// same pass.
///
/// At the end every (source, repository) with due documents gets its sync status:
/// `success`, or `error` with a message naming the failures.
///
/// `progress` is called after each batch. Errors: invalid filters, or the database
/// failing (then nothing more is attempted; vectors stored so far stay).
pub async fn embed_pending<C, P>(
    db: &C,
    client: &EmbeddingClient,
    options: &EmbedOptions,
    mut progress: P,
) -> Result<EmbedReport>
where
    C: ConnectionTrait,
    P: FnMut(&EmbedProgress),
{
    let started = Instant::now();
    let config = client.config();
    let mut report = EmbedReport {
        model: client.model().to_owned(),
        found: 0,
        embedded: 0,
        skipped: Vec::new(),
        failed: Vec::new(),
        requests: 0,
        retries: 0,
        tokens: 0,
        repositories: Vec::new(),
        seconds: 0.0,
    };
    let mut counts = EmbedProgress::default();
    let mut repos: BTreeMap<(String, String), RepositoryOutcome> = BTreeMap::new();
    // Tried in this pass and still due (failed or skipped): not fetched again.
    let mut tried: Vec<Uuid> = Vec::new();
    let mut remaining = options.limit.unwrap_or(u64::MAX);

    while remaining > 0 {
        let page_size = remaining.min(BACKLOG_LIMIT_MAX);
        let page = documents_needing_embedding(
            db,
            EmbeddingBacklog {
                model: Some(client.model().to_owned()),
                source: options.source.clone(),
                repository: options.repository.clone(),
                limit: Some(page_size),
                exclude: tried.clone(),
            },
        )
        .await?;
        let fetched = page.len() as u64;
        if fetched == 0 {
            break;
        }
        remaining = remaining.saturating_sub(fetched);
        report.found += fetched;
        counts.found += fetched;
        for doc in &page {
            repo_entry(&mut repos, doc).found += 1;
        }
        progress(&counts);

        let (empty, work): (Vec<_>, Vec<_>) =
            page.into_iter().partition(|d| d.content.trim().is_empty());
        let mut finished = BatchOutcome {
            documents: empty
                .into_iter()
                .map(|d| {
                    (
                        d,
                        Outcome::Skipped("empty content: nothing to embed".into()),
                    )
                })
                .collect(),
            ..Default::default()
        };
        record(
            &mut report,
            &mut counts,
            &mut repos,
            &mut tried,
            &mut finished,
        );
        if !finished.documents.is_empty() || counts.skipped > 0 {
            progress(&counts);
        }

        let mut batches: Vec<Vec<PendingEmbedding>> = Vec::new();
        let mut work = work.into_iter().peekable();
        while work.peek().is_some() {
            batches.push(work.by_ref().take(config.batch_size).collect());
        }
        let mut results = futures::stream::iter(batches)
            .map(|batch| process_batch(db, client, batch))
            .buffer_unordered(config.concurrency);
        while let Some(mut outcome) = results.next().await {
            record(
                &mut report,
                &mut counts,
                &mut repos,
                &mut tried,
                &mut outcome,
            );
            progress(&counts);
        }
        drop(results);

        if fetched < page_size {
            break;
        }
    }

    for ((source, repository), mut outcome) in repos {
        let error_message = (outcome.failed > 0).then(|| {
            let first = report
                .failed
                .iter()
                .find(|f| f.source == source && f.repository == repository)
                .map(|f| f.reason.as_str())
                .unwrap_or("");
            format!(
                "embedding: {} of {} documents failed (first: {first})",
                outcome.failed, outcome.found
            )
        });
        let status = if error_message.is_some() {
            SyncState::Error
        } else {
            SyncState::Success
        };
        update_sync_status(
            db,
            SyncUpdate {
                source: source.clone(),
                repository: repository.clone(),
                status,
                error_message: error_message.clone(),
            },
        )
        .await?;
        outcome.status = status;
        outcome.error_message = error_message;
        report.repositories.push(outcome);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn repo_entry<'a>(
    repos: &'a mut BTreeMap<(String, String), RepositoryOutcome>,
    doc: &PendingEmbedding,
) -> &'a mut RepositoryOutcome {
    repos
        .entry((doc.source.clone(), doc.repository.clone()))
        .or_insert_with(|| RepositoryOutcome {
            source: doc.source.clone(),
            repository: doc.repository.clone(),
            found: 0,
            embedded: 0,
            skipped: 0,
            failed: 0,
            status: SyncState::InProgress,
            error_message: None,
        })
}

/// Adds a batch's outcome to the report and the counters.
fn record(
    report: &mut EmbedReport,
    counts: &mut EmbedProgress,
    repos: &mut BTreeMap<(String, String), RepositoryOutcome>,
    tried: &mut Vec<Uuid>,
    outcome: &mut BatchOutcome,
) {
    report.requests += outcome.requests;
    report.retries += outcome.retries;
    report.tokens += outcome.tokens;
    for (doc, result) in outcome.documents.drain(..) {
        let repo = repo_entry(repos, &doc);
        let issue = |reason: String| DocumentIssue {
            document_id: doc.document_id,
            source: doc.source.clone(),
            repository: doc.repository.clone(),
            reason,
        };
        match result {
            Outcome::Embedded => {
                repo.embedded += 1;
                counts.embedded += 1;
                report.embedded += 1;
            }
            Outcome::Skipped(reason) => {
                repo.skipped += 1;
                counts.skipped += 1;
                report.skipped.push(issue(reason));
                tried.push(doc.document_id);
            }
            Outcome::Failed(reason) => {
                repo.failed += 1;
                counts.failed += 1;
                report.failed.push(issue(reason));
                tried.push(doc.document_id);
            }
        }
    }
}

/// The embedding input: the first 8,000 characters (the backlog already cuts there).
fn input_text(content: &str) -> String {
    let max = usize::try_from(EMBEDDING_INPUT_CHARS).unwrap_or(usize::MAX);
    match content.char_indices().nth(max) {
        Some((end, _)) => content[..end].to_owned(),
        None => content.to_owned(),
    }
}

/// Embeds and stores one batch, splitting it when the endpoint refuses its input.
async fn process_batch<C: ConnectionTrait>(
    db: &C,
    client: &EmbeddingClient,
    batch: Vec<PendingEmbedding>,
) -> BatchOutcome {
    let mut out = BatchOutcome::default();
    let mut stack = vec![batch];
    while let Some(mut chunk) = stack.pop() {
        let texts: Vec<String> = chunk.iter().map(|d| input_text(&d.content)).collect();
        let attempts = client.embed_with_retries(&texts).await;
        out.requests += attempts.requests;
        out.retries += attempts.retries;
        match attempts.result {
            Ok(embedded) => {
                out.tokens += embedded.tokens;
                for (doc, vector) in chunk.into_iter().zip(embedded.vectors) {
                    let result = store(db, client, &doc, vector).await;
                    out.documents.push((doc, result));
                }
            }
            Err(e) if e.is_input_refusal() && chunk.len() > 1 => {
                let second = chunk.split_off(chunk.len() / 2);
                stack.push(second);
                stack.push(chunk);
            }
            Err(e) => {
                tracing::warn!(error = %e, documents = chunk.len(), "embedding batch failed");
                let reason = e.to_string();
                out.documents.extend(
                    chunk
                        .into_iter()
                        .map(|d| (d, Outcome::Failed(reason.clone()))),
                );
            }
        }
    }
    out
}

/// Checks and stores one vector, guarded by the hash of the content it was made from.
async fn store<C: ConnectionTrait>(
    db: &C,
    client: &EmbeddingClient,
    doc: &PendingEmbedding,
    vector: Vec<f64>,
) -> Outcome {
    if vector.len() != DIMENSIONS {
        return Outcome::Failed(format!(
            "the endpoint returned {} numbers, expected {DIMENSIONS}",
            vector.len()
        ));
    }
    if let Err(Error::Validation { fields }) = EmbeddingVector::parse("embedding", &vector) {
        let why = fields
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default();
        return Outcome::Failed(format!("invalid vector from the endpoint: {why}"));
    }
    let stored = set_embedding(
        db,
        NewEmbedding {
            document_id: doc.document_id,
            embedding: vector,
            model: client.model().to_owned(),
            expected_content_hash: Some(doc.content_hash.clone()),
        },
    )
    .await;
    match stored {
        Ok(_) => Outcome::Embedded,
        Err(Error::Conflict { .. }) => Outcome::Skipped(
            "content changed while it was being embedded (the next run embeds it)".into(),
        ),
        Err(Error::NotFound { .. }) => {
            Outcome::Skipped("document deleted while it was being embedded".into())
        }
        Err(e) => Outcome::Failed(format!("storing the vector failed: {e} ({})", e.code())),
    }
}
