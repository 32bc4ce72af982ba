//! Exact parsers for the values upstream platforms publish. Each is a small pure function
//! returning a message that says what was wrong and what would be valid.
//!
//! Money and areas go through `rust_decimal` from the published text, never through a
//! binary float. The only rounding is in [`area_m2`] (亩 → m² divides by 15) and is stated
//! there.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// Unit a money amount is published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyUnit {
    /// 元
    Yuan,
    /// 万元 = 10,000 元
    TenThousandYuan,
}

impl MoneyUnit {
    /// Parse a unit as written in config or a cell: `元` or `万元`.
    pub fn from_text(text: &str) -> Option<MoneyUnit> {
        match text.trim() {
            "元" => Some(MoneyUnit::Yuan),
            "万元" => Some(MoneyUnit::TenThousandYuan),
            _ => None,
        }
    }

    fn factor(self) -> Decimal {
        match self {
            MoneyUnit::Yuan => Decimal::ONE,
            MoneyUnit::TenThousandYuan => Decimal::from(10_000),
        }
    }
}

/// The text of a JSON scalar: strings as they are, numbers exactly as written
/// (serde_json's `arbitrary_precision` keeps the digits). `None` for null, empty or blank.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A decimal from its exact text: `1,234.50`, `-3`, `1.2e3`.
///
/// # Errors
/// When the text is not a decimal number.
pub fn decimal(text: &str) -> Result<Decimal, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    let parsed = if cleaned.contains(['e', 'E']) {
        Decimal::from_scientific(&cleaned)
    } else {
        cleaned.parse::<Decimal>()
    };
    parsed.map_err(|_| format!("{text:?} is not a decimal number (expected digits such as 12.5)"))
}

/// An amount of money in yuan, exact to the fen (0.01 元). The unit comes from the
/// field's configured unit unless the cell carries its own (`12.5万元`, `3000元`).
///
/// # Errors
/// When the text is not an amount, is negative, or has more precision than a fen.
pub fn amount_yuan(text: &str, field_unit: MoneyUnit) -> Result<Decimal, String> {
    let trimmed = text.trim();
    let (digits, unit) = if let Some(d) = trimmed.strip_suffix("万元") {
        (d, MoneyUnit::TenThousandYuan)
    } else if let Some(d) = trimmed.strip_suffix('元') {
        (d, MoneyUnit::Yuan)
    } else {
        (trimmed, field_unit)
    };
    let value = decimal(digits)? * unit.factor();
    if value.is_sign_negative() {
        return Err(format!("{text:?} is negative; amounts are 0 or more"));
    }
    let yuan = value.normalize();
    if yuan.scale() > 2 {
        return Err(format!(
            "{text:?} is {yuan} 元, finer than a fen (0.01 元); amounts are exact to the fen"
        ));
    }
    Ok(with_scale(yuan, 2))
}

/// Square metres per unit of area, for the units platforms publish.
fn area_factor(unit: &str) -> Option<Decimal> {
    // 1 亩 = 10000/15 m²; kept as the rational numerator here and divided once below.
    match unit.trim() {
        "亩" => Some(Decimal::from(10_000)),
        "分" => Some(Decimal::from(1_000)),
        "公顷" | "ha" => Some(Decimal::from(150_000)),
        "平方米" | "㎡" | "m2" | "m²" | "平米" => Some(Decimal::from(15)),
        _ => None,
    }
}

/// An area in square metres. The published value times its unit's size, computed as
/// `value × numerator / 15` with one division, rounded half-to-even to 0.01 m² — the only
/// rounding in the pipeline. Exact for 公顷 and 平方米.
///
/// # Errors
/// When the value is not a decimal, negative, or the unit is unknown.
pub fn area_m2(text: &str, unit: &str) -> Result<Decimal, String> {
    let numerator = area_factor(unit).ok_or_else(|| {
        format!("unknown area unit {unit:?}; valid: 亩, 分, 公顷, 平方米 (㎡, m2)")
    })?;
    let value = decimal(text)?;
    if value.is_sign_negative() {
        return Err(format!("{text:?} is negative; areas are 0 or more"));
    }
    let m2 = (value * numerator / Decimal::from(15))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    Ok(with_scale(m2, 2))
}

fn with_scale(mut d: Decimal, scale: u32) -> Decimal {
    d.rescale(scale);
    d
}

