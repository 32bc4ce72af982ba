//! The property-rights transaction family (农村产权交易项目): upstream JSON object →
//! [`Transaction`], the canonical record of `schemas/property_rights_transaction.avsc`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::Value;

use super::parse::{self, MoneyUnit};
use super::read::{self, Reader};
use super::vocab::{value_map, Category, LifecycleStatus, TradeMethod, TransferType, ValueMap};
use super::{Reason, Rejection};
use crate::config::raw::RawTransactionFields;
use crate::config::Invalid;
#[cfg(test)]
use crate::protect::Personal;
use crate::protect::Protector;
use crate::region::Divisions;

/// Upstream field names of a transaction, validated (money units parsed).
#[derive(Debug, Clone)]
pub struct TransactionFields {
    pub id: String,
    pub name: String,
    pub category: String,
    pub method: String,
    pub transfer_type: String,
    pub status: String,
    pub region_code: String,
    pub location: String,
    pub area: String,
    pub area_unit: String,
    pub term: String,
    pub listing_price: String,
    pub listing_price_unit: MoneyUnit,
    pub deal_price: String,
    pub deal_price_unit: MoneyUnit,
    pub price_unit: String,
    pub deal_date: String,
    pub unit_price: String,
    pub updated_at: String,
    pub transferor: PartyFields,
    pub transferee: PartyFields,
    /// The source's own words for the vocabulary fields.
    pub values: TransactionValues,
}

/// Per-source value maps of the transaction's vocabulary fields.
#[derive(Debug, Clone, Default)]
pub struct TransactionValues {
    pub category: ValueMap<Category>,
    pub method: ValueMap<TradeMethod>,
    pub transfer_type: ValueMap<TransferType>,
    pub status: ValueMap<LifecycleStatus>,
}

impl TransactionValues {
    /// # Errors
    /// [`Invalid`] for an unknown field or a symbol not in the field's enum.
    pub fn validate(
        raw: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
        key: &str,
    ) -> Result<TransactionValues, Invalid> {
        let mut values = TransactionValues::default();
        for (field, words) in raw {
            let k = format!("{key}.{field}");
            match field.as_str() {
                "category" => values.category = value_map(words, &k, Category::SYMBOLS, Category::from_symbol)?,
                "method" => values.method = value_map(words, &k, TradeMethod::SYMBOLS, TradeMethod::from_symbol)?,
                "transfer_type" => {
                    values.transfer_type = value_map(words, &k, TransferType::SYMBOLS, TransferType::from_symbol)?
                }
                "status" => values.status = value_map(words, &k, LifecycleStatus::SYMBOLS, LifecycleStatus::from_symbol)?,
                other => {
                    return Err(Invalid::new(
                        k,
                        format!("{other:?} has no vocabulary; valid: category, method, transfer_type, status"),
                    ))
                }
            }
        }
        Ok(values)
    }
}

/// Upstream field names of one party; `None` where the platform does not publish it.
#[derive(Debug, Clone, Default)]
pub struct PartyFields {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub id: Option<String>,
    pub phone: Option<String>,
}

