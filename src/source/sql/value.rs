//! Column values as JSON, exactly: the renderings both drivers share.
//!
//! Decimals become decimal strings with the column's scale (never a binary float);
//! integers JSON numbers; floats their shortest round-trip text (a string, like
//! decimals); dates `YYYY-MM-DD`; timestamps the source's `time_format` in its time zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// How one column of the query's output is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    Null,
    Bool,
    /// MySQL `BOOLEAN` (TINYINT(1)): 0 and 1 as booleans, anything else as the number.
    TinyBool,
    Int,
    UInt,
    Decimal,
    Float32,
    Float64,
    Text,
    /// Bytes shown as text when they are UTF-8: MySQL flags text columns with a binary
    /// collation (`utf8mb4_bin`) as binary.
    Bytes,
    Uuid,
    Date,
    /// A time without zone, read as local time in the source's zone.
    Timestamp,
    /// A point in time, rendered in the source's zone.
    TimestampTz,
}

impl Render {
    pub fn is_float(self) -> bool {
        matches!(self, Render::Float32 | Render::Float64)
    }

    /// Whether the column can be the incremental `updated_column`.
    pub fn is_timestamp(self) -> bool {
        matches!(self, Render::Timestamp | Render::TimestampTz)
    }
}

/// A row's update time as the database holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Naive(NaiveDateTime),
    Aware(DateTime<Utc>),
}

impl Stamp {
    /// The local time in `tz` to the second: what the rendered text says.
    pub fn local_second(self, tz: Tz) -> NaiveDateTime {
        let local = match self {
            Stamp::Naive(n) => n,
            Stamp::Aware(t) => t.with_timezone(&tz).naive_local(),
        };
        local.with_nanosecond(0).unwrap_or(local)
    }

    /// The instant the rendered text is read back as (the pipeline's position): the
    /// local second, its earliest reading in `tz`.
    pub fn position_time(self, tz: Tz) -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&self.local_second(tz))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    pub fn render(self, tz: Tz, format: &str) -> Value {
        let text = match self {
            Stamp::Naive(n) => n.format(format).to_string(),
            Stamp::Aware(t) => t.with_timezone(&tz).format(format).to_string(),
        };
        Value::String(text)
    }
}

pub fn date(d: NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

pub fn int(i: i64) -> Value {
    Value::Number(i.into())
}

pub fn uint(u: u64) -> Value {
    Value::Number(u.into())
}

/// Shortest text that reads back as the same `f64` (Rust's `Display`), as a string.
pub fn float64(f: f64) -> Value {
    Value::String(float_text(f, f.to_string()))
}

/// Shortest text that reads back as the same `f32`: a FLOAT column's value, not its
/// widening to `f64` (0.1, not 0.10000000149011612).
pub fn float32(f: f32) -> Value {
    Value::String(float_text(f64::from(f), f.to_string()))
}

fn float_text(f: f64, shown: String) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        shown
    }
}

