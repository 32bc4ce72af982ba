//! Money (价款): totals in 元 exact to the fen, and unit prices (单价: 元/亩/年, 元/月,
//! 万元/年 …) kept apart from totals.
//!
//! The unit of a total may sit in the column header (`成交价(万元)`, passed in as the
//! field's [`MoneyUnit`]), in the cell (`12.5万元`), or in a separate 价款单位 field; the
//! cell's own unit wins over the field's. A cell that names a basis (`500元/亩/年`) is a
//! unit price and never silently read as a total. No rounding anywhere: 万元 → 元 is an
//! exact ×10,000 on the decimal text.

use std::fmt;

use rust_decimal::Decimal;

use super::area::AreaUnit;
use super::capital::{capital, is_capital};
use super::text::{compact, pick_unit, plain_decimal, split_number, with_scale, UnitFrom};

/// Unit a money amount is published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyUnit {
    /// 元
    Yuan,
    /// 万元 = 10,000 元
    TenThousandYuan,
}

impl MoneyUnit {
    /// Parse a unit as written in config or a cell: `元` or `万元` (full-width and spaces
    /// tolerated).
    pub fn from_text(text: &str) -> Option<MoneyUnit> {
        match compact(text).as_str() {
            "元" => Some(MoneyUnit::Yuan),
            "万元" => Some(MoneyUnit::TenThousandYuan),
            _ => None,
        }
    }

    fn factor(self) -> Decimal {
        match self {
            MoneyUnit::Yuan => Decimal::ONE,
            MoneyUnit::TenThousandYuan => Decimal::from(10_000),
        }
    }

    fn name(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::TenThousandYuan => "万元",
        }
    }
}

/// The time a unit price is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Period {
    /// 年
    Year,
    /// 月 (个月)
    Month,
    /// 天 / 日
    Day,
}

impl Period {
    fn name(self) -> &'static str {
        match self {
            Period::Year => "年",
            Period::Month => "月",
            Period::Day => "天",
        }
    }
}

/// What a unit price is per: an area, a period, or both (元/亩/年). At least one is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriceBasis {
    pub area: Option<AreaUnit>,
    pub period: Option<Period>,
}

impl PriceBasis {
    /// 元/亩/年 — the usual rent of contracted land.
    pub const PER_MU_PER_YEAR: PriceBasis = PriceBasis {
        area: Some(AreaUnit::Mu),
        period: Some(Period::Year),
    };
    /// 元/亩
    pub const PER_MU: PriceBasis = PriceBasis {
        area: Some(AreaUnit::Mu),
        period: None,
    };
    /// 元/年
    pub const PER_YEAR: PriceBasis = PriceBasis {
        area: None,
        period: Some(Period::Year),
    };
    /// 元/月
    pub const PER_MONTH: PriceBasis = PriceBasis {
        area: None,
        period: Some(Period::Month),
    };

    /// Parse the part after the money unit: `/亩/年`, `/(亩·年)`, `每亩每年`, `/年/亩`,
    /// `/㎡/月`. `None` when a word is unknown, repeated, or the text does not start with
    /// `/` or `每`.
    fn parse(s: &str) -> Option<PriceBasis> {
        if !(s.starts_with('/') || s.starts_with('每')) {
            return None;
        }
        let mut basis = PriceBasis {
            area: None,
            period: None,
        };
        let words = s
            .split(['/', '每', '·', '・', '•', '.', '*', '×', '(', ')'])
            .filter(|w| !w.is_empty());
        for word in words {
            let period = match word {
                "年" => Some(Period::Year),
                "月" | "个月" => Some(Period::Month),
                "天" | "日" => Some(Period::Day),
                _ => None,
            };
            match (period, AreaUnit::from_text(word)) {
                (Some(p), _) if basis.period.is_none() => basis.period = Some(p),
                (None, Some(a)) if basis.area.is_none() => basis.area = Some(a),
                _ => return None,
            }
        }
        (basis.area.is_some() || basis.period.is_some()).then_some(basis)
    }
}

