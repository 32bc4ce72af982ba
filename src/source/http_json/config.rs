//! Validated settings of an `http_json` source.

use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use url::Url;

use serde::Deserialize;

use super::auth::{AuthConfig, KeyPlacement, Secret};
use super::origin::{self, Origins};
use crate::settings::Invalid;
use crate::source::{PullSettings, SharedKeys};

/// How one page leads to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Pagination {
    /// A 1-based page number in `page_param`.
    #[default]
    Page,
    /// A 0-based record offset in `offset_param`.
    Offset,
    /// An opaque token read from the response at `cursor_path`, sent back in
    /// `cursor_param`.
    Cursor,
    /// The URL of the `Link: <…>; rel="next"` response header.
    Link,
}

impl Pagination {
    /// The name as the config writes it.
    pub fn name(self) -> &'static str {
        match self {
            Pagination::Page => "page",
            Pagination::Offset => "offset",
            Pagination::Cursor => "cursor",
            Pagination::Link => "link",
        }
    }

    /// Whether pages are plain positions in a list that shifts when records are updated
    /// (page number, offset), rather than keyset-stable (cursor, Link).
    pub fn positional(self) -> bool {
        matches!(self, Pagination::Page | Pagination::Offset)
    }
}

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Base of the exponential backoff (full jitter) and its cap.
    pub initial: Duration,
    pub max: Duration,
    /// Longest `Retry-After` honoured; a longer one is cut to this.
    pub retry_after_max: Duration,
}

/// The user name and password written in `url` (`https://user:pass@host/…`), taken out
/// of it and sent as HTTP Basic credentials to the origins that receive credentials.
/// Both as the URL writes them (percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Userinfo {
    pub username: String,
    pub password: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct HttpJsonConfig {
    /// The endpoint, without userinfo (see [`HttpJsonConfig::userinfo`]).
    pub url: Url,
    /// Userinfo that was written in `url`.
    pub userinfo: Option<Userinfo>,
    /// Where requests may go, and with what ([`super::origin`]).
    pub origins: Origins,
    /// Query parameters that are credentials (an API key's, a signature's): removed from
    /// every URL that is stored, logged or followed, and added once per request.
    pub secret_params: Vec<String>,
    /// Largest response body read, after decompression.
    pub max_body_bytes: u64,
    /// PEM file of extra CA certificates trusted for this source (and its token
    /// endpoint); read when the source is built.
    pub ca_file: Option<PathBuf>,
    /// What `check` and start-up warn about (credentials over plain HTTP, allowed by
    /// `allow_insecure_http`).
    pub warnings: Vec<String>,
    pub pagination: Pagination,
    /// Page size, prefetch, incremental, lag window and `since_format` (the format of
    /// update times, both in the `since` parameter and in records).
    pub pull: PullSettings,
    pub page_param: String,
    pub offset_param: String,
    pub size_param: String,
    pub cursor_param: String,
    /// Where the next cursor token is in a response (`pagination = "cursor"`).
    pub cursor_path: Vec<String>,
    /// Where a "more pages follow" boolean is in a response, if the API has one.
    pub has_more_path: Option<Vec<String>>,
    /// Most pages one pull may fetch.
    pub max_pages: u64,
    pub retry: RetryConfig,
    /// Minimum time between two requests (from `max_requests_per_second`).
    pub request_interval: Option<Duration>,
    pub auth: Option<AuthConfig>,
    pub since_param: String,
    pub records_path: Vec<String>,
    pub status_path: Option<Vec<String>>,
    pub status_ok: i64,
    pub message_path: Vec<String>,
    pub timeout: Duration,
    /// The source's time zone, in which `since_format` times are written.
    pub timezone: Tz,
}

