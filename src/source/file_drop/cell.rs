//! Workbook cells as the text a person typed, so the normaliser reads them exactly as it
//! reads CSV cells and JSON strings.
//!
//! Numbers: XLSX stores every number as an IEEE-754 double, and Excel keeps at most 15
//! significant decimal digits of what is typed. Every decimal of at most 15 significant
//! digits survives the trip to a double and back: the shortest text that reads back as
//! the same double (what Rust's `{}` prints for an `f64`) is that decimal. So `1250000.1`
//! is rendered `1250000.1`, never `1250000.0999999999`, and whole numbers have no `.0`.
//! A computed value (a formula's cached result such as `0.1+0.2`) may need 16–17 digits
//! to round-trip; it is rounded to 15 significant digits first, as Excel shows it.
//!
//! Dates and times (cells with a date format) are rendered `YYYY-MM-DD HH:MM:SS` (`.mmm`
//! added for milliseconds), midnight included: calamine does not say whether a cell's
//! format shows a time, and a date reads as a date from either text, while an update
//! time at midnight (or a ledger stamping 更新时间 with dates only) reads as a time only
//! from the full one. Excel keeps no time zone, so these are the platform's local times. Error cells keep their
//! text (`#REF!`, `#N/A`) so the normaliser refuses the record with a dead letter.

use std::borrow::Cow;

#[cfg(test)]
use calamine::Data;
use calamine::{DataRef, ExcelDateTime};

/// Significant decimal digits Excel keeps of a typed number.
const EXCEL_DIGITS: usize = 15;

/// The cell's text; "" for an empty cell. Sheets are read through [`render_ref`]; this
/// renders calamine's `Range` cells, which the tests compare the streamed sheets with.
#[cfg(test)]
pub(crate) fn render(cell: &Data) -> Cow<'_, str> {
    match cell {
        Data::Empty => Cow::Borrowed(""),
        Data::String(s) => Cow::Borrowed(s),
        Data::Float(f) => Cow::Owned(number_text(*f)),
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(d) => Cow::Owned(date_text(d)),
        // OpenDocument keeps ISO 8601 text: 2024-03-01T10:30:00.
        Data::DateTimeIso(s) => Cow::Owned(s.replacen('T', " ", 1)),
        Data::DurationIso(s) => Cow::Borrowed(s),
        Data::Error(e) => Cow::Owned(e.to_string()),
    }
}

/// [`render`] for a cell of calamine's streaming XLSX reader.
pub(crate) fn render_ref<'a>(cell: &'a DataRef<'_>) -> Cow<'a, str> {
    match cell {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(s) => Cow::Borrowed(s),
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::Float(f) => Cow::Owned(number_text(*f)),
        DataRef::Int(i) => Cow::Owned(i.to_string()),
        DataRef::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) => Cow::Owned(date_text(d)),
        DataRef::DateTimeIso(s) => Cow::Owned(s.replacen('T', " ", 1)),
        DataRef::DurationIso(s) => Cow::Borrowed(s),
        DataRef::Error(e) => Cow::Owned(e.to_string()),
    }
}

/// The shortest decimal text of a double, rounded first to Excel's 15 significant digits
/// when it needs more.
pub(crate) fn number_text(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        // -0 is 0 to a person; a non-finite value cannot be stored in XLSX.
        return if f.is_finite() {
            "0".into()
        } else {
            f.to_string()
        };
    }
    let shortest = f.to_string();
    if significant_digits(&shortest) <= EXCEL_DIGITS {
        return shortest;
    }
    let rounded: f64 = format!("{f:.*e}", EXCEL_DIGITS - 1).parse().unwrap_or(f);
    rounded.to_string()
}

fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

fn date_text(d: &ExcelDateTime) -> String {
    let serial = d.as_f64();
    // Whole milliseconds first, carrying into seconds and days (23:59:59.9996 is the next
    // day); calamine's own split can leave 1000 ms.
    let total_ms = (serial * 86_400_000.0).round() as i64;
    let (days, ms_of_day) = (
        total_ms.div_euclid(86_400_000),
        total_ms.rem_euclid(86_400_000),
    );
    let (s_of_day, ms) = (ms_of_day / 1000, ms_of_day % 1000);
    let (h, min, s) = (s_of_day / 3600, s_of_day / 60 % 60, s_of_day % 60);
    let time = match ms {
        0 => format!("{h:02}:{min:02}:{s:02}"),
        ms => format!("{h:02}:{min:02}:{s:02}.{ms:03}"),
    };
    if d.is_duration() {
        let hours = days * 24 + h;
        return match ms {
            0 => format!("{hours}:{min:02}:{s:02}"),
            ms => format!("{hours}:{min:02}:{s:02}.{ms:03}"),
        };
    }
    if (0.0..1.0).contains(&serial) && days == 0 {
        // A time of day without a date.
        return time;
    }
    // calamine keeps the workbook's date system private; equality tells it.
    let is_1904 = *d == ExcelDateTime::new(serial, calamine::ExcelDateTimeType::DateTime, true);
    let date = if !is_1904 && days == 60 {
        // Excel's 1900 leap-year bug: serial 60 is the day that never was.
        "1900-02-29".to_owned()
    } else {
        let (epoch, offset) = match (is_1904, days < 60) {
            (true, _) => ((1904, 1, 1), days),
            // Serials 1–59 count from 1900-01-01 = 1, before the phantom 1900-02-29.
            (false, true) => ((1899, 12, 31), days),
            (false, false) => ((1899, 12, 30), days),
        };
        chrono::NaiveDate::from_ymd_opt(epoch.0, epoch.1, epoch.2)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(offset)))
            .map_or_else(|| serial.to_string(), |d| d.format("%Y-%m-%d").to_string())
    };
    format!("{date} {time}")
}