impl fmt::Display for PriceBasis {
    /// `亩/年`, `月`, `平方米`: the part after `元/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.area, self.period) {
            (Some(a), Some(p)) => write!(f, "{}/{}", a.name(), p.name()),
            (Some(a), None) => f.write_str(a.name()),
            (None, Some(p)) => f.write_str(p.name()),
            (None, None) => f.write_str("?"),
        }
    }
}

/// A unit price: `yuan` 元 per `per`. Kept exactly as published (converted from 万元 if
/// so written), with at least two decimal places; rates may be finer than a fen
/// (`0.125元/㎡/天`), so no fen check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitPrice {
    pub yuan: Decimal,
    pub per: PriceBasis,
}

/// The unit of a price field as written in a 价款单位 field or header: a total (`元`,
/// `万元`) or a unit price (`元/亩/年`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceUnit {
    Total(MoneyUnit),
    Per(MoneyUnit, PriceBasis),
}

const VALID_PRICE_UNITS: &str =
    "元, 万元, or a unit price such as 元/亩/年, 元/亩, 元/年, 元/月, 万元/年, 元/㎡/月";

impl PriceUnit {
    /// Parse `元`, `万元`, `元/亩/年`, `万元/年`, `元每亩每年` …
    ///
    /// # Errors
    /// When the text is none of these; the message lists what is valid.
    pub fn from_text(text: &str) -> Result<PriceUnit, String> {
        let t = compact(text);
        let (money, rest) = money_prefix(&t)
            .ok_or_else(|| format!("unknown price unit {text:?}; valid: {VALID_PRICE_UNITS}"))?;
        if rest.is_empty() {
            return Ok(PriceUnit::Total(money));
        }
        PriceBasis::parse(rest)
            .map(|basis| PriceUnit::Per(money, basis))
            .ok_or_else(|| format!("unknown price unit {text:?}; valid: {VALID_PRICE_UNITS}"))
    }
}

impl fmt::Display for PriceUnit {
    /// `元`, `万元`, `元/亩/年`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceUnit::Total(m) => f.write_str(m.name()),
            PriceUnit::Per(m, basis) => write!(f, "{}/{basis}", m.name()),
        }
    }
}

/// The money unit a unit text starts with, and what follows it. `万` alone means 万元.
fn money_prefix(s: &str) -> Option<(MoneyUnit, &str)> {
    if let Some(rest) = s.strip_prefix("万元") {
        Some((MoneyUnit::TenThousandYuan, rest))
    } else if let Some(rest) = s.strip_prefix('万') {
        Some((MoneyUnit::TenThousandYuan, rest))
    } else {
        s.strip_prefix('元').map(|rest| (MoneyUnit::Yuan, rest))
    }
}

/// A money cell split into its number and unit: currency markers (`¥`, `人民币`) and the
/// trailing `整` of contract amounts dropped.
struct MoneyCell<'a> {
    number: &'a str,
    /// The unit text after the number (`万元`, `元/亩/年`), empty when the cell has none.
    unit: &'a str,
    /// Whether the cell starts with `¥`, which says 元 as plainly as a trailing `元`.
    yen_sign: bool,
}

fn money_cell(t: &str) -> MoneyCell<'_> {
    let yen = t.strip_prefix('¥');
    let yen_sign = yen.is_some();
    let t = t.strip_prefix("人民币").or(yen).unwrap_or(t);
    let t = t.strip_suffix('整').unwrap_or(t);
    let (number, unit) = split_number(t);
    MoneyCell {
        number,
        unit,
        yen_sign,
    }
}

fn number_of(text: &str, number: &str) -> Result<Decimal, String> {
    let value = plain_decimal(number).map_err(|why| {
        format!("{text:?} is not a decimal number ({why}); expected an amount such as 12.5, 1,234.50 or 12.5万元")
    })?;
    if value < Decimal::ZERO {
        return Err(format!("{text:?} is negative; amounts are 0 or more"));
    }
    Ok(value)
}