impl HttpJsonConfig {
    /// # Errors
    /// [`Invalid`] naming the key under `key` (e.g. `sources.x.http.url`).
    pub fn validate(raw: &RawHttpJson, tz: Tz, key: &str) -> Result<HttpJsonConfig, Invalid> {
        let k = |name: &str| format!("{key}.{name}");
        let mut url = endpoint(&raw.url, &k("url"))?;
        let pull = SharedKeys {
            table: key,
            page_size: raw.page_size.into(),
            page_sizes: 1..=10_000,
            prefetch_pages: Some(raw.prefetch_pages),
            incremental: raw.incremental,
            lag_secs: Some(raw.lag_secs),
            time_format: ("since_format", &raw.since_format),
        }
        .validate(tz)?;
        if raw.timeout_ms == 0 {
            return Err(Invalid::new(
                k("timeout_ms"),
                "is 0; expected a timeout in milliseconds, e.g. 30000",
            ));
        }
        let paths = Paths::validate(raw, key)?;
        let (retry, request_interval) = retry(raw, key)?;
        let auth = (raw.auth.clone())
            .map(|a| AuthConfig::from_table(a, &k("auth")))
            .transpose()?;
        if !(MIN_BODY_BYTES..=MAX_BODY_BYTES).contains(&raw.max_body_bytes) {
            return Err(Invalid::new(
                k("max_body_bytes"),
                format!("{} is out of range; expected {MIN_BODY_BYTES} to {MAX_BODY_BYTES} bytes (default {})", raw.max_body_bytes, default_max_body_bytes()),
            ));
        }
        let security = Security::validate(raw, &mut url, auth.as_ref(), key)?;
        Ok(HttpJsonConfig {
            url,
            userinfo: security.userinfo,
            origins: security.origins,
            secret_params: security.secret_params,
            max_body_bytes: raw.max_body_bytes,
            ca_file: raw.ca_file.clone(),
            warnings: security.warnings,
            pagination: raw.pagination,
            pull,
            page_param: raw.page_param.clone(),
            offset_param: raw.offset_param.clone(),
            size_param: raw.size_param.clone(),
            cursor_param: raw.cursor_param.clone(),
            cursor_path: paths.cursor,
            has_more_path: paths.has_more,
            max_pages: raw.max_pages,
            retry,
            request_interval,
            auth,
            since_param: raw.since_param.clone(),
            records_path: paths.records,
            status_path: paths.status,
            status_ok: raw.status_ok,
            message_path: paths.message,
            timeout: Duration::from_millis(raw.timeout_ms),
            timezone: tz,
        })
    }
}

