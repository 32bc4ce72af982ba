//! Pulling pages from a paged JSON API: one request per page with credentials, retries
//! and pacing; [`super::paging`] decides what to ask for next, [`super::origin`] where
//! requests may go and with what, [`super::body`] how much of an answer is read.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, LINK, LOCATION, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{refresh_margin, AuthConfig, CachedToken, Credentials, KeyPlacement, Secret};
use super::body::{self, quote, BodyError};
use super::client::{self, ClientError};
use super::origin::{self, Reach, MAX_REDIRECTS};
use super::paging::{At, LoopError, Parsed, Plan, Request};
use super::throttle::{parse_retry_after, Counters, PullStats, RateLimiter};
use super::HttpJsonConfig;
use crate::backoff::Backoff;
use crate::source::{Page, Pages, PositionOf, Resume, SourceError};

/// Largest answer of the OAuth2 token endpoint read: a token answer is a few hundred
/// bytes.
const TOKEN_BODY_MAX: u64 = 1 << 20;

/// Why a page could not be pulled. Every variant names the source and page (the page's
/// number in this pull and what was asked for). None carries a secret or a URL with one;
/// upstream text is quoted escaped and shortened ([`body::quote`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    #[error("source {source_name}: {error}")]
    Client {
        source_name: String,
        error: ClientError,
    },
    #[error("source {source_name}: cannot read a credential: {why}")]
    Secret { source_name: String, why: String },
    #[error("source {source_name}: page {page} ({request}): gave up after {attempts} attempts; last failure: {cause}")]
    Retries {
        source_name: String,
        page: u64,
        request: String,
        attempts: u32,
        cause: String,
    },
    #[error("source {source_name}: page {page} ({request}): HTTP {status}: {body}{hint}")]
    Status {
        source_name: String,
        page: u64,
        request: String,
        status: u16,
        body: String,
        hint: &'static str,
    },
    #[error("source {source_name}: page {page}: the API answered status {code} (success is {ok}): {message}")]
    Envelope {
        source_name: String,
        page: u64,
        code: String,
        ok: i64,
        message: String,
    },
    #[error("source {source_name}: page {page}: the platform refused the request signature: code {code} {message}; check the app secret ({secret}), app_key and digest = \"{digest}\" (code 40002 also means this machine's clock is off); not retried")]
    Signature {
        source_name: String,
        page: u64,
        code: String,
        message: String,
        secret: String,
        digest: &'static str,
    },
    #[error("source {source_name}: page {page}: the OAuth2 token endpoint {endpoint} answered HTTP {status}: {body}; check client_id and the client secret ({secret})")]
    Token {
        source_name: String,
        page: u64,
        endpoint: String,
        status: u16,
        body: String,
        secret: String,
    },
    #[error("source {source_name}: page {page}: no array of records at `{path}` in the response (records_path; \"\" when the body itself is the array)")]
    NoRecords {
        source_name: String,
        page: u64,
        path: String,
    },
    #[error("source {source_name}: page {page} ({request}): {error}")]
    Loop {
        source_name: String,
        page: u64,
        request: String,
        error: LoopError,
    },
    #[error("source {source_name}: page {page} ({request}): {via} leads to {to}, another origin than {from}; not followed, so no credential reaches it. If the platform really serves pages there, add \"{to}\" to sources.{source_name}.http.allowed_origins (requests there carry no credentials) or to credential_origins (they carry this source's credentials)")]
    ForeignOrigin {
        source_name: String,
        page: u64,
        request: String,
        via: Via,
        from: String,
        to: String,
    },
    #[error("source {source_name}: page {page}: the OAuth2 token endpoint {from} redirects to {to}, another origin; not followed, so the client secret does not reach it. Set sources.{source_name}.http.auth.token_url to the endpoint itself")]
    TokenRedirect {
        source_name: String,
        page: u64,
        from: String,
        to: String,
    },
    #[error("source {source_name}: page {page} ({request}): more than {MAX_REDIRECTS} redirects; the platform is redirecting in a loop")]
    Redirects {
        source_name: String,
        page: u64,
        request: String,
    },
    #[error("source {source_name}: page {page} ({request}): {what} is larger than max_body_bytes = {limit} bytes (counted after decompression); reading stopped there. Not retried: lower page_size, or raise sources.{source_name}.http.max_body_bytes if the platform's pages really are this large")]
    BodyTooLarge {
        source_name: String,
        page: u64,
        request: String,
        /// `the response body` or `the OAuth2 token endpoint's answer`.
        what: &'static str,
        limit: u64,
    },
    #[error("source {source_name}: page {page} ({request}): the server's TLS certificate is not trusted: {cause}. If the platform's certificate is issued by a private CA, give that CA's PEM file in sources.{source_name}.http.ca_file; not retried")]
    Certificate {
        source_name: String,
        page: u64,
        request: String,
        cause: String,
    },
}

