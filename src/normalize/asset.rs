//! The collective asset ledger family (农村集体"三资"台账条目): one upstream ledger entry
//! (资金 funds, 资产 assets or 资源 resources) → [`CollectiveAsset`], the canonical record of
//! `schemas/collective_asset.avsc`.
//!
//! The class path (`资源性资产/农用地/耕地`) is kept as published and read twice: its
//! first segment (or a separate top-class field) gives the ledger, [`AssetTopClass`]; its
//! most specific segment the vocabulary knows gives the class, [`AssetClass`]. 净值 is
//! checked against 原值 − 累计折旧 when all three are published, never computed.
//!
//! The [`read`] module holds the reading kit the three ledger families share (this one,
//! [`super::contract`] and [`super::organisation`]).

use std::collections::BTreeMap;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::parse::{AreaUnit, MoneyUnit};
use super::read::{self, Area, Reader};
use super::transaction::{Party, PartyFields, Position};
use super::vocab::{
    value_map, AccountingSystem, AssetClass, AssetTopClass, OperatingMode, ValueMap,
};
use super::{Reason, Rejection};
use crate::avro::{date, decimal, optional, optional_string, party_value, timestamp_millis};
use crate::config::Invalid;
use crate::protect::Protector;

/// Schema text of the family, as shipped in `schemas/`.
pub const ASSET_SCHEMA: &str = include_str!("../../schemas/collective_asset.avsc");

/// Scale of [`CollectiveAsset::quantity`] in the schema: quantities are exact to 0.0001.
pub const QUANTITY_SCALE: u32 = 4;

/// `[sources.<name>.fields]` of a `collective_asset` source: upstream field names of a
/// ledger entry. The defaults are the common Chinese names. A field the platform does not
/// publish may keep its default name: absent fields read as not published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAssetFields {
    /// 资产编码 — the native id.
    pub id: String,
    /// 资产名称
    pub name: String,
    /// 资产类别 — the class path (`资源性资产/农用地/耕地`, separators `/ > \ | -`) or a
    /// single class (`固定资产`).
    pub class_path: String,
    /// 三资类别 — a separate top-class field (资金/资产/资源), where the platform has one.
    pub top_class: String,
    /// 是否经营性 — yes/no (是/否, 经营性/非经营性, 1/0).
    pub operating: String,
    /// 取得日期
    pub acquired_date: String,
    /// 原值 field and the unit its bare numbers are in (`元` or `万元`; a unit in the cell
    /// wins).
    pub original_value: String,
    pub original_value_unit: String,
    /// 累计折旧 field and its unit.
    pub accumulated_depreciation: String,
    pub accumulated_depreciation_unit: String,
    /// 净值 field and its unit.
    pub net_value: String,
    pub net_value_unit: String,
    /// 数量 (a number, or a number with its unit: `3台`).
    pub quantity: String,
    /// 计量单位
    pub quantity_unit: String,
    /// 面积 (a number, or a number with its unit: `35.5亩`).
    pub area: String,
    /// 面积单位 (亩, 分, 公顷, 平方米, ㎡).
    pub area_unit: String,
    /// Unit of bare numbers in the area field when the record has no unit field (the
    /// header said `面积(亩)`): `亩`, `公顷`, `平方米` …; empty (default) refuses bare
    /// numbers without a unit rather than guess.
    pub area_default_unit: String,
    /// 坐落
    pub location: String,
    /// 12-digit village code of the owning collective.
    pub region_code: String,
    /// 所属单位 — the owning collective as a written place or name (`榆次区乌金山镇鸣谦村`,
    /// `…鸣谦村股份经济合作社`), resolved to a village when the record has no code.
    pub owner: String,
    /// 权证号
    pub certificate_number: String,
    /// 使用状态
    pub usage_status: String,
    /// 经营方式
    pub operating_mode: String,
    /// 年收益 field and its unit.
    pub annual_income: String,
    pub annual_income_unit: String,
    /// 会计制度
    pub accounting_system: String,
    /// The accounting system of the whole source when records do not say:
    /// `ACCOUNTING_2004` or `ACCOUNTING_2024`; empty (default) for UNKNOWN.
    pub accounting_system_default: String,
    /// 使用人 — current user: name, type (自然人 / 法人), identifier (ID number or credit
    /// code), phone. Set a name to "" when the platform does not publish it.
    pub current_user: String,
    pub current_user_type: String,
    pub current_user_id: String,
    pub current_user_phone: String,
    /// 更新时间 — also the incremental cursor.
    pub updated_at: String,
}

impl Default for RawAssetFields {
    fn default() -> Self {
        RawAssetFields {
            id: "资产编码".into(),
            name: "资产名称".into(),
            class_path: "资产类别".into(),
            top_class: "三资类别".into(),
            operating: "是否经营性".into(),
            acquired_date: "取得日期".into(),
            original_value: "原值".into(),
            original_value_unit: "元".into(),
            accumulated_depreciation: "累计折旧".into(),
            accumulated_depreciation_unit: "元".into(),
            net_value: "净值".into(),
            net_value_unit: "元".into(),
            quantity: "数量".into(),
            quantity_unit: "计量单位".into(),
            area: "面积".into(),
            area_unit: "面积单位".into(),
            area_default_unit: String::new(),
            location: "坐落".into(),
            region_code: "行政区划代码".into(),
            owner: "所属单位".into(),
            certificate_number: "权证号".into(),
            usage_status: "使用状态".into(),
            operating_mode: "经营方式".into(),
            annual_income: "年收益".into(),
            annual_income_unit: "元".into(),
            accounting_system: "会计制度".into(),
            accounting_system_default: String::new(),
            current_user: "使用人".into(),
            current_user_type: "使用人类型".into(),
            current_user_id: "使用人证件号码".into(),
            current_user_phone: "使用人联系电话".into(),
            updated_at: "更新时间".into(),
        }
    }
}