/// `url`, at `key`: an http(s) URL.
fn endpoint(text: &str, key: &str) -> Result<Url, Invalid> {
    let url = Url::parse(text).map_err(|e| {
        Invalid::new(
            key,
            format!(
                "{:?} is not a URL ({e}); expected e.g. \"https://host/api/v1/transactions\"",
                without_userinfo(text)
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid::new(
            key,
            format!(
                "scheme {:?} is not supported; use http or https",
                url.scheme()
            ),
        ));
    }
    Ok(url)
}

/// Where things are in a response, and the query parameters' names.
struct Paths {
    records: Vec<String>,
    status: Option<Vec<String>>,
    message: Vec<String>,
    cursor: Vec<String>,
    has_more: Option<Vec<String>>,
}

impl Paths {
    fn validate(raw: &RawHttpJson, key: &str) -> Result<Paths, Invalid> {
        let k = |name: &str| format!("{key}.{name}");
        for (name, value) in [
            ("page_param", &raw.page_param),
            ("offset_param", &raw.offset_param),
            ("size_param", &raw.size_param),
            ("since_param", &raw.since_param),
            ("cursor_param", &raw.cursor_param),
        ] {
            if value.is_empty() {
                return Err(Invalid::new(
                    k(name),
                    "is empty; expected the name of a query parameter",
                ));
            }
        }
        let path = |name: &str, p: &str| dotted(p, &k(name));
        let optional = |name: &str, p: &str| (!p.is_empty()).then(|| path(name, p)).transpose();
        let cursor = match (raw.pagination, raw.cursor_path.as_str()) {
            (Pagination::Cursor, "") => {
                return Err(Invalid::new(
                    k("cursor_path"),
                    "is required with pagination = \"cursor\"; expected the dotted path of the next token in a response, e.g. \"result.nextCursor\"",
                ))
            }
            (_, p) => optional("cursor_path", p)?.unwrap_or_default(),
        };
        let has_more = optional("has_more_path", &raw.has_more_path)?;
        Ok(Paths {
            // "": the body itself is the array.
            records: optional("records_path", &raw.records_path)?.unwrap_or_default(),
            status: optional("status_path", &raw.status_path)?,
            message: path("message_path", &raw.message_path)?,
            cursor,
            has_more,
        })
    }
}

/// A dotted path such as `data.list`, at `key`.
fn dotted(p: &str, key: &str) -> Result<Vec<String>, Invalid> {
    let parts: Vec<String> = p.split('.').map(str::to_owned).collect();
    if parts.iter().any(String::is_empty) {
        return Err(Invalid::new(
            key,
            format!("{p:?} is not a dotted path such as \"data.list\""),
        ));
    }
    Ok(parts)
}

/// How requests are retried and paced.
fn retry(raw: &RawHttpJson, key: &str) -> Result<(RetryConfig, Option<Duration>), Invalid> {
    let k = |name: &str| format!("{key}.{name}");
    if raw.max_pages == 0 {
        return Err(Invalid::new(
            k("max_pages"),
            "is 0; expected the most pages one pull may fetch, e.g. 100000",
        ));
    }
    if !(1..=100).contains(&raw.max_attempts) {
        return Err(Invalid::new(
            k("max_attempts"),
            format!(
                "{} is out of range; expected 1 (no retries) to 100",
                raw.max_attempts
            ),
        ));
    }
    if raw.retry_initial_ms == 0 || raw.retry_max_ms < raw.retry_initial_ms {
        return Err(Invalid::new(
            k("retry_max_ms"),
            format!(
                "retry_initial_ms = {} and retry_max_ms = {}: expected 0 < retry_initial_ms <= retry_max_ms, e.g. 500 and 30000",
                raw.retry_initial_ms, raw.retry_max_ms
            ),
        ));
    }
    let request_interval = match raw.max_requests_per_second {
        None => None,
        Some(rps) if rps.is_finite() && rps > 0.0 && rps <= 10_000.0 => {
            Some(Duration::from_secs_f64(1.0 / rps))
        }
        Some(rps) => {
            return Err(Invalid::new(
                k("max_requests_per_second"),
                format!("{rps} is out of range; expected a number above 0 and at most 10000 (fractions allowed, e.g. 0.5 for one request every 2 s), or leave it out for no limit"),
            ))
        }
    };
    let retry = RetryConfig {
        max_attempts: raw.max_attempts,
        initial: Duration::from_millis(raw.retry_initial_ms),
        max: Duration::from_millis(raw.retry_max_ms),
        retry_after_max: Duration::from_secs(raw.retry_after_max_secs),
    };
    Ok((retry, request_interval))
}

/// Bounds of `max_body_bytes`.
const MIN_BODY_BYTES: u64 = 1024;
const MAX_BODY_BYTES: u64 = 4 << 30;

/// The part of the settings that decides where credentials go.
struct Security {
    userinfo: Option<Userinfo>,
    origins: Origins,
    secret_params: Vec<String>,
    warnings: Vec<String>,
}

impl Security {
    /// Take the userinfo out of `url`, read the origin lists, and refuse credentials sent
    /// in clear over `http://` to another machine unless `allow_insecure_http` (then
    /// warned about).
    fn validate(
        raw: &RawHttpJson,
        url: &mut Url,
        auth: Option<&AuthConfig>,
        key: &str,
    ) -> Result<Security, Invalid> {
        let k = |name: &str| format!("{key}.{name}");
        let userinfo = take_userinfo(url);
        if userinfo.is_some() && auth.is_some() {
            return Err(Invalid::new(
                k("url"),
                "carries a user name or password and an [auth] table is set; give the credentials in one of them",
            ));
        }
        let secret_params = match auth {
            Some(AuthConfig::ApiKey {
                placement: KeyPlacement::Query(name),
                ..
            }) => vec![name.clone()],
            Some(AuthConfig::Signed { params, .. }) => vec![
                params.app_key.clone(),
                params.timestamp.clone(),
                params.nonce.clone(),
                params.sign.clone(),
            ],
            _ => Vec::new(),
        };
        if let Some((name, _)) = url
            .query_pairs()
            .find(|(n, _)| secret_params.iter().any(|s| s.eq_ignore_ascii_case(n)))
        {
            return Err(Invalid::new(
                k("url"),
                format!("carries the query parameter {name:?}, which the [auth] table fills in on every request; remove it from the URL (the secret belongs in an environment variable or file, never in the config)"),
            ));
        }
        let list = |name: &str, texts: &[String]| -> Result<Vec<url::Origin>, Invalid> {
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| origin::parse_origin(t, &format!("{}[{i}]", k(name))))
                .collect()
        };
        let origins = Origins {
            home: url.origin(),
            credentials: list("credential_origins", &raw.credential_origins)?,
            anonymous: list("allowed_origins", &raw.allowed_origins)?,
        };
        let warnings = transport_warnings(raw, url, auth, userinfo.is_some(), key)?;
        Ok(Security {
            userinfo,
            origins,
            secret_params,
            warnings,
        })
    }
}

/// A URL that did not parse, for its error message: whatever stands between `://` and
/// the last `@` (a user name and password) masked.
fn without_userinfo(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &text[..scheme + 3], &text[at..])
        }
        _ => text.to_owned(),
    }
}

