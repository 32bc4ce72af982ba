//! Mainland China phone numbers, for the personal-data layer: recognise a value that is a
//! phone, reduce it to canonical digits (so `+86 138-0013-8000` and `13800138000`
//! pseudonymise alike), and find phones inside free text (remarks, addresses).
//!
//! - Mobile: `1[3-9]` + 9 digits, optionally after `+86`, `0086` or `86`, with spaces or
//!   dashes anywhere (`138 0013 8000`, `138-0013-8000`).
//! - Landline: `0` + a 2–3 digit area code + a 7–8 digit local number, written
//!   `0354-1234567`, `03541234567`, `(0354)1234567` or `0354 1234567`. Without a
//!   separator the split is not needed: the canonical form is all the digits.
//!
//! Recognition is deliberately generous — a false positive only pseudonymises a number
//! that was not a phone, a false negative leaks one.

use std::ops::Range;

use super::text::compact;

/// What kind of line a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneKind {
    Mobile,
    Landline,
}

/// A phone number in canonical form: digits only, no country code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub kind: PhoneKind,
    /// `13800138000`, `03541234567`.
    pub digits: String,
}

/// Whether the whole text is a mainland mobile or landline number.
pub fn looks_like_phone(text: &str) -> bool {
    phone(text).is_some()
}

/// The phone number the whole text is, in canonical form; `None` when it is not one.
pub fn phone(text: &str) -> Option<Phone> {
    let t = compact(text);
    mobile(&t).or_else(|| landline(&t))
}

fn mobile(t: &str) -> Option<Phone> {
    let digits: String = t.chars().filter(|c| *c != '-').collect();
    let national = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
        .unwrap_or(&digits);
    let b = national.as_bytes();
    let ok = b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit);
    ok.then(|| Phone {
        kind: PhoneKind::Mobile,
        digits: national.to_owned(),
    })
}

fn landline(t: &str) -> Option<Phone> {
    // (0354)1234567 is written like 0354-1234567.
    let t = match t.strip_prefix('(') {
        Some(rest) => {
            let (area, local) = rest.split_once(')')?;
            format!("{area}-{local}")
        }
        None => t.to_owned(),
    };
    let (area, local) = match t.split_once('-') {
        Some((area, local)) => (area.to_owned(), local.to_owned()),
        None => {
            // No separator: any split of 0 + 2–3 + 7–8 digits gives the same digits.
            let ok = (10..=12).contains(&t.len()) && t.starts_with('0');
            let ok = ok && t.bytes().all(|b| b.is_ascii_digit());
            return ok.then_some(Phone {
                kind: PhoneKind::Landline,
                digits: t,
            });
        }
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = (3..=4).contains(&area.len())
        && area.starts_with('0')
        && (7..=8).contains(&local.len())
        && all_digits(&area)
        && all_digits(&local);
    ok.then(|| Phone {
        kind: PhoneKind::Landline,
        digits: format!("{area}{local}"),
    })
}

/// One character of free text as the scanner sees it: full-width digits and signs as
/// ASCII, the ideographic space as a space.
pub(crate) fn scan_char(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '＋' => '+',
        '－' | '\u{2010}'..='\u{2015}' => '-',
        '（' => '(',
        '）' => ')',
        '\u{3000}' => ' ',
        c => c,
    }
}

/// Byte ranges of the phone numbers inside free text, in order. A candidate is a maximal
/// run of digits joined by single spaces, dashes or parentheses; it is a phone if it is
/// one as a whole, else spans of its pieces are tried ([`phone_pieces`]). A run of digits
/// longer than a phone (an ID number, an account) is never split, so no phone is
/// "found" inside it.
pub fn find_phones(text: &str) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = text
        .char_indices()
        .map(|(i, c)| (i, scan_char(c)))
        .collect();
    let end_of = |k: usize| chars.get(k).map_or(text.len(), |(i, _)| *i);
    let is_sep = |c: char| matches!(c, ' ' | '-' | '(' | ')');
    let mut found = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let (_, c) = chars[k];
        let starts = c.is_ascii_digit()
            || (matches!(c, '+' | '(')
                && chars.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit()));
        if !starts {
            k += 1;
            continue;
        }
        // Extend over digits and single separators followed by a digit (or by `(`/`)`).
        // A `)` belongs to the number only after its `(`: `(0354)1234567`, not the
        // bracket closing a list around `13800138000)`.
        let start = k;
        let mut open = c == '(';
        let mut j = k + 1;
        while j < chars.len() {
            let c = chars[j].1;
            if c == ')' && !open {
                break;
            }
            let joins = is_sep(c)
                && chars
                    .get(j + 1)
                    .is_some_and(|(_, n)| n.is_ascii_digit() || (c == ')' && *n == ' '));
            if c.is_ascii_digit() || joins {
                open = match c {
                    '(' => true,
                    ')' => false,
                    _ => open,
                };
                j += 1;
            } else if c == ')' {
                j += 1;
                break;
            } else {
                break;
            }
        }
        let run: String = chars[start..j].iter().map(|(_, c)| *c).collect();
        if phone(&run).is_some() {
            found.push(end_of(start)..end_of(j));
        } else {
            for piece in phone_pieces(&chars[start..j]) {
                found.push(end_of(start + piece.start)..end_of(start + piece.end));
            }
        }
        k = j.max(k + 1);
    }
    found
}