/// A UUID's 16 bytes in the usual hyphenated form.
pub fn uuid(bytes: &[u8]) -> Result<Value, String> {
    if bytes.len() != 16 {
        return Err(format!("a UUID has 16 bytes, not {}", bytes.len()));
    }
    let hex = hex::encode(bytes);
    Ok(Value::String(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}

/// PostgreSQL's binary NUMERIC as the decimal text PostgreSQL itself prints: every digit
/// of any size, exactly `dscale` fraction digits, `NaN` and `±Infinity` spelled out.
///
/// The wire form is `ndigits`, `weight`, `sign`, `dscale` (16 bits each) and `ndigits`
/// base-10000 digits; the first digit is worth 10000^weight.
pub fn pg_numeric_text(b: &[u8]) -> Result<String, String> {
    let word = |i: usize| -> Option<u16> {
        b.get(2 * i..2 * i + 2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
    };
    let malformed = || format!("malformed NUMERIC of {} bytes", b.len());
    let (Some(ndigits), Some(weight), Some(sign), Some(dscale)) =
        (word(0), word(1), word(2), word(3))
    else {
        return Err(malformed());
    };
    let ndigits = usize::from(ndigits);
    let weight = i32::from(weight as i16);
    let dscale = usize::from(dscale);
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return Err(malformed()),
    }
    if b.len() != 8 + 2 * ndigits {
        return Err(malformed());
    }
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i).unwrap_or(0)).collect();
    if digits.iter().any(|&d| d > 9999) {
        return Err(malformed());
    }
    let digit = |group: i32| -> u16 {
        usize::try_from(group)
            .ok()
            .and_then(|g| digits.get(g).copied())
            .unwrap_or(0)
    };
    let mut text = String::new();
    if sign == 0x4000 && digits.iter().any(|&d| d != 0) {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        text.push_str(&digit(0).to_string());
        for group in 1..=weight {
            text.push_str(&format!("{:04}", digit(group)));
        }
    }
    if dscale > 0 {
        let mut fraction = String::with_capacity(dscale + 4);
        let mut group = weight + 1;
        while fraction.len() < dscale {
            fraction.push_str(&format!("{:04}", digit(group)));
            group += 1;
        }
        fraction.truncate(dscale);
        text.push('.');
        text.push_str(&fraction);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [digits.len() as u16, weight as u16, sign, dscale] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_print_as_postgres_prints_them() {
        let cases: &[(Vec<u8>, &str)] = &[
            (numeric(0, 0, 0, &[]), "0"),
            (numeric(0, 0, 4, &[]), "0.0000"),
            (numeric(0, 0, 4, &[12, 3456]), "12.3456"),
            (numeric(0, 0, 4, &[8]), "8.0000"),
            (numeric(0, 0x4000, 2, &[1, 5000]), "-1.50"),
            (numeric(-1, 0, 4, &[500]), "0.0500"),
            (numeric(-2, 0, 6, &[1200]), "0.000012"),
            (numeric(1, 0, 0, &[1]), "10000"),
            (numeric(2, 0, 1, &[1, 0, 1, 2000]), "100000001.2"),
            // More digits than any binary float or 96-bit decimal holds.
            (
                numeric(7, 0, 0, &[1234, 5678, 9012, 3456, 7890, 1234, 5678, 9012]),
                "12345678901234567890123456789012",
            ),
            (numeric(0, 0xC000, 0, &[]), "NaN"),
            (numeric(0, 0xF000, 0, &[]), "-Infinity"),
        ];
        for (bytes, want) in cases {
            assert_eq!(pg_numeric_text(bytes).unwrap(), *want);
        }
        assert!(pg_numeric_text(&[0, 1]).is_err());
        assert!(pg_numeric_text(&numeric(0, 0, 0, &[10_000])).is_err());
    }

    #[test]
    fn floats_show_their_shortest_round_trip_text() {
        assert_eq!(float32(0.1), Value::String("0.1".into()));
        assert_eq!(
            float64(0.1 + 0.2),
            Value::String("0.30000000000000004".into())
        );
        assert_eq!(float64(35.5), Value::String("35.5".into()));
        assert_eq!(float64(f64::NAN), Value::String("NaN".into()));
        assert_eq!(
            float32(f32::NEG_INFINITY),
            Value::String("-Infinity".into())
        );
    }

    #[test]
    fn stamps_render_in_the_source_zone_to_the_second() {
        use chrono_tz::Asia::Shanghai;
        let utc = Utc.with_ymd_and_hms(2023, 3, 31, 0, 9, 10).unwrap()
            + chrono::Duration::milliseconds(750);
        let aware = Stamp::Aware(utc);
        assert_eq!(
            aware.render(Shanghai, "%Y-%m-%d %H:%M:%S"),
            Value::String("2023-03-31 08:09:10".into())
        );
        assert_eq!(
            aware.position_time(Shanghai),
            Some(Utc.with_ymd_and_hms(2023, 3, 31, 0, 9, 10).unwrap())
        );
        let naive = Stamp::Naive(utc.with_timezone(&Shanghai).naive_local());
        assert_eq!(naive.position_time(Shanghai), aware.position_time(Shanghai));
        assert_eq!(
            uuid(&[
                0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
                0x0a, 0x11
            ])
            .unwrap(),
            Value::String("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into())
        );
    }
}
