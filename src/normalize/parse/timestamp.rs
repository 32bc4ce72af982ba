//! Timestamps (时间): date-times as UTC instants. Every form of [`super::date`](mod@super::date) is
//! accepted (see its module doc for the forms and the bare-number rules); a time written
//! without an offset is local time in the source's zone, and a date without a time is
//! 00:00 local.
//!
//! Asia/Shanghai is UTC+8 today, but had daylight saving time in 1986–1991: a local time
//! that fell in a spring-forward gap or an autumn fold is refused rather than guessed.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::date::{moment, Moment, TimeContext};

/// A date-time as a UTC instant; local times are in `tz` and Excel serials in the 1900
/// system: `2023-03-31 08:00`, `2023-03-31 08:00:00`, `2023/3/31 8:00:00`,
/// `2023-03-31T08:00:00+08:00`, `2023-03-31T00:00:00Z`, `1680220800000` (epoch millis),
/// `1680220800` (epoch seconds), `45016.3333` (Excel serial), `2023年3月31日 8时`.
///
/// # Errors
/// When the text is none of the forms, names an impossible date or time, or a local time
/// that does not exist or is ambiguous in `tz`.
pub fn timestamp(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    timestamp_with(
        text,
        &TimeContext {
            tz,
            ..TimeContext::default()
        },
    )
}

/// A date-time as a UTC instant, read in `context` (zone and Excel date system).
///
/// # Errors
/// As [`timestamp`].
pub fn timestamp_with(text: &str, context: &TimeContext) -> Result<DateTime<Utc>, String> {
    match moment(text, context.excel)? {
        Moment::Instant(t) => Ok(t),
        Moment::Local { date, time } => in_zone(
            text,
            &date.and_time(time.unwrap_or(NaiveTime::MIN)),
            context.tz,
        ),
    }
}

fn in_zone(text: &str, local: &NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Err(format!(
            "{text:?} is ambiguous in {tz}: clocks went back, so it is {} or {}",
            a.with_timezone(&Utc).to_rfc3339(),
            b.with_timezone(&Utc).to_rfc3339()
        )),
        LocalResult::None => Err(format!(
            "{text:?} does not exist in {tz}: clocks went forward over it"
        )),
    }
}

/// How finely an update time says when a record changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeResolution {
    /// Only the day was given: the time is the start of that day in the source's zone,
    /// and any moment of that day is as likely. A cursor over such times has day
    /// resolution: each pull must re-read the whole current day.
    Day,
    /// A time of day or an instant was given.
    Exact,
}

/// An update time and how finely it resolves the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateTime {
    pub at: DateTime<Utc>,
    pub resolution: TimeResolution,
}

/// An update time from a text source (CSV, JSON, an SQL text column): every form of
/// [`timestamp_with`]; a date alone (`2023-03-31`, `2023/3/31`, `20230331`,
/// `2023年3月31日`, a whole Excel serial) is the start of that day in `context`'s zone,
/// flagged [`TimeResolution::Day`].
///
/// # Errors
/// As [`timestamp_with`].
pub fn update_time(text: &str, context: &TimeContext) -> Result<UpdateTime, String> {
    match moment(text, context.excel)? {
        Moment::Instant(at) => Ok(UpdateTime {
            at,
            resolution: TimeResolution::Exact,
        }),
        Moment::Local {
            date,
            time: Some(time),
        } => Ok(UpdateTime {
            at: in_zone(text, &date.and_time(time), context.tz)?,
            resolution: TimeResolution::Exact,
        }),
        Moment::Local { date, time: None } => start_of_day(text, date, context.tz),
    }
}

/// An update time in a configured `format` (chrono syntax): with time fields as
/// [`local_timestamp`]; a format of date fields only (`%Y-%m-%d`, `%Y%m%d`) reads a
/// date-only update time, the start of that day in `tz`, flagged [`TimeResolution::Day`].
///
/// # Errors
/// When the text matches the format neither as a date-time nor as a date.
pub fn update_time_in_format(text: &str, format: &str, tz: Tz) -> Result<UpdateTime, String> {
    if let Ok(naive) = NaiveDateTime::parse_from_str(text.trim(), format) {
        return Ok(UpdateTime {
            at: in_zone(text, &naive, tz)?,
            resolution: TimeResolution::Exact,
        });
    }
    let date = NaiveDate::parse_from_str(text.trim(), format)
        .map_err(|e| format!("{text:?} does not match the time format {format:?}: {e}"))?;
    start_of_day(text, date, tz)
}

/// The first instant of `date` in `tz`. Where a zone moves its clocks at midnight, the day
/// starts when the clocks do (searched minute by minute, at most a day ahead).
fn start_of_day(text: &str, date: NaiveDate, tz: Tz) -> Result<UpdateTime, String> {
    let midnight = date.and_time(NaiveTime::MIN);
    for minute in 0..=MINUTES_PER_DAY {
        let local = midnight + chrono::Duration::minutes(minute);
        if let Some(at) = tz.from_local_datetime(&local).earliest() {
            return Ok(UpdateTime {
                at: at.with_timezone(&Utc),
                resolution: TimeResolution::Day,
            });
        }
    }
    Err(format!(
        "{text:?}: the day {date} has no time of day in {tz}"
    ))
}

