//! What every source kind shares, defined once: page size, pages fetched ahead, whether
//! pulls are incremental, the lag window and the format of update times
//! ([`PullSettings`]), with one validation ([`SharedKeys::validate`]) and one computation
//! of the lag window ([`LagWindow`]).
//!
//! The keys keep the names and defaults each kind's table has always had (an
//! `http_json` source writes its time format as `since_format`, since the API takes it
//! in that parameter; a `file_drop` source has no prefetch, incremental or lag keys), so
//! each kind's raw table keeps its own fields and hands them here as [`SharedKeys`].

use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::normalize::Position;
use crate::settings::{check_lag_secs, check_time_format, Invalid};

/// What every source kind's pull is shaped by, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSettings {
    /// Records per page; each page is one Kafka transaction.
    pub page_size: usize,
    /// Pages fetched ahead of the one being published.
    pub prefetch_pages: usize,
    /// Whether pulls start after the committed position (records at or before
    /// `position − lag` are then skipped as already published).
    pub incremental: bool,
    pub lag: LagWindow,
    /// chrono format of update times in the source's records (and its cursor).
    pub time_format: String,
}

impl PullSettings {
    /// How far an incremental pull reaches back; `None` when pulls are not incremental.
    pub fn window(&self) -> Option<LagWindow> {
        self.incremental.then_some(self.lag)
    }
}

/// The shared keys as a kind's table writes them, with the key names and page-size
/// range that kind has.
pub struct SharedKeys<'a> {
    /// The kind's table, e.g. `sources.x.http`.
    pub table: &'a str,
    pub page_size: u64,
    pub page_sizes: RangeInclusive<u64>,
    /// `None` for a kind without the key (then one page ahead).
    pub prefetch_pages: Option<usize>,
    pub incremental: bool,
    /// `None` for a kind without the key (then no window).
    pub lag_secs: Option<u64>,
    /// The time format key's name (`since_format`, `time_format`) and value.
    pub time_format: (&'a str, &'a str),
}

/// Bounds of `prefetch_pages`.
const PREFETCH_PAGES: RangeInclusive<usize> = 1..=64;

impl SharedKeys<'_> {
    /// # Errors
    /// [`Invalid`] at the key out of range, in the order page size, prefetch, time
    /// format, lag.
    pub fn validate(&self, tz: Tz) -> Result<PullSettings, Invalid> {
        let k = |name: &str| format!("{}.{name}", self.table);
        if !self.page_sizes.contains(&self.page_size) {
            let (lo, hi) = (self.page_sizes.start(), self.page_sizes.end());
            return Err(Invalid::new(
                k("page_size"),
                format!("{} is out of range; expected {lo} to {hi}", self.page_size),
            ));
        }
        let prefetch_pages = self.prefetch_pages.unwrap_or(1);
        if !PREFETCH_PAGES.contains(&prefetch_pages) {
            return Err(Invalid::new(
                k("prefetch_pages"),
                format!("{prefetch_pages} is out of range; expected 1 to 64"),
            ));
        }
        let (format_key, format) = self.time_format;
        check_time_format(format, tz).map_err(|m| Invalid::new(k(format_key), m))?;
        let lag = match self.lag_secs {
            Some(secs) => LagWindow::from_secs(secs, &k("lag_secs"))?,
            None => LagWindow::default(),
        };
        Ok(PullSettings {
            // In range, so it fits.
            page_size: usize::try_from(self.page_size).unwrap_or(usize::MAX),
            prefetch_pages,
            incremental: self.incremental,
            lag,
            time_format: format.to_owned(),
        })
    }
}

/// How far before the committed position an incremental pull reaches back, for rows
/// committed upstream after later ones were read. Records in the window are read again
/// and published only if their content changed (content fingerprints), so the window
/// costs reads, never duplicates. At most [`crate::settings::MAX_LAG_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LagWindow(Duration);

