//! Dates (日期) in every form platforms publish, and the date-time grammar that
//! [`super::timestamp`](mod@super::timestamp) shares.
//!
//! Written forms, after NFKC (so full-width `２０２３－０３－３１` is the same text):
//! - `2023-03-31`, `2023/3/31`, `2023.3.31` (one separator throughout), `2023年3月31日`
//!   (日 or 号 optional), and Chinese numerals `二〇二三年三月三十一日`, `二零二三年十二月一日`;
//! - each optionally followed by a time: after a space or `T` (`2023-03-31 08:00`,
//!   `2023-03-31T08:00:00.000+08:00`), or directly after 日 (`2023年3月31日8时30分`).
//!   Seconds, fractions and an offset (`Z`, `+08:00`, `+0800`, `+08`) are optional.
//!
//! Bare numbers (ASCII digits only, after NFKC) are told apart **by length alone**:
//!
//! | digits | read as                                   | range                       |
//! |--------|-------------------------------------------|-----------------------------|
//! | 5      | Excel serial day (may have a `.fraction`) | 1927-05-18 … 2173-10-14     |
//! | 8      | `YYYYMMDD`                                | years 1900–2199             |
//! | 10     | Unix epoch seconds                        | 2001-09-09 … 2286           |
//! | 13     | Unix epoch milliseconds                   | 2001-09-09 … 2286           |
//! | 14     | `YYYYMMDDHHMMSS`                          | years 1900–2199             |
//!
//! Any other length is refused: `2023` is a year, `202303` a month, 6–7 or 9 digits are
//! not a date anyone writes, and a 4-digit Excel serial would be before 1928. Only a
//! 5-digit serial may carry a fraction (the time of day). Day-first and month-first forms
//! (`31/03/2023`) are refused: `03/04/2023` cannot be read without guessing. Years
//! outside 1900–2199 are refused as typos.
//!
//! Excel serials count days from 1899-12-30 (the 1900 system; Excel's fictitious
//! 1900-02-29 only affects serials below 61, which are never read) or from 1904-01-01 (the
//! 1904 system of old Mac files), chosen per source with [`ExcelEpoch`]. A serial's
//! fraction becomes a time rounded half-to-even to the whole second, since Excel stores
//! it as a binary fraction (0.333333333 of a day is 08:00:00, not 07:59:59.99997).
//!
//! A text with an offset or an epoch count names an instant; a date read from it is the
//! calendar date at that instant in the source's time zone (a JavaScript
//! `2023-03-30T16:00:00.000Z` is 2023-03-31 in Shanghai).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::numeral;
use super::text::{plain_decimal, round_half_even, spaced};

/// Which day an Excel serial counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExcelEpoch {
    /// The 1900 system (Windows Excel, WPS): serial 45016 = 2023-03-31, origin 1899-12-30.
    #[default]
    Windows1900,
    /// The 1904 system (old Mac Excel files): serial 0 = 1904-01-01.
    Mac1904,
}

impl ExcelEpoch {
    fn origin(self) -> NaiveDate {
        // Both are fixed, valid calendar dates.
        let (y, m, d) = match self {
            ExcelEpoch::Windows1900 => (1899, 12, 30),
            ExcelEpoch::Mac1904 => (1904, 1, 1),
        };
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }
}

/// How a source's dates and times are read: its time zone and its Excel date system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeContext {
    /// Zone of local (offset-less) times; Asia/Shanghai for Chinese platforms.
    pub tz: Tz,
    pub excel: ExcelEpoch,
}

impl Default for TimeContext {
    /// Asia/Shanghai and the 1900 Excel system.
    fn default() -> TimeContext {
        TimeContext {
            tz: chrono_tz::Asia::Shanghai,
            excel: ExcelEpoch::Windows1900,
        }
    }
}

