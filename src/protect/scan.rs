//! Finding natural persons' ID numbers and phone numbers inside free text, for the
//! redactor ([`super::Protector::redact_text`], [`super::mask_personal`]).
//!
//! An ID number is found in every way people write one:
//! - a run of 15–18 digits (the 18th may be `X`) standing alone — not glued to letters or
//!   digits, so a project number `JZ140702202300001` stays — valid or not, since a
//!   mistyped ID is still a person's;
//! - a *valid* 18-character ID (check character right) wherever it stands, glued to
//!   letters included (`ZD11010519491231002X`);
//! - a run after an ID word glued to it (`ID110105…`, `SFZ110105…`);
//! - digits in groups joined by single spaces or dashes (`110105 19491231 002X`,
//!   `110105-19491231-002X`) when the groups together have an ID's shape: a province
//!   code and a real birth date (check character not required), so a 12-digit region
//!   code beside a year (`140702100200 2023`) is left alone;
//! - in full-width digits (`１１０１０５…`) or after an ideographic space, as ASCII.
//!
//! Phones are found by [`parse::find_phones`]. Overlapping finds are merged, the ID
//! winning. Markers the redactor wrote (`[id:0123abcd…]`, `[phone]`) are never scanned
//! again, so redacting twice changes nothing.
//!
//! A find is *certain* when it is beyond doubt a person's number: a valid 18-character
//! ID, or a mobile number. Native ids are protected only on certain finds
//! ([`super::Protector::native_id`]): a 16-digit database key is left as it is there,
//! while free text loses every ID- or phone-shaped number.

use std::ops::Range;

use crate::normalize::parse;
use crate::protect::Personal;

/// One personal number found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Byte range in the text.
    pub range: Range<usize>,
    pub kind: Personal,
    /// Whether the number is beyond doubt a person's (see the module doc).
    pub certain: bool,
    /// An ID number's characters as read (ASCII digits and `X`, separators left out),
    /// for its canonical form; `None` for a phone.
    pub digits: Option<String>,
}

/// An ID number found among the runs of digits (char indices).
#[derive(Debug, Clone)]
struct IdRun {
    range: Range<usize>,
    certain: bool,
    digits: String,
}

/// Letters that, glued to a run of digits, say it is an ID number (`ID110105…`):
/// English and pinyin initials of 身份证号码 and 证件号码.
const ID_WORDS: &[&str] = &["ID", "IDNO", "IDCARD", "SFZ", "SFZH", "SFZHM", "ZJHM"];

/// Every personal number in `text`, in order, not overlapping.
pub(crate) fn personal_numbers(text: &str) -> Vec<Found> {
    let chars: Vec<(usize, char)> = text.char_indices().map(|(i, c)| (i, normal(c))).collect();
    let byte = |k: usize| chars.get(k).map_or(text.len(), |(i, _)| *i);
    let markers = markers(text);
    let mut found: Vec<Found> = id_numbers(&chars)
        .into_iter()
        .map(|id| Found {
            range: byte(id.range.start)..byte(id.range.end),
            kind: Personal::IdNumber,
            certain: id.certain,
            digits: Some(id.digits),
        })
        .collect();
    found.extend(parse::find_phones(text).into_iter().map(|range| {
        let certain =
            parse::phone(&text[range.clone()]).is_some_and(|p| p.kind == parse::PhoneKind::Mobile);
        Found {
            range,
            kind: Personal::Phone,
            certain,
            digits: None,
        }
    }));
    found.retain(|f| {
        !markers
            .iter()
            .any(|m| m.start < f.range.end && f.range.start < m.end)
    });
    merge(found)
}

/// One character as the scanner sees it: full-width digits, signs and `Ｘ` as ASCII,
/// the ideographic space as a space, `x` as `X`.
fn normal(c: char) -> char {
    match parse::phone::scan_char(c) {
        'x' | 'Ｘ' | 'ｘ' => 'X',
        c => c,
    }
}

/// A maximal run of digits, perhaps ending in `X` (as char indices).
#[derive(Debug, Clone)]
struct Group {
    start: usize,
    end: usize,
    /// The digits and the `X`.
    text: String,
}

impl Group {
    fn has_x(&self) -> bool {
        self.text.ends_with('X')
    }
}

/// The ID numbers among a text's characters, in order, not overlapping.
fn id_numbers(chars: &[(usize, char)]) -> Vec<IdRun> {
    let groups = groups(chars);
    let mut candidates = Vec::new();
    let mut first = 0;
    // Sequences of groups joined by single spaces or dashes.
    for i in 0..groups.len() {
        let joined_to_next = groups
            .get(i + 1)
            .is_some_and(|next| separates(&chars[groups[i].end..next.start]) && !groups[i].has_x());
        if !joined_to_next {
            candidates.extend(sequence_ids(chars, &groups[first..=i]));
            first = i + 1;
        }
    }
    // Longest first among those starting at the same place, then left to right.
    candidates.sort_by_key(|id| (id.range.start, std::cmp::Reverse(id.range.end)));
    let mut taken: Vec<IdRun> = Vec::new();
    for id in candidates {
        if taken
            .last()
            .is_none_or(|last| last.range.end <= id.range.start)
        {
            taken.push(id);
        }
    }
    taken
}