impl LagWindow {
    /// `lag_secs` at `key`, range-checked.
    ///
    /// # Errors
    /// [`Invalid`] at `key` for a window longer than 31 days.
    pub fn from_secs(secs: u64, key: &str) -> Result<LagWindow, Invalid> {
        check_lag_secs(secs)
            .map(LagWindow)
            .map_err(|m| Invalid::new(key, m))
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    /// The time the window reaches back to from `updated_at`: `updated_at − lag`. The
    /// window is bounded at validation, so only a time within 31 days of chrono's first
    /// date could underflow; such a window starts at that first date (reading more,
    /// never skipping anything).
    pub fn start(self, updated_at: DateTime<Utc>) -> DateTime<Utc> {
        chrono::Duration::from_std(self.0)
            .ok()
            .and_then(|lag| updated_at.checked_sub_signed(lag))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// `position` moved back by the window (same native id).
    pub fn reach_back(self, position: Position) -> Position {
        Position {
            updated_at: self.start(position.updated_at),
            ..position
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(page_size: u64, lag_secs: Option<u64>, format: &str) -> SharedKeys<'_> {
        SharedKeys {
            table: "sources.x.http",
            page_size,
            page_sizes: 1..=10_000,
            prefetch_pages: Some(2),
            incremental: true,
            lag_secs,
            time_format: ("since_format", format),
        }
    }

    #[test]
    fn the_shared_keys_are_checked_in_one_place_naming_the_kinds_own_keys() {
        let tz = chrono_tz::Asia::Shanghai;
        let ok = keys(500, Some(60), "%Y-%m-%d %H:%M:%S")
            .validate(tz)
            .unwrap();
        assert_eq!((ok.page_size, ok.prefetch_pages), (500, 2));
        assert_eq!(ok.window(), Some(LagWindow::from_secs(60, "k").unwrap()));
        let err = |k: SharedKeys<'_>| k.validate(tz).unwrap_err();
        let e = err(keys(0, Some(60), "%Y-%m-%d %H:%M:%S"));
        assert_eq!(
            (e.key.as_str(), e.message.as_str()),
            (
                "sources.x.http.page_size",
                "0 is out of range; expected 1 to 10000"
            )
        );
        let e = err(SharedKeys {
            prefetch_pages: Some(65),
            ..keys(5, None, "%Y-%m-%d %H:%M:%S")
        });
        assert_eq!(e.key, "sources.x.http.prefetch_pages");
        assert_eq!(
            err(keys(5, None, "%Y-%m-%d")).key,
            "sources.x.http.since_format"
        );
        let e = err(keys(5, Some(u64::MAX), "%Y-%m-%d %H:%M:%S"));
        assert_eq!(e.key, "sources.x.http.lag_secs");
        assert!(e.message.contains("out of range"), "{}", e.message);
        // A kind without the keys: one page ahead, never incremental, no window.
        let files = SharedKeys {
            prefetch_pages: None,
            incremental: false,
            ..keys(5, None, "%Y-%m-%d %H:%M:%S")
        };
        let files = files.validate(tz).unwrap();
        assert_eq!((files.prefetch_pages, files.window()), (1, None));
    }

    #[test]
    fn the_window_is_range_checked_and_its_start_never_overflows() {
        let err = LagWindow::from_secs(10_000_000_000_000, "sources.x.http.lag_secs").unwrap_err();
        assert_eq!(err.key, "sources.x.http.lag_secs");
        assert_eq!(
            err.message,
            "10000000000000 is out of range; expected 0 to 2678400 (31 days) seconds"
        );
        let month = LagWindow::from_secs(crate::settings::MAX_LAG_SECS, "k").unwrap();
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!((at - month.start(at)).num_days(), 31);
        assert_eq!(
            month.start(DateTime::<Utc>::MIN_UTC),
            DateTime::<Utc>::MIN_UTC
        );
        let none = LagWindow::from_secs(0, "k").unwrap();
        assert!(none.is_zero());
        assert_eq!(none.start(at), at);
        let p = Position {
            updated_at: at,
            native_id: "A".into(),
        };
        let back = LagWindow::from_secs(60, "k").unwrap().reach_back(p.clone());
        assert_eq!(
            (back.updated_at, back.native_id.as_str()),
            (at - chrono::Duration::seconds(60), "A")
        );
    }
}
