//! Numbers with units or words around them: counts of persons, quantities, areas, and
//! yes/no words.

use rust_decimal::Decimal;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::Reader;
use crate::normalize::parse::{self, AreaUnit};
use crate::normalize::{Reason, Rejection};

/// An area as read: square metres and what was published.
pub struct Area {
    pub m2: Option<Decimal>,
    pub published: Option<String>,
    pub unit_published: Option<String>,
}

impl Reader<'_> {
    /// A yes/no field: a JSON boolean, or a word (see [`flag_word`]).
    ///
    /// # Errors
    /// [`Reason::BadBoolean`] for neither a yes nor a no.
    pub fn flag(&self, field: &str) -> Result<Option<bool>, Rejection> {
        if let Some(Value::Bool(b)) = self.record.get(field) {
            return Ok(Some(*b));
        }
        self.optional(field)
            .map(|text| {
                flag_word(&text).ok_or_else(|| {
                    self.reject(
                        field,
                        Reason::BadBoolean,
                        format!("{text:?} is neither yes nor no; valid: {FLAG_WORDS}"),
                    )
                })
            })
            .transpose()
    }

    /// A whole count of persons or households: `356`, `1,234`, `356人`, `120户`.
    ///
    /// # Errors
    /// [`Reason::BadCount`] for anything else.
    pub fn count(&self, field: &str) -> Result<Option<i32>, Rejection> {
        let Some(text) = self.optional(field) else {
            return Ok(None);
        };
        let bad = |why: &str| {
            self.reject(
                field,
                Reason::BadCount,
                format!("{text:?} {why}; expected a whole number such as 356, 1,234 or 356人"),
            )
        };
        let (number, unit) = split_number(&text);
        if !matches!(unit.as_str(), "" | "人" | "户" | "名" | "个") {
            return Err(bad("has an unknown unit"));
        }
        let value = parse::decimal(&number).map_err(|_| bad("is not a number"))?;
        if value.is_sign_negative() || !value.fract().is_zero() {
            return Err(bad("is not a whole number of 0 or more"));
        }
        // A whole number normalises to scale 0: its mantissa is its value.
        i32::try_from(value.normalize().mantissa())
            .map(Some)
            .map_err(|_| bad("is too large"))
    }

    /// A quantity exact to `scale` decimals, and the unit its cell carried (`3台`).
    ///
    /// # Errors
    /// [`Reason::BadQuantity`] for a negative, inexact or unreadable quantity.
    pub fn quantity(
        &self,
        field: &str,
        scale: u32,
    ) -> Result<(Option<Decimal>, Option<String>), Rejection> {
        let Some(text) = self.optional(field) else {
            return Ok((None, None));
        };
        let (number, unit) = split_number(&text);
        let value =
            parse::decimal(&number).map_err(|m| self.reject(field, Reason::BadQuantity, m))?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(self.reject(
                field,
                Reason::BadQuantity,
                format!("{text:?} is negative; quantities are 0 or more"),
            ));
        }
        let value = with_scale(value, scale).ok_or_else(|| {
            self.reject(
                field,
                Reason::BadQuantity,
                format!("{text:?} is finer than 10^-{scale} or too large; quantities are kept exact, not rounded"),
            )
        })?;
        Ok((Some(value), (!unit.is_empty()).then_some(unit)))
    }

    /// An area from a value field and a unit field; without a unit field, the cell's
    /// own unit (`35.5亩`) or the configured unit of bare numbers.
    ///
    /// # Errors
    /// [`Reason::BadArea`] on the value field.
    pub fn area(
        &self,
        value_field: &str,
        unit_field: &str,
        default_unit: Option<AreaUnit>,
    ) -> Result<Area, Rejection> {
        let Some(published) = self.optional(value_field) else {
            return Ok(Area {
                m2: None,
                published: None,
                unit_published: None,
            });
        };
        let (m2, unit_published) = match self.optional(unit_field) {
            Some(unit) => (parse::area_m2(&published, &unit), Some(unit)),
            None => {
                let (_, cell_unit) = split_number(&published);
                let unit = if cell_unit.is_empty() {
                    default_unit.map(|u| u.name().to_owned())
                } else {
                    Some(cell_unit)
                };
                (
                    parse::area_m2_cell(&published, default_unit.map(AreaUnit::name)),
                    unit,
                )
            }
        };
        let m2 = m2.map_err(|m| self.reject(value_field, Reason::BadArea, m))?;
        Ok(Area {
            m2: Some(m2),
            published: Some(published),
            unit_published,
        })
    }
}

