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

use self::read::{Area, Reader};
use super::parse::{AreaUnit, MoneyUnit};
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
    let native_id = r.identify(&fields.id)?;
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
        asset_name: protector.redact_text(&asset_name),
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
        location: r.free_text(&fields.location, protector),
        region_code,
        county_code,
        certificate_number: r.optional(&fields.certificate_number),
        usage_status: r.free_text(&fields.usage_status, protector),
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

/// Reading helpers shared by the ledger families ([`super`], [`super::super::contract`],
/// [`super::super::organisation`]): one upstream object read field by field, each problem
/// a [`Rejection`] naming the field; parties with their personal data protected; the
/// config plumbing of field tables; and protected raw records for dead letters.
///
/// They live here because a family module is the unit of this crate's layout; they are
/// the transaction family's reading rules (see `transaction.rs`), extended with the
/// yes/no, count, quantity and place readings the ledgers need.
pub(super) mod read {
    use apache_avro::types::Value as AvroValue;
    use chrono::{DateTime, NaiveDate, Utc};
    use chrono_tz::Tz;
    use rust_decimal::Decimal;
    use serde_json::{Map, Value};
    use unicode_normalization::UnicodeNormalization;

    use crate::config::Invalid;
    use crate::normalize::parse::{self, AreaUnit, MoneyUnit, TimeContext};
    use crate::normalize::transaction::{Party, PartyFields, PartyKind, Position};
    use crate::normalize::{Reason, Rejection};
    use crate::protect::{Personal, Protector};
    use crate::region::{Division, Divisions, Level};

    /// Deserialise a family's `[fields]` table into its raw serde struct.
    pub(crate) fn deserialize_fields<T: serde::de::DeserializeOwned>(
        raw: &toml::Table,
        key: &str,
    ) -> Result<T, Invalid> {
        serde::Deserialize::deserialize(toml::Value::Table(raw.clone()))
            .map_err(|e: toml::de::Error| Invalid::new(key, e.message().to_owned()))
    }

    /// Every named field name must be set.
    pub(crate) fn require_names(key: &str, names: &[(&str, &String)]) -> Result<(), Invalid> {
        match names.iter().find(|(_, v)| v.trim().is_empty()) {
            Some((name, _)) => Err(Invalid::new(
                format!("{key}.{name}"),
                "is empty; expected the upstream field name",
            )),
            None => Ok(()),
        }
    }

