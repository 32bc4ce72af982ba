//! The economic contract family (经济合同 of a village collective): upstream JSON object →
//! [`EconomicContract`], the canonical record of `schemas/economic_contract.avsc`.
//!
//! Totals (合同总金额, 年租金, 已收, 欠收) are yuan exact to the fen. A 年租金 published as a
//! unit price (`500元/亩/年`, or a field whose configured unit is `元/亩/年`) is kept as a
//! unit price, never multiplied out into a total. The term is parsed into months + days
//! (see [`crate::normalize::parse::term`]); start and end dates come from separate fields
//! or one 起止日期 range. Checked, when all the values involved are published: 已收 + 欠收
//! ≤ 总金额, and the end date is not before the start date.

use std::collections::BTreeMap;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::parse::{self, AreaUnit, MoneyUnit, PriceUnit, Term, TermUnit};
use super::read::{self, Area, Reader};
use super::transaction::{Party, PartyFields, Position};
use super::vocab::{value_map, ContractStatus, ContractType, TermKind, ValueMap};
use super::{Reason, Rejection};
use crate::avro::{date, decimal, optional, optional_string, party_value, timestamp_millis};
use crate::config::Invalid;
use crate::protect::Protector;

/// Schema text of the family, as shipped in `schemas/`.
pub const CONTRACT_SCHEMA: &str = include_str!("../../schemas/economic_contract.avsc");

/// Scale of [`EconomicContract::unit_price_yuan`] in the schema: rates may be finer than
/// a fen (`0.125元/㎡/天`), and are kept exact to 0.0001 元.
pub const UNIT_PRICE_SCALE: u32 = 4;

/// `[sources.<name>.fields]` of an `economic_contract` source: upstream field names of a
/// contract. The defaults are the common Chinese names. A field the platform does not
/// publish may keep its default name: absent fields read as not published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawContractFields {
    /// 合同编号 — the native id.
    pub id: String,
    /// 合同名称
    pub name: String,
    /// 合同类型
    pub contract_type: String,
    /// 甲方 — first party (发包方/出租方, usually the collective): name, type (自然人 /
    /// 法人), identifier (ID number or credit code), phone. Set a name to "" when the
    /// platform does not publish it.
    pub party_a: String,
    pub party_a_type: String,
    pub party_a_id: String,
    pub party_a_phone: String,
    /// 乙方 — counterparty (承包方/承租方), as 甲方.
    pub party_b: String,
    pub party_b_type: String,
    pub party_b_id: String,
    pub party_b_phone: String,
    /// 标的
    pub subject: String,
    /// 面积 (a number, or a number with its unit: `35.5亩`).
    pub area: String,
    /// 面积单位 (亩, 分, 公顷, 平方米, ㎡).
    pub area_unit: String,
    /// Unit of bare numbers in the area field when the record has no unit field
    /// (`亩`, `公顷` …); empty (default) refuses them rather than guess.
    pub area_default_unit: String,
    /// 合同总金额 field and the unit its bare numbers are in (`元` or `万元`).
    pub total_amount: String,
    pub total_amount_unit: String,
    /// 年租金 field and its unit: `元` or `万元` for a yearly total, or a unit price
    /// (`元/亩/年`) when the field holds rates. A cell naming its own basis
    /// (`500元/亩/年`) is a unit price either way.
    pub annual_rent: String,
    pub annual_rent_unit: String,
    /// 起始日期 and 终止日期.
    pub start_date: String,
    pub end_date: String,
    /// 起止日期 — one range field (`2020-01-01至2029-12-31`), read where the separate
    /// date fields are not published.
    pub period: String,
    /// 合同期限, and the unit of a bare number in it (`年`, `月`, `天`; empty refuses
    /// bare numbers). Default `年`.
    pub term: String,
    pub term_unit: String,
    /// 已收金额 and 欠收金额 fields and their units.
    pub received: String,
    pub received_unit: String,
    pub owed: String,
    pub owed_unit: String,
    /// 是否民主决策 — yes/no.
    pub democratic_decision: String,
    /// 是否进场交易 — yes/no.
    pub via_exchange: String,
    /// 合同状态
    pub status: String,
    /// 12-digit village code of the collective.
    pub region_code: String,
    /// 所属单位 — the collective as a written place or name, resolved to a village when
    /// the record has no code. Set it to the 甲方 field to resolve from the first party's
    /// name (`榆次区乌金山镇鸣谦村股份经济合作社`).
    pub owner: String,
    /// 更新时间 — also the incremental cursor.
    pub updated_at: String,
}