/// How a request came to point at another origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    NextLink,
    Redirect,
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Via::NextLink => "the next link",
            Via::Redirect => "a redirect",
        })
    }
}

/// A failed attempt, before the retry policy has ruled on it.
#[derive(Debug)]
enum Failure {
    /// Worth another attempt: 5xx, timeout, connection error, unreadable body. A 429
    /// carries its `Retry-After`.
    Retriable {
        cause: String,
        retry_after: Option<Duration>,
    },
    /// HTTP 401: cured by a new OAuth2 token, once; fatal otherwise.
    Unauthorized(PullError),
    Fatal(PullError),
}

/// A configured `http_json` source, ready to pull.
#[derive(Debug, Clone)]
pub struct HttpJsonSource {
    name: String,
    /// Shared with the page task; boxed so a `Source` stays small.
    config: Arc<HttpJsonConfig>,
    /// Data requests; follows redirects within an origin ([`origin::data_policy`]).
    client: reqwest::Client,
    /// The OAuth2 token request; follows redirects within its origin only.
    token_client: reqwest::Client,
    credentials: Arc<Credentials>,
    limiter: Option<Arc<RateLimiter>>,
    counters: Arc<Counters>,
}

impl HttpJsonSource {
    /// Build the clients and read the credentials the config names. Logs the config's
    /// warnings (credentials over plain HTTP, where allowed).
    ///
    /// # Errors
    /// When an HTTP client cannot be built (TLS back end unavailable, `ca_file`
    /// unreadable or without a certificate), or a secret cannot be read (unset variable,
    /// unreadable or empty file).
    pub fn new(name: &str, config: HttpJsonConfig) -> Result<HttpJsonSource, PullError> {
        let (client, token_client) =
            client::build(name, &config).map_err(|error| PullError::Client {
                source_name: name.to_owned(),
                error,
            })?;
        let credentials =
            Credentials::load(config.auth.as_ref()).map_err(|why| PullError::Secret {
                source_name: name.to_owned(),
                why,
            })?;
        for warning in &config.warnings {
            tracing::warn!(source = %name, "insecure: {warning}");
        }
        Ok(HttpJsonSource {
            name: name.to_owned(),
            limiter: config
                .request_interval
                .map(|i| Arc::new(RateLimiter::new(i))),
            config: Arc::new(config),
            client,
            token_client,
            credentials: Arc::new(credentials),
            counters: Arc::default(),
        })
    }

    pub fn config(&self) -> &HttpJsonConfig {
        &self.config
    }

    /// Counters of the latest pull (or the one running): requests, retries, 429s
    /// honoured, time waited.
    pub fn pull_stats(&self) -> PullStats {
        self.counters.snapshot()
    }