fn times(text: &str, value: Decimal, unit: MoneyUnit) -> Result<Decimal, String> {
    value
        .checked_mul(unit.factor())
        .ok_or_else(|| format!("{text:?} is too large an amount"))
}

/// An amount of money in yuan, exact to the fen (0.01 元): `12.5`, `1,234.5`, `1，234.5`,
/// `１２．５万元`, `12.5 万元`, `3000元`, `¥3,000.00`, `3000元整`. The unit comes from the
/// cell when it carries one, else from the field's unit.
///
/// # Errors
/// When the text is not an amount, is negative, has more precision than a fen, or is a
/// unit price (`500元/亩/年`) rather than a total.
pub fn amount_yuan(text: &str, field_unit: MoneyUnit) -> Result<Decimal, String> {
    let t = compact(text);
    let cell = money_cell(&t);
    let value = number_of(text, cell.number)?;
    let unit = if cell.unit.is_empty() {
        field_unit
    } else {
        match money_prefix(cell.unit) {
            Some((unit, "")) => unit,
            Some((_, rest)) if PriceBasis::parse(rest).is_some() => {
                return Err(format!(
                    "{text:?} is a unit price ({}), not a total amount; read it as a unit price",
                    cell.unit
                ))
            }
            _ => {
                return Err(format!(
                    "{text:?} has an unknown money unit {:?}; valid: 元, 万元",
                    cell.unit
                ))
            }
        }
    };
    total_of(text, value, unit)
}

/// `value` in `unit` as 元 with two places, refused when finer than a fen.
fn total_of(text: &str, value: Decimal, unit: MoneyUnit) -> Result<Decimal, String> {
    let yuan = times(text, value, unit)?.normalize();
    if yuan.scale() > 2 {
        return Err(format!(
            "{text:?} is {yuan} 元, finer than a fen (0.01 元); amounts are exact to the fen"
        ));
    }
    Ok(with_scale(yuan, 2))
}

/// A price as read: a total, or a unit price with its basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Price {
    /// A total in 元, exact to the fen.
    Total(Decimal),
    /// A unit price (元/亩/年 …), for the unit-price fields.
    PerUnit(UnitPrice),
}

/// A price with the unit it was read in and where that unit was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceReading {
    pub price: Price,
    pub unit: PriceUnit,
    pub unit_from: UnitFrom,
}

/// A money value with its unit wherever the record writes it: in the value (`3.2万元`,
/// `500元/亩/年`, `人民币壹拾贰万伍仟元整`), in a unit column (`unit_column`: 价款单位 holding
/// `元`, `万元`, `元/亩/年`, `元/月`, `元/平方米/年` …), or as the field's `default` (a header
/// or title row's `万元`). The rule is [`UnitFrom`]'s: the value's unit wins over an empty or
/// absent column, and a value and a column that disagree (`3.2万元` beside `元`) are
/// refused naming both. A unit-price unit makes a [`Price::PerUnit`], so the caller routes
/// the number to the unit-price fields instead of refusing it as a total.
///
/// Financial uppercase with 元/角/分 is an amount in 元 (its unit is in the value); without
/// them (`壹拾贰`) it is a bare number. Exact: no rounding anywhere; totals must be exact
/// to the fen, unit prices keep their places.
///
/// # Errors
/// When the number is not an amount, the value's or the column's unit is unknown, they
/// disagree, no unit is known at all, or a total is finer than a fen.
pub fn price(
    text: &str,
    unit_column: Option<&str>,
    default: Option<PriceUnit>,
) -> Result<PriceReading, String> {
    let column = unit_column
        .map(compact)
        .filter(|u| !u.is_empty())
        .map(|u| PriceUnit::from_text(&u).map_err(|e| format!("unit column: {e}")))
        .transpose()?;
    let t = compact(text);
    let (value, in_value) = if is_capital(&t) {
        let c = capital(text)?;
        (
            c.value,
            c.in_yuan.then_some(PriceUnit::Total(MoneyUnit::Yuan)),
        )
    } else {
        let cell = money_cell(&t);
        let value = number_of(text, cell.number)?;
        let unit = if cell.unit.is_empty() {
            cell.yen_sign.then_some(PriceUnit::Total(MoneyUnit::Yuan))
        } else {
            Some(PriceUnit::from_text(cell.unit).map_err(|e| format!("{text:?}: {e}"))?)
        };
        (value, unit)
    };
    let (unit, unit_from) = pick_unit(
        text,
        in_value,
        column,
        default,
        |u| u.to_string(),
        VALID_PRICE_UNITS,
    )?;
    let price = match unit {
        PriceUnit::Total(m) => Price::Total(total_of(text, value, m)?),
        PriceUnit::Per(m, per) => Price::PerUnit(unit_price_of(text, value, m, per)?),
    };
    Ok(PriceReading {
        price,
        unit,
        unit_from,
    })
}