/// Every place credentials are sent — `url`, the `credential_origins`, the OAuth2
/// token endpoint — checked by [`insecure`]; the warnings of those allowed.
fn transport_warnings(
    raw: &RawHttpJson,
    url: &Url,
    auth: Option<&AuthConfig>,
    userinfo: bool,
    key: &str,
) -> Result<Vec<String>, Invalid> {
    let k = |name: &str| format!("{key}.{name}");
    let carried = match (auth, userinfo) {
        (Some(a), _) => format!("credentials (auth kind = {:?})", a.kind()),
        (None, true) => "the user name and password of the URL".to_owned(),
        (None, false) => return Ok(Vec::new()),
    };
    let mut targets = vec![(k("url"), url.clone())];
    for (i, text) in raw.credential_origins.iter().enumerate() {
        // Parsed already; a bad entry was refused by then.
        if let Ok(u) = Url::parse(text) {
            targets.push((format!("{}[{i}]", k("credential_origins")), u));
        }
    }
    if let Some(AuthConfig::OAuth2 { token_url, .. }) = auth {
        targets.push((k("auth.token_url"), token_url.clone()));
    }
    let mut warnings = Vec::new();
    for (key, target) in targets {
        warnings.extend(insecure(&target, &carried, &key, raw.allow_insecure_http)?);
    }
    Ok(warnings)
}

/// Remove the userinfo from `url` and return it.
fn take_userinfo(url: &mut Url) -> Option<Userinfo> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let userinfo = Userinfo {
        username: url.username().to_owned(),
        password: url.password().map(Secret::new),
    };
    // http(s) URLs with a host can always lose their userinfo.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(userinfo)
}

/// Credentials in clear over `http://` to another machine: an error, or with
/// `allow_insecure_http` a warning (returned).
fn insecure(
    target: &Url,
    carried: &str,
    key: &str,
    allowed: bool,
) -> Result<Option<String>, Invalid> {
    if target.scheme() != "http" || origin::is_loopback(target) {
        return Ok(None);
    }
    let origin = origin::origin_of(target);
    if allowed {
        return Ok(Some(format!(
            "key `{key}`: {origin} receives {carried} in clear over http://: anyone on the network path can read and reuse them (allowed by allow_insecure_http = true); use https://"
        )));
    }
    Err(Invalid::new(
        key,
        format!("{origin} would receive {carried} in clear over http://, where anyone on the network path can read and reuse them; use https:// (with ca_file for a private CA), or set allow_insecure_http = true if the network path is trusted (a warning is then printed by `check` and logged at every start)"),
    ))
}