const MINUTES_PER_DAY: i64 = 24 * 60;

/// A local date-time in `format` (chrono syntax) in `tz`, as a UTC instant: for sources
/// whose update times have one fixed, configured format.
///
/// # Errors
/// When the text does not match the format or names a time that does not exist there.
pub fn local_timestamp(text: &str, format: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), format)
        .map_err(|e| format!("{text:?} does not match the time format {format:?}: {e}"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{text:?} does not exist in time zone {tz}"))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, Timelike};
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    use super::super::date::ExcelEpoch;
    use super::*;

    #[test]
    fn timestamps_in_every_published_form() {
        // 2023-03-31 08:00 in Shanghai is 00:00 UTC.
        let at8 = "2023-03-31T00:00:00+00:00";
        // 28 cases
        let cases: &[(&str, &str)] = &[
            ("2023-03-31 08:00", at8),
            ("2023-03-31 08:00:00", at8),
            ("2023-03-31 8:00:00", at8),
            ("2023/3/31 8:00:00", at8),
            ("2023/03/31 08:00", at8),
            ("2023.3.31 08:00:00", at8),
            ("2023年3月31日 08:00:00", at8),
            ("2023年3月31日8时", at8),
            ("2023年3月31日8点0分0秒", at8),
            ("二〇二三年三月三十一日 八时", at8),
            ("2023-03-31T08:00:00", at8),
            ("2023-03-31T08:00:00.000", at8),
            ("2023-03-31 08:00:00.0", at8),
            ("2023-03-31T08:00:00+08:00", at8),
            ("2023-03-31T00:00:00Z", at8),
            ("2023-03-31T00:00:00.000Z", at8),
            ("2023-03-31T09:00:00+0900", at8),
            ("2023-03-30T20:00:00-04:00", at8),
            ("2023-03-31 08:00:00 +08", at8),
            ("1680220800000", at8),
            ("1680220800", at8),
            ("45016.3333333333", at8),
            ("20230331080000", at8),
            ("２０２３－０３－３１　０８：００：００", at8),
            ("2023-03-31", "2023-03-30T16:00:00+00:00"),
            ("20230331", "2023-03-30T16:00:00+00:00"),
            ("45016", "2023-03-30T16:00:00+00:00"),
            ("2023-03-31 08:00:00.123", "2023-03-31T00:00:00.123+00:00"),
        ];
        for (text, want) in cases {
            assert_eq!(
                timestamp(text, Shanghai).unwrap().to_rfc3339(),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_timestamps_say_what_is_wrong() {
        // 12 cases
        let cases: &[(&str, &str)] = &[
            ("2023-02-30 08:00", "has 28 days"),
            ("2023-03-31 24:00", "impossible time"),
            ("2023-03-31 08:00:61", "impossible time"),
            ("2023-03-31 8", "not H:MM"),
            ("2023-03-31 08:0", "not H:MM"),
            ("2023-03-31T08:00:00+25:00", "offset"),
            ("2023-03-31T08:00:00+8", "offset"),
            ("168022080000", "12 digits"),
            ("16802208000000", "outside 1900–2199"), // 14 digits are YYYYMMDDHHMMSS: 1680-22-08
            ("yesterday", "not a date"),
            // Shanghai sprang forward 02:00 → 03:00 on 1986-05-04.
            ("1986-05-04 02:30:00", "does not exist"),
            // …and fell back 02:00 → 01:00 on 1986-09-14.
            ("1986-09-14 01:30:00", "ambiguous"),
        ];
        for (text, want) in cases {
            let err = timestamp(text, Shanghai).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn date_only_update_times_are_the_start_of_their_day() {
        use TimeResolution::*;
        let ctx = TimeContext::default();
        // Shanghai midnight of 2023-03-31 is 16:00 UTC the day before.
        let day = "2023-03-30T16:00:00+00:00";
        // (text, instant, resolution) — 14 cases
        let cases: &[(&str, &str, TimeResolution)] = &[
            ("2023-03-31", day, Day),
            ("2023/3/31", day, Day),
            ("2023.3.31", day, Day),
            ("20230331", day, Day),
            ("2023年3月31日", day, Day),
            ("二〇二三年三月三十一日", day, Day),
            ("45016", day, Day),
            ("２０２３－０３－３１", day, Day),
            ("2023-03-31 00:00:00", day, Exact),
            ("2023-03-31 08:00", "2023-03-31T00:00:00+00:00", Exact),
            ("45016.5", "2023-03-31T04:00:00+00:00", Exact),
            ("2023-03-31T00:00:00Z", "2023-03-31T00:00:00+00:00", Exact),
            ("1680192000000", day, Exact),
            ("2023年3月31日8时", "2023-03-31T00:00:00+00:00", Exact),
        ];
        for (text, at, resolution) in cases {
            let got = update_time(text, &ctx).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (got.at.to_rfc3339().as_str(), got.resolution),
                (*at, *resolution),
                "{text}"
            );
        }
        // Another zone's day starts at its own midnight.
        let utc = TimeContext {
            tz: chrono_tz::UTC,
            ..TimeContext::default()
        };
        assert_eq!(
            update_time("2023-03-31", &utc).unwrap().at.to_rfc3339(),
            "2023-03-31T00:00:00+00:00"
        );
        // Where clocks skip midnight (America/Santiago, 2022-09-11 00:00 → 01:00), the day
        // starts when the clocks resume.
        let santiago = TimeContext {
            tz: chrono_tz::America::Santiago,
            ..TimeContext::default()
        };
        assert_eq!(
            update_time("2022-09-11", &santiago)
                .unwrap()
                .at
                .to_rfc3339(),
            "2022-09-11T04:00:00+00:00"
        );
    }

    #[test]
    fn update_times_in_a_configured_format_may_be_dates() {
        use TimeResolution::*;
        // (text, format, instant or error, resolution) — 10 cases
        let cases: &[(&str, &str, &str, Option<TimeResolution>)] = &[
            (
                "2023-03-31",
                "%Y-%m-%d",
                "2023-03-30T16:00:00+00:00",
                Some(Day),
            ),
            ("20230331", "%Y%m%d", "2023-03-30T16:00:00+00:00", Some(Day)),
            (
                "2023/03/31",
                "%Y/%m/%d",
                "2023-03-30T16:00:00+00:00",
                Some(Day),
            ),
            (
                " 2023-03-31 ",
                "%Y-%m-%d",
                "2023-03-30T16:00:00+00:00",
                Some(Day),
            ),
            (
                "2023-03-31 08:00:00",
                "%Y-%m-%d %H:%M:%S",
                "2023-03-31T00:00:00+00:00",
                Some(Exact),
            ),
            (
                "2023-03-31 08:00",
                "%Y-%m-%d %H:%M",
                "2023-03-31T00:00:00+00:00",
                Some(Exact),
            ),
            (
                "2023-03-31",
                "%Y-%m-%d %H:%M:%S",
                "does not match the time format",
                None,
            ),
            (
                "2023-02-30",
                "%Y-%m-%d",
                "does not match the time format",
                None,
            ),
            ("31/03/2023", "%Y-%m-%d", "does not match", None),
            (
                "1986-05-04 02:30:00",
                "%Y-%m-%d %H:%M:%S",
                "does not exist",
                None,
            ),
        ];
        for (text, format, want, resolution) in cases {
            match (update_time_in_format(text, format, Shanghai), resolution) {
                (Ok(got), Some(r)) => {
                    assert_eq!(
                        (got.at.to_rfc3339().as_str(), got.resolution),
                        (*want, *r),
                        "{text}"
                    )
                }
                (Err(e), None) => {
                    assert!(e.contains(want) && e.contains(text.trim()), "{text}: {e}")
                }
                (got, _) => panic!("{text}: {got:?}"),
            }
        }
    }

    #[test]
    fn the_1904_system_is_a_flag() {
        let mac = TimeContext {
            excel: ExcelEpoch::Mac1904,
            ..TimeContext::default()
        };
        let t = timestamp_with("43554.5", &mac).unwrap();
        assert_eq!(t.to_rfc3339(), "2023-03-31T04:00:00+00:00");
    }

    #[test]
    fn local_timestamps_are_shanghai_time() {
        let t = local_timestamp("2023-01-05 09:00:00", "%Y-%m-%d %H:%M:%S", Shanghai).unwrap();
        assert_eq!(t.to_rfc3339(), "2023-01-05T01:00:00+00:00");
        assert!(local_timestamp("2023/01/05", "%Y-%m-%d %H:%M:%S", Shanghai).is_err());
    }

    proptest! {
        #[test]
        fn every_form_of_every_instant_parses_back(
            days in 0i64..36_500, seconds in 0u32..86_400
        ) {
            let day = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap() + Duration::days(days);
            let local = day.and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap());
            let want = Shanghai.from_local_datetime(&local).single().unwrap().with_timezone(&Utc);
            let mut forms = vec![
                local.format("%Y-%m-%d %H:%M:%S").to_string(),
                local.format("%Y/%-m/%-d %-H:%M:%S").to_string(),
                local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                local.format("%Y%m%d%H%M%S").to_string(),
                want.to_rfc3339(),
                want.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                format!("{}+08:00", local.format("%Y-%m-%dT%H:%M:%S")),
            ];
            if (1_000_000_000..10_000_000_000).contains(&want.timestamp()) {
                forms.push(want.timestamp().to_string());
                forms.push(want.timestamp_millis().to_string());
            }
            for form in &forms {
                prop_assert_eq!(timestamp(form, Shanghai).unwrap(), want, "{}", form);
            }
            // An Excel serial with a fraction: whole seconds survive the round trip.
            let serial_days = (day - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
            let serial = format!("{serial_days}.{:010}", u64::from(seconds) * 10_000_000_000 / 86_400 + 1);
            let got = timestamp(&serial, Shanghai).unwrap();
            prop_assert_eq!(got.with_timezone(&Shanghai).naive_local().time().num_seconds_from_midnight(), seconds, "{}", serial);
        }
    }
}