    /// Pull pages in a task, sending each into the returned channel as soon as it
    /// arrives, so the next page is fetched while the previous one is published. Stops
    /// after the last page, the first error (sent too), when the receiver is dropped, or
    /// on `stop`.
    ///
    /// Where it starts: a full pull, or a cursor or Link pull, at `resume.state` (the page
    /// it stopped on) if there is one; an incremental pull at the records updated since
    /// `resume.position` less the lag window. See [`super::paging`].
    pub fn spawn_pages(
        &self,
        resume: Resume,
        position_of: PositionOf,
        stop: CancellationToken,
    ) -> Pages {
        self.counters.reset();
        let (mut plan, note) = Plan::new(&self.config, &resume);
        if let Some(note) = note {
            tracing::warn!(source = %self.name, "{note}");
        }
        let (tx, rx) = mpsc::channel::<Result<Page, SourceError>>(self.config.pull.prefetch_pages);
        let source = self.clone();
        let task = tokio::spawn(async move {
            let mut number = 0;
            loop {
                let request = match plan.next_request() {
                    Ok(Some(r)) => r,
                    Ok(None) => break,
                    Err(error) => {
                        let _ = tx
                            .send(Err(source.loop_error(number + 1, None, error).into()))
                            .await;
                        break;
                    }
                };
                number += 1;
                let fetched = tokio::select! {
                    () = stop.cancelled() => break,
                    fetched = source.fetch(number, &request) => fetched,
                };
                let step = fetched.and_then(|parsed| {
                    plan.take(parsed, &position_of)
                        .map_err(|e| source.loop_error(number, Some(&request), e))
                });
                let step = match step {
                    Ok(step) => step,
                    Err(error) => {
                        let _ = tx.send(Err(error.into())).await;
                        break;
                    }
                };
                if step.dropped > 0 {
                    tracing::debug!(source = %source.name, page = number, dropped = step.dropped, "records already received in this pull left out");
                }
                // Re-anchoring pages with nothing new carry nothing to commit.
                if step.records.is_empty() && step.state.is_none() && !step.last {
                    continue;
                }
                let page = Page {
                    number,
                    records: step.records,
                    last: step.last,
                    state: step.state,
                    ..Page::default()
                };
                if tx.send(Ok(page)).await.is_err() || step.last {
                    break;
                }
            }
            let stats = source.counters.snapshot();
            tracing::debug!(source = %source.name, pages = number, %stats, "pull ended");
        });
        (rx, task)
    }

    fn loop_error(&self, page: u64, request: Option<&Request>, error: LoopError) -> PullError {
        PullError::Loop {
            source_name: self.name.clone(),
            page,
            request: request.map_or_else(|| "not sent".to_owned(), Request::describe),
            error,
        }
    }

    /// The URL of `request`, without credentials.
    fn url_of(&self, request: &Request) -> Url {
        let c = &self.config;
        if let At::Link(Some(next)) = &request.at {
            return next.clone();
        }
        let mut url = c.url.clone();
        {
            let mut q = url.query_pairs_mut();
            match &request.at {
                At::Page(n) => {
                    q.append_pair(&c.page_param, &n.to_string());
                }
                At::Offset(o) => {
                    q.append_pair(&c.offset_param, &o.to_string());
                }
                At::Cursor(Some(token)) => {
                    q.append_pair(&c.cursor_param, token);
                }
                At::Cursor(None) | At::Link(_) => {}
            }
            q.append_pair(&c.size_param, &c.pull.page_size.to_string());
            if let Some(since) = &request.since {
                q.append_pair(&c.since_param, since);
            }
        }
        url
    }