impl Default for RawContractFields {
    fn default() -> Self {
        RawContractFields {
            id: "合同编号".into(),
            name: "合同名称".into(),
            contract_type: "合同类型".into(),
            party_a: "甲方".into(),
            party_a_type: "甲方类型".into(),
            party_a_id: "甲方证件号码".into(),
            party_a_phone: "甲方联系电话".into(),
            party_b: "乙方".into(),
            party_b_type: "乙方类型".into(),
            party_b_id: "乙方证件号码".into(),
            party_b_phone: "乙方联系电话".into(),
            subject: "标的".into(),
            area: "面积".into(),
            area_unit: "面积单位".into(),
            area_default_unit: String::new(),
            total_amount: "合同总金额".into(),
            total_amount_unit: "元".into(),
            annual_rent: "年租金".into(),
            annual_rent_unit: "元".into(),
            start_date: "起始日期".into(),
            end_date: "终止日期".into(),
            period: "起止日期".into(),
            term: "合同期限".into(),
            term_unit: "年".into(),
            received: "已收金额".into(),
            received_unit: "元".into(),
            owed: "欠收金额".into(),
            owed_unit: "元".into(),
            democratic_decision: "是否民主决策".into(),
            via_exchange: "是否进场交易".into(),
            status: "合同状态".into(),
            region_code: "行政区划代码".into(),
            owner: "所属单位".into(),
            updated_at: "更新时间".into(),
        }
    }
}

/// Upstream field names of a contract, validated (units parsed).
#[derive(Debug, Clone)]
pub struct ContractFields {
    pub id: String,
    pub name: String,
    pub contract_type: String,
    pub party_a: PartyFields,
    pub party_b: PartyFields,
    pub subject: String,
    pub area: String,
    pub area_unit: String,
    pub area_default_unit: Option<AreaUnit>,
    pub total_amount: String,
    pub total_amount_unit: MoneyUnit,
    pub annual_rent: String,
    pub annual_rent_unit: PriceUnit,
    pub start_date: String,
    pub end_date: String,
    pub period: String,
    pub term: String,
    pub term_unit: Option<TermUnit>,
    pub received: String,
    pub received_unit: MoneyUnit,
    pub owed: String,
    pub owed_unit: MoneyUnit,
    pub democratic_decision: String,
    pub via_exchange: String,
    pub status: String,
    pub region_code: String,
    pub owner: String,
    pub updated_at: String,
    /// The source's own words for the vocabulary fields.
    pub values: ContractValues,
}

impl ContractFields {
    /// Validate `[sources.<name>.fields]` of an `economic_contract` source; `key` is that
    /// table's dotted key, for messages.
    ///
    /// # Errors
    /// [`Invalid`] for an unknown key, a money unit other than `元`/`万元`, an unknown
    /// price, area or term unit, or an empty required field name.
    pub fn validate(raw: &toml::Table, key: &str) -> Result<ContractFields, Invalid> {
        let raw: RawContractFields = read::deserialize_fields(raw, key)?;
        read::require_names(key, &[("id", &raw.id), ("updated_at", &raw.updated_at)])?;
        read::require_one_of(
            key,
            ("region_code", &raw.region_code),
            ("owner", &raw.owner),
        )?;
        let unit = |name: &str, text: &str| read::money_unit(key, name, text);
        let annual_rent_unit = PriceUnit::from_text(&raw.annual_rent_unit)
            .map_err(|m| Invalid::new(format!("{key}.annual_rent_unit"), m))?;
        let term_unit = match raw.term_unit.trim() {
            "" => None,
            "年" => Some(TermUnit::Year),
            "月" | "个月" => Some(TermUnit::Month),
            "天" | "日" => Some(TermUnit::Day),
            other => {
                return Err(Invalid::new(
                    format!("{key}.term_unit"),
                    format!("unknown term unit {other:?}; valid: 年, 月, 天, or empty"),
                ))
            }
        };
        Ok(ContractFields {
            party_a: read::party_fields(
                &raw.party_a,
                &raw.party_a_type,
                &raw.party_a_id,
                &raw.party_a_phone,
            ),
            party_b: read::party_fields(
                &raw.party_b,
                &raw.party_b_type,
                &raw.party_b_id,
                &raw.party_b_phone,
            ),
            area_default_unit: read::area_unit(key, "area_default_unit", &raw.area_default_unit)?,
            total_amount_unit: unit("total_amount_unit", &raw.total_amount_unit)?,
            received_unit: unit("received_unit", &raw.received_unit)?,
            owed_unit: unit("owed_unit", &raw.owed_unit)?,
            annual_rent_unit,
            term_unit,
            id: raw.id,
            name: raw.name,
            contract_type: raw.contract_type,
            subject: raw.subject,
            area: raw.area,
            area_unit: raw.area_unit,
            total_amount: raw.total_amount,
            annual_rent: raw.annual_rent,
            start_date: raw.start_date,
            end_date: raw.end_date,
            period: raw.period,
            term: raw.term,
            received: raw.received,
            owed: raw.owed,
            democratic_decision: raw.democratic_decision,
            via_exchange: raw.via_exchange,
            status: raw.status,
            region_code: raw.region_code,
            owner: raw.owner,
            updated_at: raw.updated_at,
            values: ContractValues::default(),
        })
    }
}

