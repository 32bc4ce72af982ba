//! Areas (面积) in square metres, from 亩, 分, 公顷, 平方米 and 平方公里.
//!
//! **Rounding, stated once.** 1 亩 = 10000/15 m² is not a finite decimal, so an area is
//! computed in integers as `mantissa × (m² per unit × 15) × 100 / (15 × 10^scale)` and
//! that one quotient is rounded half-to-even to 0.01 m². This is the only rounding of an
//! area anywhere in the pipeline. 公顷, 平方米 and 平方公里 are multiples of 0.01 m² for
//! any value with at most two (平方米), six (公顷) or eight (平方公里) decimal places, so
//! they come out exact; 亩 and 分 are within 0.005 m² of the true value.

use rust_decimal::Decimal;

use super::text::{compact, pick_unit, plain_decimal, round_half_even, split_number, UnitFrom};

/// A unit of area platforms publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AreaUnit {
    /// 亩 = 10000/15 m² (市亩).
    Mu,
    /// 分 = 0.1 亩.
    Fen,
    /// 公顷 (ha, hm²) = 15 亩 = 10,000 m².
    Hectare,
    /// 平方米 (㎡, m2, m², 平米).
    SquareMetre,
    /// 平方公里 (平方千米, km², ㎢) = 1,000,000 m².
    SquareKilometre,
}

/// Spellings of each unit after [`compact`] (NFKC has already made ㎡ → m2, ㏊ → ha,
/// ㎢ → km2, m² → m2).
const SPELLINGS: &[(&str, AreaUnit)] = &[
    ("平方公里", AreaUnit::SquareKilometre),
    ("平方千米", AreaUnit::SquareKilometre),
    ("km2", AreaUnit::SquareKilometre),
    ("平方米", AreaUnit::SquareMetre),
    ("平米", AreaUnit::SquareMetre),
    ("m2", AreaUnit::SquareMetre),
    ("公顷", AreaUnit::Hectare),
    ("hm2", AreaUnit::Hectare),
    ("ha", AreaUnit::Hectare),
    ("亩", AreaUnit::Mu),
    ("分", AreaUnit::Fen),
];

const VALID_UNITS: &str = "亩, 分, 公顷 (ha), 平方米 (㎡, m2, m², 平米), 平方公里 (km²)";

impl AreaUnit {
    /// Parse a unit as written in a unit field or a header: `亩`, `公顷`, `㎡`, `M2` …
    pub fn from_text(text: &str) -> Option<AreaUnit> {
        let t = compact(text).to_ascii_lowercase();
        SPELLINGS.iter().find(|(s, _)| *s == t).map(|(_, u)| *u)
    }

    /// The usual Chinese name of the unit.
    pub fn name(self) -> &'static str {
        match self {
            AreaUnit::Mu => "亩",
            AreaUnit::Fen => "分",
            AreaUnit::Hectare => "公顷",
            AreaUnit::SquareMetre => "平方米",
            AreaUnit::SquareKilometre => "平方公里",
        }
    }

    /// Square metres per unit, times 15 — an integer for every unit (亩 = 10000/15 m²).
    fn fifteenths_m2(self) -> i128 {
        match self {
            AreaUnit::Mu => 10_000,
            AreaUnit::Fen => 1_000,
            AreaUnit::Hectare => 150_000,
            AreaUnit::SquareMetre => 15,
            AreaUnit::SquareKilometre => 15_000_000,
        }
    }
}

/// An area in square metres from a value and its unit given separately (a 面积 field and a
/// 面积单位 field). If the value carries its own unit (`35.5亩`), that unit wins.
/// Rounding: see the module doc.
///
/// # Errors
/// When the value is not a decimal, is negative, or the unit is unknown.
pub fn area_m2(text: &str, unit: &str) -> Result<Decimal, String> {
    let field_unit = AreaUnit::from_text(unit)
        .ok_or_else(|| format!("unknown area unit {unit:?}; valid: {VALID_UNITS}"))?;
    area_m2_cell(text, Some(field_unit.name()))
}