    /// Fetch one page, retrying what is worth retrying.
    async fn fetch(&self, number: u64, request: &Request) -> Result<Parsed, PullError> {
        let retry = &self.config.retry;
        let url = self.url_of(request);
        let mut backoff = Backoff::full_jitter(retry.initial, retry.max);
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(limiter) = &self.limiter {
                self.counters.rate_limited(limiter.acquire().await);
            }
            self.counters.request();
            let (wait, throttled, cause) = match self.attempt(number, request, &url).await {
                Ok(parsed) => return Ok(parsed),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Unauthorized(error)) => {
                    if refreshed || !self.credentials.refreshes() {
                        return Err(error);
                    }
                    refreshed = true;
                    self.forget_token().await;
                    let cause = "HTTP 401: the access token was refused; fetching a new one";
                    (Duration::ZERO, false, cause.to_owned())
                }
                Err(Failure::Retriable { cause, retry_after }) => {
                    if attempt >= retry.max_attempts {
                        return Err(PullError::Retries {
                            source_name: self.name.clone(),
                            page: number,
                            request: request.describe(),
                            attempts: attempt,
                            cause,
                        });
                    }
                    match retry_after {
                        Some(asked) => (asked.min(retry.retry_after_max), true, cause),
                        None => (backoff.next_delay(), false, cause),
                    }
                }
            };
            self.counters.retry(wait, throttled);
            tracing::warn!(
                source = %self.name,
                page = number,
                request = %request.describe(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                %cause,
                "request failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt at a page.
    async fn attempt(&self, number: u64, request: &Request, url: &Url) -> Result<Parsed, Failure> {
        let response = self.send(number, request, url).await?;
        let status = response.status();
        let headers = response.headers().clone();
        // Relative next links are relative to where the page came from.
        let answered_by = response.url().clone();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let header = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
            return Err(Failure::Retriable {
                cause: format!(
                    "HTTP 429 Too Many Requests (Retry-After: {})",
                    header.map_or_else(|| "none".to_owned(), quote)
                ),
                retry_after: header.and_then(|v| parse_retry_after(v, SystemTime::now())),
            });
        }
        if !status.is_success() {
            let excerpt = body::error_excerpt(response).await;
            return Err(self.refusal(number, request, status, excerpt));
        }
        let body = body::read_limited(response, self.config.max_body_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => Failure::Fatal(PullError::BodyTooLarge {
                    source_name: self.name.clone(),
                    page: number,
                    request: request.describe(),
                    what: "the response body",
                    limit,
                }),
                BodyError::Read(e) => Failure::Retriable {
                    cause: format!("HTTP {status}, reading the body failed: {}", describe(e)),
                    retry_after: None,
                },
            })?;
        let json: Value = serde_json::from_slice(&body).map_err(|e| Failure::Retriable {
            cause: format!(
                "HTTP {status} but the body is not valid JSON (truncated?): {e}; {} bytes",
                body.len()
            ),
            retry_after: None,
        })?;
        drop(body);
        self.parse(number, json, &headers, &answered_by)
    }

    /// What a non-success status means: 5xx is retried, 401 may be cured by a new token,
    /// other statuses fail the pull.
    fn refusal(&self, number: u64, request: &Request, status: StatusCode, body: String) -> Failure {
        if status.is_server_error() {
            return Failure::Retriable {
                cause: format!("HTTP {status}: {body}"),
                retry_after: None,
            };
        }
        let unauthorized = matches!(status.as_u16(), 401 | 403);
        let error = PullError::Status {
            source_name: self.name.clone(),
            page: number,
            request: request.describe(),
            status: status.as_u16(),
            body,
            hint: if unauthorized {
                " — check the credentials named under [sources.<name>.http.auth]"
            } else {
                ""
            },
        };
        if status == StatusCode::UNAUTHORIZED {
            Failure::Unauthorized(error)
        } else {
            Failure::Fatal(error)
        }
    }