/// `[sources.<name>.http]`: a paged JSON API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttpJson {
    /// Endpoint URL returning one page of records.
    pub url: String,
    /// How one page leads to the next: `page` (a 1-based page number in `page_param`),
    /// `offset` (a 0-based record offset in `offset_param`), `cursor` (the token at
    /// `cursor_path` of each response, sent back in `cursor_param`) or `link` (the URL of
    /// the `Link: <…>; rel="next"` response header, followed as given). Default `page`.
    ///
    /// Incremental `page` and `offset` pulls re-anchor: every request asks for records
    /// updated since the last one received, from the first page again, so records that
    /// move while the pull pages are neither missed nor read twice.
    #[serde(default)]
    pub pagination: Pagination,
    /// Records asked for per page. Default 500.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Query parameter carrying the 1-based page number (`pagination = "page"`). Default
    /// `pageNo`.
    #[serde(default = "default_page_param")]
    pub page_param: String,
    /// Query parameter carrying the 0-based offset (`pagination = "offset"`). Default
    /// `offset`.
    #[serde(default = "default_offset_param")]
    pub offset_param: String,
    /// Query parameter carrying the page size (`limit`, `size`, `per_page`…). Default
    /// `pageSize`.
    #[serde(default = "default_size_param")]
    pub size_param: String,
    /// Query parameter carrying the cursor token (`pagination = "cursor"`). Default
    /// `cursor`.
    #[serde(default = "default_cursor_param")]
    pub cursor_param: String,
    /// Dotted path of the next cursor token in a response, e.g. `result.nextCursor`.
    /// Required with `pagination = "cursor"`; a null, empty or missing token ends the pull.
    #[serde(default)]
    pub cursor_path: String,
    /// Dotted path of a boolean saying whether more pages follow, e.g. `result.hasMore`.
    /// Default none: the pull ends on a page shorter than `page_size` (page, offset) or
    /// without a next token or link (cursor, link).
    #[serde(default)]
    pub has_more_path: String,
    /// Most pages one pull may fetch: a guard against an API that never says it is done.
    /// Default 100000.
    #[serde(default = "default_max_pages")]
    pub max_pages: u64,
    /// Attempts per request, the first included. Server errors (5xx), 429, timeouts,
    /// connection errors and truncated or invalid bodies are retried; other 4xx, the
    /// envelope's error codes and signature errors are not. Default 5.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry waits up to this long; each further one up to twice as long (random,
    /// "full jitter"), at most `retry_max_ms`. Defaults 500 and 30000.
    #[serde(default = "default_retry_initial_ms")]
    pub retry_initial_ms: u64,
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// Longest `Retry-After` of a 429 that is honoured; a longer one is cut to this.
    /// Default 120.
    #[serde(default = "default_retry_after_max_secs")]
    pub retry_after_max_secs: u64,
    /// Requests per second this source sends at most, fractions allowed (`0.5` = one every
    /// 2 s). Default: no limit.
    #[serde(default)]
    pub max_requests_per_second: Option<f64>,
    /// `[sources.<name>.http.auth]`: credentials, chosen by their `kind` (see
    /// [`RawAuth`](super::RawAuth)). Default: none.
    #[serde(default)]
    pub auth: Option<toml::Table>,
    /// Pull only what changed since the checkpoint (default true). `false` pulls the
    /// whole table every run — for APIs without an `updated since` filter — and relies
    /// on change detection to publish only records whose content changed.
    #[serde(default = "default_true")]
    pub incremental: bool,
    /// Query parameter carrying the incremental cursor (records updated at or after it).
    /// Default `updatedSince`.
    #[serde(default = "default_since_param")]
    pub since_param: String,
    /// chrono format of the cursor as the API takes and returns it, in the source's time
    /// zone. Default `%Y-%m-%d %H:%M:%S`.
    #[serde(default = "default_since_format")]
    pub since_format: String,
    /// Dotted path to the array of records in the response; `""` when the body itself is
    /// the array. Default `data.list`.
    #[serde(default = "default_records_path")]
    pub records_path: String,
    /// Dotted path to a status code in the response envelope, and the value meaning
    /// success (a numeric string such as `"0000"` counts as its number). Default `code` =
    /// 0. Set `status_path = ""` for APIs without one; a body that is a bare array has
    /// none either.
    #[serde(default = "default_status_path")]
    pub status_path: String,
    #[serde(default)]
    pub status_ok: i64,
    /// Dotted path to the envelope's message, quoted in errors. Default `msg`.
    #[serde(default = "default_message_path")]
    pub message_path: String,
    /// Timeout of one request, connect to last byte. Default 30000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Pages fetched ahead of the one being published. Default 2.
    #[serde(default = "default_prefetch_pages")]
    pub prefetch_pages: usize,
    /// Seconds an incremental pull reaches back before the committed position, for
    /// records the platform stamps or commits late: a record written in the cursor's
    /// second after it was read, with a smaller id, or committed by a long transaction
    /// with an earlier 更新时间. Records in the window are read again and published only
    /// if their content changed (fingerprints), so the window costs reads, never
    /// duplicates. 0 trusts the platform never to do that. 0 to 2678400 (31 days);
    /// default 60.
    #[serde(default = "default_lag_secs")]
    pub lag_secs: u64,
    /// Other origins (`scheme://host[:port]`, e.g. `"https://cdn.example:443"`) that a
    /// next link or a redirect may lead to; requests there carry **no** credentials — no
    /// token, API key, signature or userinfo. A next link or redirect to any origin other
    /// than `url`'s, these and `credential_origins` is refused: the pull stops with an
    /// error naming both origins. Default none.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Other origins that a next link or a redirect may lead to and that receive this
    /// source's credentials as `url`'s origin does (a platform serving pages from a
    /// second host). List an origin here only if it is the platform's own. Default none.
    /// The OAuth2 token endpoint never follows a redirect to another origin, whatever
    /// these lists say: set `token_url` to the endpoint itself.
    #[serde(default)]
    pub credential_origins: Vec<String>,
    /// Largest response body read, in bytes, counted after decompression (a small gzip
    /// body may expand a thousandfold). A larger page stops the pull with an error naming
    /// the page; reading stops at the limit, so memory stays bounded. Not retried: the
    /// same page would be as large again; lower `page_size` or raise this. 1024 to
    /// 4294967296; default 67108864 (64 MiB).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// PEM file of CA certificates to trust for this source's HTTPS connections and its
    /// OAuth2 token endpoint, in addition to the built-in (Mozilla) roots — for a
    /// platform whose certificate is issued by a private or government CA. Read when the
    /// source starts. Default none.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Allow credentials (an [auth] table, or a user name and password in the URL) to be
    /// sent over plain `http://` to another machine. Refused by default: anyone on the
    /// network path could read and reuse them. Loopback hosts (`localhost`, 127.0.0.0/8,
    /// `::1`) never leave the machine and need no permission. When allowed, `check` and
    /// every start print a warning. Default false.
    #[serde(default)]
    pub allow_insecure_http: bool,
}

