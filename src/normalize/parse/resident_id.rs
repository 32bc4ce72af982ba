//! Resident identity card numbers (公民身份号码, GB 11643-1999): 6-digit region + 8-digit
//! birth date + 3-digit sequence (odd = male) + check character.
//!
//! These are personal information (PIPL). A [`ResidentId`] never prints its number in
//! `Debug` output, so a log line or a panic message cannot leak one; the PII layer reads
//! it with [`ResidentId::as_str`] only to pseudonymise it.
//!
//! Accepted: 18 characters with a correct check (`x` is normalised to `X`), or the old
//! 15-digit form (6 region + `yymmdd` + 3 sequence, issued before 1999), which is upgraded
//! to 18 by inserting `19` and computing the check — every 15-digit number was issued to
//! a person born in the 1900s. The birth date must be a real date from 1900 on, and the
//! first two digits a province-level code that GB/T 2260 issues (or 83, Taiwan residents'
//! permits, and 91, foreigners' permanent residence cards) — random digits are refused.
//! Error messages show the number masked, never in clear.

use std::fmt;

use chrono::NaiveDate;

use super::date::make_date;
use super::text::compact;

/// Weights of positions 1–17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of Σ mod 11.
const CHECKS: &[u8; 11] = b"10X98765432";

/// Province-level region codes (first two digits) of GB/T 2260, plus 83 and 91.
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83", "91",
];

/// A valid resident ID number, always in the 18-character form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    number: String,
    birth_date: NaiveDate,
    upgraded: bool,
}

/// Sex as encoded in the sequence digit (GB 11643: odd = male, even = female).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl ResidentId {
    /// The 18 characters, with an uppercase `X`. Personal data: pseudonymise, never log.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// Positions 1–6: the region code of first registration.
    pub fn region_code(&self) -> &str {
        &self.number[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        if (self.number.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Whether the text was the old 15-digit form.
    pub fn was_upgraded_from_15(&self) -> bool {
        self.upgraded
    }

    /// A display mask in Chinese practice: first 3 and last 4 kept, `110***********002X`.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.number[..3], &self.number[14..])
    }
}

impl fmt::Debug for ResidentId {
    /// Masked: a debug print must not leak the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

/// The check character for 17 digits; `None` if they are not 17 ASCII digits.
pub fn resident_id_check_char(body: &str) -> Option<char> {
    let b = body.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    Some(char::from(CHECKS[(sum % 11) as usize]))
}

/// A resident ID number: `11010519491231002X`, `11010519491231002x`, full-width, with
/// spaces, or the 15-digit old form `110105491231002` (upgraded to 18).
///
/// Error messages never repeat the number: they show it masked (`110***********0021`),
/// since a rejected record's message travels to the dead-letter topic.
///
/// # Errors
/// When the length is not 18 or 15, a character is not a digit (or a final X), the
/// province or birth date is impossible, or the check character is wrong (the message
/// says which was expected).
pub fn resident_id(text: &str) -> Result<ResidentId, String> {
    let t: String = compact(text)
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let shown = mask(&t);
    let chars: Vec<char> = t.chars().collect();
    let upgraded = match chars.len() {
        18 => false,
        15 => true,
        n => {
            return Err(format!(
                "ID number {shown} has {n} characters; a resident ID number has 18 (or 15 in the old form)"
            ))
        }
    };
    let digits_end = if upgraded { 15 } else { 17 };
    if let Some((i, c)) = chars[..digits_end]
        .iter()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_digit())
    {
        return Err(format!(
            "ID number {shown}: character {} is {c:?}; the first {digits_end} characters are digits",
            i + 1
        ));
    }
    // ASCII digits from here on, except perhaps the 18th character, checked next.
    let body = if upgraded {
        format!("{}19{}", &t[..6], &t[6..])
    } else {
        let last = chars[17];
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(format!(
                "ID number {shown}: the last character is {last:?}; it is a digit or X"
            ));
        }
        t[..17].to_owned()
    };
    if !PROVINCES.contains(&&body[..2]) {
        return Err(format!(
            "ID number {shown}: {} is not a province-level region code (11–82)",
            &body[..2]
        ));
    }
    let digits = |r: std::ops::Range<usize>| body[r].parse::<u32>().unwrap_or(0);
    let birth_date = make_date("", digits(6..10), digits(10..12), digits(12..14)).map_err(|_| {
        format!("ID number {shown}: the birth date (characters 7–14) is not a real date from 1900 on")
    })?;
    let expected = resident_id_check_char(&body)
        .ok_or_else(|| format!("ID number {shown} is not 17 digits and a check character"))?;
    if !upgraded {
        let found = chars[17];
        if found != expected {
            return Err(format!(
                "ID number {shown}: check character (position 18) is {found:?}, expected {expected:?}; the number is mistyped"
            ));
        }
    }
    Ok(ResidentId {
        number: format!("{body}{expected}"),
        birth_date,
        upgraded,
    })
}

