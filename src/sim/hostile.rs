//! A hostile or misconfigured upstream on demand ([`Hostile`], all off by default): next
//! links to another base URL, links that echo the request's query (credentials
//! included), redirects of data and token requests to another origin, oversized and
//! gzip-bomb bodies, and error answers carrying hostile text. What it observed of the
//! client — padding bytes actually sent, queries repeating a parameter, the longest
//! query — is counted in [`HostileStats`], so tests can judge what a client sent and how
//! much it read without trusting the client's own account.
//!
//! Without these settings the simulator serves exactly as `docs/upstream-api.md` says;
//! the counters only observe.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// Misbehaviour of the data and token endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hostile {
    /// `/api/v4` next links point at this base URL (scheme, host and port, e.g.
    /// `http://127.0.0.1:40123`) instead of the host the request reached: another origin.
    pub link_base: Option<String>,
    /// `/api/v4` next links repeat every query parameter of the request (API key and
    /// signature parameters included) besides their own, as platforms that build the
    /// link from the request do.
    pub echo_query_in_links: bool,
    /// Data requests are answered with this redirect instead of a page (after their
    /// HTTP fault, before auth, as a gateway would).
    pub redirect: Option<Redirect>,
    /// `POST /oauth/token` answers `307 Temporary Redirect` to `<this base>/oauth/token`.
    pub token_redirect: Option<String>,
    /// Complete pages carry this padding after their JSON.
    pub padding: Option<Padding>,
    /// Data requests that pass auth are answered with this instead of a page.
    pub error_answer: Option<ErrorAnswer>,
}

/// A redirect of every data request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// 301, 302, 303, 307 or 308.
    pub status: u16,
    /// Base URL the request is sent to, its path and query kept.
    pub to: String,
}

/// Whitespace after a page's JSON (still valid JSON), streamed as it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// Bytes of padding, before compression.
    pub bytes: u64,
    /// Whether the page may be gzip-compressed (spaces compress about 1000:1: a gzip
    /// bomb) or goes out as it is, whatever the request accepts.
    pub compress: bool,
}

/// A fixed answer: status and body (sent as `text/plain; charset=utf-8`, or
/// `application/json` when it starts with `{` or `[`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub status: u16,
    pub body: String,
}

/// What the hostile settings observed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostileStats {
    /// Padding bytes produced for the client, before compression: a client that stops
    /// reading stops the stream.
    pub padding_bytes_sent: u64,
    /// Data requests whose query names a parameter more than once.
    pub requests_with_repeated_params: u64,
    /// Length of the longest data request query, in bytes.
    pub longest_query: u64,
}

/// The live counters behind [`HostileStats`]; shared with the padding streams.
#[derive(Debug, Default)]
pub(crate) struct HostileCounters {
    padding_bytes_sent: AtomicU64,
    requests_with_repeated_params: AtomicU64,
    longest_query: AtomicU64,
}

impl HostileCounters {
    pub fn snapshot(&self) -> HostileStats {
        HostileStats {
            padding_bytes_sent: self.padding_bytes_sent.load(Ordering::Relaxed),
            requests_with_repeated_params: self
                .requests_with_repeated_params
                .load(Ordering::Relaxed),
            longest_query: self.longest_query.load(Ordering::Relaxed),
        }
    }

    /// Note a data request's query.
    pub fn observe(&self, uri: &Uri, params: &[(String, String)]) {
        let length = uri.query().map_or(0, str::len) as u64;
        self.longest_query.fetch_max(length, Ordering::Relaxed);
        let mut names = HashSet::new();
        if !params.iter().all(|(name, _)| names.insert(name.as_str())) {
            self.requests_with_repeated_params
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Marks a response the compression layer must leave alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Uncompressed;

/// The redirect of a data request for `uri`.
pub(crate) fn redirect_response(redirect: &Redirect, uri: &Uri) -> Response {
    let target = format!(
        "{}{}",
        redirect.to.trim_end_matches('/'),
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let status = StatusCode::from_u16(redirect.status).unwrap_or(StatusCode::FOUND);
    located(status, &target)
}

/// The redirect of `POST /oauth/token` to `base`.
pub(crate) fn token_redirect_response(base: &str) -> Response {
    let target = format!("{}/oauth/token", base.trim_end_matches('/'));
    located(StatusCode::TEMPORARY_REDIRECT, &target)
}

fn located(status: StatusCode, target: &str) -> Response {
    match HeaderValue::from_str(target) {
        Ok(location) => (status, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "bad redirect target").into_response(),
    }
}

/// The fixed answer.
pub(crate) fn error_response(answer: &ErrorAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let json = answer.body.starts_with(['{', '[']);
    let content_type = if json {
        "application/json; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        answer.body.clone(),
    )
        .into_response()
}

/// Bytes of padding per chunk of the stream.
const PADDING_CHUNK: usize = 64 * 1024;

/// A `200` page of `body` followed by `padding`, produced chunk by chunk as the client
/// reads, each chunk counted when it is produced.
pub(crate) fn padded_response(
    body: String,
    padding: Padding,
    counters: Arc<HostileCounters>,
) -> Response {
    let chunk = Bytes::from(vec![b' '; PADDING_CHUNK]);
    let mut left = padding.bytes;
    let pad = futures_util::stream::iter(std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let n = left.min(PADDING_CHUNK as u64);
        left -= n;
        counters.padding_bytes_sent.fetch_add(n, Ordering::Relaxed);
        // n <= PADDING_CHUNK, a usize.
        Some(Ok::<_, std::io::Error>(chunk.slice(..n as usize)))
    }));
    let head = futures_util::stream::once(async move { Ok(Bytes::from(body)) });
    let stream = futures_util::StreamExt::chain(head, pad);
    let mut response = (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        Body::from_stream(stream),
    )
        .into_response();
    if !padding.compress {
        response.extensions_mut().insert(Uncompressed);
    }
    response
}

/// The query of a next link that echoes the request: every parameter of the request
/// except the link's own, form-encoded, each followed by `&`.
pub(crate) fn echoed(params: &[(String, String)], own: &[&str]) -> String {
    let kept = params.iter().filter(|(n, _)| !own.contains(&n.as_str()));
    let mut query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    if !query.is_empty() {
        query.push('&');
    }
    query
}
