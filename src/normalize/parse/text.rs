//! Text every parser starts from: the exact text of a JSON scalar, the normal form of
//! numeric, code and unit text, and the one decimal grammar all numbers go through.
//!
//! NFKC is applied here and only to numeric, code and unit text (DOMAIN.md): it turns
//! full-width `１２．５` into `12.5`, `，` into `,`, `㎡` into `m2` and `㏊` into `ha`.
//! Names are never passed through it.

use rust_decimal::Decimal;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

/// The text of a JSON scalar: strings as they are, numbers exactly as written
/// (serde_json's `arbitrary_precision` keeps the digits). `None` for null, empty or blank.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Characters that are invisible in a spreadsheet cell but break a parse: zero-width
/// spaces and joiners, and a byte-order mark pasted from a UTF-8 file.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Dashes and minus signs that NFKC leaves alone but people type for `-`.
fn ascii_dash(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        c => c,
    }
}

/// Numeric, code or unit text in normal form: NFKC, dashes as `-`, and every space removed
/// (stray spaces inside `12.5 万元` or `1 234` carry no meaning in these fields).
pub(super) fn compact(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .map(ascii_dash)
        .collect()
}

/// Like [`compact`], but runs of spaces become one ASCII space instead of vanishing: a
/// date-time needs the space between its date and its time.
pub(super) fn spaced(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc().filter(|c| !is_invisible(*c)).map(ascii_dash) {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A decimal from its exact text: `1,234.50`, `-3`, `1.2e3`, `１２．５`, `1，234.5`.
///
/// Thousands separators must group digits by three (`1,234`, not `12,34`), and only in the
/// integer part: a misplaced comma is more likely a typo for a decimal point than a
/// separator, so it is refused rather than guessed. Never rounds: more than 28 significant
/// digits is an error.
///
/// # Errors
/// When the text is not a decimal number in that grammar.
pub fn decimal(text: &str) -> Result<Decimal, String> {
    plain_decimal(&compact(text)).map_err(|why| {
        format!(
            "{text:?} is not a decimal number ({why}); expected digits such as 12.5 or 1,234.50"
        )
    })
}

/// The decimal grammar on already-normalised text: `[+-]? int [. frac]? ([eE] [+-]? exp)?`
/// where `int` may group digits by three with commas.
pub(super) fn plain_decimal(s: &str) -> Result<Decimal, &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut mantissa: i128 = 0;

    // Integer part, with comma groups checked as we go.
    let mut group_len = 0usize;
    let mut saw_comma = false;
    let mut int_digits = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b @ b'0'..=b'9' => {
                mantissa = push_digit(mantissa, b)?;
                group_len += 1;
                int_digits += 1;
            }
            b',' => {
                let first_group_ok = !saw_comma && (1..=3).contains(&group_len);
                if !(first_group_ok || saw_comma && group_len == 3) {
                    return Err("misplaced thousands separator");
                }
                saw_comma = true;
                group_len = 0;
            }
            _ => break,
        }
        i += 1;
    }
    if saw_comma && group_len != 3 {
        return Err("misplaced thousands separator");
    }

    // Fraction.
    let mut frac_digits = 0usize;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while let Some(b @ b'0'..=b'9') = bytes.get(i).copied() {
            mantissa = push_digit(mantissa, b)?;
            frac_digits += 1;
            i += 1;
        }
    }
    if int_digits + frac_digits == 0 {
        return Err("no digits");
    }

    // Exponent.
    let mut exponent: i64 = 0;
    if let Some(b'e' | b'E') = bytes.get(i) {
        i += 1;
        let exp_negative = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while let Some(b @ b'0'..=b'9') = bytes.get(i).copied() {
            exponent = exponent * 10 + i64::from(b - b'0');
            if exponent > 60 {
                return Err("exponent out of range");
            }
            i += 1;
        }
        if i == start {
            return Err("exponent without digits");
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != bytes.len() {
        return Err("unexpected characters");
    }

    // value = mantissa × 10^(exponent − frac_digits)
    let mut scale = frac_digits as i64 - exponent;
    while scale < 0 {
        mantissa = mantissa.checked_mul(10).ok_or("too many digits")?;
        scale += 1;
    }
    while scale > i64::from(Decimal::MAX_SCALE) {
        if mantissa % 10 != 0 {
            return Err("more than 28 decimal places");
        }
        mantissa /= 10;
        scale -= 1;
    }
    if negative {
        mantissa = -mantissa;
    }
    // scale is within 0..=28 here, so the cast is lossless.
    Decimal::try_from_i128_with_scale(mantissa, scale as u32).map_err(|_| "too many digits")
}

fn push_digit(mantissa: i128, digit: u8) -> Result<i128, &'static str> {
    mantissa
        .checked_mul(10)
        .and_then(|m| m.checked_add(i128::from(digit - b'0')))
        .ok_or("too many digits")
}