/// What a date or date-time text names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moment {
    /// A wall-clock date, with a time when one was written, to be read in a time zone.
    Local {
        date: NaiveDate,
        time: Option<NaiveTime>,
    },
    /// An instant: the text had an offset, or was an epoch count.
    Instant(DateTime<Utc>),
}

const FORMS: &str = "expected e.g. 2023-03-31, 2023/3/31, 2023.3.31, 2023年3月31日, \
二〇二三年三月三十一日, 20230331, an Excel serial such as 45016, or epoch seconds (10 digits) \
or milliseconds (13 digits), optionally followed by a time such as 08:00:00";

/// A calendar date: every form in the module doc, read with the default
/// [`TimeContext`] (Asia/Shanghai, 1900 Excel system). A time after the date is checked
/// and then dropped.
///
/// # Errors
/// When the text is none of the forms, or names an impossible date or time (2023-02-30,
/// month 13, 25:00); the message names the value.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    date_with(text, &TimeContext::default())
}

/// A calendar date read in `context` (its zone for instants, its Excel date system).
///
/// # Errors
/// As [`date`].
pub fn date_with(text: &str, context: &TimeContext) -> Result<NaiveDate, String> {
    Ok(match moment(text, context.excel)? {
        Moment::Local { date, .. } => date,
        Moment::Instant(t) => t.with_timezone(&context.tz).date_naive(),
    })
}

/// How precise a published date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DatePrecision {
    Year,
    Month,
    Day,
}

/// A date with its precision: the first day of the period it names, which is only a
/// stand-in for the period (`2015年6月` is June 2015, not the 1st of June). Publish both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    pub first_day: NaiveDate,
    pub precision: DatePrecision,
}

const PARTIAL_FORMS: &str = "expected a day (2015-06-18 and every form of a date), a month \
(2015年6月, 2015-06, 2015/6, 2015.06, 201506) or a year (2015年, 2015)";

/// A date that may name only a month or a year, as ledgers write acquisition dates:
/// - **year**: `2015`, `2015年`, `2015年度`, `二〇一五年`;
/// - **month**: `2015年6月` (and `6月份`), `2015-06`, `2015-6`, `2015/6`, `2015.06`,
///   `2015.6`, `201506`, `二〇一五年六月`;
/// - **day**: everything [`date_with`] reads.
///
/// Decisions, where a text could be read two ways: 4 digits are a year and 6 digits are
/// `YYYYMM` here (no platform publishes `YYMMDD`, and a field read with this function is a
/// date, never a code); `YYYY.1` is refused, because a spreadsheet cell holding the number
/// 2015.10 shows it as 2015.1 — October would be read as January — so write `2015.01`
/// or `2015.10`. Years outside 1900–2199 are refused as typos, as for days.
///
/// # Errors
/// When the text is none of these forms or names an impossible month; the message names
/// the text.
pub fn partial_date(text: &str, context: &TimeContext) -> Result<PartialDate, String> {
    let t = spaced(text);
    let digits = if t.chars().any(numeral::is_numeral_char) {
        chinese_to_digits(text, &t)?
    } else {
        t.clone()
    };
    if let Some(partial) = month_or_year(text, &digits)? {
        return Ok(partial);
    }
    let day = date_with(text, context).map_err(|e| format!("{e}; or {PARTIAL_FORMS}"))?;
    Ok(PartialDate {
        first_day: day,
        precision: DatePrecision::Day,
    })
}