#[cfg(test)]
mod tests {
    use calamine::{CellErrorType, ExcelDateTimeType};
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn typed_numbers_render_as_typed() {
        let cases: &[(f64, &str)] = &[
            (1_250_000.1, "1250000.1"),
            (1_250_000.0, "1250000"),
            (312_500.0, "312500"),
            (0.01, "0.01"),
            (-35.5, "-35.5"),
            (-0.0, "0"),
            (123_456_789_012.34, "123456789012.34"),
            (140_702_100_200.0, "140702100200"),
            (1e21, "1000000000000000000000"),
            (0.000_000_1, "0.0000001"),
            // A formula's cached result, as Excel shows it.
            (0.1 + 0.2, "0.3"),
            (1_250_000.1 - 312_500.0, "937500.1"),
        ];
        for (f, text) in cases {
            assert_eq!(number_text(*f), *text, "{f:?}");
        }
    }

    proptest! {
        /// Whatever decimal of up to 15 significant digits a person types, the cell reads
        /// back as that decimal (as rust_decimal normalises it).
        #[test]
        fn any_typed_decimal_of_15_digits_round_trips(mantissa in -999_999_999_999_999i64..=999_999_999_999_999, scale in 0u32..=6) {
            let typed = rust_decimal::Decimal::new(mantissa, scale);
            let stored: f64 = typed.to_string().parse().unwrap();
            let back: rust_decimal::Decimal = number_text(stored).parse().unwrap();
            prop_assert_eq!(back, typed.normalize());
        }
    }

    /// A date cell's text reads as a date, and as an update time at midnight under the
    /// default time format (a ledger stamping 更新时间 with dates only).
    #[test]
    fn a_date_cell_reads_as_a_date_and_as_a_midnight_update_time() {
        let cell = Data::DateTime(ExcelDateTime::new(
            45352.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        let text = render(&cell);
        assert_eq!(
            crate::normalize::parse::date(&text),
            Ok(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap())
        );
        let at = crate::normalize::parse::local_timestamp(
            &text,
            "%Y-%m-%d %H:%M:%S",
            chrono_tz::Asia::Shanghai,
        )
        .unwrap();
        assert_eq!(
            at.to_rfc3339(),
            "2024-02-29T16:00:00+00:00",
            "Shanghai midnight"
        );
    }

    #[test]
    fn dates_times_and_errors_render_as_text() {
        let dt = |v: f64| Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false));
        assert_eq!(render(&dt(45016.0)), "2023-03-31 00:00:00");
        assert_eq!(render(&dt(45352.4375)), "2024-03-01 10:30:00");
        assert_eq!(
            render(&dt(45352.0 + 37_845.0 / 86_400.0)),
            "2024-03-01 10:30:45"
        );
        assert_eq!(render(&dt(0.5)), "12:00:00");
        assert_eq!(
            render(&dt(45351.0 + 86_399.999_6 / 86_400.0)),
            "2024-03-01 00:00:00"
        );
        assert_eq!(render(&dt(1.0)), "1900-01-01 00:00:00");
        assert_eq!(render(&dt(61.0)), "1900-03-01 00:00:00");
        let span = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(render(&span), "36:00:00");
        let mac = Data::DateTime(ExcelDateTime::new(
            43554.0,
            ExcelDateTimeType::DateTime,
            true,
        ));
        assert_eq!(render(&mac), "2023-03-31 00:00:00");
        assert_eq!(render(&Data::Error(CellErrorType::Ref)), "#REF!");
        assert_eq!(render(&Data::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(render(&Data::Int(7)), "7");
        assert_eq!(render(&Data::Bool(true)), "TRUE");
        assert_eq!(
            render(&Data::DateTimeIso("2024-03-01T10:30:00".into())),
            "2024-03-01 10:30:00"
        );
        assert_eq!(render(&Data::Empty), "");
    }
}
