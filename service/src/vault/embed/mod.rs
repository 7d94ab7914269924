//! The embedding pipeline: embeds the documents that need it (no embedding, content changed,
//! or made by another model) through an OpenAI-compatible `POST {base_url}/embeddings`
//! endpoint, and stores each vector with the model name and the hash of the content it was
//! made from.
//!
//! - [`EmbedConfig`]: endpoint, model, key (never printed), batch size, concurrency,
//!   retries, timeout. The caller reads it from its configuration (the `tekup embed`
//!   command: `TEKUP_EMBED_*` environment variables and flags).
//! - [`EmbeddingClient`]: one batch request with retries (429 and 5xx, exponential backoff
//!   with jitter, `Retry-After` honoured).
//! - [`embed_pending`]: the whole pass — backlog in pages, batches with bounded
//!   concurrency, per-document failures recorded (never fatal for the run), the content
//!   hash guard, and the sync status of every repository it touched.

mod client;
mod config;
mod run;

pub use client::{EmbedError, EmbeddingClient};
pub use config::{
    BATCH_SIZE_DEFAULT, CONCURRENCY_DEFAULT, EmbedConfig, MAX_RETRIES_DEFAULT, MODEL_DEFAULT,
    TIMEOUT_DEFAULT,
};
pub use run::{
    DocumentIssue, EmbedOptions, EmbedProgress, EmbedReport, RepositoryOutcome, embed_pending,
};