/// An area in square metres from a cell that may carry its unit: `35.5亩`, `35.5 亩`,
/// `1,200㎡`, `２．２５公顷`. A bare number takes `default_unit` (the field's or header's
/// unit); with neither, the cell is refused rather than guessed. Rounding: see the module
/// doc.
///
/// # Errors
/// When the value is not a decimal, is negative, has no unit, or the unit is unknown.
pub fn area_m2_cell(text: &str, default_unit: Option<&str>) -> Result<Decimal, String> {
    let t = compact(text);
    let (number, rest) = split_number(&t);
    if number.is_empty() {
        return Err(format!(
            "{text:?} is not an area; expected a number such as 35.5, optionally with its unit (35.5亩)"
        ));
    }
    let unit = if rest.is_empty() {
        let default = default_unit.ok_or_else(|| {
            format!("{text:?} has no area unit and the field names none; valid: {VALID_UNITS}")
        })?;
        AreaUnit::from_text(default)
            .ok_or_else(|| format!("unknown area unit {default:?}; valid: {VALID_UNITS}"))?
    } else {
        AreaUnit::from_text(rest)
            .ok_or_else(|| format!("{text:?}: unknown area unit {rest:?}; valid: {VALID_UNITS}"))?
    };
    let value = plain_decimal(number).map_err(|why| {
        format!("{text:?} is not an area ({why}); expected a number such as 35.5, optionally with its unit (35.5亩)")
    })?;
    if value < Decimal::ZERO {
        return Err(format!("{text:?} is negative; areas are 0 or more"));
    }
    to_m2(value, unit).ok_or_else(|| format!("{text:?} is too large an area"))
}

/// An area as read: square metres, and the value in the unit it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaReading {
    /// Square metres, rounded once (see the module doc).
    pub m2: Decimal,
    /// The value in `unit`, exact: `3亩5分` is 3.5 亩.
    pub value: Decimal,
    pub unit: AreaUnit,
    pub unit_from: UnitFrom,
}

/// An area with its unit wherever the record writes it: in the value (`800㎡`, `1.5公顷`,
/// `3亩5分` = 3.5 亩), in a unit column (面积单位, `unit_column`), or as the field's
/// `default`. The value's unit wins over an empty or absent column; a value and a column
/// that disagree (`800㎡` beside `亩`) are refused naming both. `亩` then `分` (one digit,
/// 0–9) may be written together; `厘` is not read (see below). Rounding: the module doc's.
///
/// 厘 is left out on purpose: 1 厘 = 0.01 亩 is common usage (亩, 分, 厘 by tens), but no
/// source at hand confirms it for land records, and 厘 also abbreviates 厘米; such values
/// are refused asking for 亩 (`2.35亩`).
///
/// # Errors
/// When the value is not an area, is negative, its or the column's unit is unknown, they
/// disagree, or no unit is known at all.
pub fn area(
    text: &str,
    unit_column: Option<&str>,
    default: Option<AreaUnit>,
) -> Result<AreaReading, String> {
    let column = unit_column
        .map(compact)
        .filter(|u| !u.is_empty())
        .map(|u| {
            AreaUnit::from_text(&u).ok_or_else(|| {
                format!("unit column: unknown area unit {u:?}; valid: {VALID_UNITS}")
            })
        })
        .transpose()?;
    let t = compact(text);
    let (value, in_value) = area_cell(text, &t)?;
    let (unit, unit_from) = pick_unit(
        text,
        in_value,
        column,
        default,
        |u| u.name().to_owned(),
        VALID_UNITS,
    )?;
    let m2 = to_m2(value, unit).ok_or_else(|| format!("{text:?} is too large an area"))?;
    Ok(AreaReading {
        m2,
        value,
        unit,
        unit_from,
    })
}

