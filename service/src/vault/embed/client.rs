//! The HTTP client of an OpenAI-compatible embeddings endpoint, with retries.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::config::EmbedConfig;
use crate::error::{Error, Result};
use crate::validate::Problems;
use crate::vault::DIMENSIONS;
use crate::vault::MODEL_MAX_CHARS;

/// Largest batch: OpenAI accepts at most 2048 inputs per request.
const BATCH_SIZE_MAX: usize = 2048;
/// Longest server message kept in an error.
const MESSAGE_MAX_CHARS: usize = 300;

/// Why a request for one batch failed. Messages never contain the API key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// The endpoint answered with an error status (after the retries, for 429 and 5xx).
    #[error("HTTP {status}: {message}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's error message (shortened).
        message: String,
    },
    /// No answer: connection refused, timeout, broken body.
    #[error("request failed: {0}")]
    Transport(String),
    /// A success status with a body that is not a matching embeddings response.
    #[error("unexpected response: {0}")]
    Response(String),
}

impl EmbedError {
    /// Worth another attempt: rate limited (429), a server error (5xx), or no answer.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || (500..=599).contains(status),
            Self::Transport(_) => true,
            Self::Response(_) => false,
        }
    }

    /// A refusal of the input itself (400, 413, 422): a smaller batch may get through, so
    /// the pipeline splits the batch to find the documents the endpoint refuses.
    pub(crate) fn is_input_refusal(&self) -> bool {
        matches!(
            self,
            Self::Status {
                status: 400 | 413 | 422,
                ..
            }
        )
    }
}

/// The vectors of one batch, in input order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Embedded {
    pub vectors: Vec<Vec<f64>>,
    /// `usage.total_tokens` of the response (0 when absent).
    pub tokens: u64,
}

/// One batch's outcome and what it took.
#[derive(Debug)]
pub(crate) struct Attempts {
    pub result: std::result::Result<Embedded, EmbedError>,
    /// HTTP requests sent (first attempt and retries).
    pub requests: u64,
    /// Retries (requests after the first).
    pub retries: u64,
}

/// A client of `POST {base_url}/embeddings`. `Debug` never shows the API key.
#[derive(Clone)]
pub struct EmbeddingClient {
    http: reqwest::Client,
    config: EmbedConfig,
}

impl fmt::Debug for EmbeddingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddingClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    input: &'a [String],
    dimensions: usize,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f64>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: u64,
}

