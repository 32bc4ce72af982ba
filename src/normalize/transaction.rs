//! The property-rights transaction family (农村产权交易项目): upstream JSON object →
//! [`Transaction`], the canonical record of `schemas/property_rights_transaction.avsc`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::parse::{self, MoneyUnit};
use super::vocab::{Category, LifecycleStatus, TradeMethod, TransferType};
use super::{Reason, Rejection};
use crate::config::raw::RawTransactionFields;
use crate::config::Invalid;
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
    pub deal_date: String,
    pub updated_at: String,
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
            deal_date: raw.deal_date.clone(),
            updated_at: raw.updated_at.clone(),
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
    pub listing_price_yuan: Option<Decimal>,
    pub deal_price_yuan: Option<Decimal>,
    pub deal_date: Option<NaiveDate>,
    pub source_updated_at: DateTime<Utc>,
}

/// Reads one upstream object, turning each problem into a [`Rejection`] naming the field.
struct Reader<'a> {
    record: &'a Map<String, Value>,
    native_id: Option<String>,
}

impl Reader<'_> {
    fn reject(&self, field: &str, reason: Reason, message: String) -> Rejection {
        Rejection {
            native_id: self.native_id.clone(),
            field: Some(field.to_owned()),
            reason,
            message,
        }
    }

    fn optional(&self, field: &str) -> Option<String> {
        self.record.get(field).and_then(parse::scalar_text)
    }

    fn required(&self, field: &str) -> Result<String, Rejection> {
        self.optional(field).ok_or_else(|| {
            self.reject(
                field,
                Reason::MissingField,
                format!("field {field:?} is missing, null or empty"),
            )
        })
    }

    fn amount(&self, field: &str, unit: MoneyUnit) -> Result<Option<Decimal>, Rejection> {
        self.optional(field)
            .map(|text| {
                parse::amount_yuan(&text, unit)
                    .map_err(|m| self.reject(field, Reason::BadAmount, m))
            })
            .transpose()
    }
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
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised.
pub fn normalise_transaction(
    source: &str,
    record: &Value,
    fields: &TransactionFields,
    tz: Tz,
    time_format: &str,
) -> Result<Transaction, Rejection> {
    let object = record.as_object().ok_or_else(|| Rejection {
        native_id: None,
        field: None,
        reason: Reason::NotAnObject,
        message: format!("expected a JSON object, got {}", json_kind(record)),
    })?;
    let mut r = Reader {
        record: object,
        native_id: None,
    };
    let native_id = r.required(&fields.id)?;
    r.native_id = Some(native_id.clone());

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
        (Some(value), Some(unit)) => Some(
            parse::area_m2(value, unit).map_err(|m| r.reject(&fields.area, Reason::BadArea, m))?,
        ),
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

    let deal_date = r
        .optional(&fields.deal_date)
        .map(|text| parse::date(&text).map_err(|m| r.reject(&fields.deal_date, Reason::BadDate, m)))
        .transpose()?;

    Ok(Transaction {
        key: format!("{source}:{native_id}"),
        source: source.to_owned(),
        project_name: r.required(&fields.name)?,
        category: Category::from_word(&category_raw),
        category_raw,
        method: method_raw.as_deref().map(TradeMethod::from_word),
        method_raw,
        transfer_type: transfer_type_raw.as_deref().map(TransferType::from_word),
        transfer_type_raw,
        status: LifecycleStatus::from_word(&status_raw),
        status_raw,
        region_code,
        county_code,
        location: r.optional(&fields.location),
        area_m2,
        area_published,
        area_unit_published,
        term_published: r.optional(&fields.term),
        listing_price_yuan: r.amount(&fields.listing_price, fields.listing_price_unit)?,
        deal_price_yuan: r.amount(&fields.deal_price, fields.deal_price_unit)?,
        deal_date,
        source_updated_at,
        native_id,
    })
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

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
            let err =
                normalise_transaction("jz", &record, &fields(), chrono_tz::Asia::Shanghai, FORMAT)
                    .unwrap_err();
            assert_eq!(err.reason, *reason, "{field}: {err:?}");
            assert_eq!(err.native_id.as_deref(), Some("JZ140702202300001"));
            let expected_field = if *field == "面积单位" {
                "面积"
            } else {
                field
            };
            assert_eq!(err.field.as_deref(), Some(expected_field));
        }
    }

    #[test]
    fn the_retired_taigu_prefix_maps_to_the_district() {
        let mut record = sample();
        let village = first_village_of("140703");
        record["行政区划代码"] = json!(format!("140726{}", &village[6..]));
        let t = normalise_transaction("jz", &record, &fields(), chrono_tz::Asia::Shanghai, FORMAT)
            .unwrap();
        assert_eq!(t.region_code, village);
        assert_eq!(t.county_code, "140703");
    }
}
