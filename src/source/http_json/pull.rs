//! Pulling pages from a paged JSON API.

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::HttpJsonConfig;
use crate::source::{Page, Pages, PositionOf, Resume};

/// Why a page could not be pulled. Every variant names the source and page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    #[error("source {source_name}: cannot build the HTTP client: {error}")]
    Client {
        source_name: String,
        error: reqwest::Error,
    },
    #[error("source {source_name}: page {page}: request to {url} failed: {error}")]
    Request {
        source_name: String,
        page: u64,
        url: String,
        error: reqwest::Error,
    },
    #[error("source {source_name}: page {page}: HTTP {status} from {url}: {body}")]
    Status {
        source_name: String,
        page: u64,
        url: String,
        status: u16,
        body: String,
    },
    #[error("source {source_name}: page {page}: response is not JSON: {error}")]
    NotJson {
        source_name: String,
        page: u64,
        error: serde_json::Error,
    },
    #[error("source {source_name}: page {page}: the API answered status {code} (success is {ok}): {message}")]
    Envelope {
        source_name: String,
        page: u64,
        code: String,
        ok: i64,
        message: String,
    },
    #[error("source {source_name}: page {page}: no array of records at `{path}` in the response")]
    NoRecords {
        source_name: String,
        page: u64,
        path: String,
    },
}

/// A configured `http_json` source, ready to pull.
#[derive(Debug, Clone)]
pub struct HttpJsonSource {
    name: String,
    config: HttpJsonConfig,
    client: reqwest::Client,
}

impl HttpJsonSource {
    /// # Errors
    /// When the HTTP client cannot be built (TLS back end unavailable).
    pub fn new(name: &str, config: HttpJsonConfig) -> Result<HttpJsonSource, PullError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .gzip(true)
            .user_agent(concat!("ruralsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| PullError::Client {
                source_name: name.to_owned(),
                error,
            })?;
        Ok(HttpJsonSource {
            name: name.to_owned(),
            config,
            client,
        })
    }

    pub fn config(&self) -> &HttpJsonConfig {
        &self.config
    }

    /// Pull one page of the records updated at or after `since` (in the API's format).
    ///
    /// # Errors
    /// [`PullError`] for transport, HTTP, JSON or envelope failures.
    pub async fn pull_page(&self, since: Option<&str>, number: u64) -> Result<Page, PullError> {
        let c = &self.config;
        let mut url = c.url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair(&c.page_param, &number.to_string());
            q.append_pair(&c.size_param, &c.page_size.to_string());
            if let Some(since) = since {
                q.append_pair(&c.since_param, since);
            }
        }
        let request_error = |error| PullError::Request {
            source_name: self.name.clone(),
            page: number,
            url: url.to_string(),
            error,
        };
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(request_error)?;
        let status = response.status();
        let body = response.bytes().await.map_err(request_error)?;
        if !status.is_success() {
            return Err(PullError::Status {
                source_name: self.name.clone(),
                page: number,
                url: url.to_string(),
                status: status.as_u16(),
                body: excerpt(&body),
            });
        }
        let mut json: Value =
            serde_json::from_slice(&body).map_err(|error| PullError::NotJson {
                source_name: self.name.clone(),
                page: number,
                error,
            })?;
        if let Some(path) = &c.status_path {
            let code = at_path(&json, path);
            let ok = code.and_then(Value::as_i64) == Some(c.status_ok)
                || code.and_then(Value::as_str).and_then(|s| s.parse().ok()) == Some(c.status_ok);
            if !ok {
                return Err(PullError::Envelope {
                    source_name: self.name.clone(),
                    page: number,
                    code: code.map_or_else(|| "(missing)".to_owned(), Value::to_string),
                    ok: c.status_ok,
                    message: at_path(&json, &c.message_path).map_or_else(
                        || "(no message)".to_owned(),
                        |m| m.as_str().map_or_else(|| m.to_string(), str::to_owned),
                    ),
                });
            }
        }
        let records = take_at_path(&mut json, &c.records_path)
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                Value::Null => Some(Vec::new()),
                _ => None,
            })
            .ok_or_else(|| PullError::NoRecords {
                source_name: self.name.clone(),
                page: number,
                path: c.records_path.join("."),
            })?;
        let last = records.len() < c.page_size as usize;
        Ok(Page {
            number,
            records,
            last,
            ..Page::default()
        })
    }

    /// Pull pages 1, 2, … in a task, sending each into `pages` as soon as it arrives, so
    /// the next page is fetched while the previous one is published. Stops after the last
    /// page, the first error (sent too), when the receiver is dropped, or on `stop`.
    ///
    /// Incremental pulls ask for records updated since the committed position less the
    /// lag window.
    pub fn spawn_pages(
        &self,
        resume: Resume,
        _position_of: PositionOf,
        stop: CancellationToken,
    ) -> Pages {
        let c = &self.config;
        let since = resume.position.filter(|_| c.incremental).map(|p| {
            let from = p.updated_at - chrono::Duration::from_std(c.lag).unwrap_or_default();
            from.with_timezone(&c.timezone).format(&c.since_format).to_string()
        });
        let (tx, rx) = mpsc::channel(self.config.prefetch_pages);
        let source = self.clone();
        let task = tokio::spawn(async move {
            let mut number = 1;
            loop {
                let page = tokio::select! {
                    () = stop.cancelled() => return,
                    page = source.pull_page(since.as_deref(), number) => page,
                };
                let done = !matches!(&page, Ok(p) if !p.last);
                if tx.send(page.map_err(Into::into)).await.is_err() || done {
                    return;
                }
                number += 1;
            }
        });
        (rx, task)
    }
}

fn at_path<'a>(json: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(json, |v, key| v.get(key))
}

fn take_at_path(json: &mut Value, path: &[String]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let parent = parents.iter().try_fold(json, |v, key| v.get_mut(key))?;
    parent.as_object_mut()?.remove(last)
}

/// The start of a body, for error messages: enough to recognise it, never a flood.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        s.push('…');
    }
    s
}
