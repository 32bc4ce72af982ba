//! Terms (流转期限 / 合同期限): how long a transfer or contract runs.
//!
//! **Canonical form.** A fixed term is whole months plus whole days,
//! [`Term::Fixed`]`{ months, days }`: years become 12 months each (exact — a year is a
//! calendar count, never 365 days), and months and days are never converted into each
//! other because their lengths vary. `30年` = 360 months, `10年6个月` = 126 months,
//! `30天` = 30 days, `2年半` = 30 months.
//!
//! Forms: parts in the order years, months, days, each at most once: `30年`, `6个月` (or
//! `6月`: in a term field 月 is a count, not a month of the year), `30天` / `30日`,
//! `10年6个月`, `10年零6个月`, `1年又6个月`, `2年半`, `半年`, `2.5年`; Chinese numerals
//! (`三十年`, `两年`); full-width digits. `永久` is [`Term::Permanent`]. `长期`, `不定期`,
//! `无固定期限` and `无期限` are [`Term::Indefinite`]: no fixed end was agreed, which is not
//! the same as permanent, and keeping it apart loses nothing.
//!
//! Refused rather than guessed: a fraction that is not whole months (`2.1年`, `1.5个月`,
//! `半个月` — half a month has no exact number of days), a zero term, and a bare number
//! unless the caller says what unit the field is in ([`term_in`]; 流转期限 is usually in
//! years).

use std::fmt;

use rust_decimal::Decimal;

use super::numeral;
use super::text::{compact, plain_decimal};

/// A canonical term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Term {
    /// A fixed length: whole months plus whole days.
    Fixed { months: u32, days: u32 },
    /// 永久 — without end.
    Permanent,
    /// 长期 / 不定期 — no fixed end was agreed.
    Indefinite,
}

impl fmt::Display for Term {
    /// `30年`, `10年6个月`, `30天`, `永久`, `长期`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Term::Permanent => f.write_str("永久"),
            Term::Indefinite => f.write_str("长期"),
            Term::Fixed { months, days } => {
                let (years, months) = (months / 12, months % 12);
                if years > 0 {
                    write!(f, "{years}年")?;
                }
                if months > 0 {
                    write!(f, "{months}个月")?;
                }
                if days > 0 || (years == 0 && months == 0) {
                    write!(f, "{days}天")?;
                }
                Ok(())
            }
        }
    }
}

/// The unit of a bare number in a term field (`流转期限(年)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TermUnit {
    Year,
    Month,
    Day,
}

/// A term from text that states its unit: `30年`, `6个月`, `30天`, `永久`, `三十年` …
///
/// # Errors
/// When the text is not a term (see the module doc), including a bare number.
pub fn term(text: &str) -> Result<Term, String> {
    parse(text, None)
}

/// A term from a field whose bare numbers are in `bare_unit` (`30` in a 流转期限(年) column
/// is 30 years); text with its own unit is read as by [`term`].
///
/// # Errors
/// As [`term`], except that a bare number is accepted.
pub fn term_in(text: &str, bare_unit: TermUnit) -> Result<Term, String> {
    parse(text, Some(bare_unit))
}

const FORMS: &str = "expected e.g. 30年, 6个月, 30天, 10年6个月, 2年半, 三十年, 永久 or 长期";

