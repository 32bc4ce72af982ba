//! Checks shared by the validation of several tables.

use chrono::TimeZone;
use chrono_tz::Tz;

/// A time format must render a time and read it back to the same second, or cursors
/// would drift.
pub fn check_time_format(format: &str, tz: Tz) -> Result<(), String> {
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

/// The longest lag window a source may reach back: 31 days. Longer windows re-read a
/// month of records on every pull, and absurd ones overflowed the date arithmetic (a
/// panic before this check existed).
pub const MAX_LAG_SECS: u64 = 31 * 24 * 3600;

/// A source's `lag_secs`, in range.
pub fn check_lag_secs(secs: u64) -> Result<(), String> {
    if secs <= MAX_LAG_SECS {
        Ok(())
    } else {
        Err(format!(
            "{secs} is out of range; expected 0 to {MAX_LAG_SECS} (31 days) seconds"
        ))
    }
}