/// The runs of digits of a text, each with the `X` that may close it.
fn groups(chars: &[(usize, char)]) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if let Some(len) = escape_len(&chars[k..]) {
            // `\u{3000}`: its hex digits are not a number.
            k += len;
            continue;
        }
        if !chars[k].1.is_ascii_digit() {
            k += 1;
            continue;
        }
        let start = k;
        while k < chars.len() && chars[k].1.is_ascii_digit() {
            k += 1;
        }
        let mut text: String = chars[start..k].iter().map(|(_, c)| *c).collect();
        // The check character closes an 18-character run or the last group of a number
        // written in groups (`… 002X`); after 18 digits an X is a letter of its own.
        if k < chars.len() && chars[k].1 == 'X' && k - start <= 17 {
            text.push('X');
            k += 1;
        }
        groups.push(Group {
            start,
            end: k,
            text,
        });
    }
    groups
}

/// Whether the characters between two runs of digits join them into one number: a
/// single space or dash, or a whitespace character written as an escape (`\u{3000}`):
/// a refusal message quotes a cell with Rust's `{:?}`, which writes the ideographic
/// space people type between the groups of an ID that way.
fn separates(between: &[(usize, char)]) -> bool {
    match between {
        [(_, ' ' | '-')] => true,
        _ => {
            escape_len(between) == Some(between.len())
                && escaped_char(between).is_some_and(char::is_whitespace)
        }
    }
}

/// The length of a `\u{…}` escape (1 to 6 hex digits) at the start of `chars`.
fn escape_len(chars: &[(usize, char)]) -> Option<usize> {
    let text: String = chars.iter().take(10).map(|(_, c)| *c).collect();
    let hex = text.strip_prefix("\\u{")?;
    let close = hex.find('}')?;
    ((1..=6).contains(&close) && hex[..close].chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(close + 4)
}

/// The character a `\u{…}` escape stands for.
fn escaped_char(chars: &[(usize, char)]) -> Option<char> {
    let text: String = chars.iter().map(|(_, c)| *c).collect();
    let hex = text.strip_prefix("\\u{")?.strip_suffix('}')?;
    char::from_u32(u32::from_str_radix(hex, 16).ok()?)
}

/// ID numbers among a sequence of joined groups: one group by the rules for a run, and
/// any span of two or more whole groups that has an ID's shape.
fn sequence_ids(chars: &[(usize, char)], groups: &[Group]) -> Vec<IdRun> {
    let mut found = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        if let Some(certain) = run_is_id(chars, g) {
            found.push(IdRun {
                range: g.start..g.end,
                certain,
                digits: g.text.clone(),
            });
        }
        let mut digits = g.text.clone();
        for next in &groups[i + 1..] {
            digits.push_str(&next.text);
            if digits.len() > 18 {
                break;
            }
            if matches!(digits.len(), 15 | 18) && parse::plausible_id(&digits) {
                let certain = digits.len() == 18 && parse::resident_id(&digits).is_ok();
                found.push(IdRun {
                    range: g.start..next.end,
                    certain,
                    digits: digits.clone(),
                });
            }
        }
    }
    found
}

/// Whether one run of digits is an ID number (`Some(certain)`), by where it stands.
fn run_is_id(chars: &[(usize, char)], g: &Group) -> Option<bool> {
    let shaped = if g.has_x() {
        g.text.len() == 18
    } else {
        (15..=18).contains(&g.text.len())
    };
    if !shaped {
        return None;
    }
    let certain = g.text.len() == 18 && parse::resident_id(&g.text).is_ok();
    let letter = |k: usize| chars.get(k).is_some_and(|(_, c)| c.is_ascii_alphanumeric());
    let before = g.start.checked_sub(1).is_some_and(letter);
    let after = letter(g.end);
    let id_word = {
        let word: String = chars[..g.start]
            .iter()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphabetic())
            .map(|(_, c)| c.to_ascii_uppercase())
            .collect::<Vec<char>>()
            .into_iter()
            .rev()
            .collect();
        ID_WORDS.iter().any(|w| word.ends_with(w))
    };
    (certain || (!before || id_word) && !after).then_some(certain)
}