impl TransactionFields {
    /// # Errors
    /// When a money unit is not `元` or `万元`, or a field name is empty.
    pub fn validate(raw: &RawTransactionFields, key: &str) -> Result<TransactionFields, Invalid> {
        let unit = |name: &str, text: &str| {
            MoneyUnit::from_text(text).ok_or_else(|| {
                Invalid::new(
                    format!("{key}.{name}"),
                    format!("unknown money unit {text:?}; valid: 元, 万元"),
                )
            })
        };
        let names = [
            ("id", &raw.id),
            ("name", &raw.name),
            ("category", &raw.category),
            ("status", &raw.status),
            ("region_code", &raw.region_code),
            ("updated_at", &raw.updated_at),
        ];
        if let Some((name, _)) = names.iter().find(|(_, v)| v.trim().is_empty()) {
            return Err(Invalid::new(
                format!("{key}.{name}"),
                "is empty; expected the upstream field name",
            ));
        }
        Ok(TransactionFields {
            id: raw.id.clone(),
            name: raw.name.clone(),
            category: raw.category.clone(),
            method: raw.method.clone(),
            transfer_type: raw.transfer_type.clone(),
            status: raw.status.clone(),
            region_code: raw.region_code.clone(),
            location: raw.location.clone(),
            area: raw.area.clone(),
            area_unit: raw.area_unit.clone(),
            term: raw.term.clone(),
            listing_price: raw.listing_price.clone(),
            listing_price_unit: unit("listing_price_unit", &raw.listing_price_unit)?,
            deal_price: raw.deal_price.clone(),
            deal_price_unit: unit("deal_price_unit", &raw.deal_price_unit)?,
            price_unit: raw.price_unit.clone(),
            deal_date: raw.deal_date.clone(),
            unit_price: raw.unit_price.clone(),
            updated_at: raw.updated_at.clone(),
            transferor: read::party_fields(
                &raw.transferor,
                &raw.transferor_type,
                &raw.transferor_id,
                &raw.transferor_phone,
            ),
            transferee: read::party_fields(
                &raw.transferee,
                &raw.transferee_type,
                &raw.transferee_id,
                &raw.transferee_phone,
            ),
            values: TransactionValues::default(),
        })
    }
}

/// Where a record stands in the upstream's change order: the incremental cursor's unit.
/// Ordered by time, then by native id (the tie-break for records changed in the same
/// second).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub updated_at: DateTime<Utc>,
    pub native_id: String,
}

/// A canonical property-rights transaction. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub project_name: String,
    pub category: Category,
    pub category_raw: String,
    pub method: Option<TradeMethod>,
    pub method_raw: Option<String>,
    pub transfer_type: Option<TransferType>,
    pub transfer_type_raw: Option<String>,
    pub status: LifecycleStatus,
    pub status_raw: String,
    pub region_code: String,
    pub county_code: String,
    pub location: Option<String>,
    pub area_m2: Option<Decimal>,
    pub area_published: Option<String>,
    pub area_unit_published: Option<String>,
    pub term_published: Option<String>,
    pub term: Option<parse::Term>,
    pub listing_price_yuan: Option<Decimal>,
    pub deal_price_yuan: Option<Decimal>,
    /// Scale 4, yuan per `unit_price_basis`.
    pub unit_price_yuan: Option<Decimal>,
    pub unit_price_basis: Option<String>,
    pub deal_date: Option<NaiveDate>,
    pub transferor: Option<Party>,
    pub transferee: Option<Party>,
    pub source_updated_at: DateTime<Utc>,
}

/// Whether a party is a natural person (personal data protected) or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    Person,
    Organisation,
    Unknown,
}

impl PartyKind {
    pub const SYMBOLS: &'static [&'static str] = &["PERSON", "ORGANISATION", "UNKNOWN"];

    pub fn index(self) -> u32 {
        self as u32
    }

    pub fn symbol(self) -> &'static str {
        Self::SYMBOLS[self as usize]
    }
}

/// A party as published: organisations in clear, persons protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub kind: PartyKind,
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub organisation_kind: Option<String>,
    pub id_number_pseudonym: Option<String>,
    pub phone_pseudonym: Option<String>,
}

/// The record's place in the change order, if its id and update time can be read.
pub fn position(
    record: &Value,
    fields: &TransactionFields,
    tz: Tz,
    time_format: &str,
) -> Option<Position> {
    let object = record.as_object()?;
    let native_id = object.get(&fields.id).and_then(parse::scalar_text)?;
    let updated = object
        .get(&fields.updated_at)
        .and_then(parse::scalar_text)?;
    let updated_at = parse::local_timestamp(&updated, time_format, tz).ok()?;
    Some(Position {
        updated_at,
        native_id,
    })
}

