//! Configuration of the embedding client.

use std::fmt;
use std::time::Duration;

use crate::vault::DIMENSIONS;

/// The default embedding model (TekupVault's).
pub const MODEL_DEFAULT: &str = "text-embedding-3-small";
/// Default number of documents per request.
pub const BATCH_SIZE_DEFAULT: usize = 64;
/// Default number of requests in flight at once.
pub const CONCURRENCY_DEFAULT: usize = 4;
/// Default number of retries of one request (after the first attempt).
pub const MAX_RETRIES_DEFAULT: u32 = 5;
/// Default timeout of one HTTP request.
pub const TIMEOUT_DEFAULT: Duration = Duration::from_secs(60);

/// Where and how to embed. `Debug` never shows the API key.
#[derive(Clone)]
pub struct EmbedConfig {
    /// The API root, e.g. `https://api.openai.com/v1`; requests go to `{base_url}/embeddings`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <api_key>`; empty = no header (a local server).
    pub api_key: String,
    /// The embedding model, recorded with every stored vector.
    pub model: String,
    /// Requested vector length; must be 1536 (`vault.embeddings.embedding` is `vector(1536)`).
    pub dimensions: usize,
    /// Documents per request (1..=2048, OpenAI's input array limit).
    pub batch_size: usize,
    /// Requests in flight at once (≥ 1).
    pub concurrency: usize,
    /// Retries of a request that got 429, a 5xx or no response.
    pub max_retries: u32,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
    /// First backoff delay; doubles with each retry (with jitter).
    pub backoff_base: Duration,
    /// Longest wait between attempts, also for a `Retry-After` the server sends.
    pub backoff_max: Duration,
}

impl EmbedConfig {
    /// A configuration with the defaults: model `text-embedding-3-small`, 1536 dimensions,
    /// batches of 64, 4 requests in flight, 5 retries, 60 s timeout, backoff 0.5 s … 60 s.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            model: MODEL_DEFAULT.to_owned(),
            dimensions: DIMENSIONS,
            batch_size: BATCH_SIZE_DEFAULT,
            concurrency: CONCURRENCY_DEFAULT,
            max_retries: MAX_RETRIES_DEFAULT,
            timeout: TIMEOUT_DEFAULT,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
        }
    }

    /// `{base_url}/embeddings` (one slash between).
    pub fn endpoint(&self) -> String {
        format!("{}/embeddings", self.base_url.trim_end_matches('/'))
    }

    /// The base URL without user or password, for reports and logs.
    pub fn display_base_url(&self) -> String {
        match reqwest::Url::parse(&self.base_url) {
            Ok(mut url) => {
                if !url.username().is_empty() || url.password().is_some() {
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                }
                url.to_string().trim_end_matches('/').to_owned()
            }
            Err(_) => "(invalid URL)".to_owned(),
        }
    }

    /// `text` with every occurrence of the API key replaced (for server messages that echo
    /// it back).
    pub(crate) fn redact(&self, text: &str) -> String {
        if self.api_key.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.api_key, "[redacted]")
        }
    }
}

impl fmt::Debug for EmbedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbedConfig")
            .field("base_url", &self.display_base_url())
            .field(
                "api_key",
                &if self.api_key.is_empty() {
                    "(none)"
                } else {
                    "[redacted]"
                },
            )
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .field("batch_size", &self.batch_size)
            .field("concurrency", &self.concurrency)
            .field("max_retries", &self.max_retries)
            .field("timeout", &self.timeout)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .finish()
    }
}