/// Byte ranges of the markers the redactors write: `[id:<16 hex>]`, `[phone:<16 hex>]`,
/// `[id]`, `[phone]`.
fn markers(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices('[') {
        let rest = &text[start + 1..];
        let Some(close) = rest.find(']') else { break };
        let inside = &rest[..close];
        let hex = |h: &str| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit());
        let is_marker = match inside.split_once(':') {
            Some(("id" | "phone", h)) => hex(h),
            None => matches!(inside, "id" | "phone"),
            _ => false,
        };
        if is_marker {
            found.push(start..start + close + 2);
        }
    }
    found
}

/// Sorted by start, overlapping finds merged into one covering both: an ID if either is
/// one (its digits kept), certain if either is.
fn merge(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by_key(|f| f.range.start);
    let mut merged: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        match merged.last_mut() {
            Some(last) if f.range.start < last.range.end => {
                last.range.end = last.range.end.max(f.range.end);
                if f.kind == Personal::IdNumber {
                    last.kind = Personal::IdNumber;
                    last.digits = last.digits.take().or(f.digits);
                }
                last.certain |= f.certain;
            }
            _ => merged.push(f),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> Vec<(&str, Personal, bool)> {
        personal_numbers(text)
            .into_iter()
            .map(|f| (&text[f.range], f.kind, f.certain))
            .collect()
    }

    #[test]
    fn id_numbers_in_every_written_form_and_not_in_other_numbers() {
        use Personal::{IdNumber as Id, Phone};
        // 26 cases: the new shapes, and numbers that must stay.
        type Finds<'a> = &'a [(&'a str, Personal, bool)];
        let cases: &[(&str, Finds)] = &[
            ("11010519491231002X", &[("11010519491231002X", Id, true)]),
            (
                "110105 19491231 002X",
                &[("110105 19491231 002X", Id, true)],
            ),
            (
                "110105-19491231-002X",
                &[("110105-19491231-002X", Id, true)],
            ),
            (
                "身份证 110105 1949 1231 002x 男",
                &[("110105 1949 1231 002x", Id, true)],
            ),
            (
                "１１０１０５１９４９１２３１００２Ｘ",
                &[("１１０１０５１９４９１２３１００２Ｘ", Id, true)],
            ),
            (
                "证号１１０１０５　１９４９１２３１　００２Ｘ",
                &[("１１０１０５　１９４９１２３１　００２Ｘ", Id, true)],
            ),
            ("ID110105194912310021", &[("110105194912310021", Id, false)]),
            ("id11010519491231002X", &[("11010519491231002X", Id, true)]),
            ("SFZ110105491231002", &[("110105491231002", Id, false)]),
            (
                "身份证号:11010519491231002X",
                &[("11010519491231002X", Id, true)],
            ),
            (
                "身份证号：11010519491231002X。",
                &[("11010519491231002X", Id, true)],
            ),
            ("ZD11010519491231002X", &[("11010519491231002X", Id, true)]),
            // A mistyped ID written in groups is still a person's.
            (
                "110105 19491231 0021",
                &[("110105 19491231 0021", Id, false)],
            ),
            ("旧证110105 491231 002", &[("110105 491231 002", Id, false)]),
            // A cell quoted with `{:?}` writes its ideographic spaces as escapes.
            (
                "holds \"１１０１０５\\u{3000}１９４９１２３１\\u{3000}００２Ｘ\"",
                &[(
                    "１１０１０５\\u{3000}１９４９１２３１\\u{3000}００２Ｘ",
                    Id,
                    true,
                )],
            ),
            (
                "\\u{1b}[31m110105 19491231 002X\\u{1b}[0m",
                &[("110105 19491231 002X", Id, true)],
            ),
            (
                "电话0354-1234567 身份证110105 19491231 002X",
                &[
                    ("0354-1234567", Phone, false),
                    ("110105 19491231 002X", Id, true),
                ],
            ),
            // Numbers that are not IDs.
            ("JZ140702202300001", &[]),
            ("JZ14070220230000112", &[]),
            ("140702100200 2023年", &[]),
            ("140702100200-2023-03-31", &[]),
            ("地块编码1407021002000100101，发包方编码14070210020001", &[]),
            ("面积 1234567.89 平方米，成交价 12500000.00 元", &[]),
            ("2023-03-31 08:00:00 140702 100200", &[]),
            ("91350100M000100Y43", &[]),
            ("账号 6222021100101234567", &[]),
            ("1234567X 型号", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(shown(text), *want, "{text}");
        }
    }

    #[test]
    fn markers_are_not_scanned_again() {
        for text in [
            "[id:1234567890123456]",
            "[phone:0123456789abcdef] 与 [id]、[phone]",
        ] {
            assert_eq!(shown(text), [], "{text}");
        }
        // A look-alike with a number inside is not a marker.
        assert_eq!(
            shown("[id:11010519491231002X]"),
            [("11010519491231002X", Personal::IdNumber, true)]
        );
    }
}
