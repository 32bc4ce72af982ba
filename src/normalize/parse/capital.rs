//! Amounts in financial uppercase (大写金额) as contracts and receipts write them:
//! `人民币壹拾贰万伍仟元整` = 125000.00, `壹佰零伍元伍角` = 105.50, `叁万元零伍分` = 30000.05,
//! `壹亿零贰拾万元整` = 100200000.00.
//!
//! Grammar, exact and strict where a reading could differ:
//! - optional `人民币`, `RMB`, `(大写)`/`（大写）`/`大写:` before; optional `整` or `正` after;
//! - digits 壹贰叁肆伍陆柒捌玖 (and the everyday 一二三四五六七八九, 两 for 2), 零 (〇, ○);
//!   units 拾佰仟 (十百千) within a section of four places, sections 万 (萬) and 亿 (億);
//!   `元` or `圆`; then 角 and 分, each one digit, with one 零 allowed where a place is skipped
//!   (`壹仟陆佰捌拾元零叁角贰分`, `叁万元零伍分`);
//! - a leading 拾 stands for 壹拾 (`拾万元` = 100000), elsewhere a unit needs its digit;
//! - a bare last digit must be the ones: right after 拾, or after 零. `壹佰伍元` is refused:
//!   it is 105 missing its 零 or the colloquial 150, and reading either would be a guess;
//!   so is `贰万伍元` (20005 or 25000).
//! - 兆 is refused: it means 10⁶ in today's usage and 10¹² in older and Taiwanese usage.
//!
//! A text without 元, 角 or 分 (`壹拾贰`) is a bare numeral: its unit comes from elsewhere.

use rust_decimal::Decimal;

use super::numeral::digit;

/// An amount read from financial uppercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capital {
    /// The value: in 元 with two decimal places when `in_yuan`, else a whole number.
    pub value: Decimal,
    /// Whether the text named 元, 角 or 分 (a money amount in 元), rather than being a
    /// bare numeral.
    pub in_yuan: bool,
}

const FORM: &str = "expected e.g. 人民币壹拾贰万伍仟元整, 壹佰零伍元伍角 or 叁万元零伍分";

/// Whether `text` is written in Chinese numerals (so it should be read by [`capital`]
/// rather than as a decimal number): it has a Chinese digit or a 拾/佰/仟 unit.
pub fn is_capital(text: &str) -> bool {
    // `3.2千元` and `12.5万` are decimals with a Chinese unit, not uppercase.
    !text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .any(|c| (digit(c).is_some() && !is_zero(c)) || place(c).is_some())
}

/// An amount in financial uppercase (see the module doc).
///
/// # Errors
/// When the text is not in that grammar; the message names the text, the part that is
/// wrong, and the expected form.
pub fn capital(text: &str) -> Result<Capital, String> {
    let bad =
        |why: &str| format!("{text:?} is not an amount in financial uppercase: {why}; {FORM}");
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut t = t.as_str();
    for prefix in ["人民币", "RMB", "rmb"] {
        t = t.strip_prefix(prefix).unwrap_or(t);
    }
    for prefix in ["(大写)", "（大写）", "大写:", "大写：", "大写"] {
        t = t.strip_prefix(prefix).unwrap_or(t);
    }
    if t.contains('兆') {
        return Err(bad(
            "兆 is 10⁶ in today's usage and 10¹² in older usage, so it is not read",
        ));
    }
    let whole_suffix = t.ends_with(['整', '正']);
    if whole_suffix {
        t = &t[..t.len() - '整'.len_utf8()];
    }
    let (integer, fraction) = match t.find(['元', '圆']) {
        Some(at) => (&t[..at], Some(&t[at + '元'.len_utf8()..])),
        None if t.ends_with(['角', '分']) => ("", Some(t)),
        None => (t, None),
    };
    if whole_suffix && fraction.is_none() {
        return Err(bad("整 follows 元, 角 or 分"));
    }
    let chars: Vec<char> = integer.chars().collect();
    let whole = if chars.is_empty() {
        0
    } else {
        number(&chars).map_err(|why| bad(&why))?
    };
    let Some(fraction) = fraction else {
        return Ok(Capital {
            value: Decimal::from(whole),
            in_yuan: false,
        });
    };
    let cents = cents(fraction).map_err(|why| bad(&why))?;
    if chars.is_empty() && cents == 0 {
        return Err(bad("it names no amount"));
    }
    // In fen: whole < 10¹⁶ (9999万亿), so this fits an i128 and a decimal's 96 bits.
    let fen =
        i128::try_from(whole * 100 + u128::from(cents)).map_err(|_| bad("it is too large"))?;
    let total = Decimal::try_from_i128_with_scale(fen, 2).map_err(|_| bad("it is too large"))?;
    Ok(Capital {
        value: total,
        in_yuan: true,
    })
}

