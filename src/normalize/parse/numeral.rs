//! Chinese numerals (中文数字) as they appear in dates and terms: `二〇二三`, `三十一`,
//! `十二`, `两`, `廿一`, `一百零五`, and the financial forms `叁拾`.
//!
//! Two readings exist and both are used: a year is written digit by digit (`二〇二三` =
//! 2023) while months, days and counts are positional (`三十一` = 31). A run without any of
//! 十/百/千 is read digit by digit; one with them positionally. Values stop at 9,999, which
//! covers every date part and term; larger counts are not numerals these fields carry.

/// The value of one Chinese digit character.
pub(super) fn digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' | '貳' => 2,
        '三' | '叁' | '參' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// The multiplier of a positional unit character; 廿 and 卅 are 20 and 30 in one
/// character and handled as units with an implied digit.
fn unit(c: char) -> Option<u32> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

/// Whether `c` can be part of a Chinese numeral.
pub(super) fn is_numeral_char(c: char) -> bool {
    digit(c).is_some() || unit(c).is_some() || matches!(c, '廿' | '卅')
}

/// The value of a whole Chinese numeral, `None` when it is not one.
pub(super) fn value(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| digit(c).is_some()) {
        // Digit by digit: 二〇二三 = 2023. More than four digits is not a year or a count.
        if s.chars().count() > 4 {
            return None;
        }
        return s
            .chars()
            .try_fold(0u32, |acc, c| Some(acc * 10 + digit(c)?));
    }
    positional(s)
}

/// 三十一 = 31, 十二 = 12, 一百零五 = 105, 廿一 = 21. Units must fall strictly
/// (千 before 百 before 十), a digit may not follow a digit except after 零, and 零 only
/// stands for skipped places.
fn positional(s: &str) -> Option<u32> {
    let mut total = 0u32;
    let mut pending: Option<u32> = None;
    let mut last_unit = u32::MAX;
    let mut after_zero = false;
    for c in s.chars() {
        if c == '零' || c == '〇' || c == '○' {
            if pending.is_some() || total == 0 {
                return None;
            }
            after_zero = true;
            continue;
        }
        if let Some(d) = digit(c) {
            if pending.is_some() {
                return None;
            }
            pending = Some(d);
            continue;
        }
        let (multiplier, implied) = match c {
            '廿' => (10, Some(2)),
            '卅' => (10, Some(3)),
            c => (unit(c)?, None),
        };
        if multiplier >= last_unit {
            return None;
        }
        let d = match (implied, pending.take()) {
            (Some(d), None) => d,
            (Some(_), Some(_)) => return None,
            // A leading 十 means 一十 (十二 = 12); elsewhere a unit needs its digit.
            (None, None) if multiplier == 10 && total == 0 && !after_zero => 1,
            (None, None) => return None,
            (None, Some(d)) => d,
        };
        if d == 0 {
            return None;
        }
        total += d * multiplier;
        last_unit = multiplier;
        after_zero = false;
    }
    if let Some(d) = pending {
        // A trailing digit is in the ones place only right after 十 or after 零
        // (一百零五); 一百五 (= 150 colloquially) is ambiguous, so refused.
        if !(last_unit == 10 || after_zero || last_unit == u32::MAX) {
            return None;
        }
        total += d;
    }
    Some(total)
}

#[cfg(test)]
pub(super) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Positional Chinese spelling of 1..=9999, the way people write counts (test helper).
    pub(in crate::normalize::parse) fn chinese(n: u32) -> String {
        const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
        let places = [(1000, '千'), (100, '百'), (10, '十')];
        let mut out = String::new();
        let mut rest = n;
        let mut zero_pending = false;
        for (size, unit) in places {
            let d = rest / size;
            rest %= size;
            if d == 0 {
                zero_pending = !out.is_empty();
                continue;
            }
            if zero_pending {
                out.push('零');
                zero_pending = false;
            }
            if !(size == 10 && d == 1 && out.is_empty()) {
                out.push(DIGITS[d as usize]);
            }
            out.push(unit);
        }
        if rest > 0 {
            if zero_pending {
                out.push('零');
            }
            out.push(DIGITS[rest as usize]);
        }
        out
    }

    /// Digit-by-digit spelling, as years are written (test helper).
    pub(in crate::normalize::parse) fn chinese_digits(n: u32) -> String {
        const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
        n.to_string()
            .bytes()
            .map(|b| DIGITS[usize::from(b - b'0')])
            .collect()
    }

    #[test]
    fn numerals_read_both_ways() {
        // 20 cases
        let cases: &[(&str, Option<u32>)] = &[
            ("二〇二三", Some(2023)),
            ("二零二三", Some(2023)),
            ("一九九九", Some(1999)),
            ("三", Some(3)),
            ("十", Some(10)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("三十一", Some(31)),
            ("廿一", Some(21)),
            ("卅", Some(30)),
            ("两", Some(2)),
            ("一百零五", Some(105)),
            ("一千零一", Some(1001)),
            ("叁拾", Some(30)),
            ("二千零二十三", Some(2023)),
            ("一百五", None),
            ("十十", None),
            ("三三十", None),
            ("一二三四五", None),
            ("零十", None),
        ];
        for (text, want) in cases {
            assert_eq!(value(text), *want, "{text}");
        }
    }

    proptest! {
        #[test]
        fn positional_spelling_round_trips(n in 1u32..=9999) {
            prop_assert_eq!(value(&chinese(n)), Some(n), "{}", chinese(n));
        }

        #[test]
        fn digit_by_digit_spelling_round_trips(n in 1000u32..=9999) {
            prop_assert_eq!(value(&chinese_digits(n)), Some(n));
        }
    }
}
