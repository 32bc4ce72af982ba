//! Validated settings of an `http_json` source.

use std::time::Duration;

use chrono::TimeZone;
use chrono_tz::Tz;
use url::Url;

use serde::Deserialize;

use crate::config::Invalid;

#[derive(Debug, Clone)]
pub struct HttpJsonConfig {
    pub url: Url,
    pub page_size: u32,
    pub page_param: String,
    pub size_param: String,
    pub incremental: bool,
    pub since_param: String,
    /// chrono format of update times, both in the `since` parameter and in records.
    pub since_format: String,
    pub records_path: Vec<String>,
    pub status_path: Option<Vec<String>>,
    pub status_ok: i64,
    pub message_path: Vec<String>,
    pub timeout: Duration,
    pub prefetch_pages: usize,
    pub lag: Duration,
    /// The source's time zone, in which `since_format` times are written.
    pub timezone: Tz,
}

impl HttpJsonConfig {
    /// # Errors
    /// [`Invalid`] naming the key under `key` (e.g. `sources.x.http.url`).
    pub fn validate(raw: &RawHttpJson, tz: Tz, key: &str) -> Result<HttpJsonConfig, Invalid> {
        let k = |name: &str| format!("{key}.{name}");
        let url = Url::parse(&raw.url).map_err(|e| {
            Invalid::new(
                k("url"),
                format!(
                    "{:?} is not a URL ({e}); expected e.g. \"https://host/api/v1/transactions\"",
                    raw.url
                ),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new(
                k("url"),
                format!(
                    "scheme {:?} is not supported; use http or https",
                    url.scheme()
                ),
            ));
        }
        if !(1..=10_000).contains(&raw.page_size) {
            return Err(Invalid::new(
                k("page_size"),
                format!("{} is out of range; expected 1 to 10000", raw.page_size),
            ));
        }
        if raw.timeout_ms == 0 {
            return Err(Invalid::new(
                k("timeout_ms"),
                "is 0; expected a timeout in milliseconds, e.g. 30000",
            ));
        }
        if !(1..=64).contains(&raw.prefetch_pages) {
            return Err(Invalid::new(
                k("prefetch_pages"),
                format!("{} is out of range; expected 1 to 64", raw.prefetch_pages),
            ));
        }
        check_time_format(&raw.since_format, tz).map_err(|m| Invalid::new(k("since_format"), m))?;
        let path = |name: &str, p: &str| -> Result<Vec<String>, Invalid> {
            let parts: Vec<String> = p.split('.').map(str::to_owned).collect();
            if parts.iter().any(String::is_empty) {
                return Err(Invalid::new(
                    k(name),
                    format!("{p:?} is not a dotted path such as \"data.list\""),
                ));
            }
            Ok(parts)
        };
        Ok(HttpJsonConfig {
            url,
            page_size: raw.page_size,
            page_param: raw.page_param.clone(),
            size_param: raw.size_param.clone(),
            incremental: raw.incremental,
            since_param: raw.since_param.clone(),
            since_format: raw.since_format.clone(),
            records_path: path("records_path", &raw.records_path)?,
            status_path: if raw.status_path.is_empty() {
                None
            } else {
                Some(path("status_path", &raw.status_path)?)
            },
            status_ok: raw.status_ok,
            message_path: path("message_path", &raw.message_path)?,
            timeout: Duration::from_millis(raw.timeout_ms),
            prefetch_pages: raw.prefetch_pages,
            lag: Duration::from_secs(raw.lag_secs),
            timezone: tz,
        })
    }
}

/// A time format must render a time and read it back to the same second, or cursors
/// would drift.
pub(crate) fn check_time_format(format: &str, tz: Tz) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "{format:?} is not a chrono time format; expected e.g. \"%Y-%m-%d %H:%M:%S\""
        ));
    }
    let sample = tz
        .with_ymd_and_hms(2023, 3, 31, 8, 9, 10)
        .single()
        .ok_or("time zone has no 2023-03-31 08:09:10")?;
    let text = sample.format(format).to_string();
    match crate::normalize::parse::local_timestamp(&text, format, tz) {
        Ok(back) if back == sample => Ok(()),
        _ => Err(format!(
            "{format:?} does not identify a time to the second (2023-03-31 08:09:10 renders as {text:?}); include date and %H:%M:%S"
        )),
    }
}

/// `[sources.<name>.http]`: a paged JSON API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttpJson {
    /// Endpoint URL returning one page of records.
    pub url: String,
    /// Records asked for per page. Default 500.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Query parameter carrying the 1-based page number. Default `pageNo`.
    #[serde(default = "default_page_param")]
    pub page_param: String,
    /// Query parameter carrying the page size. Default `pageSize`.
    #[serde(default = "default_size_param")]
    pub size_param: String,
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
    /// Dotted path to the array of records in the response. Default `data.list`.
    #[serde(default = "default_records_path")]
    pub records_path: String,
    /// Dotted path to a status code in the response envelope, and the value meaning
    /// success. Default `code` = 0. Set `status_path = ""` for APIs without one.
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
    /// records the platform commits late with an earlier 更新时间. Records in the window
    /// are read again and published only if their content changed. Default 0.
    #[serde(default)]
    pub lag_secs: u64,
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