    /// The records, next token, next link and has-more flag of a page's JSON.
    fn parse(
        &self,
        number: u64,
        mut json: Value,
        headers: &HeaderMap,
        answered_by: &Url,
    ) -> Result<Parsed, Failure> {
        let c = &self.config;
        self.check_envelope(number, &json).map_err(Failure::Fatal)?;
        let token = (!c.cursor_path.is_empty())
            .then(|| at_path(&json, &c.cursor_path))
            .flatten()
            .and_then(|t| match t {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|t| !t.is_empty());
        let has_more = c
            .has_more_path
            .as_ref()
            .and_then(|p| at_path(&json, p))
            .and_then(Value::as_bool);
        let records = take_at_path(&mut json, &c.records_path)
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                Value::Null => Some(Vec::new()),
                _ => None,
            })
            .ok_or_else(|| {
                Failure::Fatal(PullError::NoRecords {
                    source_name: self.name.clone(),
                    page: number,
                    path: c.records_path.join("."),
                })
            })?;
        // Cleaned at once: the link is kept as resume state and described in logs, and
        // the credentials are added again, once, when it is followed.
        let link = next_link(headers, answered_by).map(|l| origin::clean_url(&l, &c.secret_params));
        Ok(Parsed {
            records,
            token,
            link,
            has_more,
        })
    }

    /// Send a GET for `url`. Redirects within an origin are followed by reqwest; one to
    /// an allowed other origin comes back here and is followed with what that origin may
    /// receive; one anywhere else is refused before a byte reaches it.
    async fn send(&self, number: u64, request: &Request, url: &Url) -> Result<Response, Failure> {
        let mut target = url.clone();
        let mut from = origin::origin_of(&self.config.url);
        let mut via = Via::NextLink;
        for _ in 0..=MAX_REDIRECTS {
            let reach = self.config.origins.reach(&target);
            if reach == Reach::Refused {
                return Err(Failure::Fatal(PullError::ForeignOrigin {
                    source_name: self.name.clone(),
                    page: number,
                    request: request.describe(),
                    via,
                    from,
                    to: origin::origin_of(&target),
                }));
            }
            let sent = self.request(number, &target, reach).await?.send().await;
            self.counters
                .answered(sent.as_ref().ok().map(|r| r.status().as_u16()));
            let response = sent.map_err(|e| self.send_failure(number, request, e))?;
            let Some(next) = handed_back_redirect(&response) else {
                return Ok(response);
            };
            from = origin::origin_of(response.url());
            target = origin::clean_url(&next, &self.config.secret_params);
            via = Via::Redirect;
        }
        Err(Failure::Fatal(PullError::Redirects {
            source_name: self.name.clone(),
            page: number,
            request: request.describe(),
        }))
    }

    /// A GET for `url` with the credentials `reach` allows: all of them (API key,
    /// signature, userinfo, bearer or OAuth2 token) or none.
    async fn request(
        &self,
        number: u64,
        url: &Url,
        reach: Reach,
    ) -> Result<RequestBuilder, Failure> {
        if reach != Reach::Credentials {
            return Ok(self.client.get(url.clone()));
        }
        let mut url = url.clone();
        self.credentials.sign_url(&mut url);
        if let Some(userinfo) = &self.config.userinfo {
            // reqwest sends a URL's userinfo as HTTP Basic credentials.
            let _ = url.set_username(&userinfo.username);
            let _ = url.set_password(userinfo.password.as_ref().map(Secret::expose));
        }
        let http = self.client.get(url);
        Ok(match &*self.credentials {
            Credentials::Bearer(token) => http.bearer_auth(token.expose()),
            Credentials::ApiKey(key, KeyPlacement::Header(name)) => {
                http.header(name.as_str(), key.expose())
            }
            Credentials::OAuth2 { .. } => http.bearer_auth(self.token(number).await?.expose()),
            _ => http,
        })
    }

    /// A request that got no response: a refused redirect or an untrusted certificate
    /// fail the pull; anything else (timeouts, refused or reset connections) is retried.
    fn send_failure(&self, number: u64, request: &Request, error: reqwest::Error) -> Failure {
        if let Some(refused) = origin::refused_redirect(&error) {
            return Failure::Fatal(PullError::ForeignOrigin {
                source_name: self.name.clone(),
                page: number,
                request: request.describe(),
                via: Via::Redirect,
                from: refused.from,
                to: refused.to,
            });
        }
        if let Some(cause) = untrusted_certificate(&error) {
            return Failure::Fatal(PullError::Certificate {
                source_name: self.name.clone(),
                page: number,
                request: request.describe(),
                cause,
            });
        }
        transport(error)
    }

    /// [`HttpJsonSource::send_failure`] of the token request: a redirect to another
    /// origin is refused whatever the allowed origins are.
    fn token_send_failure(&self, number: u64, token_url: &Url, error: reqwest::Error) -> Failure {
        if let Some(refused) = origin::refused_redirect(&error) {
            return Failure::Fatal(PullError::TokenRedirect {
                source_name: self.name.clone(),
                page: number,
                from: refused.from,
                to: refused.to,
            });
        }
        if let Some(cause) = untrusted_certificate(&error) {
            return Failure::Fatal(PullError::Certificate {
                source_name: self.name.clone(),
                page: number,
                request: format!("OAuth2 token request to {}", endpoint(token_url)),
                cause,
            });
        }
        transport(error)
    }

    /// Check the envelope's status code, if the API has one (a bare array has none).
    fn check_envelope(&self, number: u64, json: &Value) -> Result<(), PullError> {
        let c = &self.config;
        let Some(path) = c.status_path.as_ref().filter(|_| json.is_object()) else {
            return Ok(());
        };
        let code = at_path(json, path);
        let numeric = code.and_then(Value::as_i64).or_else(|| {
            code.and_then(Value::as_str)
                .and_then(|s| s.trim().parse().ok())
        });
        if numeric == Some(c.status_ok) {
            return Ok(());
        }
        // Upstream text: escaped and shortened before it reaches a message.
        let code_text = code.map_or_else(
            || "(missing)".to_owned(),
            |v| quote(&v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        );
        let message = at_path(json, &c.message_path).map_or_else(
            || "(no message)".to_owned(),
            |m| quote(&m.as_str().map_or_else(|| m.to_string(), str::to_owned)),
        );
        if let Some(AuthConfig::Signed {
            app_secret,
            digest,
            error_codes,
            ..
        }) = &c.auth
        {
            if numeric.is_some_and(|n| error_codes.contains(&n)) {
                return Err(PullError::Signature {
                    source_name: self.name.clone(),
                    page: number,
                    code: code_text,
                    message,
                    secret: app_secret.to_string(),
                    digest: digest.name(),
                });
            }
        }
        Err(PullError::Envelope {
            source_name: self.name.clone(),
            page: number,
            code: code_text,
            ok: c.status_ok,
            message,
        })
    }

    /// The OAuth2 access token: the cached one until shortly before it expires, else a
    /// new one from the token endpoint.
    async fn token(&self, number: u64) -> Result<Secret, Failure> {
        let Credentials::OAuth2 {
            token_url,
            client_id,
            client_secret,
            scope,
            token,
        } = &*self.credentials
        else {
            unreachable!("token() is called for OAuth2 credentials only");
        };
        let mut cached = token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope.as_str()));
        }
        let (status, body) = self.post_token_request(number, token_url, &form).await?;
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::Retriable {
                cause: format!("token endpoint: HTTP {status}: {}", body::excerpt(&body)),
                retry_after: None,
            });
        }
        let secret_ref = match &self.config.auth {
            Some(AuthConfig::OAuth2 { client_secret, .. }) => client_secret.to_string(),
            _ => String::new(),
        };
        if !status.is_success() {
            return Err(Failure::Fatal(PullError::Token {
                source_name: self.name.clone(),
                page: number,
                endpoint: endpoint(token_url),
                status: status.as_u16(),
                body: body::excerpt(&body),
                secret: secret_ref,
            }));
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            access_token: String,
            expires_in: Option<u64>,
        }
        let answer: Answer = serde_json::from_slice(&body).map_err(|e| Failure::Retriable {
            cause: format!("token endpoint: HTTP {status} but no access_token in the body: {e}"),
            retry_after: None,
        })?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let fresh = CachedToken {
            value: Secret::new(answer.access_token),
            refresh_at: Instant::now() + lifetime - refresh_margin(lifetime),
        };
        tracing::debug!(source = %self.name, expires_in_secs = lifetime.as_secs(), "OAuth2 access token fetched");
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    /// POST the token request; its status and body (at most [`TOKEN_BODY_MAX`] bytes).
    async fn post_token_request(
        &self,
        number: u64,
        token_url: &Url,
        form: &[(&str, &str)],
    ) -> Result<(StatusCode, Vec<u8>), Failure> {
        let response = self
            .token_client
            .post(token_url.clone())
            .form(form)
            .send()
            .await
            .map_err(|e| self.token_send_failure(number, token_url, e))?;
        let status = response.status();
        let body = body::read_limited(response, TOKEN_BODY_MAX)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => Failure::Fatal(PullError::BodyTooLarge {
                    source_name: self.name.clone(),
                    page: number,
                    request: "OAuth2 token request".to_owned(),
                    what: "the OAuth2 token endpoint's answer",
                    limit,
                }),
                BodyError::Read(e) => Failure::Retriable {
                    cause: format!("token endpoint: reading the body failed: {}", describe(e)),
                    retry_after: None,
                },
            })?;
        Ok((status, body))
    }

    async fn forget_token(&self) {
        if let Credentials::OAuth2 { token, .. } = &*self.credentials {
            *token.lock().await = None;
        }
    }
}

