//! Validated settings of an `http_json` source.

use std::time::Duration;

use chrono::TimeZone;
use chrono_tz::Tz;
use url::Url;

use crate::config::raw::RawHttpJson;
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
        })
    }
}

/// A time format must render a time and read it back to the same second, or cursors
/// would drift.
fn check_time_format(format: &str, tz: Tz) -> Result<(), String> {
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