/// A calendar date in the forms platforms publish: `2023-03-31`, `2023/3/31`, `2023.3.31`,
/// `2023年3月31日`, `20230331`, each optionally followed by a time (ignored).
///
/// # Errors
/// When the text is none of these forms or not a real date.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let date_part = t.split([' ', 'T']).next().unwrap_or(t);
    let invalid = || {
        format!(
            "{text:?} is not a date; expected e.g. 2023-03-31, 2023/3/31, 2023.3.31, 2023年3月31日 or 20230331"
        )
    };
    let (y, m, d) = if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        (&date_part[..4], &date_part[4..6], &date_part[6..])
    } else {
        let parts: Vec<&str> = date_part
            .trim_end_matches('日')
            .split(['-', '/', '.', '年', '月'])
            .collect();
        match parts.as_slice() {
            [y, m, d] => (*y, *m, *d),
            _ => return Err(invalid()),
        }
    };
    let number = |s: &str| s.parse::<u32>().map_err(|_| invalid());
    let year = i32::try_from(number(y)?).map_err(|_| invalid())?;
    NaiveDate::from_ymd_opt(year, number(m)?, number(d)?)
        .ok_or_else(|| format!("{text:?} is not a real calendar date"))
}

/// A local date-time in `format` (chrono syntax) in `tz`, as a UTC instant.
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
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_convert_wan_yuan_exactly() {
        use MoneyUnit::*;
        let cases: &[(&str, MoneyUnit, &str)] = &[
            ("12.5", TenThousandYuan, "125000.00"),
            ("8.3456", TenThousandYuan, "83456.00"),
            ("0.000001", TenThousandYuan, "0.01"),
            ("12.5万元", Yuan, "125000.00"),
            ("3000元", TenThousandYuan, "3000.00"),
            ("1,234.5", Yuan, "1234.50"),
            ("1.2e1", TenThousandYuan, "120000.00"),
            ("0", TenThousandYuan, "0.00"),
        ];
        for (text, unit, want) in cases {
            assert_eq!(amount_yuan(text, *unit).unwrap(), d(want), "{text}");
            assert_eq!(
                amount_yuan(text, *unit).unwrap().to_string(),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn amounts_that_are_not_exact_to_the_fen_or_not_numbers_are_refused() {
        let cases = [
            ("0.0000001", MoneyUnit::TenThousandYuan, "finer than a fen"),
            ("1.005", MoneyUnit::Yuan, "finer than a fen"),
            ("-3", MoneyUnit::Yuan, "negative"),
            ("十二万", MoneyUnit::Yuan, "not a decimal"),
            ("", MoneyUnit::Yuan, "not a decimal"),
        ];
        for (text, unit, want) in cases {
            let err = amount_yuan(text, unit).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn areas_convert_to_square_metres_with_one_stated_rounding() {
        let cases = [
            ("35.5", "亩", "23666.67"), // 355000/15 = 23666.666…
            ("1", "亩", "666.67"),
            ("15", "亩", "10000.00"),
            ("3", "分", "200.00"),
            ("2.25", "公顷", "22500.00"),
            ("1200", "平方米", "1200.00"),
            ("1200", "㎡", "1200.00"),
            ("0.8", "亩", "533.33"),
            // 0.00075 亩 = 0.5 m² exactly; 0.000225 亩 = 0.15 m²; half-even at the cent:
            ("0.0000075", "亩", "0.00"), // 0.005 → 0.00 (even)
            ("0.0000225", "亩", "0.02"), // 0.015 → 0.02 (even)
        ];
        for (text, unit, want) in cases {
            assert_eq!(
                area_m2(text, unit).unwrap().to_string(),
                want,
                "{text} {unit}"
            );
        }
        assert!(area_m2("3", "英亩")
            .unwrap_err()
            .contains("unknown area unit"));
        assert!(area_m2("-1", "亩").unwrap_err().contains("negative"));
    }

    #[test]
    fn dates_in_every_published_form() {
        let want = NaiveDate::from_ymd_opt(2023, 3, 31).unwrap();
        for text in [
            "2023-03-31",
            "2023/3/31",
            "2023.3.31",
            "2023年3月31日",
            "20230331",
            "2023-03-31 08:00",
            "2023-03-31T08:00:00",
        ] {
            assert_eq!(date(text).unwrap(), want, "{text}");
        }
        for bad in ["2023-02-30", "31/03/2023x", "2023", "abc", "2023-13-01"] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_timestamps_are_shanghai_time() {
        let t = local_timestamp(
            "2023-01-05 09:00:00",
            "%Y-%m-%d %H:%M:%S",
            chrono_tz::Asia::Shanghai,
        )
        .unwrap();
        assert_eq!(t.to_rfc3339(), "2023-01-05T01:00:00+00:00");
        assert!(
            local_timestamp("2023/01/05", "%Y-%m-%d %H:%M:%S", chrono_tz::Asia::Shanghai).is_err()
        );
    }

    #[test]
    fn json_numbers_keep_their_exact_digits() {
        let v: Value = serde_json::from_str("[12.5, 0.1, 8.3456, \"35.50\", null, \" \"]").unwrap();
        let texts: Vec<_> = v.as_array().unwrap().iter().map(scalar_text).collect();
        assert_eq!(
            texts,
            [
                Some("12.5".into()),
                Some("0.1".into()),
                Some("8.3456".into()),
                Some("35.50".into()),
                None,
                None
            ]
        );
    }
}