impl EmbeddingClient {
    /// Checks `config` (every bad field in one [`Error::Validation`]) and builds the client.
    pub fn new(config: EmbedConfig) -> Result<Self> {
        let mut p = Problems::default();
        match reqwest::Url::parse(&config.base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => p.add("base_url", "must be an http:// or https:// URL"),
        }
        let model = config.model.trim();
        if model.is_empty() || model.chars().count() > MODEL_MAX_CHARS || model.contains('\0') {
            p.add(
                "model",
                format!("must be 1 to {MODEL_MAX_CHARS} characters without NUL"),
            );
        }
        if config.dimensions != DIMENSIONS {
            p.add(
                "dimensions",
                format!("must be {DIMENSIONS} (the stored vectors' size)"),
            );
        }
        if !(1..=BATCH_SIZE_MAX).contains(&config.batch_size) {
            p.add(
                "batch_size",
                format!("must be between 1 and {BATCH_SIZE_MAX}"),
            );
        }
        if config.concurrency == 0 {
            p.add("concurrency", "must be at least 1");
        }
        if config.timeout.is_zero() {
            p.add("timeout", "must be positive");
        }
        if config.api_key.chars().any(char::is_control) {
            p.add("api_key", "must not contain control characters");
        }
        p.finish()?;
        let mut config = config;
        config.model = config.model.trim().to_owned();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::internal(&e.without_url()))?;
        Ok(Self { http, config })
    }

    /// The configuration (its `Debug` hides the key).
    pub fn config(&self) -> &EmbedConfig {
        &self.config
    }

    /// The model name recorded with the vectors.
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// Embeds `texts` in one request (with retries), returning one vector per text in
    /// order. Vectors are returned as the endpoint sent them (lengths are not checked here).
    pub async fn embed(&self, texts: &[String]) -> std::result::Result<Vec<Vec<f64>>, EmbedError> {
        self.embed_with_retries(texts)
            .await
            .result
            .map(|e| e.vectors)
    }

    /// One batch, retried on 429/5xx/no answer up to `max_retries` times.
    pub(crate) async fn embed_with_retries(&self, texts: &[String]) -> Attempts {
        let mut requests = 0;
        let mut retry = 0u32;
        loop {
            requests += 1;
            let (result, retry_after) = self.request(texts).await;
            match result {
                Err(e) if e.is_retryable() && retry < self.config.max_retries => {
                    let wait = self.backoff(retry, retry_after);
                    tracing::warn!(error = %e, retry = retry + 1, wait_ms = wait.as_millis() as u64,
                        "embedding request failed; retrying");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                result => {
                    return Attempts {
                        result,
                        requests,
                        retries: u64::from(retry),
                    };
                }
            }
        }
    }

    /// The wait before retry number `retry + 1`: the server's `Retry-After` when it sent
    /// one, else `backoff_base · 2^retry` with jitter (50–100 %), both at most `backoff_max`.
    fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let max = self.config.backoff_max;
        if let Some(wait) = retry_after {
            return wait.min(max);
        }
        let exp = self
            .config
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry.min(30)))
            .min(max);
        exp.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
    }

    /// One HTTP request; also returns the `Retry-After` the server asked for.
    async fn request(
        &self,
        texts: &[String],
    ) -> (std::result::Result<Embedded, EmbedError>, Option<Duration>) {
        let body = Request {
            model: &self.config.model,
            input: texts,
            dimensions: self.config.dimensions,
        };
        let mut req = self.http.post(self.config.endpoint()).json(&body);
        if !self.config.api_key.is_empty() {
            req = req.bearer_auth(&self.config.api_key);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return (Err(EmbedError::Transport(self.describe(&e))), None),
        };
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return (Err(EmbedError::Transport(self.describe(&e))), retry_after),
        };
        if !status.is_success() {
            let message = self.redact_short(&error_message(&bytes));
            return (
                Err(EmbedError::Status {
                    status: status.as_u16(),
                    message,
                }),
                retry_after,
            );
        }
        (self.parse(&bytes, texts.len()), retry_after)
    }

    fn parse(&self, bytes: &[u8], n: usize) -> std::result::Result<Embedded, EmbedError> {
        let resp: Response = serde_json::from_slice(bytes)
            .map_err(|e| EmbedError::Response(self.redact_short(&format!("{e}"))))?;
        let mut vectors: Vec<Option<Vec<f64>>> = vec![None; n];
        for item in resp.data {
            let slot = vectors.get_mut(item.index).ok_or_else(|| {
                EmbedError::Response(format!("index {} out of range", item.index))
            })?;
            if slot.replace(item.embedding).is_some() {
                return Err(EmbedError::Response(format!(
                    "index {} appears twice",
                    item.index
                )));
            }
        }
        let vectors = vectors
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| EmbedError::Response(format!("no vector for input {i}"))))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Embedded {
            vectors,
            tokens: resp.usage.map_or(0, |u| u.total_tokens),
        })
    }

    /// A transport error with its causes, without the URL (which could carry credentials)
    /// and without the key.
    fn describe(&self, e: &reqwest::Error) -> String {
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "cannot connect"
        } else {
            "error"
        };
        let mut text = kind.to_owned();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        self.redact_short(&text)
    }

    fn redact_short(&self, text: &str) -> String {
        let text = self.config.redact(text);
        if text.chars().count() > MESSAGE_MAX_CHARS {
            let mut short: String = text.chars().take(MESSAGE_MAX_CHARS).collect();
            short.push('…');
            short
        } else {
            text
        }
    }
}

/// `retry-after-ms` (milliseconds) or `retry-after` (seconds; an HTTP date is ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64((ms / 1000.0).min(86_400.0)))
        .or_else(|| number("retry-after").map(|s| Duration::from_secs_f64(s.min(86_400.0))))
}

/// The message of an OpenAI error body (`{"error": {"message": …}}`), else the body text.
fn error_message(bytes: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        message: String,
    }
    match serde_json::from_slice::<Body>(bytes) {
        Ok(b) => b.error.message,
        Err(_) => {
            let text = String::from_utf8_lossy(bytes).trim().to_owned();
            if text.is_empty() {
                "(no message)".to_owned()
            } else {
                text
            }
        }
    }
}
