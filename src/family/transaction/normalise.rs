//! Upstream JSON object → [`Transaction`].

use rust_decimal::Decimal;
use serde_json::Value;

use super::{Transaction, TransactionFields};
use crate::family::read::Reader;
use crate::family::Context;
use crate::normalize::parse::{self, AreaUnit, MoneyUnit, Term};
use crate::normalize::vocab::{Category, LifecycleStatus, TradeMethod, TransferType};
use crate::normalize::{Reason, Rejection};
use crate::region::Divisions;

/// Normalise one upstream record. Fields are read in a fixed order, and the first
/// field that cannot be normalised is the rejection's.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised.
pub(super) fn normalise(
    raw: &Value,
    f: &TransactionFields,
    cx: &Context<'_>,
) -> Result<Transaction, Rejection> {
    let mut r = Reader::open(raw, cx.timezone)?;
    let native_id = r.identify(&f.id, cx.protector)?;
    let source_updated_at = r.updated_at(&f.updated_at, cx.time_format)?;
    let region_code = village_code(&r, f)?;
    let category_raw = r.required(&f.category)?;
    let status_raw = r.required(&f.status)?;
    let method_raw = r.optional(&f.method);
    let transfer_type_raw = r.optional(&f.transfer_type);
    let (area_m2, area_published, area_unit_published) = area(&r, f)?;
    let record_unit = record_price_unit(&r, f)?;
    let term_published = r.optional(&f.term);
    let term = term(&r, f, term_published.as_deref())?;
    let unit_price = unit_price(&r, f)?;
    let deal_date = r
        .optional(&f.deal_date)
        .map(|text| parse::date(&text).map_err(|m| r.reject(&f.deal_date, Reason::BadDate, m)))
        .transpose()?;
    let values = &f.values;
    Ok(Transaction {
        key: format!("{}:{native_id}", cx.source),
        source: cx.source.to_owned(),
        project_name: r.required(&f.name)?,
        category: values.category.map(&category_raw, Category::from_word),
        category_raw,
        method: (method_raw.as_deref()).map(|w| values.method.map(w, TradeMethod::from_word)),
        method_raw,
        transfer_type: (transfer_type_raw.as_deref())
            .map(|w| values.transfer_type.map(w, TransferType::from_word)),
        transfer_type_raw,
        status: values.status.map(&status_raw, LifecycleStatus::from_word),
        status_raw,
        county_code: region_code[..6].to_owned(),
        region_code,
        location: r.optional(&f.location),
        area_m2,
        area_published,
        area_unit_published,
        term,
        term_published,
        listing_price_yuan: r.amount(
            &f.listing_price,
            record_unit.unwrap_or(f.listing_price_unit),
        )?,
        deal_price_yuan: r.amount(&f.deal_price, record_unit.unwrap_or(f.deal_price_unit))?,
        unit_price_yuan: unit_price.as_ref().map(|p| p.0),
        unit_price_basis: unit_price.map(|p| p.1),
        deal_date,
        transferor: r.party(&f.transferor, cx.protector)?,
        transferee: r.party(&f.transferee, cx.protector)?,
        source_updated_at,
        native_id,
    })
}

/// The 12-digit village code, as the 2023 division table has it (a retired county's
/// prefix mapped to its successor).
fn village_code(r: &Reader<'_>, f: &TransactionFields) -> Result<String, Rejection> {
    let text = r.required(&f.region_code)?;
    let village = Divisions::shanxi().resolve_village(&text).ok_or_else(|| {
        r.reject(
            &f.region_code,
            Reason::UnknownRegion,
            format!("{text:?} is not a 12-digit village code in the 2023 division table"),
        )
    })?;
    Ok(village.code.clone())
}

/// Area in m², and the value and unit as published; a published area needs its unit.
type PublishedArea = (Option<Decimal>, Option<String>, Option<String>);

fn area(r: &Reader<'_>, f: &TransactionFields) -> Result<PublishedArea, Rejection> {
    let published = r.optional(&f.area);
    let unit_published = r.optional(&f.area_unit);
    let m2 = match (&published, &unit_published) {
        (Some(value), Some(unit)) => {
            // Name the field at fault: an unknown unit is the unit field's problem.
            let at_fault = if AreaUnit::from_text(unit).is_none() {
                &f.area_unit
            } else {
                &f.area
            };
            Some(parse::area_m2(value, unit).map_err(|m| r.reject(at_fault, Reason::BadArea, m))?)
        }
        (Some(_), None) => {
            return Err(r.reject(
                &f.area_unit,
                Reason::MissingField,
                format!(
                    "area is published but its unit field {:?} is missing",
                    f.area_unit
                ),
            ))
        }
        (None, _) => None,
    };
    Ok((m2, published, unit_published))
}

/// The record's own 价款单位, where the platform publishes the unit beside the prices.
fn record_price_unit(
    r: &Reader<'_>,
    f: &TransactionFields,
) -> Result<Option<MoneyUnit>, Rejection> {
    r.optional_if_named(&f.price_unit)
        .map(|text| {
            MoneyUnit::from_text(&text).ok_or_else(|| {
                r.reject(
                    &f.price_unit,
                    Reason::BadAmount,
                    format!("{text:?} is not a money unit; valid: 元, 万元"),
                )
            })
        })
        .transpose()
}

fn term(
    r: &Reader<'_>,
    f: &TransactionFields,
    published: Option<&str>,
) -> Result<Option<Term>, Rejection> {
    published
        .map(|text| parse::term(text).map_err(|m| r.reject(&f.term, Reason::BadTerm, m)))
        .transpose()
}

/// 成交单价: yuan exact to 0.0001, and the basis it is per (`亩/年`).
fn unit_price(
    r: &Reader<'_>,
    f: &TransactionFields,
) -> Result<Option<(Decimal, String)>, Rejection> {
    let Some(text) = r.optional_if_named(&f.unit_price) else {
        return Ok(None);
    };
    let price =
        parse::unit_price(&text).map_err(|m| r.reject(&f.unit_price, Reason::BadAmount, m))?;
    let mut yuan = price.yuan.normalize();
    if yuan.scale() > 4 {
        return Err(r.reject(
            &f.unit_price,
            Reason::BadAmount,
            format!("{text:?} is finer than 0.0001 元; unit prices are exact to 0.0001"),
        ));
    }
    yuan.rescale(4);
    Ok(Some((yuan, price.per.to_string())))
}