fn parse(text: &str, bare_unit: Option<TermUnit>) -> Result<Term, String> {
    let t = compact(text);
    match t.as_str() {
        "永久" | "永久性" => return Ok(Term::Permanent),
        "长期" | "不定期" | "无固定期限" | "无期限" => return Ok(Term::Indefinite),
        "" => return Err(format!("{text:?} is empty; {FORMS}")),
        _ => {}
    }
    let t = digits_for_numerals(text, &t)?;

    if let Ok(value) = plain_decimal(&t) {
        let unit = bare_unit
            .ok_or_else(|| format!("{text:?} has no unit and the field names none; {FORMS}"))?;
        let slot = match unit {
            TermUnit::Year => Slot::Year,
            TermUnit::Month => Slot::Month,
            TermUnit::Day => Slot::Day,
        };
        let mut parts = Parts::default();
        parts.set(text, slot, value)?;
        return parts.finish(text);
    }

    let mut parts = Parts::default();
    let mut rest = t.as_str();
    while !rest.is_empty() {
        // Connectors between parts: 十年零六个月 (零 became a leading 0), 1年又6个月.
        rest = rest.strip_prefix('又').unwrap_or(rest);
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let (value, after) = if number.is_empty() {
            // 半年: only a year may be halved on its own (6 months); 半个月 is refused.
            match after.strip_prefix('半') {
                Some(after) if after.starts_with('年') => (Decimal::new(5, 1), after),
                Some(after) if after.starts_with("个月") || after.starts_with('月') => {
                    return Err(format!(
                        "{text:?}: half a month is not a whole number of days; write e.g. 15天"
                    ))
                }
                Some(_) => {
                    return Err(format!(
                        "{text:?}: only a year has an exact half (6 months); {FORMS}"
                    ))
                }
                None => return Err(format!("{text:?} is not a term; {FORMS}")),
            }
        } else {
            let value = plain_decimal(number)
                .map_err(|why| format!("{text:?}: {number:?} is not a number ({why}); {FORMS}"))?;
            (value, after)
        };
        let (slot, after) = if let Some(a) = after.strip_prefix('年') {
            (Slot::Year, a)
        } else if let Some(a) = after
            .strip_prefix("个月")
            .or_else(|| after.strip_prefix('月'))
        {
            (Slot::Month, a)
        } else if let Some(a) = after
            .strip_prefix('天')
            .or_else(|| after.strip_prefix('日'))
        {
            (Slot::Day, a)
        } else if after.starts_with("个半月") || after.starts_with("半个月") {
            return Err(format!(
                "{text:?}: half a month is not a whole number of days; write e.g. 45天"
            ));
        } else {
            return Err(format!("{text:?} is not a term; {FORMS}"));
        };
        // 2年半: a trailing 半 halves the part's unit; only years have an exact half.
        let (value, after) = match (slot, after.strip_prefix('半')) {
            (Slot::Year, Some(a)) if number_len > 0 => (
                value
                    .checked_add(Decimal::new(5, 1))
                    .ok_or_else(|| format!("{text:?} is too long a term"))?,
                a,
            ),
            (_, Some(_)) => {
                return Err(format!(
                    "{text:?}: only a year has an exact half (6 months); {FORMS}"
                ))
            }
            (_, None) => (value, after),
        };
        parts.set(text, slot, value)?;
        rest = after;
    }
    parts.finish(text)
}