/// Upstream field names of a ledger entry, validated (units parsed).
#[derive(Debug, Clone)]
pub struct AssetFields {
    pub id: String,
    pub name: String,
    pub class_path: String,
    pub top_class: String,
    pub operating: String,
    pub acquired_date: String,
    pub original_value: String,
    pub original_value_unit: MoneyUnit,
    pub accumulated_depreciation: String,
    pub accumulated_depreciation_unit: MoneyUnit,
    pub net_value: String,
    pub net_value_unit: MoneyUnit,
    pub quantity: String,
    pub quantity_unit: String,
    pub area: String,
    pub area_unit: String,
    pub area_default_unit: Option<AreaUnit>,
    pub location: String,
    pub region_code: String,
    pub owner: String,
    pub certificate_number: String,
    pub usage_status: String,
    pub operating_mode: String,
    pub annual_income: String,
    pub annual_income_unit: MoneyUnit,
    pub accounting_system: String,
    pub accounting_system_default: Option<AccountingSystem>,
    pub current_user: PartyFields,
    pub updated_at: String,
    /// The source's own words for the vocabulary fields.
    pub values: AssetValues,
}

impl AssetFields {
    /// Validate `[sources.<name>.fields]` of a `collective_asset` source; `key` is that
    /// table's dotted key, for messages.
    ///
    /// # Errors
    /// [`Invalid`] for an unknown key, a money unit other than `元`/`万元`, an unknown
    /// area unit or accounting system symbol, or an empty required field name.
    pub fn validate(raw: &toml::Table, key: &str) -> Result<AssetFields, Invalid> {
        let raw: RawAssetFields = read::deserialize_fields(raw, key)?;
        read::require_names(
            key,
            &[
                ("id", &raw.id),
                ("name", &raw.name),
                ("class_path", &raw.class_path),
                ("updated_at", &raw.updated_at),
            ],
        )?;
        read::require_one_of(
            key,
            ("region_code", &raw.region_code),
            ("owner", &raw.owner),
        )?;
        let unit = |name: &str, text: &str| read::money_unit(key, name, text);
        let accounting_system_default = match raw.accounting_system_default.trim() {
            "" => None,
            symbol => Some(AccountingSystem::from_symbol(symbol).ok_or_else(|| {
                Invalid::new(
                    format!("{key}.accounting_system_default"),
                    format!(
                        "{symbol:?} is not an accounting system; valid: {}",
                        AccountingSystem::SYMBOLS.join(", ")
                    ),
                )
            })?),
        };
        Ok(AssetFields {
            original_value_unit: unit("original_value_unit", &raw.original_value_unit)?,
            accumulated_depreciation_unit: unit(
                "accumulated_depreciation_unit",
                &raw.accumulated_depreciation_unit,
            )?,
            net_value_unit: unit("net_value_unit", &raw.net_value_unit)?,
            annual_income_unit: unit("annual_income_unit", &raw.annual_income_unit)?,
            area_default_unit: read::area_unit(key, "area_default_unit", &raw.area_default_unit)?,
            accounting_system_default,
            current_user: read::party_fields(
                &raw.current_user,
                &raw.current_user_type,
                &raw.current_user_id,
                &raw.current_user_phone,
            ),
            id: raw.id,
            name: raw.name,
            class_path: raw.class_path,
            top_class: raw.top_class,
            operating: raw.operating,
            acquired_date: raw.acquired_date,
            original_value: raw.original_value,
            accumulated_depreciation: raw.accumulated_depreciation,
            net_value: raw.net_value,
            quantity: raw.quantity,
            quantity_unit: raw.quantity_unit,
            area: raw.area,
            area_unit: raw.area_unit,
            location: raw.location,
            region_code: raw.region_code,
            owner: raw.owner,
            certificate_number: raw.certificate_number,
            usage_status: raw.usage_status,
            operating_mode: raw.operating_mode,
            annual_income: raw.annual_income,
            accounting_system: raw.accounting_system,
            updated_at: raw.updated_at,
            values: AssetValues::default(),
        })
    }
}

/// Per-source value maps of the ledger entry's vocabulary fields
/// (`[sources.<name>.values.<field>]`).
#[derive(Debug, Clone, Default)]
pub struct AssetValues {
    pub top_class: ValueMap<AssetTopClass>,
    pub sub_class: ValueMap<AssetClass>,
    pub operating_mode: ValueMap<OperatingMode>,
    pub accounting_system: ValueMap<AccountingSystem>,
}