/// Normalise one upstream record of source `source`.
///
/// `tz` is the platform's time zone and `time_format` the chrono format of its update
/// times.
///
/// Parties and the native id are protected here; other text fields are as read, and
/// [`FamilyFields::normalise`](super::FamilyFields::normalise), the pipeline's entry,
/// redacts them all before publishing.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised.
pub fn normalise_transaction(
    source: &str,
    record: &Value,
    fields: &TransactionFields,
    tz: Tz,
    time_format: &str,
    protector: &Protector,
) -> Result<Transaction, Rejection> {
    let mut r = Reader::open(record, tz)?;
    let native_id = r.identify(&fields.id, protector)?;

    let updated_text = r.required(&fields.updated_at)?;
    let source_updated_at = parse::local_timestamp(&updated_text, time_format, tz)
        .map_err(|m| r.reject(&fields.updated_at, Reason::BadTimestamp, m))?;

    let region_text = r.required(&fields.region_code)?;
    let village = Divisions::shanxi()
        .resolve_village(&region_text)
        .ok_or_else(|| {
            r.reject(
                &fields.region_code,
                Reason::UnknownRegion,
                format!(
                    "{region_text:?} is not a 12-digit village code in the 2023 division table"
                ),
            )
        })?;
    let region_code = village.code.clone();
    let county_code = region_code[..6].to_owned();

    let category_raw = r.required(&fields.category)?;
    let status_raw = r.required(&fields.status)?;
    let method_raw = r.optional(&fields.method);
    let transfer_type_raw = r.optional(&fields.transfer_type);

    let area_published = r.optional(&fields.area);
    let area_unit_published = r.optional(&fields.area_unit);
    let area_m2 = match (&area_published, &area_unit_published) {
        (Some(value), Some(unit)) => {
            // Name the field at fault: an unknown unit is the unit field's problem.
            let at_fault = if parse::AreaUnit::from_text(unit).is_none() {
                &fields.area_unit
            } else {
                &fields.area
            };
            Some(parse::area_m2(value, unit).map_err(|m| r.reject(at_fault, Reason::BadArea, m))?)
        }
        (Some(_), None) => {
            return Err(r.reject(
                &fields.area_unit,
                Reason::MissingField,
                format!(
                    "area is published but its unit field {:?} is missing",
                    fields.area_unit
                ),
            ))
        }
        (None, _) => None,
    };

    // The record's own 价款单位, where the platform publishes the unit beside the prices.
    let record_unit = (!fields.price_unit.is_empty())
        .then(|| r.optional(&fields.price_unit))
        .flatten()
        .map(|text| {
            MoneyUnit::from_text(&text).ok_or_else(|| {
                r.reject(
                    &fields.price_unit,
                    Reason::BadAmount,
                    format!("{text:?} is not a money unit; valid: 元, 万元"),
                )
            })
        })
        .transpose()?;
    let term_published = r.optional(&fields.term);
    let term = term_published
        .as_deref()
        .map(|text| parse::term(text).map_err(|m| r.reject(&fields.term, Reason::BadTerm, m)))
        .transpose()?;
    let unit_price = (!fields.unit_price.is_empty())
        .then(|| r.optional(&fields.unit_price))
        .flatten()
        .map(|text| {
            let price = parse::unit_price(&text)
                .map_err(|m| r.reject(&fields.unit_price, Reason::BadAmount, m))?;
            let mut yuan = price.yuan.normalize();
            if yuan.scale() > 4 {
                return Err(r.reject(
                    &fields.unit_price,
                    Reason::BadAmount,
                    format!("{text:?} is finer than 0.0001 元; unit prices are exact to 0.0001"),
                ));
            }
            yuan.rescale(4);
            Ok((yuan, price.per.to_string()))
        })
        .transpose()?;
    let deal_date = r
        .optional(&fields.deal_date)
        .map(|text| parse::date(&text).map_err(|m| r.reject(&fields.deal_date, Reason::BadDate, m)))
        .transpose()?;

    Ok(Transaction {
        key: format!("{source}:{native_id}"),
        source: source.to_owned(),
        project_name: r.required(&fields.name)?,
        category: fields
            .values
            .category
            .map(&category_raw, Category::from_word),
        category_raw,
        method: method_raw
            .as_deref()
            .map(|w| fields.values.method.map(w, TradeMethod::from_word)),
        method_raw,
        transfer_type: transfer_type_raw
            .as_deref()
            .map(|w| fields.values.transfer_type.map(w, TransferType::from_word)),
        transfer_type_raw,
        status: fields
            .values
            .status
            .map(&status_raw, LifecycleStatus::from_word),
        status_raw,
        region_code,
        county_code,
        location: r.optional(&fields.location),
        area_m2,
        area_published,
        area_unit_published,
        term,
        term_published,
        listing_price_yuan: r.amount(
            &fields.listing_price,
            record_unit.unwrap_or(fields.listing_price_unit),
        )?,
        deal_price_yuan: r.amount(
            &fields.deal_price,
            record_unit.unwrap_or(fields.deal_price_unit),
        )?,
        unit_price_yuan: unit_price.as_ref().map(|p| p.0),
        unit_price_basis: unit_price.map(|p| p.1),
        deal_date,
        transferor: r.party(&fields.transferor, protector)?,
        transferee: r.party(&fields.transferee, protector)?,
        source_updated_at,
        native_id,
    })
}