/// A unit price from a cell that carries its unit: `500元/亩/年`, `500 元/亩·年`,
/// `1.2万元/年`, `800元/月`, `３元/㎡/月`, `500元每亩每年`.
///
/// # Errors
/// When the cell has no basis (then it is a total or a bare number), the basis is
/// unknown, or the number is not a non-negative decimal.
pub fn unit_price(text: &str) -> Result<UnitPrice, String> {
    let t = compact(text);
    let cell = money_cell(&t);
    let value = number_of(text, cell.number)?;
    if cell.unit.is_empty() {
        return Err(format!(
            "{text:?} has no unit; a unit price names its basis, e.g. 500元/亩/年"
        ));
    }
    match PriceUnit::from_text(cell.unit)? {
        PriceUnit::Per(money, per) => unit_price_of(text, value, money, per),
        PriceUnit::Total(money) => Err(format!(
            "{text:?} is a total in {}, not a unit price; a unit price names its basis, e.g. 500元/亩/年",
            money.name()
        )),
    }
}

/// A unit price whose unit is given separately (a 价款单位 field holding `元/亩/年`). The
/// cell may repeat the same unit; a cell naming a different basis wins, as for totals.
///
/// # Errors
/// As [`unit_price`]; also when the cell names only a money unit (`500元`) — that could
/// be a total as well as a shorthand for the field's unit, so it is refused.
pub fn unit_price_in(text: &str, money: MoneyUnit, per: PriceBasis) -> Result<UnitPrice, String> {
    let t = compact(text);
    let cell = money_cell(&t);
    let value = number_of(text, cell.number)?;
    if cell.unit.is_empty() {
        return unit_price_of(text, value, money, per);
    }
    match PriceUnit::from_text(cell.unit)? {
        PriceUnit::Per(money, per) => unit_price_of(text, value, money, per),
        PriceUnit::Total(_) => Err(format!(
            "{text:?} names only a money unit while the field's unit is {}/{per}: a total or a unit price? Write it as 500 or 500{}/{per}",
            money.name(),
            money.name()
        )),
    }
}