impl AssetValues {
    /// # Errors
    /// [`Invalid`] for an unknown field or a symbol not in the field's enum.
    pub fn validate(
        raw: &BTreeMap<String, BTreeMap<String, String>>,
        key: &str,
    ) -> Result<AssetValues, Invalid> {
        let mut values = AssetValues::default();
        for (field, words) in raw {
            let k = format!("{key}.{field}");
            match field.as_str() {
                "top_class" => {
                    values.top_class =
                        value_map(words, &k, AssetTopClass::SYMBOLS, AssetTopClass::from_symbol)?
                }
                "sub_class" => {
                    values.sub_class =
                        value_map(words, &k, AssetClass::SYMBOLS, AssetClass::from_symbol)?
                }
                "operating_mode" => {
                    values.operating_mode =
                        value_map(words, &k, OperatingMode::SYMBOLS, OperatingMode::from_symbol)?
                }
                "accounting_system" => {
                    values.accounting_system = value_map(
                        words,
                        &k,
                        AccountingSystem::SYMBOLS,
                        AccountingSystem::from_symbol,
                    )?
                }
                other => {
                    return Err(Invalid::new(
                        k,
                        format!("{other:?} has no vocabulary; valid: top_class, sub_class, operating_mode, accounting_system"),
                    ))
                }
            }
        }
        Ok(values)
    }
}

/// A canonical ledger entry. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectiveAsset {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub asset_name: String,
    pub class_path: String,
    pub top_class: AssetTopClass,
    pub top_class_raw: Option<String>,
    pub sub_class: Option<AssetClass>,
    pub sub_class_raw: Option<String>,
    pub operating: Option<bool>,
    pub acquired_date: Option<NaiveDate>,
    pub original_value_yuan: Option<Decimal>,
    pub accumulated_depreciation_yuan: Option<Decimal>,
    pub net_value_yuan: Option<Decimal>,
    pub quantity: Option<Decimal>,
    pub quantity_unit: Option<String>,
    pub area_m2: Option<Decimal>,
    pub area_published: Option<String>,
    pub area_unit_published: Option<String>,
    pub location: Option<String>,
    pub region_code: String,
    pub county_code: String,
    pub certificate_number: Option<String>,
    pub usage_status: Option<String>,
    pub operating_mode: Option<OperatingMode>,
    pub operating_mode_raw: Option<String>,
    pub annual_income_yuan: Option<Decimal>,
    pub accounting_system: AccountingSystem,
    pub accounting_system_raw: Option<String>,
    pub current_user: Option<Party>,
    pub source_updated_at: DateTime<Utc>,
}

/// The record's place in the change order, if its id and update time can be read.
pub fn position(
    record: &Value,
    fields: &AssetFields,
    tz: Tz,
    time_format: &str,
) -> Option<Position> {
    read::position(record, &fields.id, &fields.updated_at, tz, time_format)
}

/// Normalise one upstream ledger entry of source `source`.
///
/// `tz` is the platform's time zone and `time_format` the chrono format of its update
/// times.
///
/// Parties and the native id are protected here; other text fields are as read, and
/// [`FamilyFields::normalise`](super::FamilyFields::normalise), the pipeline's entry,
/// redacts them all before publishing.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised, or
/// [`Reason::InconsistentValues`] (on the 净值 field) when 净值 ≠ 原值 − 累计折旧.
pub fn normalise_asset(
    source: &str,
    record: &Value,
    fields: &AssetFields,
    tz: Tz,
    time_format: &str,
    protector: &Protector,
) -> Result<CollectiveAsset, Rejection> {
    let mut r = Reader::open(record, tz)?;
    let native_id = r.identify(&fields.id, protector)?;
    let source_updated_at = r.updated_at(&fields.updated_at, time_format)?;
    let village = r.village(&fields.region_code, &fields.owner)?;
    let region_code = village.code.clone();
    let county_code = region_code[..6].to_owned();

    let asset_name = r.required(&fields.name)?;
    let class_path = r.required(&fields.class_path)?;
    let class = classify(
        &class_path,
        r.optional(&fields.top_class).as_deref(),
        &fields.values,
    );
    let operating = match r.flag(&fields.operating)? {
        Some(flag) => Some(flag),
        None => class.operating,
    };

    let original_value_yuan = r.amount(&fields.original_value, fields.original_value_unit)?;
    let accumulated_depreciation_yuan = r.amount(
        &fields.accumulated_depreciation,
        fields.accumulated_depreciation_unit,
    )?;
    let net_value_yuan = r.amount(&fields.net_value, fields.net_value_unit)?;
    if let (Some(original), Some(depreciation), Some(net)) = (
        original_value_yuan,
        accumulated_depreciation_yuan,
        net_value_yuan,
    ) {
        let expected = original.checked_sub(depreciation);
        if expected != Some(net) {
            return Err(r.reject(
                &fields.net_value,
                Reason::InconsistentValues,
                format!(
                    "净值 {net} 元 is not 原值 {original} 元 − 累计折旧 {depreciation} 元 = {} 元",
                    expected.map_or_else(|| "(overflow)".to_owned(), |e| e.to_string())
                ),
            ));
        }
    }

    let (quantity, cell_unit) = r.quantity(&fields.quantity, QUANTITY_SCALE)?;
    let quantity_unit = r.optional(&fields.quantity_unit).or(cell_unit);
    let Area {
        m2: area_m2,
        published: area_published,
        unit_published: area_unit_published,
    } = r.area(&fields.area, &fields.area_unit, fields.area_default_unit)?;

    let operating_mode_raw = r.optional(&fields.operating_mode);
    let accounting_system_raw = r.optional(&fields.accounting_system);
    let accounting_system = match &accounting_system_raw {
        Some(word) => fields
            .values
            .accounting_system
            .map(word, AccountingSystem::from_word),
        None => fields
            .accounting_system_default
            .unwrap_or(AccountingSystem::Unknown),
    };

    Ok(CollectiveAsset {
        key: format!("{source}:{native_id}"),
        source: source.to_owned(),
        asset_name,
        top_class: class.top,
        top_class_raw: class.top_raw,
        sub_class: class.sub,
        sub_class_raw: class.sub_raw,
        class_path,
        operating,
        acquired_date: r.date(&fields.acquired_date)?,
        original_value_yuan,
        accumulated_depreciation_yuan,
        net_value_yuan,
        quantity,
        quantity_unit,
        area_m2,
        area_published,
        area_unit_published,
        location: r.optional(&fields.location),
        region_code,
        county_code,
        certificate_number: r.optional(&fields.certificate_number),
        usage_status: r.optional(&fields.usage_status),
        operating_mode: operating_mode_raw.as_deref().map(|w| {
            fields
                .values
                .operating_mode
                .map(w, OperatingMode::from_word)
        }),
        operating_mode_raw,
        annual_income_yuan: r.amount(&fields.annual_income, fields.annual_income_unit)?,
        accounting_system,
        accounting_system_raw,
        current_user: r.party(&fields.current_user, protector)?,
        source_updated_at,
        native_id,
    })
}