/// The month and year forms of [`partial_date`]; `None` when `t` is none of them.
fn month_or_year(text: &str, t: &str) -> Result<Option<PartialDate>, String> {
    let partial = |year: u32, month: Option<u32>| -> Result<Option<PartialDate>, String> {
        Ok(Some(PartialDate {
            first_day: make_date(text, year, month.unwrap_or(1), 1)?,
            precision: if month.is_some() {
                DatePrecision::Month
            } else {
                DatePrecision::Year
            },
        }))
    };
    let number = |s: &str| -> u32 { s.parse().unwrap_or(u32::MAX) };
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return match t.len() {
            4 => partial(number(t), None),
            6 => partial(number(&t[..4]), Some(number(&t[4..]))),
            _ => Ok(None),
        };
    }
    let mut c = Cursor { s: t, i: 0 };
    let Some((year, _)) = c.number(4, 4) else {
        return Ok(None);
    };
    let Some(sep) = c.eat_any(&['年', '-', '/', '.']) else {
        return Ok(None);
    };
    if sep == '年' && (c.done() || (c.eat('度') && c.done())) {
        return partial(year, None);
    }
    let Some((month, len)) = c.number(1, 2) else {
        return Ok(None);
    };
    let ends = match sep {
        '年' => c.eat('月') && (c.done() || (c.eat('份') && c.done())),
        _ => c.done(),
    };
    if !ends {
        return Ok(None);
    }
    if sep == '.' && len == 1 && month == 1 {
        return Err(format!(
            "{text:?} is ambiguous: {year}.1 may be January or October whose trailing zero a spreadsheet dropped (2015.10 → 2015.1); write {year}.01 or {year}.10"
        ));
    }
    partial(year, Some(month))
}

/// The date-time an Excel serial names, in the given date system: `45016` →
/// 2023-03-31 00:00:00, `45016.5` → 12:00:00. Any serial from 61 (1900-03-01) in the
/// 1900 system, or from 0 in the 1904 system, up to 9999-12-31.
///
/// # Errors
/// When the text is not a non-negative decimal or the serial is out of range.
pub fn excel_serial(text: &str, epoch: ExcelEpoch) -> Result<chrono::NaiveDateTime, String> {
    let serial = plain_decimal(&super::text::compact(text))
        .map_err(|why| format!("{text:?} is not an Excel serial ({why}); expected e.g. 45016"))?;
    let min = match epoch {
        ExcelEpoch::Windows1900 => Decimal::from(61),
        ExcelEpoch::Mac1904 => Decimal::ZERO,
    };
    if serial < min {
        return Err(format!(
            "{text:?} is before the first Excel serial this reads ({min}); Excel's 1900 system is wrong before 1900-03-01"
        ));
    }
    serial_to_datetime(serial, epoch)
        .ok_or_else(|| format!("{text:?} is past 9999-12-31 as an Excel serial"))
}

fn serial_to_datetime(serial: Decimal, epoch: ExcelEpoch) -> Option<chrono::NaiveDateTime> {
    // Seconds = serial × 86400, rounded half-to-even to the second, in integers.
    let seconds = round_half_even(
        serial.mantissa().checked_mul(86_400)?,
        10i128.checked_pow(serial.scale())?,
    );
    let seconds = i64::try_from(seconds).ok()?;
    epoch
        .origin()
        .and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::try_seconds(seconds)?)
}

/// Parse any supported date or date-time text.
pub(super) fn moment(text: &str, excel: ExcelEpoch) -> Result<Moment, String> {
    let t = spaced(text);
    if t.is_empty() {
        return Err(format!("{text:?} is empty; {FORMS}"));
    }
    if let Some(m) = bare_number(text, &t, excel)? {
        return Ok(m);
    }
    let t = if t.chars().any(numeral::is_numeral_char) {
        chinese_to_digits(text, &t)?
    } else {
        t
    };
    written(text, &t)
}