/// The upstream record as JSON text fit for a dead letter: the parties' ID numbers and
/// phones replaced by pseudonym markers, persons' names masked, and any other phone- or
/// ID-shaped text redacted.
pub fn protected_raw(record: &Value, fields: &TransactionFields, protector: &Protector) -> String {
    read::protected_raw(
        record,
        &[&fields.transferor, &fields.transferee],
        &[],
        protector,
    )
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A canonical transaction with every field set, for tests of other modules.
    pub(crate) fn sample_transaction() -> Transaction {
        Transaction {
            key: "jz:JZ1".into(),
            source: "jz".into(),
            native_id: "JZ1".into(),
            project_name: "耕地经营权出租".into(),
            category: Category::LandManagementRight,
            category_raw: "农户承包土地经营权".into(),
            method: Some(TradeMethod::Auction),
            method_raw: Some("拍卖".into()),
            transfer_type: Some(TransferType::Lease),
            transfer_type_raw: Some("出租".into()),
            status: LifecycleStatus::DealConcluded,
            status_raw: "成交".into(),
            region_code: "140702100200".into(),
            county_code: "140702".into(),
            location: Some("榆次区".into()),
            area_m2: Some(Decimal::new(2_366_667, 2)),
            area_published: Some("35.5".into()),
            area_unit_published: Some("亩".into()),
            term_published: Some("10年".into()),
            term: Some(parse::Term::Fixed {
                months: 120,
                days: 0,
            }),
            unit_price_yuan: Some(Decimal::new(5_000_000, 4)),
            unit_price_basis: Some("亩/年".into()),
            listing_price_yuan: Some(Decimal::new(12_000_000, 2)),
            deal_price_yuan: Some(Decimal::new(12_500_000, 2)),
            deal_date: NaiveDate::from_ymd_opt(2023, 3, 31),
            transferor: None,
            transferee: None,
            source_updated_at: DateTime::from_timestamp_millis(1_672_880_400_000)
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

    fn protector() -> Protector {
        Protector::from_key(&[42; 32], crate::protect::NameMask::KeepFirst).unwrap()
    }

    fn fields() -> TransactionFields {
        TransactionFields::validate(&RawTransactionFields::default(), "fields").unwrap()
    }

    fn first_village_of(county: &str) -> String {
        let t = Divisions::shanxi();
        t.children(county)
            .flat_map(|town| t.children(&town.code))
            .find(|v| v.is_village_committee())
            .unwrap()
            .code
            .clone()
    }

    fn sample() -> Value {
        json!({
            "项目编号": "JZ140702202300001",
            "项目名称": "耕地经营权出租",
            "交易品种": "农户承包土地经营权",
            "交易方式": "公开竞价",
            "流转方式": "出租",
            "项目状态": "成交",
            "行政区划代码": first_village_of("140702"),
            "坐落": "榆次区",
            "面积": serde_json::from_str::<Value>("35.5").unwrap(),
            "面积单位": "亩",
            "流转期限": "10年",
            "挂牌价(万元)": 12,
            "成交价(万元)": serde_json::from_str::<Value>("12.5").unwrap(),
            "成交日期": "2023年3月31日",
            "更新时间": "2023-01-05 09:00:00",
            "受让方": "张三"
        })
    }

    #[test]
    fn a_clean_record_normalises_exactly() {
        let t = normalise_transaction(
            "jz",
            &sample(),
            &fields(),
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
        .unwrap();
        assert_eq!(t.key, "jz:JZ140702202300001");
        assert_eq!(t.category, Category::LandManagementRight);
        assert_eq!(t.method, Some(TradeMethod::PublicBidding));
        assert_eq!(t.status, LifecycleStatus::DealConcluded);
        assert_eq!(t.area_m2.unwrap().to_string(), "23666.67");
        assert_eq!(t.area_published.as_deref(), Some("35.5"));
        assert_eq!(t.listing_price_yuan.unwrap().to_string(), "120000.00");
        assert_eq!(t.deal_price_yuan.unwrap().to_string(), "125000.00");
        assert_eq!(t.deal_date, NaiveDate::from_ymd_opt(2023, 3, 31));
        assert_eq!(
            t.source_updated_at.to_rfc3339(),
            "2023-01-05T01:00:00+00:00"
        );
        assert_eq!(t.county_code, "140702");
    }

    #[test]
    fn each_bad_field_is_named_with_its_reason() {
        let cases: &[(&str, Value, Reason)] = &[
            ("成交日期", json!("2023-02-30"), Reason::BadDate),
            ("成交价(万元)", json!("十二万"), Reason::BadAmount),
            ("面积单位", json!("英亩"), Reason::BadArea),
            ("行政区划代码", json!("140701000000"), Reason::UnknownRegion),
            ("更新时间", json!("yesterday"), Reason::BadTimestamp),
            ("交易品种", Value::Null, Reason::MissingField),
        ];
        for (field, value, reason) in cases {
            let mut record = sample();
            record[*field] = value.clone();
            let err = normalise_transaction(
                "jz",
                &record,
                &fields(),
                chrono_tz::Asia::Shanghai,
                FORMAT,
                &protector(),
            )
            .unwrap_err();
            assert_eq!(err.reason, *reason, "{field}: {err:?}");
            assert_eq!(err.native_id.as_deref(), Some("JZ140702202300001"));
            assert_eq!(err.field.as_deref(), Some(*field));
        }
    }

    #[test]
    fn the_retired_taigu_prefix_maps_to_the_district() {
        let mut record = sample();
        let village = first_village_of("140703");
        record["行政区划代码"] = json!(format!("140726{}", &village[6..]));
        let t = normalise_transaction(
            "jz",
            &record,
            &fields(),
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
        .unwrap();
        assert_eq!(t.region_code, village);
        assert_eq!(t.county_code, "140703");
    }

    #[test]
    fn persons_are_pseudonymised_and_organisations_kept() {
        let mut record = sample();
        record["转出方"] = json!("鸣谦村股份经济合作社");
        record["转出方类型"] = json!("法人");
        record["转出方证件号码"] = json!("91350100M000100Y43");
        record["受让方"] = json!("王建军");
        record["受让方类型"] = json!("自然人");
        record["受让方证件号码"] = json!("11010519491231002x");
        record["受让方联系电话"] = json!("+86 138-0013-8000");
        let p = protector();
        let t = normalise_transaction(
            "jz",
            &record,
            &fields(),
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &p,
        )
        .unwrap();
        let from = t.transferor.unwrap();
        assert_eq!(from.kind, PartyKind::Organisation);
        assert_eq!(from.name.as_deref(), Some("鸣谦村股份经济合作社"));
        assert_eq!(from.credit_code.as_deref(), Some("91350100M000100Y43"));
        assert_eq!(from.organisation_kind.as_deref(), Some("91"));
        assert_eq!(from.id_number_pseudonym, None);
        let to = t.transferee.unwrap();
        assert_eq!(to.kind, PartyKind::Person);
        assert_eq!(to.name.as_deref(), Some("王**"));
        assert_eq!(to.credit_code, None);
        assert_eq!(
            to.id_number_pseudonym.as_deref(),
            Some(
                p.pseudonym(Personal::IdNumber, "11010519491231002X")
                    .as_str()
            ),
            "lowercase x is canonicalised before hashing"
        );
        assert_eq!(
            to.phone_pseudonym.as_deref(),
            Some(p.pseudonym(Personal::Phone, "13800138000").as_str())
        );
    }

    #[test]
    fn bad_personal_identifiers_are_rejected_without_repeating_them() {
        let cases = [
            ("受让方证件号码", "110105194912310021", Reason::BadIdNumber),
            ("受让方联系电话", "1380013800", Reason::BadPhone),
        ];
        for (field, value, reason) in cases {
            let mut record = sample();
            record["受让方类型"] = json!("自然人");
            record[field] = json!(value);
            let err = normalise_transaction(
                "jz",
                &record,
                &fields(),
                chrono_tz::Asia::Shanghai,
                FORMAT,
                &protector(),
            )
            .unwrap_err();
            assert_eq!((err.reason, err.field.as_deref()), (reason, Some(field)));
            assert!(!err.message.contains(value), "{}", err.message);
            let raw = protected_raw(&record, &fields(), &protector());
            assert!(!raw.contains(value), "{raw}");
            assert!(!raw.contains("张三"), "the person's name is masked: {raw}");
            assert!(raw.contains("张*"), "{raw}");
        }
        let mut record = sample();
        record["转出方类型"] = json!("法人");
        record["转出方证件号码"] = json!("91350100M000100Y44");
        let err = normalise_transaction(
            "jz",
            &record,
            &fields(),
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
        .unwrap_err();
        assert_eq!(err.reason, Reason::BadCreditCode);
        assert!(
            err.message.contains("91350100M000100Y44"),
            "organisations' codes are not personal: {}",
            err.message
        );
    }

    #[test]
    fn terms_are_parsed_and_unit_prices_kept_apart_from_totals() {
        let normalise = |field: &str, value: Value| {
            let mut record = sample();
            record[field] = value;
            normalise_transaction(
                "jz",
                &record,
                &fields(),
                chrono_tz::Asia::Shanghai,
                FORMAT,
                &protector(),
            )
        };
        let t = normalise("流转期限", json!("10年")).unwrap();
        assert_eq!(
            t.term,
            Some(parse::Term::Fixed {
                months: 120,
                days: 0
            })
        );
        assert_eq!(
            normalise("流转期限", json!("永久")).unwrap().term,
            Some(parse::Term::Permanent)
        );
        assert_eq!(normalise("流转期限", Value::Null).unwrap().term, None);
        let err = normalise("流转期限", json!("见合同")).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::BadTerm, Some("流转期限"))
        );

        let t = normalise("成交单价", json!("500元/亩/年")).unwrap();
        assert_eq!(t.unit_price_yuan.unwrap().to_string(), "500.0000");
        assert_eq!(t.unit_price_basis.as_deref(), Some("亩/年"));
        assert_eq!(
            t.deal_price_yuan.unwrap().to_string(),
            "125000.00",
            "the total stays the total"
        );
        let err = normalise("成交单价", json!("12.5万元")).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::BadAmount, Some("成交单价"))
        );
    }

    #[test]
    fn a_price_unit_field_overrides_the_configured_unit_and_a_cell_unit_wins() {
        let normalise = |unit: Value, deal: Value| {
            let mut record = sample();
            record["价款单位"] = unit;
            record["成交价(万元)"] = deal;
            normalise_transaction(
                "jz",
                &record,
                &fields(),
                chrono_tz::Asia::Shanghai,
                FORMAT,
                &protector(),
            )
        };
        let t = normalise(json!("元"), json!("125000")).unwrap();
        assert_eq!(t.deal_price_yuan.unwrap().to_string(), "125000.00");
        assert_eq!(
            t.listing_price_yuan.unwrap().to_string(),
            "12.00",
            "挂牌价 12 in 元 too"
        );
        let t = normalise(json!("万元"), json!("12.5")).unwrap();
        assert_eq!(t.deal_price_yuan.unwrap().to_string(), "125000.00");
        let t = normalise(json!("元"), json!("12.5万元")).unwrap();
        assert_eq!(
            t.deal_price_yuan.unwrap().to_string(),
            "125000.00",
            "the cell's unit wins"
        );
        let err = normalise(json!("美元"), json!("1")).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (Reason::BadAmount, Some("价款单位"))
        );
    }
}