/// What a class path says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Classification {
    top: AssetTopClass,
    top_raw: Option<String>,
    sub: Option<AssetClass>,
    sub_raw: Option<String>,
    /// 经营性资产 / 非经营性资产 as a segment.
    operating: Option<bool>,
}

/// Separators of class path segments: `资源性资产/农用地/耕地`, `资产>固定资产`,
/// `资源-农用地-耕地`, full-width forms included.
const PATH_SEPARATORS: &[char] = &[
    '/', '／', '\\', '＼', '>', '＞', '》', '→', '|', '｜', '-', '－', '—',
];

/// Read a class path. The top class comes from the separate field when published, else
/// from a first segment the vocabulary knows as a ledger, else from the class. The class
/// is the most specific segment (last first) the source's words or the built-in words
/// know; a path whose segments below the ledger are all unknown is `Other`.
fn classify(path: &str, top_field: Option<&str>, values: &AssetValues) -> Classification {
    let segments: Vec<&str> = path
        .split(PATH_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let is_top = |s: &str| {
        values.top_class.contains(s) || AssetTopClass::from_word(s) != AssetTopClass::Other
    };
    let top_segment = segments.first().copied().filter(|s| is_top(s));
    let below: &[&str] = if top_segment.is_some() {
        &segments[1..]
    } else {
        &segments
    };
    let knows_class =
        |s: &str| values.sub_class.contains(s) || AssetClass::from_word(s) != AssetClass::Other;
    let sub = (!below.is_empty()).then(|| {
        below
            .iter()
            .rev()
            .find(|s| knows_class(s))
            .map_or(AssetClass::Other, |s| {
                values.sub_class.map(s, AssetClass::from_word)
            })
    });
    let (top, top_raw) = match (top_field, top_segment) {
        (Some(word), _) => (
            values.top_class.map(word, AssetTopClass::from_word),
            Some(word.to_owned()),
        ),
        (None, Some(word)) => (
            values.top_class.map(word, AssetTopClass::from_word),
            Some(word.to_owned()),
        ),
        (None, None) => (
            sub.and_then(AssetClass::top_class)
                .unwrap_or(AssetTopClass::Other),
            None,
        ),
    };
    let operating = segments.iter().find_map(|s| match *s {
        "经营性资产" | "经营性固定资产" => Some(true),
        "非经营性资产" | "非经营性固定资产" => Some(false),
        _ => None,
    });
    Classification {
        top,
        top_raw,
        sub,
        sub_raw: below.last().map(|s| (*s).to_owned()),
        operating,
    }
}

/// The Avro value of a canonical ledger entry, fields in schema order.
pub fn asset_value(a: &CollectiveAsset) -> AvroValue {
    AvroValue::Record(vec![
        ("key".into(), AvroValue::String(a.key.clone())),
        ("source".into(), AvroValue::String(a.source.clone())),
        ("native_id".into(), AvroValue::String(a.native_id.clone())),
        ("asset_name".into(), AvroValue::String(a.asset_name.clone())),
        ("class_path".into(), AvroValue::String(a.class_path.clone())),
        (
            "top_class".into(),
            AvroValue::Enum(a.top_class.index(), a.top_class.symbol().into()),
        ),
        ("top_class_raw".into(), optional_string(&a.top_class_raw)),
        (
            "sub_class".into(),
            optional(
                a.sub_class
                    .map(|c| AvroValue::Enum(c.index(), c.symbol().into())),
            ),
        ),
        ("sub_class_raw".into(), optional_string(&a.sub_class_raw)),
        (
            "operating".into(),
            optional(a.operating.map(AvroValue::Boolean)),
        ),
        ("acquired_date".into(), optional(a.acquired_date.map(date))),
        (
            "original_value_yuan".into(),
            optional(a.original_value_yuan.map(decimal)),
        ),
        (
            "accumulated_depreciation_yuan".into(),
            optional(a.accumulated_depreciation_yuan.map(decimal)),
        ),
        (
            "net_value_yuan".into(),
            optional(a.net_value_yuan.map(decimal)),
        ),
        (
            "quantity".into(),
            optional(a.quantity.map(|q| read::scaled_decimal(q, QUANTITY_SCALE))),
        ),
        ("quantity_unit".into(), optional_string(&a.quantity_unit)),
        ("area_m2".into(), optional(a.area_m2.map(decimal))),
        ("area_published".into(), optional_string(&a.area_published)),
        (
            "area_unit_published".into(),
            optional_string(&a.area_unit_published),
        ),
        ("location".into(), optional_string(&a.location)),
        (
            "region_code".into(),
            AvroValue::String(a.region_code.clone()),
        ),
        (
            "county_code".into(),
            AvroValue::String(a.county_code.clone()),
        ),
        (
            "certificate_number".into(),
            optional_string(&a.certificate_number),
        ),
        ("usage_status".into(), optional_string(&a.usage_status)),
        (
            "operating_mode".into(),
            optional(
                a.operating_mode
                    .map(|m| AvroValue::Enum(m.index(), m.symbol().into())),
            ),
        ),
        (
            "operating_mode_raw".into(),
            optional_string(&a.operating_mode_raw),
        ),
        (
            "annual_income_yuan".into(),
            optional(a.annual_income_yuan.map(decimal)),
        ),
        (
            "accounting_system".into(),
            AvroValue::Enum(
                a.accounting_system.index(),
                a.accounting_system.symbol().into(),
            ),
        ),
        (
            "accounting_system_raw".into(),
            optional_string(&a.accounting_system_raw),
        ),
        (
            "current_user".into(),
            optional(a.current_user.as_ref().map(party_value)),
        ),
        (
            "source_updated_at".into(),
            timestamp_millis(a.source_updated_at),
        ),
    ])
}

/// The upstream record as JSON text fit for a dead letter: the current user's ID number
/// and phone replaced by pseudonym markers, a person's name masked, and any other phone-
/// or ID-shaped text redacted.
pub fn protected_raw_asset(record: &Value, fields: &AssetFields, protector: &Protector) -> String {
    read::protected_raw(record, &[&fields.current_user], &[], protector)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::read::testing::{
        assert_schema_conventions, first_village_of, protector, round_trip, FORMAT,
    };
    use super::*;
    use crate::normalize::transaction::PartyKind;
    use crate::protect::Personal;

    fn fields() -> AssetFields {
        AssetFields::validate(&toml::Table::new(), "sources.sz.fields").unwrap()
    }

    fn normalise(record: &Value) -> Result<CollectiveAsset, Rejection> {
        normalise_asset(
            "sz",
            record,
            &fields(),
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
    }

    fn sample() -> Value {
        json!({
            "资产编码": "ZC140702-0001",
            "资产名称": "村委会办公楼",
            "资产类别": "资产/固定资产/房屋及建筑物",
            "是否经营性": "否",
            "取得日期": "2015年6月30日",
            "原值": "1,250,000.00",
            "累计折旧": "312500",
            "净值": "93.75万元",
            "数量": "1栋",
            "面积": "860",
            "面积单位": "㎡",
            "坐落": "鸣谦村村委会院内",
            "行政区划代码": first_village_of("140702"),
            "权证号": "晋(2016)榆次区不动产权第0001234号",
            "使用状态": "在用",
            "经营方式": "自营",
            "会计制度": "农村集体经济组织会计制度",
            "更新时间": "2024-03-01 10:30:00"
        })
    }

    #[test]
    fn a_ledger_entry_normalises_exactly() {
        let a = normalise(&sample()).unwrap();
        assert_eq!(a.key, "sz:ZC140702-0001");
        assert_eq!(a.top_class, AssetTopClass::Assets);
        assert_eq!(a.top_class_raw.as_deref(), Some("资产"));
        assert_eq!(
            a.sub_class,
            Some(AssetClass::FixedAsset),
            "walks up from 房屋及建筑物"
        );
        assert_eq!(a.sub_class_raw.as_deref(), Some("房屋及建筑物"));
        assert_eq!(a.operating, Some(false));
        assert_eq!(a.acquired_date, NaiveDate::from_ymd_opt(2015, 6, 30));
        assert_eq!(a.original_value_yuan.unwrap().to_string(), "1250000.00");
        assert_eq!(
            a.accumulated_depreciation_yuan.unwrap().to_string(),
            "312500.00"
        );
        assert_eq!(a.net_value_yuan.unwrap().to_string(), "937500.00");
        assert_eq!(a.quantity.unwrap().to_string(), "1.0000");
        assert_eq!(a.quantity_unit.as_deref(), Some("栋"));
        assert_eq!(a.area_m2.unwrap().to_string(), "860.00");
        assert_eq!(a.area_unit_published.as_deref(), Some("㎡"));
        assert_eq!(a.county_code, "140702");
        assert_eq!(a.operating_mode, Some(OperatingMode::SelfOperated));
        assert_eq!(a.accounting_system, AccountingSystem::Accounting2024);
        assert_eq!(a.current_user, None);
        assert_eq!(
            a.source_updated_at.to_rfc3339(),
            "2024-03-01T02:30:00+00:00"
        );
    }

    /// Realistic entries of the three ledgers: class paths, units and date forms.
    #[test]
    fn entries_of_the_three_ledgers() {
        struct Case {
            changes: Value,
            top: AssetTopClass,
            sub: Option<AssetClass>,
            area_m2: Option<&'static str>,
            original: Option<&'static str>,
            acquired: Option<(i32, u32, u32)>,
        }
        let cases = [
            Case {
                changes: json!({"资产类别": "资源性资产/农用地/耕地", "面积": "35.5", "面积单位": "亩",
                    "原值": null, "累计折旧": null, "净值": null, "取得日期": "2023.3.31"}),
                top: AssetTopClass::Resources,
                sub: Some(AssetClass::Farmland),
                area_m2: Some("23666.67"),
                original: None,
                acquired: Some((2023, 3, 31)),
            },
            Case {
                changes: json!({"资产类别": "资源-林地", "面积": "2.25公顷", "面积单位": null,
                    "原值": null, "累计折旧": null, "净值": null, "取得日期": "45016"}),
                top: AssetTopClass::Resources,
                sub: Some(AssetClass::ForestLand),
                area_m2: Some("22500.00"),
                original: None,
                acquired: Some((2023, 3, 31)),
            },
            Case {
                changes: json!({"资产类别": "资金/银行存款", "面积": null, "原值": "12.5万元",
                    "累计折旧": null, "净值": null, "取得日期": "20230331"}),
                top: AssetTopClass::Funds,
                sub: Some(AssetClass::BankDeposit),
                area_m2: None,
                original: Some("125000.00"),
                acquired: Some((2023, 3, 31)),
            },
            Case {
                changes: json!({"资产类别": "生物资产", "面积": null, "原值": "３，０００",
                    "累计折旧": "0", "净值": "3000元", "取得日期": "二〇二三年三月三十一日"}),
                top: AssetTopClass::Assets,
                sub: Some(AssetClass::BiologicalAsset),
                area_m2: None,
                original: Some("3000.00"),
                acquired: Some((2023, 3, 31)),
            },
            Case {
                changes: json!({"资产类别": "资源性资产", "面积": "1分", "面积单位": null,
                    "原值": null, "累计折旧": null, "净值": null, "取得日期": null}),
                top: AssetTopClass::Resources,
                sub: None,
                area_m2: Some("66.67"),
                original: None,
                acquired: None,
            },
            Case {
                changes: json!({"资产类别": "资源性资产/碳汇", "面积": null, "原值": null,
                    "累计折旧": null, "净值": null}),
                top: AssetTopClass::Resources,
                sub: Some(AssetClass::Other),
                area_m2: None,
                original: None,
                acquired: Some((2015, 6, 30)),
            },
        ];
        for case in cases {
            let mut record = sample();
            for (k, v) in case.changes.as_object().unwrap() {
                record[k] = v.clone();
            }
            let a = normalise(&record).unwrap_or_else(|e| panic!("{}: {e:?}", case.changes));
            let label = &case.changes["资产类别"];
            assert_eq!(a.top_class, case.top, "{label}");
            assert_eq!(a.sub_class, case.sub, "{label}");
            assert_eq!(
                a.area_m2.map(|d| d.to_string()).as_deref(),
                case.area_m2,
                "{label}"
            );
            assert_eq!(
                a.original_value_yuan.map(|d| d.to_string()).as_deref(),
                case.original,
                "{label}"
            );
            assert_eq!(
                a.acquired_date,
                case.acquired
                    .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                "{label}"
            );
        }
    }

    #[test]
    fn class_paths_are_read_from_the_most_specific_known_segment() {
        let none = AssetValues::default();
        /// Path, top-class field; top class, its raw word, class, operating.
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            AssetTopClass,
            Option<&'a str>,
            Option<AssetClass>,
            Option<bool>,
        );
        let cases: &[Case] = &[
            (
                "资源性资产/农用地/耕地",
                None,
                AssetTopClass::Resources,
                Some("资源性资产"),
                Some(AssetClass::Farmland),
                None,
            ),
            (
                "资源性资产/农用地/设施农用地",
                None,
                AssetTopClass::Resources,
                Some("资源性资产"),
                Some(AssetClass::AgriculturalLand),
                None,
            ),
            (
                "资产>经营性资产>固定资产",
                None,
                AssetTopClass::Assets,
                Some("资产"),
                Some(AssetClass::FixedAsset),
                Some(true),
            ),
            (
                "非经营性资产/固定资产",
                None,
                AssetTopClass::Assets,
                Some("非经营性资产"),
                Some(AssetClass::FixedAsset),
                Some(false),
            ),
            (
                "耕地",
                None,
                AssetTopClass::Resources,
                None,
                Some(AssetClass::Farmland),
                None,
            ),
            (
                "林木",
                None,
                AssetTopClass::Resources,
                None,
                Some(AssetClass::ForestTrees),
                None,
            ),
            (
                "林木资产",
                None,
                AssetTopClass::Assets,
                None,
                Some(AssetClass::BiologicalAsset),
                None,
            ),
            (
                "农用地/耕地",
                Some("资源"),
                AssetTopClass::Resources,
                Some("资源"),
                Some(AssetClass::Farmland),
                None,
            ),
            (
                "资源性资产／四荒地／荒山",
                None,
                AssetTopClass::Resources,
                Some("资源性资产"),
                Some(AssetClass::FourWastelands),
                None,
            ),
            (
                "资金|一事一议资金",
                None,
                AssetTopClass::Funds,
                Some("资金"),
                Some(AssetClass::OneMatterOneDiscussionFunds),
                None,
            ),
            (
                "文物",
                None,
                AssetTopClass::Other,
                None,
                Some(AssetClass::Other),
                None,
            ),
        ];
        for (path, top_field, top, top_raw, sub, operating) in cases {
            let c = classify(path, *top_field, &none);
            assert_eq!(
                (c.top, c.top_raw.as_deref(), c.sub, c.operating),
                (*top, *top_raw, *sub, *operating),
                "{path}"
            );
        }
        let values = AssetValues {
            sub_class: ValueMap::new([("大棚".to_owned(), AssetClass::FixedAsset)]),
            top_class: ValueMap::new([("三资-资产".to_owned(), AssetTopClass::Assets)]),
            ..AssetValues::default()
        };
        let c = classify("大棚", None, &values);
        assert_eq!(
            (c.top, c.sub),
            (AssetTopClass::Assets, Some(AssetClass::FixedAsset))
        );
        let c = classify("文物", Some("三资-资产"), &values);
        assert_eq!(
            (c.top, c.sub),
            (AssetTopClass::Assets, Some(AssetClass::Other))
        );
    }

    #[test]
    fn the_net_value_must_be_original_less_depreciation() {
        let mut record = sample();
        record["净值"] = json!("937500.01");
        let err = normalise(&record).unwrap_err();
        assert_eq!(err.reason, Reason::InconsistentValues);
        assert_eq!(err.field.as_deref(), Some("净值"));
        assert_eq!(err.native_id.as_deref(), Some("ZC140702-0001"));
        assert!(err.message.contains("937500.00"), "{}", err.message);
        // Any two of the three are not checked.
        record["累计折旧"] = Value::Null;
        assert!(normalise(&record).is_ok());
    }

    #[test]
    fn each_bad_field_is_named_with_its_reason() {
        let cases: &[(&str, Value, &str, Reason)] = &[
            ("资产编码", Value::Null, "资产编码", Reason::MissingField),
            ("资产名称", json!(" "), "资产名称", Reason::MissingField),
            ("资产类别", Value::Null, "资产类别", Reason::MissingField),
            (
                "更新时间",
                json!("2024/03/01"),
                "更新时间",
                Reason::BadTimestamp,
            ),
            (
                "行政区划代码",
                json!("140701000000"),
                "行政区划代码",
                Reason::UnknownRegion,
            ),
            ("取得日期", json!("2023-02-30"), "取得日期", Reason::BadDate),
            ("原值", json!("一百万"), "原值", Reason::BadAmount),
            ("年收益", json!("500元/亩/年"), "年收益", Reason::BadAmount),
            ("面积单位", json!("英亩"), "面积", Reason::BadArea),
            ("数量", json!("1.00001台"), "数量", Reason::BadQuantity),
            ("数量", json!("-2"), "数量", Reason::BadQuantity),
            (
                "是否经营性",
                json!("不详"),
                "是否经营性",
                Reason::BadBoolean,
            ),
            (
                "使用人证件号码",
                json!("110105194912310021"),
                "使用人证件号码",
                Reason::BadIdNumber,
            ),
            (
                "使用人联系电话",
                json!("1380013800"),
                "使用人联系电话",
                Reason::BadPhone,
            ),
        ];
        for (field, value, named, reason) in cases {
            let mut record = sample();
            record["使用人"] = json!("王建军");
            record[*field] = value.clone();
            let err = normalise(&record).unwrap_err();
            assert_eq!(
                (err.reason, err.field.as_deref()),
                (*reason, Some(*named)),
                "{field}: {err:?}"
            );
            if *field != "资产编码" {
                assert_eq!(err.native_id.as_deref(), Some("ZC140702-0001"), "{field}");
            }
            assert!(
                !err.message.contains("110105194912310021"),
                "{}",
                err.message
            );
        }
        let err = normalise(&json!(["not", "an", "object"])).unwrap_err();
        assert_eq!((err.reason, err.field), (Reason::NotAnObject, None));
    }

    #[test]
    fn the_owner_village_is_resolved_from_a_place_when_no_code_is_published() {
        let mut record = sample();
        record["行政区划代码"] = Value::Null;
        record["所属单位"] = json!("榆次区乌金山镇鸣谦村股份经济合作社");
        let a = normalise(&record).unwrap();
        assert_eq!(a.region_code, "140702100200");
        record["所属单位"] = json!("榆次区乌金山镇");
        let err = normalise(&record).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::UnknownRegion, Some("所属单位"))
        );
        assert!(err.message.contains("not a village"), "{}", err.message);
        record["所属单位"] = Value::Null;
        let err = normalise(&record).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::MissingField, Some("行政区划代码"))
        );
    }

    #[test]
    fn a_person_using_the_asset_is_pseudonymised_and_masked() {
        let mut record = sample();
        record["经营方式"] = json!("出租");
        record["使用人"] = json!("李秀英");
        record["使用人证件号码"] = json!("11010519491231002X");
        record["使用人联系电话"] = json!("138 0013 8000");
        let p = protector();
        let a = normalise(&record).unwrap();
        assert_eq!(a.operating_mode, Some(OperatingMode::Leased));
        let user = a.current_user.unwrap();
        assert_eq!(user.kind, PartyKind::Person);
        assert_eq!(user.name.as_deref(), Some("李**"));
        assert_eq!(
            user.id_number_pseudonym,
            Some(p.pseudonym(Personal::IdNumber, "11010519491231002X"))
        );
        assert_eq!(
            user.phone_pseudonym,
            Some(p.pseudonym(Personal::Phone, "13800138000"))
        );
        let raw = protected_raw_asset(&record, &fields(), &p);
        for secret in ["李秀英", "11010519491231002X", "138 0013 8000"] {
            assert!(!raw.contains(secret), "{secret} in {raw}");
        }
        assert!(
            raw.contains("李**") && raw.contains("ZC140702-0001"),
            "{raw}"
        );
        // An organisation using it keeps its name and code, even without a type field.
        record["使用人"] = json!("榆次区鸣谦农业专业合作社");
        record["使用人证件号码"] = json!("91350100M000100Y43");
        record["使用人联系电话"] = Value::Null;
        let user = normalise(&record).unwrap().current_user.unwrap();
        assert_eq!(user.kind, PartyKind::Organisation);
        assert_eq!(user.name.as_deref(), Some("榆次区鸣谦农业专业合作社"));
        assert_eq!(user.credit_code.as_deref(), Some("91350100M000100Y43"));
        let raw = protected_raw_asset(&record, &fields(), &p);
        assert!(
            raw.contains("榆次区鸣谦农业专业合作社") && raw.contains("91350100M000100Y43"),
            "{raw}"
        );
    }

    #[test]
    fn config_sets_units_and_the_accounting_system() {
        let table: toml::Table = toml::from_str(
            r#"
            original_value = "原值(万元)"
            original_value_unit = "万元"
            area = "面积(亩)"
            area_default_unit = "亩"
            accounting_system_default = "ACCOUNTING_2004"
            "#,
        )
        .unwrap();
        let f = AssetFields::validate(&table, "sources.sz.fields").unwrap();
        let mut record = sample();
        record["原值(万元)"] = json!("125");
        record["原值"] = Value::Null;
        record["累计折旧"] = json!("31.25万元");
        record["面积(亩)"] = json!("1.5");
        record["面积单位"] = Value::Null;
        record["会计制度"] = Value::Null;
        let a = normalise_asset(
            "sz",
            &record,
            &f,
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
        .unwrap();
        assert_eq!(a.original_value_yuan.unwrap().to_string(), "1250000.00");
        assert_eq!(a.area_m2.unwrap().to_string(), "1000.00");
        assert_eq!(a.area_unit_published.as_deref(), Some("亩"));
        assert_eq!(a.accounting_system, AccountingSystem::Accounting2004);
        assert_eq!(a.accounting_system_raw, None);

        let bad: &[(&str, &str)] = &[
            (
                "net_value_unit = \"千元\"",
                "sources.sz.fields.net_value_unit",
            ),
            (
                "area_default_unit = \"英亩\"",
                "sources.sz.fields.area_default_unit",
            ),
            (
                "accounting_system_default = \"2004\"",
                "sources.sz.fields.accounting_system_default",
            ),
            ("id = \"\"", "sources.sz.fields.id"),
            (
                "region_code = \"\"\nowner = \"\"",
                "sources.sz.fields.region_code",
            ),
            ("colour = \"颜色\"", "sources.sz.fields"),
        ];
        for (text, key) in bad {
            let table: toml::Table = toml::from_str(text).unwrap();
            let err = AssetFields::validate(&table, "sources.sz.fields").unwrap_err();
            assert_eq!(err.key, *key, "{text}: {err:?}");
        }
        let values = BTreeMap::from([(
            "operating_mode".to_owned(),
            BTreeMap::from([("托管".to_owned(), "CONTRACTED_OUT".to_owned())]),
        )]);
        let v = AssetValues::validate(&values, "sources.sz.values").unwrap();
        assert_eq!(
            v.operating_mode.map("托管", OperatingMode::from_word),
            OperatingMode::ContractedOut
        );
        let values = BTreeMap::from([("colour".to_owned(), BTreeMap::new())]);
        assert_eq!(
            AssetValues::validate(&values, "sources.sz.values")
                .unwrap_err()
                .key,
            "sources.sz.values.colour"
        );
    }

    #[test]
    fn the_schema_keeps_the_pipeline_conventions_and_values_round_trip() {
        assert_schema_conventions(ASSET_SCHEMA);
        let mut record = sample();
        record["使用人"] = json!("王建军");
        record["使用人类型"] = json!("自然人");
        record["使用人联系电话"] = json!("13800138000");
        record["年收益"] = json!("1.2万元");
        let full = normalise(&record).unwrap();
        let value = asset_value(&full);
        assert_eq!(round_trip(ASSET_SCHEMA, &value), value);
        let f = crate::avro::decode::fields(&value);
        assert_eq!(
            crate::avro::decode::decimal(crate::avro::decode::nullable(f["quantity"]).unwrap(), 4)
                .unwrap()
                .to_string(),
            "1.0000"
        );
        // A sparse entry: every nullable field null.
        let mut sparse = record.as_object().unwrap().clone();
        sparse.retain(|k, _| {
            [
                "资产编码",
                "资产名称",
                "资产类别",
                "行政区划代码",
                "更新时间",
            ]
            .contains(&k.as_str())
        });
        let a = normalise(&Value::Object(sparse)).unwrap();
        assert_eq!(a.accounting_system, AccountingSystem::Unknown);
        let value = asset_value(&a);
        assert_eq!(round_trip(ASSET_SCHEMA, &value), value);
    }

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
        assert_eq!(read::place_of("鸣谦村第一村民小组股份经济合作社"), "鸣谦村");
        assert_eq!(read::place_of("鸣谦村3组"), "鸣谦村");
        assert_eq!(
            read::place_of("榆次区乌金山镇鸣谦村经济联合社"),
            "榆次区乌金山镇鸣谦村"
        );
        assert_eq!(read::place_of("胡村"), "胡村");
    }
}