/// Bare digit strings, by length (see the module doc). `None` when `t` is not one.
fn bare_number(text: &str, t: &str, excel: ExcelEpoch) -> Result<Option<Moment>, String> {
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return Ok(None);
    }
    if frac.is_some() && int.len() != 5 {
        return Err(format!(
            "{text:?}: a number with a fraction is read only as an Excel serial, which has 5 digits before the point (45016.5); {FORMS}"
        ));
    }
    let digits = |range: std::ops::Range<usize>| -> u32 {
        // `int` is all ASCII digits and at most 14 long here, so this cannot fail.
        int[range].parse().unwrap_or(0)
    };
    let moment = match int.len() {
        5 => {
            let serial = plain_decimal(t).map_err(|why| format!("{text:?}: {why}"))?;
            let at = serial_to_datetime(serial, excel)
                .ok_or_else(|| format!("{text:?} is out of range as an Excel serial"))?;
            let time = frac.map(|_| at.time());
            Moment::Local {
                date: at.date(),
                time,
            }
        }
        8 => Moment::Local {
            date: make_date(text, digits(0..4), digits(4..6), digits(6..8))?,
            time: None,
        },
        14 => Moment::Local {
            date: make_date(text, digits(0..4), digits(4..6), digits(6..8))?,
            time: Some(make_time(
                text,
                digits(8..10),
                digits(10..12),
                digits(12..14),
                0,
            )?),
        },
        10 | 13 => {
            let n: i64 = int
                .parse()
                .map_err(|_| format!("{text:?} is out of range"))?;
            let at = if int.len() == 10 {
                DateTime::from_timestamp(n, 0)
            } else {
                DateTime::from_timestamp_millis(n)
            };
            Moment::Instant(at.ok_or_else(|| format!("{text:?} is out of range"))?)
        }
        n => {
            return Err(format!(
                "{text:?} is a bare number of {n} digits, which is not a date: 5 digits are an Excel serial, 8 YYYYMMDD, 10 epoch seconds, 13 epoch milliseconds, 14 YYYYMMDDHHMMSS"
            ))
        }
    };
    Ok(Some(moment))
}

/// Replace each run of Chinese numerals with its decimal value: `二〇二三年三月三十一日`
/// → `2023年3月31日`.
pub(super) fn chinese_to_digits(text: &str, t: &str) -> Result<String, String> {
    let mut out = String::with_capacity(t.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| -> Result<(), String> {
        if run.is_empty() {
            return Ok(());
        }
        let v = numeral::value(run).ok_or_else(|| {
            format!("{text:?}: {run:?} is not a Chinese numeral a date can have; {FORMS}")
        })?;
        out.push_str(&v.to_string());
        run.clear();
        Ok(())
    };
    for c in t.chars() {
        if numeral::is_numeral_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out)?;
            out.push(c);
        }
    }
    flush(&mut run, &mut out)?;
    Ok(out)
}

/// A cursor over normalised text.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.i += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, cs: &[char]) -> Option<char> {
        let c = self.peek().filter(|c| cs.contains(c))?;
        self.i += c.len_utf8();
        Some(c)
    }

    /// A run of ASCII digits whose length is within `min..=max`; `None` (consuming
    /// nothing) otherwise.
    fn number(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let run = self.s[self.i..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if !(min..=max).contains(&run) {
            return None;
        }
        let v = self.s[self.i..self.i + run].parse().ok()?;
        self.i += run;
        Some((v, run))
    }

    fn done(&self) -> bool {
        self.i == self.s.len()
    }
}

/// Written dates with optional time: `Y-M-D`, `Y/M/D`, `Y.M.D`, `Y年M月D日`.
fn written(text: &str, t: &str) -> Result<Moment, String> {
    let shape = || {
        if looks_day_first(t) {
            format!("{text:?} does not start with the year; day-first and month-first dates are ambiguous, write 2023-03-31")
        } else {
            format!("{text:?} is not a date; {FORMS}")
        }
    };
    let mut c = Cursor { s: t, i: 0 };
    let (year, _) = c.number(4, 4).ok_or_else(shape)?;
    let sep = c.eat_any(&['-', '/', '.', '年']).ok_or_else(shape)?;
    let (month, _) = c.number(1, 2).ok_or_else(shape)?;
    if !c.eat(if sep == '年' { '月' } else { sep }) {
        return Err(shape());
    }
    let (day, _) = c.number(1, 2).ok_or_else(shape)?;
    if sep == '年' {
        let _ = c.eat_any(&['日', '号']);
    }
    let date = make_date(text, year, month, day)?;
    if c.done() {
        return Ok(Moment::Local { date, time: None });
    }
    let separated = c.eat(' ') || c.eat('T');
    if !separated && sep != '年' {
        return Err(shape());
    }
    let (time, offset) = time_of_day(text, &mut c)?;
    if !c.done() {
        return Err(format!(
            "{text:?} has unexpected text {:?} after the time; {FORMS}",
            &t[c.i..]
        ));
    }
    let local = date.and_time(time);
    Ok(match offset {
        None => Moment::Local {
            date,
            time: Some(time),
        },
        Some(offset) => Moment::Instant(
            offset
                .from_local_datetime(&local)
                .single()
                .ok_or_else(|| format!("{text:?} is out of range"))?
                .with_timezone(&Utc),
        ),
    })
}