/// Chinese numeral runs as decimal digits: 三十年 → 30年, 两年半 → 2年半.
fn digits_for_numerals(text: &str, t: &str) -> Result<String, String> {
    let mut out = String::with_capacity(t.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| -> Result<(), String> {
        if !run.is_empty() {
            let v = numeral::value(run)
                .ok_or_else(|| format!("{text:?}: {run:?} is not a Chinese numeral; {FORMS}"))?;
            out.push_str(&v.to_string());
            run.clear();
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Year,
    Month,
    Day,
}

#[derive(Default)]
struct Parts {
    last: Option<Slot>,
    months: u32,
    days: u32,
}

impl Parts {
    fn set(&mut self, text: &str, slot: Slot, value: Decimal) -> Result<(), String> {
        if self.last.is_some_and(|last| last >= slot) {
            return Err(format!(
                "{text:?}: parts must come once each, in the order 年, 月, 天; {FORMS}"
            ));
        }
        self.last = Some(slot);
        if value < Decimal::ZERO {
            return Err(format!("{text:?} is negative; a term is longer than zero"));
        }
        let count = match slot {
            Slot::Year => value.checked_mul(Decimal::from(12)),
            Slot::Month | Slot::Day => Some(value),
        };
        let whole = count.and_then(whole).ok_or_else(|| match slot {
            Slot::Year => {
                format!("{text:?}: {value}年 is not a whole number of months; write e.g. 2年3个月")
            }
            Slot::Month => format!("{text:?}: {value}个月 is not a whole number of months"),
            Slot::Day => format!("{text:?}: {value}天 is not a whole number of days"),
        })?;
        let target = if slot == Slot::Day {
            &mut self.days
        } else {
            &mut self.months
        };
        *target = target
            .checked_add(whole)
            .ok_or_else(|| format!("{text:?} is too long a term"))?;
        Ok(())
    }

    fn finish(self, text: &str) -> Result<Term, String> {
        if self.months == 0 && self.days == 0 {
            return Err(format!(
                "{text:?} is a term of zero; a term is longer than zero"
            ));
        }
        Ok(Term::Fixed {
            months: self.months,
            days: self.days,
        })
    }
}

/// `d` as a `u32` when it is a whole number in range.
fn whole(d: Decimal) -> Option<u32> {
    let n = d.normalize();
    if n.scale() != 0 {
        return None;
    }
    u32::try_from(n.mantissa()).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::numeral::tests::chinese;
    use super::*;

    fn fixed(months: u32, days: u32) -> Term {
        Term::Fixed { months, days }
    }

    #[test]
    fn terms_in_every_published_form() {
        // 30 cases
        let cases: &[(&str, Term)] = &[
            ("30年", fixed(360, 0)),
            ("30 年", fixed(360, 0)),
            ("３０年", fixed(360, 0)),
            ("6个月", fixed(6, 0)),
            ("6月", fixed(6, 0)),
            ("30天", fixed(0, 30)),
            ("30日", fixed(0, 30)),
            ("10年6个月", fixed(126, 0)),
            ("10年零6个月", fixed(126, 0)),
            ("1年又6个月", fixed(18, 0)),
            ("1年6个月15天", fixed(18, 15)),
            ("2年半", fixed(30, 0)),
            ("半年", fixed(6, 0)),
            ("2.5年", fixed(30, 0)),
            ("2.25年", fixed(27, 0)),
            ("三十年", fixed(360, 0)),
            ("十年", fixed(120, 0)),
            ("两年", fixed(24, 0)),
            ("一年半", fixed(18, 0)),
            ("十年零六个月", fixed(126, 0)),
            ("三个月", fixed(3, 0)),
            ("九十天", fixed(0, 90)),
            ("二十五年", fixed(300, 0)),
            ("70年", fixed(840, 0)),
            ("永久", Term::Permanent),
            ("永久性", Term::Permanent),
            ("长期", Term::Indefinite),
            ("不定期", Term::Indefinite),
            ("无固定期限", Term::Indefinite),
            (" 5 年 ", fixed(60, 0)),
        ];
        for (text, want) in cases {
            assert_eq!(term(text).unwrap(), *want, "{text}");
        }
    }

    #[test]
    fn bare_numbers_take_the_fields_unit() {
        // 6 cases
        let cases: &[(&str, TermUnit, Term)] = &[
            ("30", TermUnit::Year, fixed(360, 0)),
            ("2.5", TermUnit::Year, fixed(30, 0)),
            ("6", TermUnit::Month, fixed(6, 0)),
            ("45", TermUnit::Day, fixed(0, 45)),
            ("三十", TermUnit::Year, fixed(360, 0)),
            ("6个月", TermUnit::Year, fixed(6, 0)), // the cell's unit wins
        ];
        for (text, unit, want) in cases {
            assert_eq!(term_in(text, *unit).unwrap(), *want, "{text}");
        }
    }

    #[test]
    fn terms_that_are_not_say_why() {
        // 16 cases
        let cases: &[(&str, &str)] = &[
            ("30", "has no unit"),
            ("", "empty"),
            ("2.1年", "not a whole number of months"),
            ("1.5个月", "not a whole number of months"),
            ("1.5天", "not a whole number of days"),
            ("半个月", "half a month"),
            ("1个半月", "half a month"),
            ("6个月半", "only a year has an exact half"),
            ("0年", "a term of zero"),
            ("6个月10年", "in the order"),
            ("10年10年", "in the order"),
            ("30周", "not a term"),
            ("30年左右", "not a term"),
            ("约30年", "not a term"),
            ("2023-2053", "not a term"),
            ("十十年", "not a Chinese numeral"),
        ];
        for (text, want) in cases {
            let err = term(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn terms_display_canonically() {
        assert_eq!(fixed(126, 0).to_string(), "10年6个月");
        assert_eq!(fixed(0, 30).to_string(), "30天");
        assert_eq!(fixed(360, 0).to_string(), "30年");
        assert_eq!(Term::Permanent.to_string(), "永久");
    }

    proptest! {
        #[test]
        fn years_and_months_add_up(years in 0u32..100, months in 0u32..12, days in 0u32..31) {
            prop_assume!(years + months + days > 0);
            let mut text = String::new();
            let mut chinese_text = String::new();
            if years > 0 {
                text += &format!("{years}年");
                chinese_text += &format!("{}年", chinese(years));
            }
            if months > 0 {
                text += &format!("{months}个月");
                chinese_text += &format!("{}个月", chinese(months));
            }
            if days > 0 {
                text += &format!("{days}天");
                chinese_text += &format!("{}天", chinese(days));
            }
            let want = fixed(years * 12 + months, days);
            prop_assert_eq!(term(&text).unwrap(), want);
            prop_assert_eq!(term(&chinese_text).unwrap(), want, "{}", chinese_text);
            prop_assert_eq!(term(&want.to_string()).unwrap(), want);
        }
    }
}
