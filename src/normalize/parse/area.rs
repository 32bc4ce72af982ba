//! Areas (面积) in square metres, from 亩, 分, 公顷, 平方米 and 平方公里.
//!
//! **Rounding, stated once.** 1 亩 = 10000/15 m² is not a finite decimal, so an area is
//! computed in integers as `mantissa × (m² per unit × 15) × 100 / (15 × 10^scale)` and
//! that one quotient is rounded half-to-even to 0.01 m². This is the only rounding of an
//! area anywhere in the pipeline. 公顷, 平方米 and 平方公里 are multiples of 0.01 m² for
//! any value with at most two (平方米), six (公顷) or eight (平方公里) decimal places, so
//! they come out exact; 亩 and 分 are within 0.005 m² of the true value.

use rust_decimal::Decimal;

use super::text::{compact, plain_decimal, round_half_even, split_number};

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