/// `H:MM`, `H:MM:SS`, `H:MM:SS.fff`, `H时M分S秒` / `H点`, then an optional offset.
fn time_of_day(text: &str, c: &mut Cursor<'_>) -> Result<(NaiveTime, Option<FixedOffset>), String> {
    let bad = || format!("{text:?} has a time that is not H:MM, H:MM:SS or H时M分; {FORMS}");
    let (hour, _) = c.number(1, 2).ok_or_else(bad)?;
    let (mut minute, mut second, mut nanos) = (0, 0, 0);
    if c.eat(':') {
        minute = c.number(2, 2).ok_or_else(bad)?.0;
        if c.eat(':') {
            second = c.number(2, 2).ok_or_else(bad)?.0;
            if c.eat('.') {
                let (fraction, len) = c.number(1, 9).ok_or_else(bad)?;
                // `len` ≤ 9, so this is 10^(9 − len) nanoseconds per unit.
                nanos = fraction * 10u32.pow(9 - len as u32);
            }
        }
    } else if c.eat_any(&['时', '点']).is_some() {
        if let Some((m, _)) = c.number(1, 2) {
            minute = m;
            if !c.eat('分') {
                return Err(bad());
            }
            if let Some((s, _)) = c.number(1, 2) {
                second = s;
                if !c.eat('秒') {
                    return Err(bad());
                }
            }
        }
    } else {
        return Err(bad());
    }
    let time = make_time(text, hour, minute, second, nanos)?;
    let _ = c.eat(' ');
    let offset = if c.done() {
        None
    } else if c.eat('Z') {
        Some(FixedOffset::east_opt(0).ok_or_else(bad)?)
    } else if let Some(sign) = c.eat_any(&['+', '-']) {
        let bad_offset = || format!("{text:?} has an offset that is not +08:00, +0800 or +08");
        let (hh, len) = c
            .number(2, 2)
            .or_else(|| c.number(4, 4))
            .ok_or_else(bad_offset)?;
        // `+0800` arrives as one 4-digit run.
        let (hh, mm) = if len == 4 {
            (hh / 100, hh % 100)
        } else if c.eat(':') {
            (hh, c.number(2, 2).ok_or_else(bad_offset)?.0)
        } else {
            (hh, 0)
        };
        if hh > 14 || mm > 59 {
            return Err(bad_offset());
        }
        let seconds = i32::try_from(hh * 3600 + mm * 60).map_err(|_| bad_offset())?;
        let seconds = if sign == '-' { -seconds } else { seconds };
        Some(FixedOffset::east_opt(seconds).ok_or_else(bad_offset)?)
    } else {
        None
    };
    Ok((time, offset))
}