    /// At least one of two alternative field names must be set.
    pub(crate) fn require_one_of(
        key: &str,
        a: (&str, &String),
        b: (&str, &String),
    ) -> Result<(), Invalid> {
        if a.1.trim().is_empty() && b.1.trim().is_empty() {
            return Err(Invalid::new(
                format!("{key}.{}", a.0),
                format!(
                    "is empty and so is {}; one of them must name an upstream field",
                    b.0
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn money_unit(key: &str, name: &str, text: &str) -> Result<MoneyUnit, Invalid> {
        MoneyUnit::from_text(text).ok_or_else(|| {
            Invalid::new(
                format!("{key}.{name}"),
                format!("unknown money unit {text:?}; valid: 元, 万元"),
            )
        })
    }

    /// An area unit from config; empty is none.
    pub(crate) fn area_unit(
        key: &str,
        name: &str,
        text: &str,
    ) -> Result<Option<AreaUnit>, Invalid> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        AreaUnit::from_text(text).map(Some).ok_or_else(|| {
            Invalid::new(
                format!("{key}.{name}"),
                format!(
                    "unknown area unit {text:?}; valid: 亩, 分, 公顷, 平方米, 平方公里, or empty"
                ),
            )
        })
    }

    /// Field names of one party; empty names are not published.
    pub(crate) fn party_fields(name: &str, kind: &str, id: &str, phone: &str) -> PartyFields {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        PartyFields {
            name: some(name),
            kind: some(kind),
            id: some(id),
            phone: some(phone),
        }
    }

    /// The record's place in the change order, if its id and update time can be read.
    pub(crate) fn position(
        record: &Value,
        id: &str,
        updated_at: &str,
        tz: Tz,
        time_format: &str,
    ) -> Option<Position> {
        let object = record.as_object()?;
        let native_id = object.get(id).and_then(parse::scalar_text)?;
        let updated = object.get(updated_at).and_then(parse::scalar_text)?;
        let updated_at = parse::local_timestamp(&updated, time_format, tz).ok()?;
        Some(Position {
            updated_at,
            native_id,
        })
    }

    /// An area as read: square metres and what was published.
    pub(crate) struct Area {
        pub(crate) m2: Option<Decimal>,
        pub(crate) published: Option<String>,
        pub(crate) unit_published: Option<String>,
    }

    /// Reads one upstream object, turning each problem into a [`Rejection`] naming the
    /// field.
    pub(crate) struct Reader<'a> {
        record: &'a Map<String, Value>,
        native_id: Option<String>,
        time: TimeContext,
    }

    impl<'a> Reader<'a> {
        /// # Errors
        /// [`Reason::NotAnObject`] when the record is not a JSON object.
        pub(crate) fn open(record: &'a Value, tz: Tz) -> Result<Reader<'a>, Rejection> {
            let object = record.as_object().ok_or_else(|| Rejection {
                native_id: None,
                field: None,
                reason: Reason::NotAnObject,
                message: format!("expected a JSON object, got {}", json_kind(record)),
            })?;
            Ok(Reader {
                record: object,
                native_id: None,
                time: TimeContext {
                    tz,
                    ..TimeContext::default()
                },
            })
        }

        /// Read the native id; later rejections carry it.
        pub(crate) fn identify(&mut self, field: &str) -> Result<String, Rejection> {
            let id = self.required(field)?;
            self.native_id = Some(id.clone());
            Ok(id)
        }

        /// Set the native id later rejections carry.
        pub(crate) fn set_native_id(&mut self, id: String) {
            self.native_id = Some(id);
        }

        pub(crate) fn reject(
            &self,
            field: &str,
            reason: Reason,
            message: impl Into<String>,
        ) -> Rejection {
            Rejection {
                native_id: self.native_id.clone(),
                field: Some(field.to_owned()),
                reason,
                message: message.into(),
            }
        }

        pub(crate) fn optional(&self, field: &str) -> Option<String> {
            self.record.get(field).and_then(parse::scalar_text)
        }

        pub(crate) fn required(&self, field: &str) -> Result<String, Rejection> {
            self.optional(field).ok_or_else(|| {
                self.reject(
                    field,
                    Reason::MissingField,
                    format!("field {field:?} is missing, null or empty"),
                )
            })
        }

        /// The required update time, in the source's fixed format and zone.
        pub(crate) fn updated_at(
            &self,
            field: &str,
            time_format: &str,
        ) -> Result<DateTime<Utc>, Rejection> {
            let text = self.required(field)?;
            parse::local_timestamp(&text, time_format, self.time.tz)
                .map_err(|m| self.reject(field, Reason::BadTimestamp, m))
        }

        pub(crate) fn amount(
            &self,
            field: &str,
            unit: MoneyUnit,
        ) -> Result<Option<Decimal>, Rejection> {
            self.optional(field)
                .map(|text| {
                    parse::amount_yuan(&text, unit)
                        .map_err(|m| self.reject(field, Reason::BadAmount, m))
                })
                .transpose()
        }

        pub(crate) fn date(&self, field: &str) -> Result<Option<NaiveDate>, Rejection> {
            self.optional(field)
                .map(|text| {
                    parse::date_with(&text, &self.time)
                        .map_err(|m| self.reject(field, Reason::BadDate, m))
                })
                .transpose()
        }

        /// A date read in the source's zone, from text that is not a field's whole value.
        pub(crate) fn date_text(&self, text: &str) -> Result<NaiveDate, String> {
            parse::date_with(text, &self.time)
        }

        /// Free text as published, with any phone or ID number inside it replaced by its
        /// pseudonym marker: no topic may carry those in clear, whatever field they were
        /// typed into.
        pub(crate) fn free_text(&self, field: &str, protector: &Protector) -> Option<String> {
            self.optional(field).map(|t| protector.redact_text(&t))
        }

        /// A yes/no field: a JSON boolean, or a word (see [`flag_word`]).
        pub(crate) fn flag(&self, field: &str) -> Result<Option<bool>, Rejection> {
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
        pub(crate) fn count(&self, field: &str) -> Result<Option<i32>, Rejection> {
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
        pub(crate) fn quantity(
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
        pub(crate) fn area(
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

        /// The owning village: a 12-digit code from `region_field`, else the place
        /// `place_field` names (an organisation's suffix and group part set aside).
        ///
        /// # Errors
        /// [`Reason::UnknownRegion`] when the code or place is not a village of the 2023
        /// table (or the place is ambiguous), [`Reason::MissingField`] when neither is
        /// published.
        pub(crate) fn village(
            &self,
            region_field: &str,
            place_field: &str,
        ) -> Result<&'static Division, Rejection> {
            if let Some(code) = self.optional(region_field) {
                return parse::village_code(&code)
                    .map_err(|m| self.reject(region_field, Reason::UnknownRegion, m));
            }
            let Some(place) = self.optional(place_field) else {
                return Err(self.reject(
                    region_field,
                    Reason::MissingField,
                    format!(
                        "neither the village code {region_field:?} nor the owner {place_field:?} is published"
                    ),
                ));
            };
            let d = Divisions::shanxi()
                .resolve_place(&place_of(&place), None)
                .map_err(|m| self.reject(place_field, Reason::UnknownRegion, m))?;
            if d.level != Level::Village {
                return Err(self.reject(
                    place_field,
                    Reason::UnknownRegion,
                    format!(
                        "{place:?} names {} ({}), not a village",
                        Divisions::shanxi().path(d),
                        d.code
                    ),
                ));
            }
            Ok(d)
        }

        /// Read one party. The kind comes from the type field, else from the identifier's
        /// shape, else from an organisation's name (合作社, 委员会, 公司 …); a party of
        /// unknown kind is protected like a person.
        pub(crate) fn party(
            &self,
            f: &PartyFields,
            protector: &Protector,
        ) -> Result<Option<Party>, Rejection> {
            let read = |field: &Option<String>| field.as_deref().and_then(|n| self.optional(n));
            let (name, kind_word, id, phone) =
                (read(&f.name), read(&f.kind), read(&f.id), read(&f.phone));
            if name.is_none() && id.is_none() && phone.is_none() {
                return Ok(None);
            }
            let id_field = f.id.as_deref().unwrap_or_default();
            let kind = party_kind(kind_word.as_deref(), id.as_deref(), name.as_deref());
            let mut party = Party {
                kind,
                name: None,
                credit_code: None,
                organisation_kind: None,
                id_number_pseudonym: None,
                phone_pseudonym: None,
            };
            match (kind, id) {
                (PartyKind::Organisation, Some(text)) => {
                    let code = parse::credit_code(&text)
                        .map_err(|m| self.reject(id_field, Reason::BadCreditCode, m))?;
                    party.organisation_kind = Some(code.kind_code().to_owned());
                    party.credit_code = Some(code.as_str().to_owned());
                }
                (PartyKind::Person, Some(text)) => {
                    let id = parse::resident_id(&text)
                        .map_err(|m| self.reject(id_field, Reason::BadIdNumber, m))?;
                    party.id_number_pseudonym =
                        Some(protector.pseudonym(Personal::IdNumber, id.as_str()));
                }
                (PartyKind::Unknown, Some(_)) => {
                    return Err(self.reject(
                        id_field,
                        Reason::BadIdNumber,
                        "is neither a valid unified social credit code (GB 32100) nor a valid resident ID number (GB 11643)",
                    ))
                }
                (_, None) => {}
            }
            party.name = match kind {
                PartyKind::Organisation => name,
                PartyKind::Person | PartyKind::Unknown => {
                    name.and_then(|n| protector.person_name(&n))
                }
            };
            if let Some(text) = phone {
                let phone_field = f.phone.as_deref().unwrap_or_default();
                // The message must not repeat the number: it is published with the dead
                // letter.
                let digits = parse::phone(&text).ok_or_else(|| {
                    self.reject(
                        phone_field,
                        Reason::BadPhone,
                        format!(
                            "is not a mainland mobile (11 digits, 1[3-9]…) or landline (0 + area code + 7-8 digits) number ({} characters)",
                            text.chars().count()
                        ),
                    )
                })?;
                party.phone_pseudonym = Some(protector.pseudonym(Personal::Phone, &digits.digits));
            }
            Ok(Some(party))
        }
    }

    /// A party's kind: the type word, else the identifier's shape, else an organisation's
    /// name suffix.
    pub(crate) fn party_kind(
        word: Option<&str>,
        id: Option<&str>,
        name: Option<&str>,
    ) -> PartyKind {
        let kind = word.map_or(PartyKind::Unknown, |w| match w.trim() {
            "自然人" | "个人" | "农户" => PartyKind::Person,
            "法人" | "组织" | "企业" | "单位" | "法人或其他组织" | "集体经济组织" => {
                PartyKind::Organisation
            }
            _ => PartyKind::Unknown,
        });
        if kind != PartyKind::Unknown {
            return kind;
        }
        if let Some(id) = id {
            if parse::credit_code(id).is_ok() {
                return PartyKind::Organisation;
            }
            if parse::resident_id(id).is_ok() {
                return PartyKind::Person;
            }
        }
        if name.is_some_and(is_organisation_name) {
            return PartyKind::Organisation;
        }
        PartyKind::Unknown
    }

    /// Name endings only organisations have. Single characters (厂, 站, 场) are left out:
    /// a person's given name may end in them.
    const ORGANISATION_ENDINGS: &[&str] = &[
        "合作社",
        "联合社",
        "合作联社",
        "集体经济组织",
        "委员会",
        "村委会",
        "居委会",
        "公司",
        "人民政府",
        "办事处",
        "服务中心",
        "管理站",
    ];

    /// Whether a name ends like an organisation's (鸣谦村股份经济合作社, 某某有限公司).
    pub(crate) fn is_organisation_name(name: &str) -> bool {
        let name = name.trim();
        ORGANISATION_ENDINGS.iter().any(|e| name.ends_with(e))
    }

    /// Suffixes of collective economic organisations' names, longest first.
    const COLLECTIVE_SUFFIXES: &[&str] = &[
        "股份经济合作联合社",
        "股份经济合作社",
        "经济合作联合社",
        "股份经济联合社",
        "经济联合社",
        "经济合作社",
        "股份合作社",
        "经济合作联社",
        "合作联社",
        "集体经济组织",
        "经济组织",
    ];

    /// The place an organisation's name or an owner field names: the collective's
    /// suffix set aside (`鸣谦村股份经济合作社` → `鸣谦村`) and a group's part too
    /// (`鸣谦村第一村民小组` → `鸣谦村`), since the division table stops at villages.
    pub(crate) fn place_of(name: &str) -> String {
        let mut s: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(base) = COLLECTIVE_SUFFIXES
            .iter()
            .find_map(|suffix| s.strip_suffix(suffix).filter(|b| !b.is_empty()))
        {
            s = base.to_owned();
        }
        if let Some(base) = ["村民小组", "小组", "组"]
            .iter()
            .find_map(|suffix| s.strip_suffix(suffix).filter(|b| !b.is_empty()))
        {
            let base = base.trim_end_matches(|c: char| {
                c.is_ascii_digit()
                    || "第一二三四五六七八九十百零〇两０１２３４５６７８９".contains(c)
            });
            if !base.is_empty() {
                s = base.to_owned();
            }
        }
        s
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
    pub(crate) fn with_scale(d: Decimal, scale: u32) -> Option<Decimal> {
        let d = d.normalize();
        if d.scale() > scale {
            return None;
        }
        let mantissa = d
            .mantissa()
            .checked_mul(10i128.checked_pow(scale - d.scale())?)?;
        Decimal::try_from_i128_with_scale(mantissa, scale).ok()
    }

    /// Avro decimal of any scale (the schema's); `d` must carry that scale.
    pub(crate) fn scaled_decimal(d: Decimal, scale: u32) -> AvroValue {
        debug_assert_eq!(
            d.scale(),
            scale,
            "canonical decimals carry the schema's scale"
        );
        AvroValue::Decimal(apache_avro::Decimal::from(crate::avro::minimal_be_bytes(
            d.mantissa(),
        )))
    }

    /// The upstream record as JSON text fit for a dead letter: the parties' mapped ID
    /// numbers and phones replaced by pseudonym markers (organisations' credit codes
    /// kept), persons' names and the `person_names` fields masked, and any other phone-
    /// or ID-shaped text redacted.
    pub(crate) fn protected_raw(
        record: &Value,
        parties: &[&PartyFields],
        person_names: &[&str],
        protector: &Protector,
    ) -> String {
        let mut copy = record.clone();
        if let Some(object) = copy.as_object_mut() {
            for party in parties {
                let text_of = |field: &Option<String>| {
                    field
                        .as_deref()
                        .and_then(|f| object.get(f))
                        .and_then(parse::scalar_text)
                };
                let kind = party_kind(
                    text_of(&party.kind).as_deref(),
                    text_of(&party.id).as_deref(),
                    text_of(&party.name).as_deref(),
                );
                let personal = [
                    party.id.as_deref().map(|f| (f, Personal::IdNumber)),
                    party.phone.as_deref().map(|f| (f, Personal::Phone)),
                ];
                for (field, what) in personal.into_iter().flatten() {
                    let Some(value) = object.get_mut(field) else {
                        continue;
                    };
                    let Some(text) = parse::scalar_text(value) else {
                        continue;
                    };
                    // Organisations' credit codes are not personal data: keep them.
                    if what == Personal::IdNumber && parse::credit_code(&text).is_ok() {
                        continue;
                    }
                    let (tag, canonical) = match what {
                        Personal::Phone => ("phone", parse::phone(&text).map(|p| p.digits)),
                        Personal::IdNumber => (
                            "id",
                            parse::resident_id(&text)
                                .ok()
                                .map(|id| id.as_str().to_owned()),
                        ),
                    };
                    let pseudonym =
                        protector.pseudonym(what, canonical.as_deref().unwrap_or(&text));
                    *value = Value::String(format!("[{tag}:{}]", &pseudonym[..16]));
                }
                if kind != PartyKind::Organisation {
                    if let Some(field) = party.name.as_deref() {
                        mask_name(object, field, protector);
                    }
                }
            }
            for field in person_names {
                mask_name(object, field, protector);
            }
        }
        protector.redact_text(&copy.to_string())
    }

    fn mask_name(object: &mut Map<String, Value>, field: &str, protector: &Protector) {
        if let Some(value) = object.get_mut(field) {
            if let Some(text) = parse::scalar_text(value) {
                *value = protector
                    .person_name(&text)
                    .map_or(Value::Null, Value::String);
            }
        }
    }

    fn json_kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// Test helpers shared by the ledger families' tests.
    #[cfg(test)]
    pub(crate) mod testing {
        use apache_avro::types::Value as AvroValue;
        use apache_avro::Schema;

        use crate::protect::{NameMask, Protector};
        use crate::region::Divisions;

        pub(crate) const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

        pub(crate) fn protector() -> Protector {
            Protector::from_key(&[42; 32], NameMask::KeepFirst).unwrap()
        }

        /// The first village committee of a county, in table order.
        pub(crate) fn first_village_of(county: &str) -> String {
            let t = Divisions::shanxi();
            t.children(county)
                .flat_map(|town| t.children(&town.code))
                .find(|v| v.is_village_committee())
                .unwrap()
                .code
                .clone()
        }

        /// The pipeline's conventions: key, source, native_id first; source_updated_at
        /// last (change detection strips it); the namespace carries the version.
        pub(crate) fn assert_schema_conventions(text: &str) {
            let json: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(json["namespace"], "cn.ruralsync.v1");
            let names: Vec<&str> = json["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap())
                .collect();
            assert_eq!(names[..3], ["key", "source", "native_id"]);
            assert_eq!(names.last(), Some(&"source_updated_at"));
            let last = json["fields"].as_array().unwrap().last().unwrap();
            assert_eq!(last["type"]["logicalType"], "timestamp-millis");
            for f in json["fields"].as_array().unwrap() {
                assert!(f["doc"].as_str().is_some_and(|d| !d.is_empty()), "{f}");
                if f["type"].is_array() {
                    assert_eq!(f["type"][0], "null", "{f}");
                    assert!(f["default"].is_null() && f.get("default").is_some(), "{f}");
                }
            }
        }

        /// Encode `value` with the schema parsed from `text` and decode it back.
        pub(crate) fn round_trip(text: &str, value: &AvroValue) -> AvroValue {
            let schema = Schema::parse_str(text).unwrap();
            let bytes = apache_avro::to_avro_datum(&schema, value.clone()).unwrap();
            apache_avro::from_avro_datum(&schema, &mut bytes.as_slice(), None).unwrap()
        }
    }
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
