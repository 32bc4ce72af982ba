//! Upstream JSON object → [`EconomicContract`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{ContractFields, EconomicContract, UNIT_PRICE_SCALE};
use crate::family::read::{self, Area, Reader};
use crate::family::Context;
use crate::normalize::parse::{self, PriceUnit, Term};
use crate::normalize::vocab::{ContractStatus, ContractType};
use crate::normalize::{Reason, Rejection};

/// Normalise one upstream contract. Fields are read in a fixed order, and the first
/// field that cannot be normalised is the rejection's.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised, or
/// [`Reason::InconsistentValues`] when 已收 + 欠收 > 总金额 (on the 欠收 field) or the end
/// date is before the start date (on the field the end date came from).
pub(super) fn normalise(
    raw: &Value,
    f: &ContractFields,
    cx: &Context<'_>,
) -> Result<EconomicContract, Rejection> {
    let mut r = Reader::open(raw, cx.timezone)?;
    let native_id = r.identify(&f.id, cx.protector)?;
    let source_updated_at = r.updated_at(&f.updated_at, cx.time_format)?;
    let region_code = r.village(&f.region_code, &f.owner)?.code.clone();
    let contract_type_raw = r.optional(&f.contract_type);
    let status_raw = r.optional(&f.status);
    let area: Area = r.area(&f.area, &f.area_unit, f.area_default_unit)?;
    let money = amounts(&r, f)?;
    let (start_date, end_date) = dates(&r, f)?;
    let term_published = r.optional(&f.term);
    let term = term(&r, f, term_published.as_deref())?;
    Ok(EconomicContract {
        key: format!("{}:{native_id}", cx.source),
        source: cx.source.to_owned(),
        contract_name: r.optional(&f.name),
        contract_type: (contract_type_raw.as_deref())
            .map(|w| f.values.contract_type.map(w, ContractType::from_word)),
        contract_type_raw,
        party_a: r.party(&f.party_a, cx.protector)?,
        party_b: r.party(&f.party_b, cx.protector)?,
        subject: r.optional(&f.subject),
        area_m2: area.m2,
        area_published: area.published,
        area_unit_published: area.unit_published,
        total_amount_yuan: money.total,
        annual_rent_yuan: money.annual_rent,
        unit_price_yuan: money.unit_price.as_ref().map(|(yuan, _)| *yuan),
        unit_price_basis: money.unit_price.map(|(_, basis)| basis),
        start_date,
        end_date,
        term,
        term_published,
        received_yuan: money.received,
        owed_yuan: money.owed,
        democratic_decision: r.flag(&f.democratic_decision)?,
        via_exchange: r.flag(&f.via_exchange)?,
        status: (status_raw.as_deref()).map(|w| f.values.status.map(w, ContractStatus::from_word)),
        status_raw,
        county_code: region_code[..6].to_owned(),
        region_code,
        source_updated_at,
        native_id,
    })
}

/// A contract's sums in yuan: 合同总金额, 年租金 (a total or a unit price), 已收, 欠收.
struct Amounts {
    total: Option<Decimal>,
    annual_rent: Option<Decimal>,
    unit_price: Option<(Decimal, String)>,
    received: Option<Decimal>,
    owed: Option<Decimal>,
}

/// The sums, 已收 + 欠收 checked not to exceed 总金额 when all three are published.
fn amounts(r: &Reader<'_>, f: &ContractFields) -> Result<Amounts, Rejection> {
    let total = r.amount(&f.total_amount, f.total_amount_unit)?;
    let (annual_rent, unit_price) = rent(r, &f.annual_rent, f.annual_rent_unit)?;
    let received = r.amount(&f.received, f.received_unit)?;
    let owed = r.amount(&f.owed, f.owed_unit)?;
    if let (Some(total), Some(received), Some(owed)) = (total, received, owed) {
        if received.checked_add(owed).is_none_or(|sum| sum > total) {
            return Err(r.reject(
                &f.owed,
                Reason::InconsistentValues,
                format!("已收 {received} 元 + 欠收 {owed} 元 exceeds 合同总金额 {total} 元"),
            ));
        }
    }
    Ok(Amounts {
        total,
        annual_rent,
        unit_price,
        received,
        owed,
    })
}