/// `31/03/2023`, `3-31-2023`: the year last.
fn looks_day_first(t: &str) -> bool {
    let date_part = t.split([' ', 'T']).next().unwrap_or(t);
    let parts: Vec<&str> = date_part.split(['/', '-', '.']).collect();
    matches!(parts.as_slice(), [a, b, y]
        if (1..=2).contains(&a.len()) && (1..=2).contains(&b.len()) && y.len() == 4
            && [a, b, y].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

/// A real calendar date, or a message naming what is impossible about it.
pub(super) fn make_date(text: &str, year: u32, month: u32, day: u32) -> Result<NaiveDate, String> {
    if !(1900..=2199).contains(&year) {
        return Err(format!(
            "{text:?}: year {year} is outside 1900–2199; is it a typo?"
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(format!(
            "{text:?} is not a real date: month {month} is not 1–12"
        ));
    }
    // year ≤ 2199, so the cast is lossless.
    let y = year as i32;
    NaiveDate::from_ymd_opt(y, month, day).ok_or_else(|| {
        let days = days_in_month(y, month);
        format!("{text:?} is not a real date: {year}-{month:02} has {days} days, not {day}")
    })
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day())
}

fn make_time(
    text: &str,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
) -> Result<NaiveTime, String> {
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
        .filter(|_| second < 60)
        .ok_or_else(|| {
            format!("{text:?} has an impossible time {hour}:{minute:02}:{second:02}; hours are 0–23, minutes and seconds 0–59")
        })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::numeral::tests::{chinese, chinese_digits};
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_in_every_published_form() {
        let d0331 = ymd(2023, 3, 31);
        // 40 cases
        let cases: &[(&str, NaiveDate)] = &[
            ("2023-03-31", d0331),
            ("2023-3-31", d0331),
            ("2023/3/31", d0331),
            ("2023/03/31", d0331),
            ("2023.3.31", d0331),
            ("2023.03.31", d0331),
            ("2023年3月31日", d0331),
            ("2023年03月31日", d0331),
            ("2023年3月31号", d0331),
            ("2023年3月31", d0331),
            ("20230331", d0331),
            ("2023-03-31 08:00", d0331),
            ("2023-03-31 08:00:00", d0331),
            ("2023-03-31T08:00:00", d0331),
            ("2023-03-31 08:00:00.0", d0331),
            ("2023/3/31 8:00:00", d0331),
            ("2023年3月31日 08:00", d0331),
            ("2023年3月31日8时30分", d0331),
            ("2023年3月31日 8点", d0331),
            ("45016", d0331),
            ("45016.75", d0331),
            ("二〇二三年三月三十一日", d0331),
            ("二零二三年三月三十一日", d0331),
            ("二○二三年三月三十一日", d0331),
            ("二零二三年十二月一日", ymd(2023, 12, 1)),
            ("二〇二三年十月二十日", ymd(2023, 10, 20)),
            ("一九九九年一月一日", ymd(1999, 1, 1)),
            ("２０２３－０３－３１", d0331),
            ("２０２３年３月３１日", d0331),
            ("２０２３／３／３１", d0331),
            ("２０２３０３３１", d0331),
            ("  2023-03-31  ", d0331),
            ("2023-03-31T00:00:00+08:00", d0331),
            ("2023-03-30T16:00:00.000Z", d0331), // JavaScript toISOString of Shanghai midnight
            ("2023-03-31T23:00:00+0800", d0331),
            ("1680192000000", d0331), // epoch millis of 2023-03-31 00:00 Shanghai
            ("1680192000", d0331),
            ("20230331080000", d0331),
            ("2024-02-29", ymd(2024, 2, 29)),
            ("2000年2月29日", ymd(2000, 2, 29)),
        ];
        for (text, want) in cases {
            assert_eq!(date(text).unwrap(), *want, "{text}");
        }
    }

    #[test]
    fn impossible_and_ambiguous_dates_are_refused_naming_the_value() {
        // 30 cases
        let cases: &[(&str, &str)] = &[
            ("2023-02-30", "2023-02 has 28 days, not 30"),
            ("2023-02-29", "has 28 days"),
            ("2100-02-29", "has 28 days"),
            ("2023-13-01", "month 13 is not 1–12"),
            ("2023-00-10", "month 0 is not 1–12"),
            ("2023-04-31", "has 30 days"),
            ("20230230", "has 28 days"),
            ("20231301", "month 13"),
            ("二〇二三年二月三十日", "has 28 days"),
            ("二〇二三年十三月一日", "month 13"),
            ("31/03/2023", "does not start with the year"),
            ("03/04/2023", "does not start with the year"),
            ("31/03/2023x", "not a date"),
            ("2023", "4 digits"),
            ("202303", "6 digits"),
            ("2023033", "7 digits"),
            ("123456789", "9 digits"),
            ("140702100200", "12 digits"),
            ("2023.3", "fraction"),
            ("1680192000.5", "fraction"),
            ("abc", "not a date"),
            ("", "empty"),
            ("2023-03-31 25:00", "impossible time"),
            ("2023-03-31 08:60", "impossible time"),
            ("2023-03-31x", "not a date"),
            ("2023-03/31", "not a date"),
            ("23-03-31", "not a date"),
            ("0023-03-31", "outside 1900–2199"),
            ("2023-03-31 08:00 下午", "unexpected text"),
            ("二〇二三年三月三十一百日", "not a Chinese numeral"),
        ];
        for (text, want) in cases {
            let err = date(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
            if !text.is_empty() {
                assert!(err.contains(&format!("{text:?}")), "names the value: {err}");
            }
        }
    }

    #[test]
    fn excel_serials_in_both_systems() {
        let mac = TimeContext {
            excel: ExcelEpoch::Mac1904,
            ..TimeContext::default()
        };
        // 45016 in the 1904 system is 1462 days later than in the 1900 system.
        assert_eq!(date_with("45016", &mac).unwrap(), ymd(2027, 4, 1));
        assert_eq!(date_with("43554", &mac).unwrap(), ymd(2023, 3, 31));
        // 8 cases
        let cases: &[(&str, ExcelEpoch, &str)] = &[
            ("45016", ExcelEpoch::Windows1900, "2023-03-31 00:00:00"),
            ("45016.5", ExcelEpoch::Windows1900, "2023-03-31 12:00:00"),
            (
                "45016.333333333",
                ExcelEpoch::Windows1900,
                "2023-03-31 08:00:00",
            ),
            (
                "45016.999999999",
                ExcelEpoch::Windows1900,
                "2023-04-01 00:00:00",
            ),
            ("61", ExcelEpoch::Windows1900, "1900-03-01 00:00:00"),
            ("1", ExcelEpoch::Windows1900, "before the first"),
            ("0", ExcelEpoch::Mac1904, "1904-01-01 00:00:00"),
            ("-1", ExcelEpoch::Mac1904, "before the first"),
        ];
        for (text, epoch, want) in cases {
            let got = match excel_serial(text, *epoch) {
                Ok(t) => t.to_string(),
                Err(e) => e,
            };
            assert!(got.contains(want), "{text}: {got}");
        }
    }

    #[test]
    fn month_and_year_dates_keep_their_precision() {
        use DatePrecision::*;
        let ctx = TimeContext::default();
        // (text, first day, precision) — 26 cases
        let cases: &[(&str, NaiveDate, DatePrecision)] = &[
            ("2015年6月", ymd(2015, 6, 1), Month),
            ("2015年06月", ymd(2015, 6, 1), Month),
            ("2015年6月份", ymd(2015, 6, 1), Month),
            ("2015-06", ymd(2015, 6, 1), Month),
            ("2015-6", ymd(2015, 6, 1), Month),
            ("2015/6", ymd(2015, 6, 1), Month),
            ("2015/12", ymd(2015, 12, 1), Month),
            ("2015.06", ymd(2015, 6, 1), Month),
            ("2015.6", ymd(2015, 6, 1), Month),
            ("2015.10", ymd(2015, 10, 1), Month),
            ("2015.01", ymd(2015, 1, 1), Month),
            ("201506", ymd(2015, 6, 1), Month),
            ("二〇一五年六月", ymd(2015, 6, 1), Month),
            ("２０１５年６月", ymd(2015, 6, 1), Month),
            (" 2015年6月 ", ymd(2015, 6, 1), Month),
            ("2015年", ymd(2015, 1, 1), Year),
            ("2015年度", ymd(2015, 1, 1), Year),
            ("2015", ymd(2015, 1, 1), Year),
            ("二〇一五年", ymd(2015, 1, 1), Year),
            ("2015年6月18日", ymd(2015, 6, 18), Day),
            ("2015-06-18", ymd(2015, 6, 18), Day),
            ("2015.6.18", ymd(2015, 6, 18), Day),
            ("20150618", ymd(2015, 6, 18), Day),
            ("42173", ymd(2015, 6, 18), Day), // Excel serial
            ("2015-06-18 09:30", ymd(2015, 6, 18), Day),
            ("二〇一五年六月十八日", ymd(2015, 6, 18), Day),
        ];
        for (text, first_day, precision) in cases {
            let got = partial_date(text, &ctx).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (got.first_day, got.precision),
                (*first_day, *precision),
                "{text}"
            );
        }
    }

    #[test]
    fn month_and_year_dates_that_cannot_be_read_are_refused() {
        let ctx = TimeContext::default();
        // (text, what the message must say) — 12 cases
        let cases: &[(&str, &str)] = &[
            ("2015.1", "ambiguous: 2015.1 may be January or October"),
            ("2015年13月", "month 13 is not 1–12"),
            ("2015-00", "month 0 is not 1–12"),
            ("201513", "month 13"),
            ("1850年", "year 1850 is outside 1900–2199"),
            ("0215", "year 215 is outside"),
            ("15年6月", "not a date"),
            ("2015年6", "not a date"),
            ("2015-06-", "not a date"),
            ("6月", "not a date"),
            ("2015年6月上旬", "not a date"),
            ("", "empty"),
        ];
        for (text, want) in cases {
            let err = partial_date(text, &ctx).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    /// Full-width digits and punctuation, as typed with a Chinese IME.
    fn wide(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
                c => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn every_form_of_every_date_parses_back(days in 0i64..(2199 - 1900) * 365) {
            let day = ymd(1900, 1, 1) + Duration::days(days);
            let (y, m, d) = (day.year(), day.month(), day.day());
            let forms = [
                day.format("%Y-%m-%d").to_string(),
                format!("{y}/{m}/{d}"),
                format!("{y}.{m}.{d}"),
                format!("{y}年{m}月{d}日"),
                day.format("%Y%m%d").to_string(),
                format!("{y}-{m}-{d} 08:30:00"),
                format!("{}年{}月{}日", chinese_digits(y as u32), chinese(m), chinese(d)),
                wide(&day.format("%Y-%m-%d").to_string()),
            ];
            for form in &forms {
                prop_assert_eq!(date(form).unwrap(), day, "{}", form);
            }
        }

        #[test]
        fn excel_serials_and_epoch_millis_parse_back(days in 10_000i64..=99_999) {
            let day = ymd(1899, 12, 30) + Duration::days(days);
            prop_assert_eq!(date(&days.to_string()).unwrap(), day);
            let mac = TimeContext { excel: ExcelEpoch::Mac1904, ..TimeContext::default() };
            prop_assert_eq!(date_with(&days.to_string(), &mac).unwrap(), ymd(1904, 1, 1) + Duration::days(days));
            // The day's first instant: midnight, or 01:00 where summer time began at
            // midnight (Shanghai 1940–1949 and 1986–1991).
            let start = [NaiveTime::MIN, NaiveTime::from_hms_opt(1, 0, 0).unwrap()]
                .iter()
                .find_map(|t| chrono_tz::Asia::Shanghai.from_local_datetime(&day.and_time(*t)).earliest())
                .unwrap();
            let millis = start.timestamp_millis();
            if (1_000_000_000_000..10_000_000_000_000).contains(&millis) {
                prop_assert_eq!(date(&millis.to_string()).unwrap(), day);
            }
        }
    }
}