fn default_max_body_bytes() -> u64 {
    64 << 20
}

fn default_lag_secs() -> u64 {
    60
}

fn default_true() -> bool {
    true
}

fn default_page_size() -> u32 {
    500
}
fn default_page_param() -> String {
    "pageNo".into()
}
fn default_size_param() -> String {
    "pageSize".into()
}
fn default_offset_param() -> String {
    "offset".into()
}
fn default_cursor_param() -> String {
    "cursor".into()
}
fn default_max_pages() -> u64 {
    100_000
}
fn default_max_attempts() -> u32 {
    5
}
fn default_retry_initial_ms() -> u64 {
    500
}
fn default_retry_max_ms() -> u64 {
    30_000
}
fn default_retry_after_max_secs() -> u64 {
    120
}
fn default_since_param() -> String {
    "updatedSince".into()
}
fn default_since_format() -> String {
    "%Y-%m-%d %H:%M:%S".into()
}
fn default_records_path() -> String {
    "data.list".into()
}
fn default_status_path() -> String {
    "code".into()
}
fn default_message_path() -> String {
    "msg".into()
}
fn default_timeout_ms() -> u64 {
    30_000
}
fn default_prefetch_pages() -> usize {
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(toml: &str) -> Result<HttpJsonConfig, Invalid> {
        let raw: RawHttpJson = toml::from_str(toml).unwrap();
        HttpJsonConfig::validate(&raw, chrono_tz::Asia::Shanghai, "sources.x.http")
    }

    const BEARER: &str = "[auth]\nkind = \"bearer\"\ntoken_env = \"T\"\n";

    #[test]
    fn credentials_over_plain_http_to_another_machine_are_refused_unless_allowed() {
        let err =
            validate(&format!("url = \"http://platform.example/api\"\n{BEARER}")).unwrap_err();
        assert_eq!(err.key, "sources.x.http.url");
        for needle in [
            "http://platform.example:80",
            "auth kind = \"bearer\"",
            "https://",
            "allow_insecure_http = true",
        ] {
            assert!(err.message.contains(needle), "{needle}: {}", err.message);
        }
        let err = validate("url = \"http://user:pw@10.1.2.3/api\"").unwrap_err();
        assert!(
            err.message.contains("user name and password"),
            "{}",
            err.message
        );

        let allowed = validate(&format!(
            "url = \"http://platform.example/api\"\nallow_insecure_http = true\n{BEARER}"
        ))
        .unwrap();
        assert_eq!(allowed.warnings.len(), 1);
        assert!(allowed.warnings[0].contains("key `sources.x.http.url`"));
        // No credentials, https, or loopback: nothing to say.
        for quiet in [
            "url = \"http://platform.example/api\"".to_owned(),
            format!("url = \"https://platform.example/api\"\n{BEARER}"),
            format!("url = \"http://127.0.0.1:8480/api\"\n{BEARER}"),
            format!("url = \"http://localhost:8480/api\"\n{BEARER}"),
        ] {
            assert!(validate(&quiet).unwrap().warnings.is_empty(), "{quiet}");
        }
    }

    #[test]
    fn the_token_endpoint_and_credential_origins_are_held_to_the_same_rule() {
        let err = validate(
            "url = \"https://platform.example/api\"\n[auth]\nkind = \"oauth2_client_credentials\"\ntoken_url = \"http://sso.example/token\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n",
        )
        .unwrap_err();
        assert_eq!(err.key, "sources.x.http.auth.token_url");
        let err = validate(&format!(
            "url = \"https://platform.example/api\"\ncredential_origins = [\"http://api2.example\"]\n{BEARER}"
        ))
        .unwrap_err();
        assert_eq!(err.key, "sources.x.http.credential_origins[0]");
        // Anonymous origins receive nothing, so plain HTTP is their own business.
        validate(&format!(
            "url = \"https://platform.example/api\"\nallowed_origins = [\"http://cdn.example\"]\n{BEARER}"
        ))
        .unwrap();
        let err =
            validate("url = \"https://h/api\"\nallowed_origins = [\"https://h/x\"]").unwrap_err();
        assert_eq!(err.key, "sources.x.http.allowed_origins[0]");
    }

    #[test]
    fn userinfo_is_taken_out_of_the_url() {
        let c = validate("url = \"https://me:p%40ss@platform.example/api\"").unwrap();
        assert_eq!(c.url.as_str(), "https://platform.example/api");
        let userinfo = c.userinfo.unwrap();
        assert_eq!(userinfo.username, "me");
        assert_eq!(userinfo.password.unwrap().expose(), "p%40ss");
        let err = validate(&format!(
            "url = \"https://me:pw@platform.example/api\"\n{BEARER}"
        ))
        .unwrap_err();
        assert!(
            err.message.contains("give the credentials in one of them"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_url_that_does_not_parse_is_quoted_without_its_password() {
        let err = validate("url = \"https://me:pw@plat form/api\"").unwrap_err();
        assert!(
            err.message.contains("\"https://***@plat form/api\""),
            "{}",
            err.message
        );
        assert!(!err.message.contains("pw"), "{}", err.message);
    }

    #[test]
    fn a_credential_parameter_written_in_the_url_is_refused() {
        let err = validate(
            "url = \"https://h/api?apiKey=abc\"\n[auth]\nkind = \"api_key\"\nkey_env = \"K\"\nquery_param = \"apiKey\"\n",
        )
        .unwrap_err();
        assert_eq!(err.key, "sources.x.http.url");
        assert!(!err.message.contains("abc"), "{}", err.message);
        let signed = validate(
            "url = \"https://h/api\"\n[auth]\nkind = \"signed\"\napp_key = \"k\"\napp_secret_env = \"S\"\n",
        )
        .unwrap();
        assert_eq!(
            signed.secret_params,
            ["appKey", "timestamp", "nonce", "sign"]
        );
    }

    #[test]
    fn max_body_bytes_has_a_default_and_bounds() {
        assert_eq!(
            validate("url = \"https://h/api\"").unwrap().max_body_bytes,
            64 << 20
        );
        let err = validate("url = \"https://h/api\"\nmax_body_bytes = 10").unwrap_err();
        assert_eq!(err.key, "sources.x.http.max_body_bytes");
    }
}
