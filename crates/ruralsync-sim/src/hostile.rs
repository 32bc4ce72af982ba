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

/// Bytes of padding per chunk of the stream (and per repeated deflate block).
const PADDING_CHUNK: usize = 1 << 20;

/// A `200` page of `body` followed by `padding`, produced chunk by chunk as the client
/// reads, each chunk counted when it is produced. With `padding.compress` and a client
/// that accepts gzip, the page goes out as a gzip bomb ([`gzip_bomb`]) — about 1 KB per
/// MiB of padding; otherwise as it is (marked so the compression layer leaves it).
pub(crate) fn padded_response(
    body: String,
    padding: Padding,
    accepts_gzip: bool,
    counters: Arc<HostileCounters>,
) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json; charset=utf-8")];
    if padding.compress && accepts_gzip {
        let stream = gzip_bomb(body.as_bytes(), padding.bytes, counters);
        let encoding = [(header::CONTENT_ENCODING, "gzip")];
        return (json, encoding, Body::from_stream(stream)).into_response();
    }
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
    let mut response = (json, Body::from_stream(stream)).into_response();
    response.extensions_mut().insert(Uncompressed);
    response
}

/// A gzip stream (RFC 1952) of `head` then `padding` spaces, built without compressing
/// the padding: a deflate block holding [`PADDING_CHUNK`] spaces, compressed once after
/// a window of spaces and ended by a sync flush, is a valid continuation after any such
/// window, so it is repeated; the CRC-32 of the whole is combined from the parts'. The
/// repeated blocks are counted as padding produced when they are yielded.
fn gzip_bomb(
    head: &[u8],
    padding: u64,
    counters: Arc<HostileCounters>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    use flate2::{Compress, Compression, FlushCompress};
    let block = vec![b' '; PADDING_CHUNK];
    let (blocks, rest) = (
        padding / PADDING_CHUNK as u64,
        padding % PADDING_CHUNK as u64,
    );
    let mut deflate = Compress::new(Compression::default(), false);
    // The head, the odd bytes, and one whole block if there are any (the window the
    // repeated block needs).
    let mut first = head.to_vec();
    first.resize(
        head.len() + rest as usize + usize::from(blocks > 0) * PADDING_CHUNK,
        b' ',
    );
    let mut crc = crc32fast::Hasher::new();
    crc.update(&first);
    let mut start = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    start.extend(deflated(&mut deflate, &first, FlushCompress::Sync));
    let repeated = Bytes::from(deflated(&mut deflate, &block, FlushCompress::Sync));
    let mut tail = deflated(&mut deflate, &[], FlushCompress::Finish);
    let mut block_crc = crc32fast::Hasher::new();
    block_crc.update(&block);
    for _ in 1..blocks {
        crc.combine(&block_crc);
    }
    tail.extend(crc.finalize().to_le_bytes());
    // ISIZE: the length modulo 2^32.
    tail.extend(((head.len() as u64 + padding) as u32).to_le_bytes());
    let first_padding = padding.min(rest + PADDING_CHUNK as u64);
    let mut next = 0;
    futures_util::stream::iter(std::iter::from_fn(move || {
        next += 1;
        let chunk = match next {
            1 => {
                add_padding(&counters, first_padding);
                Bytes::from(std::mem::take(&mut start))
            }
            n if n <= blocks => {
                add_padding(&counters, PADDING_CHUNK as u64);
                repeated.clone()
            }
            n if n == blocks.max(1) + 1 => Bytes::from(std::mem::take(&mut tail)),
            _ => return None,
        };
        Some(Ok(chunk))
    }))
}

fn add_padding(counters: &HostileCounters, n: u64) {
    counters.padding_bytes_sent.fetch_add(n, Ordering::Relaxed);
}

/// Raw deflate of `input` ended by `flush`.
fn deflated(deflate: &mut flate2::Compress, input: &[u8], flush: flate2::FlushCompress) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 100 + 1024);
    let mut read = 0;
    loop {
        let before = deflate.total_in();
        // Writing into spare capacity cannot fail for a raw stream in memory.
        let status = deflate
            .compress_vec(&input[read..], &mut out, flush)
            .expect("deflate into memory");
        read += (deflate.total_in() - before) as usize;
        let done = read == input.len() && out.len() < out.capacity();
        if done || status == flate2::Status::StreamEnd {
            return out;
        }
        out.reserve(out.capacity().max(1024));
    }
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