fn unit_price_of(
    text: &str,
    value: Decimal,
    money: MoneyUnit,
    per: PriceBasis,
) -> Result<UnitPrice, String> {
    let yuan = times(text, value, money)?.normalize();
    let scale = yuan.scale().max(2);
    Ok(UnitPrice {
        yuan: with_scale(yuan, scale),
        per,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_convert_wan_yuan_exactly() {
        use MoneyUnit::*;
        // 30 cases
        let cases: &[(&str, MoneyUnit, &str)] = &[
            ("12.5", TenThousandYuan, "125000.00"),
            ("8.3456", TenThousandYuan, "83456.00"),
            ("0.000001", TenThousandYuan, "0.01"),
            ("12.5万元", Yuan, "125000.00"),
            ("12.5 万元", Yuan, "125000.00"),
            ("12.5万", Yuan, "125000.00"),
            ("3000元", TenThousandYuan, "3000.00"),
            ("3000 元", TenThousandYuan, "3000.00"),
            ("1,234.5", Yuan, "1234.50"),
            ("1，234.5", Yuan, "1234.50"),
            ("1,234,567.89", Yuan, "1234567.89"),
            ("１２．５万元", Yuan, "125000.00"),
            ("１２．５", TenThousandYuan, "125000.00"),
            ("１，２３４元", TenThousandYuan, "1234.00"),
            ("1.2e1", TenThousandYuan, "120000.00"),
            ("0", TenThousandYuan, "0.00"),
            ("0.00", Yuan, "0.00"),
            ("  3000  ", Yuan, "3000.00"),
            ("¥3,000.00", Yuan, "3000.00"),
            ("￥3000", Yuan, "3000.00"),
            ("人民币3000元", TenThousandYuan, "3000.00"),
            ("3000元整", TenThousandYuan, "3000.00"),
            ("1.5万元整", Yuan, "15000.00"),
            ("12.50", Yuan, "12.50"),
            ("12.500", Yuan, "12.50"),
            ("0.01", Yuan, "0.01"),
            ("0.0001", TenThousandYuan, "1.00"),
            ("+5", Yuan, "5.00"),
            ("12.5\u{3000}万元", Yuan, "125000.00"),
            ("99999999.99", TenThousandYuan, "999999999900.00"),
        ];
        for (text, unit, want) in cases {
            let got = amount_yuan(text, *unit).unwrap();
            assert_eq!(got, d(want), "{text}");
            assert_eq!(got.to_string(), *want, "{text}");
        }
    }

    #[test]
    fn amounts_that_are_not_exact_totals_are_refused_with_the_reason() {
        use MoneyUnit::*;
        // 18 cases
        let cases: &[(&str, MoneyUnit, &str)] = &[
            ("0.0000001", TenThousandYuan, "finer than a fen"),
            ("1.005", Yuan, "finer than a fen"),
            ("12.3456789万元", Yuan, "finer than a fen"),
            ("-3", Yuan, "negative"),
            ("-3万元", Yuan, "negative"),
            ("−3", Yuan, "negative"),
            ("十二万", Yuan, "not a decimal"),
            ("", Yuan, "not a decimal"),
            ("元", Yuan, "not a decimal"),
            ("12,34", Yuan, "not a decimal"),
            ("500元/亩/年", Yuan, "is a unit price"),
            ("500元/亩", Yuan, "is a unit price"),
            ("1.2万元/年", TenThousandYuan, "is a unit price"),
            ("800元/月", Yuan, "is a unit price"),
            ("500元每亩每年", Yuan, "is a unit price"),
            ("12.5美元", Yuan, "unknown money unit"),
            ("12.5千元", Yuan, "unknown money unit"),
            ("79228162514264337593543950335万元", Yuan, "too large"),
        ];
        for (text, unit, want) in cases {
            let err = amount_yuan(text, *unit).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn unit_prices_keep_their_basis() {
        use AreaUnit::{Mu, SquareMetre};
        let b = |area, period| PriceBasis { area, period };
        // 18 cases
        let cases: &[(&str, &str, PriceBasis)] = &[
            ("500元/亩/年", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500 元/亩/年", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500元/亩·年", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500元/(亩·年)", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500元／亩／年", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500元/年/亩", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500元每亩每年", "500.00", PriceBasis::PER_MU_PER_YEAR),
            ("500元/亩", "500.00", PriceBasis::PER_MU),
            ("6000元/年", "6000.00", PriceBasis::PER_YEAR),
            ("800元/月", "800.00", PriceBasis::PER_MONTH),
            ("800元/个月", "800.00", PriceBasis::PER_MONTH),
            ("1.2万元/年", "12000.00", PriceBasis::PER_YEAR),
            ("0.05万/亩/年", "500.00", PriceBasis::PER_MU_PER_YEAR),
            (
                "3元/㎡/月",
                "3.00",
                b(Some(SquareMetre), Some(Period::Month)),
            ),
            (
                "0.125元/平方米/天",
                "0.125",
                b(Some(SquareMetre), Some(Period::Day)),
            ),
            ("１，２００元／亩", "1200.00", PriceBasis::PER_MU),
            (
                "15000元/公顷/年",
                "15000.00",
                b(Some(AreaUnit::Hectare), Some(Period::Year)),
            ),
            ("520.5元/亩/年", "520.50", b(Some(Mu), Some(Period::Year))),
        ];
        for (text, want, per) in cases {
            let got = unit_price(text).unwrap();
            assert_eq!(got.yuan.to_string(), *want, "{text}");
            assert_eq!(got.per, *per, "{text}");
        }
    }

    #[test]
    fn unit_prices_that_are_not_say_why() {
        // 10 cases
        let cases: &[(&str, &str)] = &[
            ("500", "has no unit"),
            ("500元", "is a total"),
            ("12.5万元", "is a total"),
            ("500元/亩/亩", "unknown price unit"),
            ("500元/年/月", "unknown price unit"),
            ("500元/吨", "unknown price unit"),
            ("500元亩年", "unknown price unit"),
            ("-500元/亩/年", "negative"),
            ("五百元/亩/年", "not a decimal"),
            ("500美元/亩/年", "unknown price unit"),
        ];
        for (text, want) in cases {
            let err = unit_price(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn price_units_from_a_unit_field() {
        use MoneyUnit::*;
        // 8 cases
        let cases: &[(&str, Option<PriceUnit>)] = &[
            ("元", Some(PriceUnit::Total(Yuan))),
            ("万元", Some(PriceUnit::Total(TenThousandYuan))),
            (
                "元/亩/年",
                Some(PriceUnit::Per(Yuan, PriceBasis::PER_MU_PER_YEAR)),
            ),
            (
                "万元/年",
                Some(PriceUnit::Per(TenThousandYuan, PriceBasis::PER_YEAR)),
            ),
            ("元/月", Some(PriceUnit::Per(Yuan, PriceBasis::PER_MONTH))),
            (" 元 / 亩 ", Some(PriceUnit::Per(Yuan, PriceBasis::PER_MU))),
            ("美元", None),
            ("元/吨", None),
        ];
        for (text, want) in cases {
            assert_eq!(PriceUnit::from_text(text).ok(), *want, "{text}");
        }
        let p = unit_price_in("500", Yuan, PriceBasis::PER_MU_PER_YEAR).unwrap();
        assert_eq!(p.yuan.to_string(), "500.00");
        let p = unit_price_in("800元/月", Yuan, PriceBasis::PER_MU_PER_YEAR).unwrap();
        assert_eq!(p.per, PriceBasis::PER_MONTH);
        let err = unit_price_in("500元", Yuan, PriceBasis::PER_MU_PER_YEAR).unwrap_err();
        assert!(err.contains("a total or a unit price"), "{err}");
        assert_eq!(PriceBasis::PER_MU_PER_YEAR.to_string(), "亩/年");
    }

    fn total(s: &str) -> Price {
        Price::Total(d(s))
    }

    fn per(s: &str, basis: PriceBasis) -> Price {
        Price::PerUnit(UnitPrice {
            yuan: d(s),
            per: basis,
        })
    }

    #[test]
    fn prices_take_their_unit_wherever_it_is_written() {
        use MoneyUnit::*;
        use UnitFrom::*;
        let wan = Some(PriceUnit::Total(TenThousandYuan));
        let mu_year = PriceUnit::Per(Yuan, PriceBasis::PER_MU_PER_YEAR);
        // (value, unit column, default, price, unit read, from where) — 22 cases
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<PriceUnit>,
            Price,
            PriceUnit,
            UnitFrom,
        );
        let cases: &[Case] = &[
            (
                "3.2万元",
                None,
                None,
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Value,
            ),
            (
                "3.2万元",
                Some(""),
                None,
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Value,
            ),
            (
                "3.2万元",
                Some("  "),
                Some(PriceUnit::Total(Yuan)),
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Value,
            ),
            (
                "3.2万元",
                Some("万元"),
                None,
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Value,
            ),
            (
                "3.2",
                Some("万元"),
                None,
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Column,
            ),
            (
                "3.2",
                Some("万元"),
                Some(PriceUnit::Total(Yuan)),
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Column,
            ),
            (
                "3.2",
                None,
                wan,
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Default,
            ),
            (
                "3.2",
                Some(""),
                wan,
                total("32000.00"),
                PriceUnit::Total(TenThousandYuan),
                Default,
            ),
            (
                "500",
                Some("元/亩/年"),
                None,
                per("500.00", PriceBasis::PER_MU_PER_YEAR),
                mu_year,
                Column,
            ),
            (
                "500",
                Some("元/亩/年"),
                wan,
                per("500.00", PriceBasis::PER_MU_PER_YEAR),
                mu_year,
                Column,
            ),
            (
                "500元/亩/年",
                None,
                wan,
                per("500.00", PriceBasis::PER_MU_PER_YEAR),
                mu_year,
                Value,
            ),
            (
                "500元/亩/年",
                Some("元/(亩·年)"),
                None,
                per("500.00", PriceBasis::PER_MU_PER_YEAR),
                mu_year,
                Value,
            ),
            (
                "500",
                Some("元/亩"),
                None,
                per("500.00", PriceBasis::PER_MU),
                PriceUnit::Per(Yuan, PriceBasis::PER_MU),
                Column,
            ),
            (
                "6000",
                Some("元/年"),
                None,
                per("6000.00", PriceBasis::PER_YEAR),
                PriceUnit::Per(Yuan, PriceBasis::PER_YEAR),
                Column,
            ),
            (
                "800",
                Some("元/月"),
                None,
                per("800.00", PriceBasis::PER_MONTH),
                PriceUnit::Per(Yuan, PriceBasis::PER_MONTH),
                Column,
            ),
            (
                "3.5",
                Some("元/平方米/年"),
                None,
                per(
                    "3.50",
                    PriceBasis {
                        area: Some(AreaUnit::SquareMetre),
                        period: Some(Period::Year),
                    },
                ),
                PriceUnit::Per(
                    Yuan,
                    PriceBasis {
                        area: Some(AreaUnit::SquareMetre),
                        period: Some(Period::Year),
                    },
                ),
                Column,
            ),
            (
                "人民币壹拾贰万伍仟元整",
                None,
                wan,
                total("125000.00"),
                PriceUnit::Total(Yuan),
                Value,
            ),
            (
                "人民币壹拾贰万伍仟元整",
                Some("元"),
                None,
                total("125000.00"),
                PriceUnit::Total(Yuan),
                Value,
            ),
            (
                "壹佰零伍元伍角",
                None,
                None,
                total("105.50"),
                PriceUnit::Total(Yuan),
                Value,
            ),
            (
                "壹拾贰",
                Some("万元"),
                None,
                total("120000.00"),
                PriceUnit::Total(TenThousandYuan),
                Column,
            ),
            (
                "１２．５万元",
                Some("万元"),
                None,
                total("125000.00"),
                PriceUnit::Total(TenThousandYuan),
                Value,
            ),
            (
                "¥3,000.00",
                Some("元"),
                None,
                total("3000.00"),
                PriceUnit::Total(Yuan),
                Value,
            ),
        ];
        for (text, column, default, price_want, unit, from) in cases {
            let got = price(text, *column, *default).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (got.price, got.unit, got.unit_from),
                (*price_want, *unit, *from),
                "{text} / {column:?}"
            );
        }
    }

    #[test]
    fn prices_whose_units_conflict_or_are_unknown_are_refused_naming_both() {
        let wan = Some(PriceUnit::Total(MoneyUnit::TenThousandYuan));
        // (value, unit column, default, what the message must say) — 14 cases
        type Case<'a> = (&'a str, Option<&'a str>, Option<PriceUnit>, &'a [&'a str]);
        let cases: &[Case] = &[
            (
                "3.2万元",
                Some("元"),
                None,
                &["\"3.2万元\" is written in 万元 but the unit column says 元"],
            ),
            (
                "500元",
                Some("元/亩/年"),
                None,
                &["written in 元 but the unit column says 元/亩/年"],
            ),
            (
                "800元/月",
                Some("元/亩/年"),
                None,
                &["written in 元/月 but the unit column says 元/亩/年"],
            ),
            (
                "500元/亩/年",
                Some("万元"),
                None,
                &["written in 元/亩/年", "says 万元"],
            ),
            (
                "人民币壹拾贰万伍仟元整",
                Some("万元"),
                None,
                &["written in 元 but the unit column says 万元"],
            ),
            (
                "3.2",
                None,
                None,
                &["\"3.2\" has no unit", "valid: 元, 万元"],
            ),
            ("3.2", Some(""), None, &["has no unit"]),
            (
                "3.2",
                Some("美元"),
                wan,
                &["unit column: unknown price unit \"美元\""],
            ),
            (
                "3.2",
                Some("元/吨"),
                None,
                &["unknown price unit \"元/吨\""],
            ),
            (
                "3.2千元",
                None,
                wan,
                &["\"3.2千元\": unknown price unit \"千元\""],
            ),
            ("1.005", Some("元"), None, &["finer than a fen"]),
            ("-3", Some("元"), None, &["negative"]),
            ("壹佰伍元", None, None, &["the last digit 5 has no unit"]),
            ("约3万元", None, None, &["not a decimal number"]),
            (
                "¥3.2",
                Some("万元"),
                None,
                &["written in 元 but the unit column says 万元"],
            ),
        ];
        for (text, column, default, wants) in cases {
            let err = price(text, *column, *default).unwrap_err();
            for want in *wants {
                assert!(err.contains(want), "{text} / {column:?}: {err}");
            }
        }
        assert_eq!(
            PriceUnit::Per(MoneyUnit::Yuan, PriceBasis::PER_MU_PER_YEAR).to_string(),
            "元/亩/年"
        );
        assert_eq!(
            PriceUnit::Total(MoneyUnit::TenThousandYuan).to_string(),
            "万元"
        );
    }

    proptest! {
        #[test]
        fn wan_yuan_is_exactly_ten_thousand_yuan(mantissa in 0i64..1_000_000_000_000, scale in 0u32..=6) {
            let value = Decimal::new(mantissa, scale);
            let want = with_scale((value * Decimal::from(10_000)).normalize(), 2);
            let text = value.to_string();
            prop_assert_eq!(amount_yuan(&text, MoneyUnit::TenThousandYuan).unwrap(), want);
            prop_assert_eq!(amount_yuan(&format!("{text}万元"), MoneyUnit::Yuan).unwrap(), want);
            // Full-width digits and point give the same.
            let wide: String = text
                .chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
                    '.' => '．',
                    c => c,
                })
                .collect();
            prop_assert_eq!(amount_yuan(&format!("{wide}万元"), MoneyUnit::Yuan).unwrap(), want);
        }

        #[test]
        fn thousands_separators_do_not_change_the_value(units in 0u64..1_000_000_000_000, cents in 0u64..100) {
            let plain = format!("{units}.{cents:02}");
            let digits = units.to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let grouped = format!("{grouped}.{cents:02}");
            prop_assert_eq!(
                amount_yuan(&grouped, MoneyUnit::Yuan).unwrap(),
                amount_yuan(&plain, MoneyUnit::Yuan).unwrap()
            );
            prop_assert_eq!(
                amount_yuan(&grouped.replace(',', "，"), MoneyUnit::Yuan).unwrap(),
                amount_yuan(&plain, MoneyUnit::Yuan).unwrap()
            );
        }
    }
}