/// Per-source value maps of the contract's vocabulary fields
/// (`[sources.<name>.values.<field>]`).
#[derive(Debug, Clone, Default)]
pub struct ContractValues {
    pub contract_type: ValueMap<ContractType>,
    pub status: ValueMap<ContractStatus>,
}

impl ContractValues {
    /// # Errors
    /// [`Invalid`] for an unknown field or a symbol not in the field's enum.
    pub fn validate(
        raw: &BTreeMap<String, BTreeMap<String, String>>,
        key: &str,
    ) -> Result<ContractValues, Invalid> {
        let mut values = ContractValues::default();
        for (field, words) in raw {
            let k = format!("{key}.{field}");
            match field.as_str() {
                "contract_type" => {
                    values.contract_type =
                        value_map(words, &k, ContractType::SYMBOLS, ContractType::from_symbol)?
                }
                "status" => {
                    values.status = value_map(
                        words,
                        &k,
                        ContractStatus::SYMBOLS,
                        ContractStatus::from_symbol,
                    )?
                }
                other => {
                    return Err(Invalid::new(
                        k,
                        format!("{other:?} has no vocabulary; valid: contract_type, status"),
                    ))
                }
            }
        }
        Ok(values)
    }
}

/// A canonical economic contract. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EconomicContract {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub contract_name: Option<String>,
    pub contract_type: Option<ContractType>,
    pub contract_type_raw: Option<String>,
    pub party_a: Option<Party>,
    pub party_b: Option<Party>,
    pub subject: Option<String>,
    pub area_m2: Option<Decimal>,
    pub area_published: Option<String>,
    pub area_unit_published: Option<String>,
    pub total_amount_yuan: Option<Decimal>,
    pub annual_rent_yuan: Option<Decimal>,
    pub unit_price_yuan: Option<Decimal>,
    pub unit_price_basis: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub term_kind: Option<TermKind>,
    pub term_months: Option<i32>,
    pub term_days: Option<i32>,
    pub term_published: Option<String>,
    pub received_yuan: Option<Decimal>,
    pub owed_yuan: Option<Decimal>,
    pub democratic_decision: Option<bool>,
    pub via_exchange: Option<bool>,
    pub status: Option<ContractStatus>,
    pub status_raw: Option<String>,
    pub region_code: String,
    pub county_code: String,
    pub source_updated_at: DateTime<Utc>,
}

/// The record's place in the change order, if its id and update time can be read.
pub fn position(
    record: &Value,
    fields: &ContractFields,
    tz: Tz,
    time_format: &str,
) -> Option<Position> {
    read::position(record, &fields.id, &fields.updated_at, tz, time_format)
}