/// Most pieces a phone is written in (`+86 138 0013 8000`).
const MAX_PIECES: usize = 5;

/// Index ranges (into `run`) of the phones among a run's pieces (split at spaces and
/// dashes): from each piece, the longest span of up to [`MAX_PIECES`] whole pieces that
/// is a phone, so `138 0013 8000 0354-1234567` yields the mobile and the landline, and
/// `0354-13800138000` the mobile.
fn phone_pieces(run: &[(usize, char)]) -> Vec<Range<usize>> {
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    for m in 0..=run.len() {
        if m == run.len() || matches!(run[m].1, ' ' | '-') {
            if m > piece_start {
                pieces.push(piece_start..m);
            }
            piece_start = m + 1;
        }
    }
    let text = |r: Range<usize>| run[r].iter().map(|(_, c)| *c).collect::<String>();
    let mut found = Vec::new();
    let mut p = 0;
    while p < pieces.len() {
        let last = (p + MAX_PIECES).min(pieces.len());
        let longest = (p..last)
            .rev()
            .find(|&q| phone(&text(pieces[p].start..pieces[q].end)).is_some());
        match longest {
            Some(q) => {
                found.push(pieces[p].start..pieces[q].end);
                p = q + 1;
            }
            None => p += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn phones_in_every_written_form() {
        // 20 cases
        let cases: &[(&str, Option<(PhoneKind, &str)>)] = &[
            ("13800138000", Some((PhoneKind::Mobile, "13800138000"))),
            ("138 0013 8000", Some((PhoneKind::Mobile, "13800138000"))),
            ("138-0013-8000", Some((PhoneKind::Mobile, "13800138000"))),
            (
                "+86 138 0013 8000",
                Some((PhoneKind::Mobile, "13800138000")),
            ),
            ("+8613800138000", Some((PhoneKind::Mobile, "13800138000"))),
            ("8613800138000", Some((PhoneKind::Mobile, "13800138000"))),
            ("0086-13800138000", Some((PhoneKind::Mobile, "13800138000"))),
            (
                "１３８００１３８０００",
                Some((PhoneKind::Mobile, "13800138000")),
            ),
            ("19912345678", Some((PhoneKind::Mobile, "19912345678"))),
            ("0354-1234567", Some((PhoneKind::Landline, "03541234567"))),
            ("03541234567", Some((PhoneKind::Landline, "03541234567"))),
            ("010-12345678", Some((PhoneKind::Landline, "01012345678"))),
            ("(0354)1234567", Some((PhoneKind::Landline, "03541234567"))),
            (
                "（0354）1234567",
                Some((PhoneKind::Landline, "03541234567")),
            ),
            ("0354 1234567", Some((PhoneKind::Landline, "03541234567"))),
            ("12800138000", None),
            ("1380013800", None),
            ("138001380001", None),
            ("11010519491231002X", None),
            ("354-1234567", None),
        ];
        for (text, want) in cases {
            let got = phone(text).map(|p| (p.kind, p.digits));
            let want = want.map(|(k, d)| (k, d.to_owned()));
            assert_eq!(got, want, "{text}");
            assert_eq!(looks_like_phone(text), want.is_some(), "{text}");
        }
    }

    #[test]
    fn phones_are_found_inside_free_text_and_not_inside_longer_numbers() {
        // 14 cases
        let cases: &[(&str, &[&str])] = &[
            ("联系电话：13800138000", &["13800138000"]),
            (
                "手机138 0013 8000，座机0354-1234567",
                &["138 0013 8000", "0354-1234567"],
            ),
            ("13800138000 13900139000", &["13800138000", "13900139000"]),
            ("电话１３８００１３８０００", &["１３８００１３８０００"]),
            ("身份证11010519491231002X", &[]),
            ("身份证110105194912310021", &[]),
            ("面积35.5亩，成交价125000元", &[]),
            ("（0354）1234567转", &["（0354）1234567"]),
            ("+86 138 0013 8000", &["+86 138 0013 8000"]),
            ("2023-03-31 张三 13800138000", &["13800138000"]),
            // A mobile in pieces beside another number is still found.
            (
                "手机 138 0013 8000 0354-1234567",
                &["138 0013 8000", "0354-1234567"],
            ),
            ("+86 138 0013 8000 2023", &["+86 138 0013 8000"]),
            ("(王建军, 13800138000)", &["13800138000"]),
            ("0354-13800138000", &["13800138000"]),
        ];
        for (text, want) in cases {
            let got: Vec<&str> = find_phones(text).into_iter().map(|r| &text[r]).collect();
            assert_eq!(got, *want, "{text}");
        }
    }

    proptest! {
        #[test]
        fn any_mobile_in_any_spelling_is_found(second in 3u8..=9, rest in 0u64..1_000_000_000) {
            let number = format!("1{second}{rest:09}");
            let spaced = format!("{} {} {}", &number[..3], &number[3..7], &number[7..]);
            for text in [number.clone(), spaced.clone(), format!("+86{number}"), spaced.replace(' ', "-")] {
                prop_assert_eq!(phone(&text).map(|p| p.digits), Some(number.clone()));
                let free = format!("联系人手机{text}。");
                prop_assert_eq!(find_phones(&free).len(), 1, "{}", free);
            }
        }
    }
}