/// Transport failures are worth retrying: timeouts, refused or reset connections.
fn transport(error: reqwest::Error) -> Failure {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let cause = describe(error);
    Failure::Retriable {
        cause: format!("{kind}: {cause}"),
        retry_after: None,
    }
}

/// Whether a transport error is a certificate the TLS client does not trust: rustls
/// says "invalid peer certificate: <why>", and trying again cannot cure it.
fn untrusted_certificate(error: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.contains("invalid peer certificate") {
            return Some(quote(&text));
        }
        source = cause.source();
    }
    None
}

/// The `Location` of a redirect reqwest handed back rather than followed (the data
/// policy stops at a redirect to an allowed other origin), resolved against the URL that
/// answered it.
fn handed_back_redirect(response: &Response) -> Option<Url> {
    if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    response.url().join(location).ok()
}

/// An error with its causes, without the URL (which may carry an API key).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // A server's words may be in it (an invalid header, a TLS alert).
    quote(&text)
}

/// Scheme, host and path of a URL: where a request went, without its query.
fn endpoint(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

/// The `rel="next"` target of the `Link` headers (RFC 8288), resolved against `base`.
pub(crate) fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
    for value in headers.get_all(LINK) {
        let Ok(text) = value.to_str() else { continue };
        for link in split_links(text) {
            let Some((target, params)) = link
                .trim()
                .strip_prefix('<')
                .and_then(|l| l.split_once('>'))
            else {
                continue;
            };
            let next = params.split(';').any(|p| {
                let p = p.trim();
                p.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("rel="))
                    && p[4..]
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if next {
                return base.join(target.trim()).ok();
            }
        }
    }
    None
}

/// Split a `Link` value at the commas between links (not those inside `<…>` or quotes).
fn split_links(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut angle, mut quote) = (Vec::new(), 0, false, false);
    for (i, ch) in text.char_indices() {
        match ch {
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            '"' if !angle => quote = !quote,
            ',' if !angle && !quote => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn at_path<'a>(json: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(json, |v, key| v.get(key))
}

/// Take the value at `path` out of `json`; the whole of it for an empty path.
fn take_at_path(json: &mut Value, path: &[String]) -> Option<Value> {
    let Some((last, parents)) = path.split_last() else {
        return Some(json.take());
    };
    let parent = parents.iter().try_fold(json, |v, key| v.get_mut(key))?;
    parent.as_object_mut()?.remove(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(LINK, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_next_link_is_found_among_others_and_resolved() {
        let base = Url::parse("http://h:1/api/v4/transactions?per_page=2").unwrap();
        let h = headers(&[
            r#"<http://h:1/api/v4/transactions?per_page=2&updated_since=2023-01-01%2000:00:00&after=eyJ0Ijo>; rel="next""#,
        ]);
        assert_eq!(
            next_link(&h, &base).unwrap().as_str(),
            "http://h:1/api/v4/transactions?per_page=2&updated_since=2023-01-01%2000:00:00&after=eyJ0Ijo"
        );
        let h = headers(&[r#"</a?x=1,2>; rel="prev", </b?y=3>; title="a, b"; REL="last next""#]);
        assert_eq!(next_link(&h, &base).unwrap().as_str(), "http://h:1/b?y=3");
        assert_eq!(next_link(&headers(&[r#"</a>; rel="prev""#]), &base), None);
        assert_eq!(next_link(&HeaderMap::new(), &base), None);
    }

    #[test]
    fn an_empty_records_path_takes_the_body() {
        let mut body = serde_json::json!([1, 2]);
        assert_eq!(
            take_at_path(&mut body, &[]),
            Some(serde_json::json!([1, 2]))
        );
        let mut body = serde_json::json!({"data": {"list": [1]}});
        let path = ["data".to_owned(), "list".to_owned()];
        assert_eq!(take_at_path(&mut body, &path), Some(serde_json::json!([1])));
    }

    #[test]
    fn endpoints_in_messages_carry_no_query() {
        let url = Url::parse("https://u:p@h/api?apiKey=secret").unwrap();
        assert_eq!(endpoint(&url), "https://h/api");
    }
}