/// Normalise one upstream contract of source `source`.
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
/// [`Reason::InconsistentValues`] when 已收 + 欠收 > 总金额 (on the 欠收 field) or the end
/// date is before the start date (on the field the end date came from).
pub fn normalise_contract(
    source: &str,
    record: &Value,
    fields: &ContractFields,
    tz: Tz,
    time_format: &str,
    protector: &Protector,
) -> Result<EconomicContract, Rejection> {
    let mut r = Reader::open(record, tz)?;
    let native_id = r.identify(&fields.id, protector)?;
    let source_updated_at = r.updated_at(&fields.updated_at, time_format)?;
    let village = r.village(&fields.region_code, &fields.owner)?;
    let region_code = village.code.clone();
    let county_code = region_code[..6].to_owned();

    let contract_type_raw = r.optional(&fields.contract_type);
    let status_raw = r.optional(&fields.status);
    let Area {
        m2: area_m2,
        published: area_published,
        unit_published: area_unit_published,
    } = r.area(&fields.area, &fields.area_unit, fields.area_default_unit)?;

    let total_amount_yuan = r.amount(&fields.total_amount, fields.total_amount_unit)?;
    let (annual_rent_yuan, unit_price) = rent(&r, &fields.annual_rent, fields.annual_rent_unit)?;
    let received_yuan = r.amount(&fields.received, fields.received_unit)?;
    let owed_yuan = r.amount(&fields.owed, fields.owed_unit)?;
    if let (Some(total), Some(received), Some(owed)) = (total_amount_yuan, received_yuan, owed_yuan)
    {
        if received.checked_add(owed).is_none_or(|sum| sum > total) {
            return Err(r.reject(
                &fields.owed,
                Reason::InconsistentValues,
                format!("已收 {received} 元 + 欠收 {owed} 元 exceeds 合同总金额 {total} 元"),
            ));
        }
    }

    let (start_date, end_date) = dates(&r, fields)?;

    let term_published = r.optional(&fields.term);
    let (term_kind, term_months, term_days) = match &term_published {
        None => (None, None, None),
        Some(text) => {
            let term = match fields.term_unit {
                Some(unit) => parse::term_in(text, unit),
                None => parse::term(text),
            }
            .map_err(|m| r.reject(&fields.term, Reason::BadTerm, m))?;
            match term {
                Term::Fixed { months, days } => {
                    let int = |n: u32| {
                        i32::try_from(n).map_err(|_| {
                            r.reject(
                                &fields.term,
                                Reason::BadTerm,
                                format!("{text:?} is too long a term"),
                            )
                        })
                    };
                    (Some(TermKind::Fixed), Some(int(months)?), Some(int(days)?))
                }
                Term::Permanent => (Some(TermKind::Permanent), None, None),
                Term::Indefinite => (Some(TermKind::Indefinite), None, None),
            }
        }
    };

    Ok(EconomicContract {
        key: format!("{source}:{native_id}"),
        source: source.to_owned(),
        contract_name: r.optional(&fields.name),
        contract_type: contract_type_raw
            .as_deref()
            .map(|w| fields.values.contract_type.map(w, ContractType::from_word)),
        contract_type_raw,
        party_a: r.party(&fields.party_a, protector)?,
        party_b: r.party(&fields.party_b, protector)?,
        subject: r.optional(&fields.subject),
        area_m2,
        area_published,
        area_unit_published,
        total_amount_yuan,
        annual_rent_yuan,
        unit_price_yuan: unit_price.as_ref().map(|(yuan, _)| *yuan),
        unit_price_basis: unit_price.map(|(_, basis)| basis),
        start_date,
        end_date,
        term_kind,
        term_months,
        term_days,
        term_published,
        received_yuan,
        owed_yuan,
        democratic_decision: r.flag(&fields.democratic_decision)?,
        via_exchange: r.flag(&fields.via_exchange)?,
        status: status_raw
            .as_deref()
            .map(|w| fields.values.status.map(w, ContractStatus::from_word)),
        status_raw,
        region_code,
        county_code,
        source_updated_at,
        native_id,
    })
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
    fields: &ContractFields,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Rejection> {
    let mut start = r.date(&fields.start_date)?;
    let mut end = r.date(&fields.end_date)?;
    let mut end_field = fields.end_date.as_str();
    if start.is_none() || end.is_none() {
        if let Some(text) = r.optional(&fields.period) {
            let (from, to) =
                period(r, &text).map_err(|m| r.reject(&fields.period, Reason::BadDate, m))?;
            if start.is_none() {
                start = from;
            }
            if end.is_none() && to.is_some() {
                end = to;
                end_field = fields.period.as_str();
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

/// The Avro value of a canonical contract, fields in schema order.
pub fn contract_value(c: &EconomicContract) -> AvroValue {
    let int = |n: Option<i32>| optional(n.map(AvroValue::Int));
    AvroValue::Record(vec![
        ("key".into(), AvroValue::String(c.key.clone())),
        ("source".into(), AvroValue::String(c.source.clone())),
        ("native_id".into(), AvroValue::String(c.native_id.clone())),
        ("contract_name".into(), optional_string(&c.contract_name)),
        (
            "contract_type".into(),
            optional(
                c.contract_type
                    .map(|t| AvroValue::Enum(t.index(), t.symbol().into())),
            ),
        ),
        (
            "contract_type_raw".into(),
            optional_string(&c.contract_type_raw),
        ),
        (
            "party_a".into(),
            optional(c.party_a.as_ref().map(party_value)),
        ),
        (
            "party_b".into(),
            optional(c.party_b.as_ref().map(party_value)),
        ),
        ("subject".into(), optional_string(&c.subject)),
        ("area_m2".into(), optional(c.area_m2.map(decimal))),
        ("area_published".into(), optional_string(&c.area_published)),
        (
            "area_unit_published".into(),
            optional_string(&c.area_unit_published),
        ),
        (
            "total_amount_yuan".into(),
            optional(c.total_amount_yuan.map(decimal)),
        ),
        (
            "annual_rent_yuan".into(),
            optional(c.annual_rent_yuan.map(decimal)),
        ),
        (
            "unit_price_yuan".into(),
            optional(
                c.unit_price_yuan
                    .map(|d| read::scaled_decimal(d, UNIT_PRICE_SCALE)),
            ),
        ),
        (
            "unit_price_basis".into(),
            optional_string(&c.unit_price_basis),
        ),
        ("start_date".into(), optional(c.start_date.map(date))),
        ("end_date".into(), optional(c.end_date.map(date))),
        (
            "term_kind".into(),
            optional(
                c.term_kind
                    .map(|k| AvroValue::Enum(k.index(), k.symbol().into())),
            ),
        ),
        ("term_months".into(), int(c.term_months)),
        ("term_days".into(), int(c.term_days)),
        ("term_published".into(), optional_string(&c.term_published)),
        (
            "received_yuan".into(),
            optional(c.received_yuan.map(decimal)),
        ),
        ("owed_yuan".into(), optional(c.owed_yuan.map(decimal))),
        (
            "democratic_decision".into(),
            optional(c.democratic_decision.map(AvroValue::Boolean)),
        ),
        (
            "via_exchange".into(),
            optional(c.via_exchange.map(AvroValue::Boolean)),
        ),
        (
            "status".into(),
            optional(
                c.status
                    .map(|s| AvroValue::Enum(s.index(), s.symbol().into())),
            ),
        ),
        ("status_raw".into(), optional_string(&c.status_raw)),
        (
            "region_code".into(),
            AvroValue::String(c.region_code.clone()),
        ),
        (
            "county_code".into(),
            AvroValue::String(c.county_code.clone()),
        ),
        (
            "source_updated_at".into(),
            timestamp_millis(c.source_updated_at),
        ),
    ])
}

/// The upstream record as JSON text fit for a dead letter: both parties' ID numbers and
/// phones replaced by pseudonym markers (organisations' credit codes kept), persons'
/// names masked, and any other phone- or ID-shaped text redacted.
pub fn protected_raw_contract(
    record: &Value,
    fields: &ContractFields,
    protector: &Protector,
) -> String {
    read::protected_raw(record, &[&fields.party_a, &fields.party_b], &[], protector)
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

    const VILLAGE_CREDIT_CODE: &str = "N2140702MA0B1C2D";

    /// A valid N2 credit code (both check characters computed).
    fn village_code() -> String {
        let org = parse::organisation_code_check_char(&VILLAGE_CREDIT_CODE[8..16]).unwrap();
        let body = format!("{VILLAGE_CREDIT_CODE}{org}");
        let check = parse::credit_code_check_char(&body).unwrap();
        format!("{body}{check}")
    }

    fn fields() -> ContractFields {
        ContractFields::validate(&toml::Table::new(), "sources.sz.fields").unwrap()
    }

    fn normalise(record: &Value) -> Result<EconomicContract, Rejection> {
        normalise_contract(
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
            "合同编号": "HT-140702-2020-017",
            "合同名称": "鸣谦村耕地承包合同",
            "合同类型": "承包合同",
            "甲方": "鸣谦村股份经济合作社",
            "甲方证件号码": village_code(),
            "乙方": "张建国",
            "乙方类型": "自然人",
            "乙方证件号码": "11010519491231002X",
            "乙方联系电话": "13800138000",
            "标的": "东坡耕地",
            "面积": "50",
            "面积单位": "亩",
            "合同总金额": "25万元",
            "年租金": "500元/亩/年",
            "起始日期": "2020年1月1日",
            "终止日期": "2029/12/31",
            "合同期限": "10年",
            "已收金额": "100000",
            "欠收金额": "25000.00",
            "是否民主决策": "是",
            "是否进场交易": "否",
            "合同状态": "履行中",
            "行政区划代码": first_village_of("140702"),
            "更新时间": "2024-03-01 10:30:00"
        })
    }

    #[test]
    fn a_contract_normalises_exactly() {
        let p = protector();
        let c = normalise(&sample()).unwrap();
        assert_eq!(c.key, "sz:HT-140702-2020-017");
        assert_eq!(c.contract_type, Some(ContractType::Contracting));
        assert_eq!(c.area_m2.unwrap().to_string(), "33333.33");
        assert_eq!(c.total_amount_yuan.unwrap().to_string(), "250000.00");
        assert_eq!(c.annual_rent_yuan, None, "a unit price is not a total");
        assert_eq!(c.unit_price_yuan.unwrap().to_string(), "500.0000");
        assert_eq!(c.unit_price_basis.as_deref(), Some("亩/年"));
        assert_eq!(c.start_date, NaiveDate::from_ymd_opt(2020, 1, 1));
        assert_eq!(c.end_date, NaiveDate::from_ymd_opt(2029, 12, 31));
        assert_eq!(
            (c.term_kind, c.term_months, c.term_days),
            (Some(TermKind::Fixed), Some(120), Some(0))
        );
        assert_eq!(c.received_yuan.unwrap().to_string(), "100000.00");
        assert_eq!(c.owed_yuan.unwrap().to_string(), "25000.00");
        assert_eq!(
            (c.democratic_decision, c.via_exchange),
            (Some(true), Some(false))
        );
        assert_eq!(c.status, Some(ContractStatus::InForce));
        let a = c.party_a.unwrap();
        assert_eq!(a.kind, PartyKind::Organisation, "from the credit code");
        assert_eq!(a.name.as_deref(), Some("鸣谦村股份经济合作社"));
        assert_eq!(a.organisation_kind.as_deref(), Some("N2"));
        let b = c.party_b.unwrap();
        assert_eq!(b.kind, PartyKind::Person);
        assert_eq!(b.name.as_deref(), Some("张**"));
        assert_eq!(
            b.id_number_pseudonym,
            Some(p.pseudonym(Personal::IdNumber, "11010519491231002X"))
        );
        assert_eq!(
            b.phone_pseudonym,
            Some(p.pseudonym(Personal::Phone, "13800138000"))
        );
        assert_eq!(b.credit_code, None);
    }

    /// Realistic variants: units of money, area and rent; date and term forms.
    #[test]
    fn contract_variants() {
        type Expect = (
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: Vec<(Value, Expect)> = vec![
            // A yearly rent as a total in 万元, area in 公顷.
            (
                json!({"年租金": "1.2万元", "面积": "2", "面积单位": "公顷"}),
                (Some("12000.00"), None, None, Some("20000.00")),
            ),
            // A bare rent is a yearly total in the field's unit.
            (
                json!({"年租金": 8000, "面积": "3.5亩", "面积单位": null}),
                (Some("8000.00"), None, None, Some("2333.33")),
            ),
            // A rate per square metre per month, finer than a fen.
            (
                json!({"年租金": "0.125元/㎡/月"}),
                (None, Some("0.1250"), Some("平方米/月"), Some("33333.33")),
            ),
        ];
        for (changes, (rent, price, basis, area)) in cases {
            let mut record = sample();
            for (k, v) in changes.as_object().unwrap() {
                record[k] = v.clone();
            }
            let c = normalise(&record).unwrap_or_else(|e| panic!("{changes}: {e:?}"));
            let s = |d: Option<Decimal>| d.map(|d| d.to_string());
            assert_eq!(s(c.annual_rent_yuan).as_deref(), rent, "{changes}");
            assert_eq!(s(c.unit_price_yuan).as_deref(), price, "{changes}");
            assert_eq!(c.unit_price_basis.as_deref(), basis, "{changes}");
            assert_eq!(s(c.area_m2).as_deref(), area, "{changes}");
        }

        type Ymd = Option<(i32, u32, u32)>;
        let periods: &[(&str, Ymd, Ymd)] = &[
            (
                "2020-01-01至2029-12-31",
                Some((2020, 1, 1)),
                Some((2029, 12, 31)),
            ),
            (
                "2020.1.1-2029.12.31",
                Some((2020, 1, 1)),
                Some((2029, 12, 31)),
            ),
            (
                "2020-01-01-2029-12-31",
                Some((2020, 1, 1)),
                Some((2029, 12, 31)),
            ),
            (
                "20200101~20291231",
                Some((2020, 1, 1)),
                Some((2029, 12, 31)),
            ),
            (
                "2020年1月1日—2029年12月31日",
                Some((2020, 1, 1)),
                Some((2029, 12, 31)),
            ),
            (
                "二〇二〇年一月一日至二〇二九年十二月三十一日",
                Some((2020, 1, 1)),
                Some((2029, 12, 31)),
            ),
            ("2020-01-01至今", Some((2020, 1, 1)), None),
        ];
        for (text, from, to) in periods {
            let mut record = sample();
            record["起始日期"] = Value::Null;
            record["终止日期"] = Value::Null;
            record["起止日期"] = json!(text);
            let c = normalise(&record).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            let day = |t: &Ymd| t.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
            assert_eq!((c.start_date, c.end_date), (day(from), day(to)), "{text}");
        }

        /// Published term; kind, months, days.
        type TermCase = (Value, Option<TermKind>, Option<i32>, Option<i32>);
        let terms: &[TermCase] = &[
            (json!("30年"), Some(TermKind::Fixed), Some(360), Some(0)),
            (json!(15), Some(TermKind::Fixed), Some(180), Some(0)),
            (json!("6个月"), Some(TermKind::Fixed), Some(6), Some(0)),
            (
                json!("1年又15天"),
                Some(TermKind::Fixed),
                Some(12),
                Some(15),
            ),
            (json!("永久"), Some(TermKind::Permanent), None, None),
            (json!("长期"), Some(TermKind::Indefinite), None, None),
            (Value::Null, None, None, None),
        ];
        for (text, kind, months, days) in terms {
            let mut record = sample();
            record["合同期限"] = text.clone();
            let c = normalise(&record).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(
                (c.term_kind, c.term_months, c.term_days),
                (*kind, *months, *days),
                "{text}"
            );
        }
    }

    #[test]
    fn received_and_owed_must_fit_the_total() {
        let mut record = sample();
        record["欠收金额"] = json!("15.0001万元");
        let err = normalise(&record).unwrap_err();
        assert_eq!(err.reason, Reason::InconsistentValues);
        assert_eq!(err.field.as_deref(), Some("欠收金额"));
        assert!(err.message.contains("250000.00"), "{}", err.message);
        // Exactly the total is fine; so is a missing total.
        record["欠收金额"] = json!("15万元");
        assert!(normalise(&record).is_ok());
        record["欠收金额"] = json!("900000");
        record["合同总金额"] = Value::Null;
        assert!(normalise(&record).is_ok());
    }

    #[test]
    fn the_end_may_not_precede_the_start() {
        let mut record = sample();
        record["终止日期"] = json!("2019-12-31");
        let err = normalise(&record).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::InconsistentValues, Some("终止日期"))
        );
        record["终止日期"] = Value::Null;
        record["起止日期"] = json!("2020-01-01至2019-12-31");
        let err = normalise(&record).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::InconsistentValues, Some("起止日期"))
        );
    }

    #[test]
    fn each_bad_field_is_named_with_its_reason() {
        let cases: &[(&str, Value, &str, Reason)] = &[
            ("合同编号", Value::Null, "合同编号", Reason::MissingField),
            ("更新时间", json!("昨天"), "更新时间", Reason::BadTimestamp),
            (
                "行政区划代码",
                json!("140702999200"),
                "行政区划代码",
                Reason::UnknownRegion,
            ),
            ("起始日期", json!("2020-13-01"), "起始日期", Reason::BadDate),
            (
                "合同总金额",
                json!("二十五万"),
                "合同总金额",
                Reason::BadAmount,
            ),
            (
                "已收金额",
                json!("500元/亩/年"),
                "已收金额",
                Reason::BadAmount,
            ),
            (
                "年租金",
                json!("500元/英亩/年"),
                "年租金",
                Reason::BadAmount,
            ),
            (
                "年租金",
                json!("0.00001元/㎡/天"),
                "年租金",
                Reason::BadAmount,
            ),
            ("面积", json!("五十"), "面积", Reason::BadArea),
            ("合同期限", json!("2.1年"), "合同期限", Reason::BadTerm),
            (
                "是否进场交易",
                json!("待定"),
                "是否进场交易",
                Reason::BadBoolean,
            ),
            (
                "甲方证件号码",
                json!("N2140702MA0B1C2D00"),
                "甲方证件号码",
                Reason::BadCreditCode,
            ),
            (
                "乙方证件号码",
                json!("110105194912310021"),
                "乙方证件号码",
                Reason::BadIdNumber,
            ),
            (
                "乙方联系电话",
                json!("12345"),
                "乙方联系电话",
                Reason::BadPhone,
            ),
        ];
        for (field, value, named, reason) in cases {
            let mut record = sample();
            record[*field] = value.clone();
            let err = normalise(&record).unwrap_err();
            assert_eq!(
                (err.reason, err.field.as_deref()),
                (*reason, Some(*named)),
                "{field}: {err:?}"
            );
            if *field != "合同编号" {
                assert_eq!(
                    err.native_id.as_deref(),
                    Some("HT-140702-2020-017"),
                    "{field}"
                );
            }
            let raw = protected_raw_contract(&record, &fields(), &protector());
            for secret in [
                "张建国",
                "11010519491231002X",
                "110105194912310021",
                "13800138000",
            ] {
                assert!(!raw.contains(secret), "{secret} in {raw}");
                assert!(!err.message.contains(secret), "{secret} in {}", err.message);
            }
        }
    }

    #[test]
    fn free_text_loses_phones_and_id_numbers() {
        let mut record = sample();
        record["标的"] = json!("东坡耕地，联系人张建国 138-0013-8000，身份证11010519491231002X");
        // As published: through the family's normaliser, which redacts every text field.
        let family = crate::normalize::FamilyFields::Contract(fields());
        let c = family
            .normalise(
                "sz",
                &record,
                chrono_tz::Asia::Shanghai,
                FORMAT,
                &protector(),
            )
            .unwrap();
        let AvroValue::Record(published) = c.value else {
            panic!("not a record")
        };
        let subject = published
            .iter()
            .find(|(name, _)| name == "subject")
            .and_then(|(_, v)| crate::avro::decode::string(v))
            .unwrap()
            .to_owned();
        assert!(
            subject.starts_with("东坡耕地")
                && subject.contains("[phone:")
                && subject.contains("[id:"),
            "{subject}"
        );
        assert!(
            !subject.contains("138-0013-8000") && !subject.contains("11010519491231002X"),
            "{subject}"
        );
    }

    #[test]
    fn persons_are_protected_in_dead_letters_and_organisations_kept() {
        let record = sample();
        let raw = protected_raw_contract(&record, &fields(), &protector());
        assert!(raw.contains("鸣谦村股份经济合作社"), "{raw}");
        assert!(
            raw.contains(&village_code()),
            "credit codes are not personal: {raw}"
        );
        assert!(raw.contains("张**"), "{raw}");
        assert!(raw.contains("[id:") && raw.contains("[phone:"), "{raw}");
        // Party A without identifier or type is recognised as an organisation by its name;
        // a party of unknown kind is masked.
        let mut record = sample();
        record["甲方证件号码"] = Value::Null;
        record["乙方类型"] = Value::Null;
        record["乙方证件号码"] = Value::Null;
        let c = normalise(&record).unwrap();
        assert_eq!(
            c.party_a.unwrap().name.as_deref(),
            Some("鸣谦村股份经济合作社")
        );
        let b = c.party_b.unwrap();
        assert_eq!(
            (b.kind, b.name.as_deref()),
            (PartyKind::Unknown, Some("张**"))
        );
    }

    #[test]
    fn config_sets_units_and_vocabulary() {
        let table: toml::Table = toml::from_str(
            r#"
            total_amount = "合同金额(万元)"
            total_amount_unit = "万元"
            annual_rent = "租金标准"
            annual_rent_unit = "元/亩/年"
            term = "期限(月)"
            term_unit = "月"
            owner = "甲方"
            region_code = ""
            "#,
        )
        .unwrap();
        let mut f = ContractFields::validate(&table, "sources.sz.fields").unwrap();
        f.values = ContractValues::validate(
            &BTreeMap::from([(
                "contract_type".to_owned(),
                BTreeMap::from([("土地发包".to_owned(), "CONTRACTING".to_owned())]),
            )]),
            "sources.sz.values",
        )
        .unwrap();
        let mut record = sample();
        record["合同金额(万元)"] = json!("25");
        record["租金标准"] = json!("500");
        record["期限(月)"] = json!("18");
        record["合同类型"] = json!("土地发包");
        record["甲方"] = json!("榆次区乌金山镇鸣谦村股份经济合作社");
        let c = normalise_contract(
            "sz",
            &record,
            &f,
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
        .unwrap();
        assert_eq!(c.total_amount_yuan.unwrap().to_string(), "250000.00");
        assert_eq!(
            (
                c.unit_price_yuan.unwrap().to_string(),
                c.unit_price_basis.as_deref()
            ),
            ("500.0000".to_owned(), Some("亩/年"))
        );
        assert_eq!(c.term_months, Some(18));
        assert_eq!(c.contract_type, Some(ContractType::Contracting));
        assert_eq!(c.region_code, "140702100200", "resolved from 甲方's name");

        let bad: &[(&str, &str)] = &[
            (
                "annual_rent_unit = \"元/英亩\"",
                "sources.sz.fields.annual_rent_unit",
            ),
            ("term_unit = \"周\"", "sources.sz.fields.term_unit"),
            ("owed_unit = \"美元\"", "sources.sz.fields.owed_unit"),
            ("updated_at = \" \"", "sources.sz.fields.updated_at"),
            ("party_c = \"丙方\"", "sources.sz.fields"),
        ];
        for (text, key) in bad {
            let table: toml::Table = toml::from_str(text).unwrap();
            let err = ContractFields::validate(&table, "sources.sz.fields").unwrap_err();
            assert_eq!(err.key, *key, "{text}: {err:?}");
        }
        let err = ContractValues::validate(
            &BTreeMap::from([(
                "status".to_owned(),
                BTreeMap::from([("作废".to_owned(), "VOID".to_owned())]),
            )]),
            "sources.sz.values",
        )
        .unwrap_err();
        assert_eq!(err.key, "sources.sz.values.status.作废");
    }

    #[test]
    fn the_schema_keeps_the_pipeline_conventions_and_values_round_trip() {
        assert_schema_conventions(CONTRACT_SCHEMA);
        let c = normalise(&sample()).unwrap();
        let value = contract_value(&c);
        assert_eq!(round_trip(CONTRACT_SCHEMA, &value), value);
        let mut record = sample();
        record["年租金"] = json!("1.2万元");
        record["合同期限"] = json!("永久");
        let value = contract_value(&normalise(&record).unwrap());
        assert_eq!(round_trip(CONTRACT_SCHEMA, &value), value);
        let sparse = json!({
            "合同编号": "HT-1",
            "行政区划代码": first_village_of("140703"),
            "更新时间": "2024-03-01 10:30:00"
        });
        let c = normalise(&sparse).unwrap();
        assert_eq!(c.county_code, "140703");
        let value = contract_value(&c);
        assert_eq!(round_trip(CONTRACT_SCHEMA, &value), value);
    }
}