/// The number of an area cell and the unit it carries: `35.5亩`, `800m2`, `3亩5分` (3.5
/// 亩), `35.5` (no unit).
fn area_cell(text: &str, t: &str) -> Result<(Decimal, Option<AreaUnit>), String> {
    let not_area = |why: &str| {
        format!("{text:?} is not an area ({why}); expected a number such as 35.5, optionally with its unit (35.5亩, 800㎡, 3亩5分)")
    };
    let (number, rest) = split_number(t);
    let value = plain_decimal(number).map_err(not_area)?;
    if value < Decimal::ZERO {
        return Err(format!("{text:?} is negative; areas are 0 or more"));
    }
    if rest.contains('厘') && !rest.contains("厘米") {
        return Err(format!(
            "{text:?}: 厘 is not read (1 厘 = 0.01 亩 is common usage but unconfirmed here); write the area in 亩, e.g. 2.35亩"
        ));
    }
    if rest.is_empty() {
        return Ok((value, None));
    }
    if let Some(fen) = rest.strip_prefix('亩').filter(|f| !f.is_empty()) {
        return mu_and_fen(text, value, fen).map(|v| (v, Some(AreaUnit::Mu)));
    }
    let unit = AreaUnit::from_text(rest)
        .ok_or_else(|| format!("{text:?}: unknown area unit {rest:?}; valid: {VALID_UNITS}"))?;
    Ok((value, Some(unit)))
}

/// `3亩5分`: whole 亩, then one digit of 分 (0.1 亩).
fn mu_and_fen(text: &str, mu: Decimal, fen: &str) -> Result<Decimal, String> {
    let bad =
        |why: &str| format!("{text:?} is not 亩 and 分 ({why}); expected e.g. 3亩5分 = 3.5亩");
    let (digits, unit) = split_number(fen);
    if unit != "分" {
        return Err(bad(&format!("{unit:?} after 亩, where 分 was expected")));
    }
    let tenths = plain_decimal(digits).map_err(|_| bad("no whole number of 分"))?;
    if !mu.fract().is_zero() {
        return Err(bad("亩 written with 分 must be whole"));
    }
    if !tenths.fract().is_zero() || tenths < Decimal::ZERO || tenths >= Decimal::TEN {
        return Err(bad("分 beside 亩 is one digit, 0–9"));
    }
    // A whole 0–9, so its normal form's mantissa is the digit: n 分 = n/10 亩, exactly.
    Ok(mu + Decimal::new(tenths.normalize().mantissa() as i64, 1))
}