/// 角 and 分 after 元: `伍角`, `伍角伍分`, `零伍分`, `零叁角贰分`, or nothing.
fn cents(s: &str) -> Result<u32, String> {
    let mut chars = s.chars().peekable();
    let zero = chars.next_if(|&c| is_zero(c)).is_some();
    let mut cents = 0;
    let mut seen_jiao = false;
    while let Some(c) = chars.next() {
        let d = digit(c)
            .filter(|&d| d > 0)
            .ok_or_else(|| format!("{c:?} where a digit 壹–玖 of 角 or 分 was expected"))?;
        match chars.next() {
            Some('角') if !seen_jiao && cents == 0 => {
                cents = d * 10;
                seen_jiao = true;
            }
            Some('分') => {
                cents += d;
                if chars.next().is_some() {
                    return Err("nothing may follow 分".to_owned());
                }
            }
            Some('角') => return Err("角 comes once, before 分".to_owned()),
            Some(u) => {
                return Err(format!(
                    "{u:?} after a digit of the fraction; expected 角 or 分"
                ))
            }
            None => return Err(format!("the digit {c:?} after 元 has no 角 or 分")),
        }
    }
    if zero && cents == 0 {
        return Err("零 after 元 must be followed by 角 or 分".to_owned());
    }
    Ok(cents)
}

fn is_zero(c: char) -> bool {
    matches!(c, '零' | '〇' | '○')
}

/// The place of a unit within a section: 拾 1, 佰 2, 仟 3.
fn place(c: char) -> Option<u32> {
    match c {
        '十' | '拾' => Some(1),
        '百' | '佰' => Some(2),
        '千' | '仟' => Some(3),
        _ => None,
    }
}

/// A whole number with 亿 and 万 sections.
fn number(chars: &[char]) -> Result<u128, String> {
    if chars.iter().all(|&c| is_zero(c)) {
        return if chars.len() == 1 {
            Ok(0)
        } else {
            Err("零 is written once".to_owned())
        };
    }
    match split_once(chars, &['亿', '億'])? {
        None => below_yi(chars, true, false),
        Some((high, low)) => {
            let high = below_yi(high, true, false)?;
            let low = if low.is_empty() {
                0
            } else {
                below_yi(low, false, true)?
            };
            Ok(high * 100_000_000 + low)
        }
    }
}

/// A number below 亿: an optional 万 section and a section of ones.
fn below_yi(chars: &[char], first: bool, lower: bool) -> Result<u128, String> {
    match split_once(chars, &['万', '萬'])? {
        None => section(chars, first, lower).map(u128::from),
        Some((high, low)) => {
            let high = section(high, first, lower)?;
            let low = if low.is_empty() {
                0
            } else {
                section(low, false, true)?
            };
            Ok(u128::from(high) * 10_000 + u128::from(low))
        }
    }
}

/// The digits before and after a section mark.
type Halves<'c> = (&'c [char], &'c [char]);

/// `chars` split around its one section mark (亿 or 万), which needs a number before it.
fn split_once<'c>(chars: &'c [char], marks: &[char]) -> Result<Option<Halves<'c>>, String> {
    let mut at = chars.iter().enumerate().filter(|(_, c)| marks.contains(c));
    let Some((i, mark)) = at.next() else {
        return Ok(None);
    };
    if at.next().is_some() {
        return Err(format!("{mark} is written twice"));
    }
    if chars[..i].iter().all(|&c| is_zero(c)) {
        return Err(format!("{mark} needs a number before it"));
    }
    Ok(Some((&chars[..i], &chars[i + 1..])))
}