/// The words [`flag_word`] reads.
const FLAG_WORDS: &str = "是/否, 有/无, 已/未, Y/N, 1/0, true/false, √/×, 经营性/非经营性";

/// A yes/no word: 是 否, 有 无, 已 未, Y N, 1 0, √ ×, 经营性 非经营性, 已进场 未进场.
pub(crate) fn flag_word(text: &str) -> Option<bool> {
    let t: String = text
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match t.as_str() {
        "是" | "是的" | "有" | "已" | "y" | "yes" | "t" | "true" | "1" | "√" | "✓" | "✔"
        | "经营性" | "进场" | "已进场" => Some(true),
        "否" | "不是" | "无" | "没有" | "未" | "n" | "no" | "f" | "false" | "0" | "×" | "✗"
        | "✘" | "非经营性" | "未进场" | "不进场" => Some(false),
        _ => None,
    }
}

/// A cell split into its number and the unit text after it, in normal form (NFKC,
/// spaces dropped): `3 台` → (`3`, `台`), `１２０户` → (`120`, `户`).
pub(crate) fn split_number(text: &str) -> (String, String) {
    let t: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+')))
        .unwrap_or(t.len());
    (t[..end].to_owned(), t[end..].to_owned())
}

/// `d` with exactly `scale` decimals, when that is exact and fits; never rounds.
pub fn with_scale(d: Decimal, scale: u32) -> Option<Decimal> {
    let d = d.normalize();
    if d.scale() > scale {
        return None;
    }
    let mantissa = d
        .mantissa()
        .checked_mul(10i128.checked_pow(scale - d.scale())?)?;
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn counts_quantities_and_flags_read_their_forms() {
        let r_json = json!({"a": "1,234人", "b": "１２０户", "c": "12.5", "d": "3 台", "e": "√", "f": "非经营性", "g": "-1", "h": true, "i": false, "j": 0});
        let r = Reader::open(&r_json, chrono_tz::Asia::Shanghai).unwrap();
        assert_eq!(r.count("a").unwrap(), Some(1234));
        assert_eq!(r.count("b").unwrap(), Some(120));
        assert_eq!(r.count("c").unwrap_err().reason, Reason::BadCount);
        assert_eq!(r.count("g").unwrap_err().reason, Reason::BadCount);
        assert_eq!(r.count("missing").unwrap(), None);
        assert_eq!(
            (
                r.flag("h").unwrap(),
                r.flag("i").unwrap(),
                r.flag("j").unwrap()
            ),
            (Some(true), Some(false), Some(false)),
            "JSON booleans and numbers"
        );
        assert_eq!(
            r.quantity("c", 4).unwrap(),
            (Some(Decimal::new(125_000, 4)), None)
        );
        assert_eq!(
            r.quantity("d", 4).unwrap(),
            (Some(Decimal::new(30_000, 4)), Some("台".to_owned()))
        );
        assert_eq!(r.flag("e").unwrap(), Some(true));
        assert_eq!(r.flag("f").unwrap(), Some(false));
        assert_eq!(
            super::super::place_of("鸣谦村第一村民小组股份经济合作社"),
            "鸣谦村"
        );
        assert_eq!(super::super::place_of("鸣谦村3组"), "鸣谦村");
        assert_eq!(
            super::super::place_of("榆次区乌金山镇鸣谦村经济联合社"),
            "榆次区乌金山镇鸣谦村"
        );
        assert_eq!(super::super::place_of("胡村"), "胡村");
    }
}