/// 合同期限 parsed, its months and days within an Avro int.
fn term(
    r: &Reader<'_>,
    f: &ContractFields,
    published: Option<&str>,
) -> Result<Option<Term>, Rejection> {
    let Some(text) = published else {
        return Ok(None);
    };
    let term = match f.term_unit {
        Some(unit) => parse::term_in(text, unit),
        None => parse::term(text),
    }
    .map_err(|m| r.reject(&f.term, Reason::BadTerm, m))?;
    if let Term::Fixed { months, days } = term {
        if i32::try_from(months).is_err() || i32::try_from(days).is_err() {
            return Err(r.reject(
                &f.term,
                Reason::BadTerm,
                format!("{text:?} is too long a term"),
            ));
        }
    }
    Ok(Some(term))
}

/// 年租金 as read: a yearly total in yuan, or a unit price (yuan exact to 0.0001, and the
/// basis it is per).
type Rent = (Option<Decimal>, Option<(Decimal, String)>);

/// 年租金: a yearly total, or a unit price when the cell or the field's unit names a basis.
fn rent(r: &Reader<'_>, field: &str, unit: PriceUnit) -> Result<Rent, Rejection> {
    let Some(text) = r.optional(field) else {
        return Ok((None, None));
    };
    let bad = |m: String| r.reject(field, Reason::BadAmount, m);
    let price = match unit {
        PriceUnit::Per(money, per) => parse::unit_price_in(&text, money, per).map_err(bad)?,
        PriceUnit::Total(money) => match parse::unit_price(&text) {
            Ok(price) => price,
            // Not a unit price: then it must be a total (its own error says why not).
            Err(_) => return Ok((Some(parse::amount_yuan(&text, money).map_err(bad)?), None)),
        },
    };
    let yuan = read::with_scale(price.yuan, UNIT_PRICE_SCALE).ok_or_else(|| {
        r.reject(
            field,
            Reason::BadAmount,
            format!("{text:?} is finer than 0.0001 元 or too large; unit prices are kept exact"),
        )
    })?;
    Ok((None, Some((yuan, price.per.to_string()))))
}

/// Words that end a 起止日期 range without a date: the contract runs on.
const OPEN_ENDS: &[&str] = &["今", "至今", "现在", "长期", "永久", "不定期", "无固定期限"];

/// Start and end dates: the separate fields, else the halves of the 起止日期 range; the end
/// not before the start.
fn dates(
    r: &Reader<'_>,
    f: &ContractFields,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Rejection> {
    let mut start = r.date(&f.start_date)?;
    let mut end = r.date(&f.end_date)?;
    let mut end_field = f.end_date.as_str();
    if start.is_none() || end.is_none() {
        if let Some(text) = r.optional(&f.period) {
            let (from, to) =
                period(r, &text).map_err(|m| r.reject(&f.period, Reason::BadDate, m))?;
            if start.is_none() {
                start = from;
            }
            if end.is_none() && to.is_some() {
                end = to;
                end_field = f.period.as_str();
            }
        }
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(r.reject(
                end_field,
                Reason::InconsistentValues,
                format!("the end date {e} is before the start date {s}"),
            ));
        }
    }
    Ok((start, end))
}

/// A 起止日期 range: `2020-01-01至2029-12-31`, `2020.1.1-2029.12.31`, `20200101~20291231`,
/// `2020年1月1日—2029年12月31日`, `2020-01-01至今` (no end). A `-` between dates that use
/// `-` themselves is found by trying each one: exactly one split must give two dates.
fn period(r: &Reader<'_>, text: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>), String> {
    let forms = "expected e.g. 2020-01-01至2029-12-31, 2020.1.1-2029.12.31 or 2020-01-01至今";
    let half = |s: &str| -> Result<Option<NaiveDate>, String> {
        let s = s.trim();
        if OPEN_ENDS.contains(&s) {
            return Ok(None);
        }
        r.date_text(s).map(Some)
    };
    for separator in ["至", "到", "~", "～", "——", "—", "–"] {
        if let Some((from, to)) = text.split_once(separator) {
            let from = half(from).map_err(|m| format!("{text:?}: start: {m}"))?;
            let to = half(to).map_err(|m| format!("{text:?}: end: {m}"))?;
            return Ok((from, to));
        }
    }
    let text = &text.replace('－', "-");
    let splits: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = text
        .match_indices('-')
        .filter_map(|(i, _)| {
            let (from, to) = (&text[..i], &text[i + 1..]);
            match (half(from), half(to)) {
                (Ok(from), Ok(to)) if from.is_some() => Some((from, to)),
                _ => None,
            }
        })
        .collect();
    match splits.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("{text:?} is not a date range; {forms}")),
        _ => Err(format!(
            "{text:?} can be split into two dates in more than one way; {forms}"
        )),
    }
}