/// Split normalised text into its leading number and the rest (`12.5万元` → `12.5`, `万元`).
/// The number part is the longest prefix of characters a decimal can contain.
pub(super) fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|(_, c)| !matches!(c, '0'..='9' | '.' | ',' | '+' | '-' | 'e' | 'E'))
        .map_or(s.len(), |(i, _)| i);
    s.split_at(end)
}

/// `n / d` rounded half-to-even, for `n ≥ 0` and `d > 0` — the one rounding rule of the
/// parsers, done in integers.
pub(super) fn round_half_even(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    // 2r may not fit when d is near i128::MAX; compare r with d − r instead.
    match r.cmp(&(d - r)) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 1 => q + 1,
        _ => q,
    }
}

/// Where the unit a value was read in came from: the value itself (`3.2万元`), the
/// record's unit column (价款单位, 面积单位), or the field's default (a header such as
/// `成交价(万元)`, a title row, the source's config). A unit in the value wins over an empty
/// or absent column; a value and a column that disagree are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitFrom {
    Value,
    Column,
    Default,
}

/// The unit a value is read in, by [`UnitFrom`]'s rule, or why there is none. `show`
/// writes a unit for messages.
pub(super) fn pick_unit<U: PartialEq + Copy>(
    text: &str,
    in_value: Option<U>,
    column: Option<U>,
    default: Option<U>,
    show: impl Fn(U) -> String,
    valid: &str,
) -> Result<(U, UnitFrom), String> {
    match (in_value, column) {
        (Some(v), Some(c)) if v != c => Err(format!(
            "{text:?} is written in {} but the unit column says {}; one of them is wrong, so neither is taken",
            show(v),
            show(c)
        )),
        (Some(v), _) => Ok((v, UnitFrom::Value)),
        (None, Some(c)) => Ok((c, UnitFrom::Column)),
        (None, None) => default.map(|d| (d, UnitFrom::Default)).ok_or_else(|| {
            format!("{text:?} has no unit, and neither a unit column nor the field names one; valid: {valid}")
        }),
    }
}

/// `d` with exactly `scale` decimal places (only ever used to add trailing zeros).
pub(super) fn with_scale(mut d: Decimal, scale: u32) -> Decimal {
    d.rescale(scale);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_in_every_published_spelling() {
        // 16 cases
        let cases: &[(&str, &str)] = &[
            ("12.5", "12.5"),
            ("-3", "-3"),
            ("+3", "3"),
            ("1,234.50", "1234.50"),
            ("1，234.5", "1234.5"),
            ("１２．５", "12.5"),
            ("1,234,567", "1234567"),
            (" 1 234.5 ", "1234.5"),
            ("1.2e3", "1200"),
            ("1.2E-2", "0.012"),
            ("0.000001", "0.000001"),
            (".5", "0.5"),
            ("5.", "5"),
            ("\u{FEFF}42", "42"),
            ("−7", "-7"),
            ("0", "0"),
        ];
        for (text, want) in cases {
            assert_eq!(decimal(text).unwrap().to_string(), *want, "{text}");
        }
    }

    #[test]
    fn text_that_is_not_a_decimal_is_refused_with_the_reason() {
        // 12 cases
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("12,34", "misplaced thousands separator"),
            ("1,2345", "misplaced thousands separator"),
            ("1234,567", "misplaced thousands separator"),
            ("1,234,", "misplaced thousands separator"),
            ("1.234,5", "unexpected characters"),
            ("1_000", "unexpected characters"),
            ("12a", "unexpected characters"),
            ("e5", "no digits"),
            ("1e", "exponent without digits"),
            ("123456789012345678901234567890123", "too many digits"),
        ];
        for (text, want) in cases {
            let err = decimal(text).unwrap_err();
            assert!(err.contains("not a decimal number"), "{text}: {err}");
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn spaced_text_keeps_one_space_between_words() {
        assert_eq!(
            spaced("  ２０２３-03-31 \u{3000} 08:00 "),
            "2023-03-31 08:00"
        );
        assert_eq!(compact(" 12.5 万元 "), "12.5万元");
        assert_eq!(compact("㎡"), "m2");
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