/// `value` in `unit` as square metres, rounded half-to-even to 0.01 m² in integers.
/// `None` only when the result does not fit a decimal.
pub(super) fn to_m2(value: Decimal, unit: AreaUnit) -> Option<Decimal> {
    // value = m / 10^s. Centi-square-metres = m × f × 100 / (15 × 10^s) with f = m² × 15.
    // |m| < 2^96 and f × 100 ≤ 1.5 × 10^9, so the numerator stays below 2^127.
    let numerator = value.mantissa().checked_mul(unit.fifteenths_m2() * 100)?;
    let denominator = 15i128.checked_mul(10i128.checked_pow(value.scale())?)?;
    let centi = round_half_even(numerator, denominator);
    Decimal::try_from_i128_with_scale(centi, 2).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn areas_convert_to_square_metres_with_one_stated_rounding() {
        // 24 cases
        let cases: &[(&str, &str, &str)] = &[
            ("35.5", "亩", "23666.67"), // 355000/15 = 23666.666…
            ("1", "亩", "666.67"),
            ("15", "亩", "10000.00"),
            ("0.8", "亩", "533.33"),
            ("3", "分", "200.00"),
            ("2.25", "公顷", "22500.00"),
            ("2.25", "ha", "22500.00"),
            ("2.25", "㏊", "22500.00"),
            ("2.25", "hm²", "22500.00"),
            ("1200", "平方米", "1200.00"),
            ("1200", "㎡", "1200.00"),
            ("1200", "m2", "1200.00"),
            ("1200", "M2", "1200.00"),
            ("1200", "m²", "1200.00"),
            ("1200", "平米", "1200.00"),
            ("1200.005", "平方米", "1200.00"), // half-even: 0.005 → 0.00
            ("1200.015", "平方米", "1200.02"), // 0.015 → 0.02
            ("0.5", "平方公里", "500000.00"),
            ("1.25", "km²", "1250000.00"),
            ("1", "平方千米", "1000000.00"),
            ("１２", "亩", "8000.00"),
            ("1,500", "亩", "1000000.00"),
            // 0.0000075 亩 = 0.005 m² exactly and 0.0000225 亩 = 0.015 m²: half-even.
            ("0.0000075", "亩", "0.00"),
            ("0.0000225", "亩", "0.02"),
        ];
        for (text, unit, want) in cases {
            assert_eq!(
                area_m2(text, unit).unwrap().to_string(),
                *want,
                "{text} {unit}"
            );
        }
    }

    #[test]
    fn cells_carry_their_unit_or_take_the_fields() {
        // 14 cases
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("35.5亩", None, "23666.67"),
            ("35.5 亩", None, "23666.67"),
            ("３５．５亩", None, "23666.67"),
            ("1,200㎡", None, "1200.00"),
            ("1200平方米", Some("亩"), "1200.00"), // the cell's unit wins
            ("2.25公顷", None, "22500.00"),
            ("2.25ha", None, "22500.00"),
            ("3分", None, "200.00"),
            ("800平米", None, "800.00"),
            ("1.5平方公里", None, "1500000.00"),
            ("35.5", Some("亩"), "23666.67"),
            ("35.5", Some(" 亩 "), "23666.67"),
            ("120", Some("m²"), "120.00"),
            ("0", Some("亩"), "0.00"),
        ];
        for (text, unit, want) in cases {
            assert_eq!(
                area_m2_cell(text, *unit).unwrap().to_string(),
                *want,
                "{text} {unit:?}"
            );
        }
    }

    #[test]
    fn bad_areas_say_what_is_wrong() {
        // 10 cases
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("3", Some("英亩"), "unknown area unit"),
            ("3英亩", None, "unknown area unit"),
            ("3", None, "has no area unit"),
            ("-1", Some("亩"), "negative"),
            ("-1亩", None, "negative"),
            ("亩", None, "not an area"),
            ("三亩", None, "not an area"),
            ("1.2.3亩", None, "not an area"),
            ("约30亩", None, "not an area"),
            ("30亩左右", None, "unknown area unit"),
        ];
        for (text, unit, want) in cases {
            let err = area_m2_cell(text, *unit).unwrap_err();
            assert!(err.contains(want), "{text} {unit:?}: {err}");
        }
        assert!(area_m2("3", "英亩")
            .unwrap_err()
            .contains("unknown area unit"));
    }

    #[test]
    fn areas_take_their_unit_wherever_it_is_written() {
        use AreaUnit::*;
        use UnitFrom::*;
        // (value, unit column, default, m², value in its unit, unit, from where) — 20 cases
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<AreaUnit>,
            &'a str,
            &'a str,
            AreaUnit,
            UnitFrom,
        );
        let cases: &[Case] = &[
            ("3亩5分", None, None, "2333.33", "3.5", Mu, Value), // 3.5 × 10000/15 = 2333.33…
            (
                "3亩5分",
                Some(""),
                Some(SquareMetre),
                "2333.33",
                "3.5",
                Mu,
                Value,
            ),
            ("3亩5分", Some("亩"), None, "2333.33", "3.5", Mu, Value),
            ("12亩0分", None, None, "8000.00", "12", Mu, Value),
            ("３亩５分", None, None, "2333.33", "3.5", Mu, Value),
            ("800㎡", None, None, "800.00", "800", SquareMetre, Value),
            (
                "800㎡",
                Some("平方米"),
                None,
                "800.00",
                "800",
                SquareMetre,
                Value,
            ),
            (
                "800 平方米",
                Some(" "),
                Some(Mu),
                "800.00",
                "800",
                SquareMetre,
                Value,
            ),
            ("1.5公顷", None, None, "15000.00", "1.5", Hectare, Value),
            (
                "1.5",
                Some("公顷"),
                None,
                "15000.00",
                "1.5",
                Hectare,
                Column,
            ),
            (
                "1.5",
                Some("ha"),
                Some(Mu),
                "15000.00",
                "1.5",
                Hectare,
                Column,
            ),
            ("35.5", None, Some(Mu), "23666.67", "35.5", Mu, Default),
            ("35.5", Some(""), Some(Mu), "23666.67", "35.5", Mu, Default),
            ("3分", None, None, "200.00", "3", Fen, Value),
            (
                "0.5平方公里",
                None,
                None,
                "500000.00",
                "0.5",
                SquareKilometre,
                Value,
            ),
            (
                "1,200m²",
                Some("m2"),
                None,
                "1200.00",
                "1200",
                SquareMetre,
                Value,
            ),
            ("0", Some("亩"), None, "0.00", "0", Mu, Column),
            (
                "35.5亩",
                Some("亩"),
                Some(SquareMetre),
                "23666.67",
                "35.5",
                Mu,
                Value,
            ),
            ("15", Some("亩"), None, "10000.00", "15", Mu, Column),
            ("2亩", None, None, "1333.33", "2", Mu, Value),
        ];
        for (text, column, default, m2, value, unit, from) in cases {
            let got = area(text, *column, *default).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (
                    got.m2.to_string().as_str(),
                    got.value.to_string().as_str(),
                    got.unit,
                    got.unit_from
                ),
                (*m2, *value, *unit, *from),
                "{text} / {column:?}"
            );
        }
    }

    #[test]
    fn areas_whose_units_conflict_or_are_unknown_are_refused_naming_both() {
        // (value, unit column, default, what the message must say) — 14 cases
        type Case<'a> = (&'a str, Option<&'a str>, Option<AreaUnit>, &'a str);
        let cases: &[Case] = &[
            (
                "800㎡",
                Some("亩"),
                None,
                "\"800㎡\" is written in 平方米 but the unit column says 亩",
            ),
            (
                "3亩5分",
                Some("分"),
                None,
                "written in 亩 but the unit column says 分",
            ),
            ("1.5公顷", Some("平方米"), None, "written in 公顷"),
            ("35.5", None, None, "\"35.5\" has no unit"),
            (
                "35.5",
                Some("英亩"),
                Some(AreaUnit::Mu),
                "unit column: unknown area unit \"英亩\"",
            ),
            ("2亩3分5厘", None, None, "厘 is not read"),
            ("35厘", None, None, "厘 is not read"),
            ("3亩5.5分", None, None, "分 beside 亩 is one digit"),
            ("3亩12分", None, None, "分 beside 亩 is one digit"),
            ("3.5亩5分", None, None, "亩 written with 分 must be whole"),
            ("3亩5", None, None, "where 分 was expected"),
            ("3亩5公顷", None, None, "\"公顷\" after 亩"),
            ("-3亩", None, None, "negative"),
            ("约30亩", None, None, "is not an area"),
        ];
        for (text, column, default, want) in cases {
            let err = area(text, *column, *default).unwrap_err();
            assert!(err.contains(want), "{text} / {column:?}: {err}");
        }
    }

    /// A decimal text with up to `places` decimal places from integer parts.
    fn text_of(units: u64, frac: u64, places: u32) -> String {
        if places == 0 {
            units.to_string()
        } else {
            format!("{units}.{frac:0width$}", width = places as usize)
        }
    }

    proptest! {
        #[test]
        fn hectares_and_square_metres_are_exact(
            units in 0u64..10_000_000, frac in 0u64..1_000_000, places in 0u32..=6
        ) {
            let frac = frac % 10u64.pow(places);
            let text = text_of(units, frac, places);
            let value: Decimal = text.parse().unwrap();
            // 公顷 × 10,000 is exact for up to six places.
            let ha = area_m2(&text, "公顷").unwrap();
            prop_assert_eq!(ha, value * Decimal::from(10_000));
            // And back: the m² figure in 平方米 is itself.
            prop_assert_eq!(area_m2(&ha.to_string(), "平方米").unwrap(), ha);
            prop_assert_eq!(ha.scale(), 2);
        }

        #[test]
        fn mu_is_within_half_a_centi_square_metre_of_the_rational(
            units in 0u64..10_000_000, frac in 0u64..1_000_000, places in 0u32..=6
        ) {
            let frac = frac % 10u64.pow(places);
            let text = text_of(units, frac, places);
            let got = area_m2(&text, "亩").unwrap();
            // Exact value in centi-m²: v × 10000/15 × 100 = m × 10^6 / (15 × 10^s).
            // |got × 100 − that| ≤ 1/2  ⇔  |2 × (got_centi × 15 × 10^s − m × 10^6)| ≤ 15 × 10^s.
            let m = i128::from(units) * 10i128.pow(places) + i128::from(frac);
            let d = 15 * 10i128.pow(places);
            let got_centi = got.mantissa();
            prop_assert_eq!(got.scale(), 2);
            let diff = (got_centi * d - m * 1_000_000).abs();
            prop_assert!(2 * diff <= d, "{text}: {got}");
        }
    }
}
