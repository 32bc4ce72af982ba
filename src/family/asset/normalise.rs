//! Upstream JSON object → [`CollectiveAsset`].

use rust_decimal::Decimal;
use serde_json::Value;

use super::class::classify;
use super::{AssetFields, CollectiveAsset, QUANTITY_SCALE};
use crate::family::read::{Area, Reader};
use crate::family::Context;
use crate::normalize::vocab::{AccountingSystem, OperatingMode};
use crate::normalize::{Reason, Rejection};

/// Normalise one upstream ledger entry. Fields are read in a fixed order, and the first
/// field that cannot be normalised is the rejection's.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised, or
/// [`Reason::InconsistentValues`] (on the 净值 field) when 净值 ≠ 原值 − 累计折旧.
pub(super) fn normalise(
    raw: &Value,
    f: &AssetFields,
    cx: &Context<'_>,
) -> Result<CollectiveAsset, Rejection> {
    let mut r = Reader::open(raw, cx.timezone)?;
    let native_id = r.identify(&f.id, cx.protector)?;
    let source_updated_at = r.updated_at(&f.updated_at, cx.time_format)?;
    let region_code = r.village(&f.region_code, &f.owner)?.code.clone();
    let asset_name = r.required(&f.name)?;
    let class_path = r.required(&f.class_path)?;
    let class = classify(&class_path, r.optional(&f.top_class).as_deref(), &f.values);
    let operating = r.flag(&f.operating)?.or(class.operating);
    let (original_value_yuan, accumulated_depreciation_yuan, net_value_yuan) = book_values(&r, f)?;
    let (quantity, cell_unit) = r.quantity(&f.quantity, QUANTITY_SCALE)?;
    let area: Area = r.area(&f.area, &f.area_unit, f.area_default_unit)?;
    let operating_mode_raw = r.optional(&f.operating_mode);
    let accounting_system_raw = r.optional(&f.accounting_system);
    Ok(CollectiveAsset {
        key: format!("{}:{native_id}", cx.source),
        source: cx.source.to_owned(),
        asset_name,
        top_class: class.top,
        top_class_raw: class.top_raw,
        sub_class: class.sub,
        sub_class_raw: class.sub_raw,
        class_path,
        operating,
        acquired_date: r.date(&f.acquired_date)?,
        original_value_yuan,
        accumulated_depreciation_yuan,
        net_value_yuan,
        quantity,
        quantity_unit: r.optional(&f.quantity_unit).or(cell_unit),
        area_m2: area.m2,
        area_published: area.published,
        area_unit_published: area.unit_published,
        location: r.optional(&f.location),
        county_code: region_code[..6].to_owned(),
        region_code,
        certificate_number: r.optional(&f.certificate_number),
        usage_status: r.optional(&f.usage_status),
        operating_mode: (operating_mode_raw.as_deref())
            .map(|w| f.values.operating_mode.map(w, OperatingMode::from_word)),
        operating_mode_raw,
        annual_income_yuan: r.amount(&f.annual_income, f.annual_income_unit)?,
        accounting_system: accounting_system(f, accounting_system_raw.as_deref()),
        accounting_system_raw,
        current_user: r.party(&f.current_user, cx.protector)?,
        source_updated_at,
        native_id,
    })
}

/// 原值, 累计折旧 and 净值, in yuan.
type BookValues = (Option<Decimal>, Option<Decimal>, Option<Decimal>);

/// 原值, 累计折旧 and 净值; 净值 is checked against 原值 − 累计折旧 when all three are
/// published, never computed.
fn book_values(r: &Reader<'_>, f: &AssetFields) -> Result<BookValues, Rejection> {
    let original = r.amount(&f.original_value, f.original_value_unit)?;
    let depreciation = r.amount(&f.accumulated_depreciation, f.accumulated_depreciation_unit)?;
    let net = r.amount(&f.net_value, f.net_value_unit)?;
    if let (Some(original), Some(depreciation), Some(net)) = (original, depreciation, net) {
        let expected = original.checked_sub(depreciation);
        if expected != Some(net) {
            return Err(r.reject(
                &f.net_value,
                Reason::InconsistentValues,
                format!(
                    "净值 {net} 元 is not 原值 {original} 元 − 累计折旧 {depreciation} 元 = {} 元",
                    expected.map_or_else(|| "(overflow)".to_owned(), |e| e.to_string())
                ),
            ));
        }
    }
    Ok((original, depreciation, net))
}

/// The record's 会计制度 word mapped, else the source's default, else UNKNOWN.
fn accounting_system(f: &AssetFields, word: Option<&str>) -> AccountingSystem {
    match word {
        Some(word) => f
            .values
            .accounting_system
            .map(word, AccountingSystem::from_word),
        None => f
            .accounting_system_default
            .unwrap_or(AccountingSystem::Unknown),
    }
}