/// One section of up to four places (仟佰拾 and ones). `first`: the number's first
/// section (a leading 拾 means 壹拾); `lower`: below a 万 or 亿 (a leading 零 marks
/// skipped places).
fn section(chars: &[char], first: bool, lower: bool) -> Result<u32, String> {
    let mut total = 0u32;
    let mut last_place = 4; // the place above the section's top
    let mut pending: Option<u32> = None;
    let mut zero = false;
    for (i, &c) in chars.iter().enumerate() {
        if is_zero(c) {
            if zero || pending.is_some() || (i == 0 && !lower) {
                return Err(format!("{c} where it skips no place"));
            }
            zero = true;
        } else if let Some(d) = digit(c) {
            if pending.is_some() {
                return Err(format!("two digits in a row at {c:?}"));
            }
            pending = Some(d);
        } else if let Some(p) = place(c) {
            let d = match pending.take() {
                Some(d) => d,
                None if p == 1 && i == 0 && first => 1,
                None => return Err(format!("{c} needs its digit (壹{c})")),
            };
            if p >= last_place {
                return Err(format!("{c} out of order"));
            }
            if zero && p + 1 >= last_place {
                return Err(format!("零 before {c} skips no place"));
            }
            total += d * 10u32.pow(p);
            last_place = p;
            zero = false;
        } else {
            return Err(format!("{c:?} is not a digit or unit of an amount"));
        }
    }
    if let Some(d) = pending {
        // A bare last digit is the ones only right after 拾 or after 零, or alone.
        if !(last_place == 1 || zero || (last_place == 4 && !lower)) {
            return Err(format!(
                "the last digit {d} has no unit: write 零 before it for the ones (壹佰零伍) or its unit (壹佰伍拾)"
            ));
        }
        total += d;
    } else if zero {
        return Err("零 at the end".to_owned());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_uppercase_reads_exactly() {
        // (text, value, in 元) — 30 cases
        let cases: &[(&str, &str, bool)] = &[
            ("人民币壹拾贰万伍仟元整", "125000.00", true),
            ("壹佰零伍元伍角", "105.50", true),
            ("壹亿零贰拾万元整", "100200000.00", true),
            ("叁万元零伍分", "30000.05", true),
            ("壹仟陆佰捌拾元零叁角贰分", "1680.32", true),
            ("壹仟陆佰捌拾元叁角贰分", "1680.32", true),
            ("陆仟零柒元壹角肆分", "6007.14", true),
            ("壹仟肆佰零玖元伍角", "1409.50", true),
            ("拾元整", "10.00", true),
            ("拾万元整", "100000.00", true),
            ("壹拾万元整", "100000.00", true),
            ("壹万零壹拾元", "10010.00", true),
            ("壹仟零伍拾元", "1050.00", true),
            ("壹仟伍拾元", "1050.00", true),
            ("贰万零伍元", "20005.00", true),
            ("伍角", "0.50", true),
            ("伍角伍分", "0.55", true),
            ("零元伍角", "0.50", true),
            ("贰拾伍元正", "25.00", true),
            ("人民币（大写）叁仟元整", "3000.00", true),
            ("大写：叁仟圆整", "3000.00", true),
            ("两万元", "20000.00", true),
            ("十二万五千元", "125000.00", true),
            ("壹億贰仟萬元整", "120000000.00", true),
            ("叁仟伍佰万零捌拾元", "35000080.00", true),
            ("壹万亿元", "1000000000000.00", true),
            (
                "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
                "99999999.99",
                true,
            ),
            ("壹拾贰", "12", false),
            ("叁佰", "300", false),
            ("人民币 壹拾贰万 伍仟元整", "125000.00", true),
        ];
        for (text, want, in_yuan) in cases {
            let got = capital(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (got.value.to_string().as_str(), got.in_yuan),
                (*want, *in_yuan),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_uppercase_is_refused_naming_what_is_wrong() {
        // (text, what the message must say) — 20 cases
        let cases: &[(&str, &str)] = &[
            ("壹佰伍元", "the last digit 5 has no unit"),
            ("贰万伍元", "the last digit 5 has no unit"),
            ("壹佰零零伍元", "skips no place"),
            ("壹佰零伍拾元", "零 before 拾 skips no place"),
            ("零伍元", "skips no place"),
            ("壹仟元零", "零 after 元 must be followed by 角 or 分"),
            ("壹佰元伍", "has no 角 or 分"),
            ("壹佰元伍分伍角", "nothing may follow 分"),
            ("壹佰元伍角伍角", "角 comes once, before 分"),
            ("壹佰元零角", "digit 壹–玖"),
            ("佰元", "佰 needs its digit"),
            ("壹拾壹佰元", "佰 out of order"),
            ("壹贰元", "two digits in a row"),
            ("万元", "万 needs a number before it"),
            ("壹万贰万元", "万 is written twice"),
            ("壹兆元", "兆 is 10⁶"),
            ("壹拾贰整", "整 follows 元, 角 or 分"),
            ("壹佰美元", "'美' is not a digit or unit"),
            ("元整", "it names no amount"),
            ("廿元", "not a digit or unit"),
        ];
        for (text, want) in cases {
            let err = capital(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
            assert!(err.contains(&format!("{text:?}")), "names the text: {err}");
        }
    }

    #[test]
    fn capital_text_is_told_from_decimal_text() {
        for text in ["壹拾贰万元", "十二万元", "叁佰", "零元伍角"] {
            assert!(is_capital(text), "{text}");
        }
        for text in [
            "12.5万元",
            "3000元",
            "1,234.50",
            "",
            "¥3000",
            "3.2千元",
            "3万5千",
        ] {
            assert!(!is_capital(text), "{text}");
        }
    }
}