/// Whether `text` has the shape of a resident ID number whatever its check character:
/// 17 ASCII digits and a digit or `X`, or 15 digits, whose first two digits are a
/// province-level code and whose characters 7–14 (or 7–12 in the old form) are a real
/// birth date from 1900 on. The personal-data layer uses it for numbers written in
/// groups (`110105 19491231 002X`), where the shape is what tells an ID from a run of
/// unrelated numbers and a mistyped check character must not let a person's number
/// through.
pub fn plausible_id(text: &str) -> bool {
    let b = text.as_bytes();
    let (body, birth) = match b.len() {
        18 if b[..17].iter().all(u8::is_ascii_digit)
            && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x') =>
        {
            (&text[..17], text[6..14].to_owned())
        }
        15 if b.iter().all(u8::is_ascii_digit) => (text, format!("19{}", &text[6..12])),
        _ => return false,
    };
    let number = |r: std::ops::Range<usize>| birth[r].parse::<u32>().unwrap_or(0);
    PROVINCES.contains(&&body[..2])
        && make_date("", number(0..4), number(4..6), number(6..8)).is_ok()
}

/// First 3 and last 4 characters of a (possibly malformed) number, the rest starred, so
/// a message can point at it without disclosing it.
fn mask(t: &str) -> String {
    let chars: Vec<char> = t.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Duration};
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn valid_numbers_normalise_to_eighteen_characters() {
        // 8 cases
        let cases: &[(&str, &str, bool)] = &[
            ("11010519491231002X", "11010519491231002X", false),
            ("11010519491231002x", "11010519491231002X", false),
            (" 110105 19491231 002X ", "11010519491231002X", false),
            (
                "１１０１０５１９４９１２３１００２Ｘ",
                "11010519491231002X",
                false,
            ),
            (
                "１１０１０５１９４９１２３１００２ｘ",
                "11010519491231002X",
                false,
            ),
            ("110105491231002", "11010519491231002X", true),
            ("140702800101001", "140702198001010015", true),
            ("140702198001010015", "140702198001010015", false),
        ];
        for (text, want, upgraded) in cases {
            let id = resident_id(text).unwrap();
            assert_eq!(id.as_str(), *want, "{text}");
            assert_eq!(id.was_upgraded_from_15(), *upgraded, "{text}");
        }
        let id = resident_id("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(format!("{id:?}"), "ResidentId(\"110***********002X\")");
    }

    #[test]
    fn invalid_numbers_say_what_is_wrong() {
        // 12 cases
        let cases: &[(&str, &str)] = &[
            ("110105194912310021", "is '1', expected 'X'"),
            ("11010519491231002Y", "last character is 'Y'"),
            ("1101051949123100XX", "character 17 is 'X'"),
            ("11010519491231002", "has 17 characters"),
            ("1101051949123100201", "has 19 characters"),
            ("", "has 0 characters"),
            ("110105194902300021", "birth date"),
            ("110105194913010021", "birth date"),
            ("110105189912310021", "birth date"),
            ("000000194912310021", "not a province-level region code"),
            ("11010549123100X", "character 15 is 'X'"),
            ("110105490230002", "birth date"),
        ];
        for (text, want) in cases {
            let err = resident_id(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
            if text.len() >= 15 {
                assert!(
                    !err.contains(text),
                    "the message must not disclose the number: {err}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn the_check_character_is_the_only_one_accepted(
            province in 0usize..PROVINCES.len(),
            rest in 0u32..10_000,
            days in 0i64..45_000,
            sequence in 0u32..1000,
        ) {
            let born = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Duration::days(days);
            let body = format!(
                "{}{rest:04}{}{sequence:03}",
                PROVINCES[province],
                born.format("%Y%m%d")
            );
            let check = resident_id_check_char(&body).unwrap();
            let number = format!("{body}{check}");
            let id = resident_id(&number).unwrap();
            prop_assert_eq!(id.as_str(), number.as_str());
            prop_assert_eq!(id.birth_date(), born);
            for c in "0123456789X".chars().filter(|c| *c != check) {
                let err = resident_id(&format!("{body}{c}")).unwrap_err();
                let expected = format!("expected {check:?}");
                prop_assert!(err.contains(&expected), "{}", err);
            }
            // The old form of a 1900s birth upgrades to the same number.
            if born.year() < 2000 {
                let old = format!("{}{}{sequence:03}", &body[..6], born.format("%y%m%d"));
                let upgraded = resident_id(&old).unwrap();
                prop_assert_eq!(upgraded.as_str(), number.as_str());
            }
        }
    }
}
