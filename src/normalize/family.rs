//! One source, one record family: the family's field mapping chosen by the source's
//! `family`, and the few operations the pipeline needs, whatever the family.
//!
//! Personal data is protected here for every family alike: each family's normaliser
//! pseudonymises its parties and its native id ([`Protector::native_id`]), and
//! [`FamilyFields::normalise`] then passes every text field of the canonical record —
//! names, locations, remarks, the platform's `*_raw` words, published values and units
//! — through [`Protector::redact_text`], except the fields that are identifiers made
//! safe already ([`IDENTIFIERS`]). A field added to a schema is protected without
//! anyone remembering to.

use std::collections::BTreeMap;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::{asset, contract, organisation, transaction, Family, Position, Rejection};
use super::{AssetFields, AssetValues, ContractFields, ContractValues, OrganisationFields};
use super::{TransactionFields, TransactionValues};
use crate::avro;
use crate::config::raw::RawTransactionFields;
use crate::config::Invalid;
use crate::protect::Protector;

/// A source's field mapping for its family (`[sources.<name>.fields]` and `.values`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FamilyFields {
    Transaction(TransactionFields),
    Asset(AssetFields),
    Contract(ContractFields),
    Organisation(OrganisationFields),
}

/// A record normalised into its family's canonical form, ready to encode.
#[derive(Debug, Clone)]
pub struct Canonical {
    /// `<source>:<native id>`.
    pub key: String,
    pub source_updated_at: DateTime<Utc>,
    /// The Avro value in the family's schema.
    pub value: AvroValue,
    /// The transaction, for the vocabulary statistics (other families have none yet).
    pub transaction: Option<transaction::Transaction>,
    /// The record's place in the change order, when normalising already read it (the
    /// transaction family), so the pipeline need not parse the update time twice.
    pub position: Option<Position>,
}

impl FamilyFields {
    /// Validate the `fields` and `values` tables for `family`; `key` is the source's
    /// config key (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault.
    pub fn validate(
        family: Family,
        fields: &toml::Table,
        values: &BTreeMap<String, BTreeMap<String, String>>,
        key: &str,
    ) -> Result<FamilyFields, Invalid> {
        let (fields_key, values_key) = (format!("{key}.fields"), format!("{key}.values"));
        Ok(match family {
            Family::PropertyRightsTransaction => {
                let raw: RawTransactionFields =
                    super::read::deserialize_fields(fields, &fields_key)?;
                let mut f = TransactionFields::validate(&raw, &fields_key)?;
                f.values = TransactionValues::validate(values, &values_key)?;
                FamilyFields::Transaction(f)
            }
            Family::CollectiveAsset => {
                let mut f = AssetFields::validate(fields, &fields_key)?;
                f.values = AssetValues::validate(values, &values_key)?;
                FamilyFields::Asset(f)
            }
            Family::EconomicContract => {
                let mut f = ContractFields::validate(fields, &fields_key)?;
                f.values = ContractValues::validate(values, &values_key)?;
                FamilyFields::Contract(f)
            }
            Family::CollectiveOrganisation => {
                if let Some(field) = values.keys().next() {
                    return Err(Invalid::new(
                        format!("{values_key}.{field}"),
                        "collective organisations have no vocabulary fields to map",
                    ));
                }
                FamilyFields::Organisation(OrganisationFields::validate(fields, &fields_key)?)
            }
        })
    }

    /// The record's place in the change order, if its id and update time can be read.
    pub fn position(&self, record: &Value, tz: Tz, time_format: &str) -> Option<Position> {
        match self {
            FamilyFields::Transaction(f) => transaction::position(record, f, tz, time_format),
            FamilyFields::Asset(f) => asset::position(record, f, tz, time_format),
            FamilyFields::Contract(f) => contract::position(record, f, tz, time_format),
            FamilyFields::Organisation(f) => organisation::position(record, f, tz, time_format),
        }
    }

    /// Normalise one upstream record of source `source`, every text field of the
    /// result redacted (see the module doc).
    ///
    /// # Errors
    /// The family's [`Rejection`] for the first field that cannot be normalised.
    pub fn normalise(
        &self,
        source: &str,
        record: &Value,
        tz: Tz,
        time_format: &str,
        protector: &Protector,
    ) -> Result<Canonical, Rejection> {
        let mut canonical = self.normalise_family(source, record, tz, time_format, protector)?;
        redact_free_text(&mut canonical.value, protector);
        Ok(canonical)
    }

    fn normalise_family(
        &self,
        source: &str,
        record: &Value,
        tz: Tz,
        time_format: &str,
        protector: &Protector,
    ) -> Result<Canonical, Rejection> {
        Ok(match self {
            FamilyFields::Transaction(f) => {
                let t = transaction::normalise_transaction(
                    source,
                    record,
                    f,
                    tz,
                    time_format,
                    protector,
                )?;
                // The change order is the upstream's: by its id as published there, not
                // as protected for the topic.
                let native_id = record
                    .get(&f.id)
                    .and_then(super::parse::scalar_text)
                    .unwrap_or_else(|| t.native_id.clone());
                Canonical {
                    key: t.key.clone(),
                    source_updated_at: t.source_updated_at,
                    value: avro::transaction_value(&t),
                    position: Some(Position {
                        updated_at: t.source_updated_at,
                        native_id,
                    }),
                    transaction: Some(t),
                }
            }
            FamilyFields::Asset(f) => {
                let a = asset::normalise_asset(source, record, f, tz, time_format, protector)?;
                Canonical {
                    value: asset::asset_value(&a),
                    key: a.key,
                    source_updated_at: a.source_updated_at,
                    transaction: None,
                    position: None,
                }
            }
            FamilyFields::Contract(f) => {
                let c =
                    contract::normalise_contract(source, record, f, tz, time_format, protector)?;
                Canonical {
                    value: contract::contract_value(&c),
                    key: c.key,
                    source_updated_at: c.source_updated_at,
                    transaction: None,
                    position: None,
                }
            }
            FamilyFields::Organisation(f) => {
                let o = organisation::normalise_organisation(
                    source,
                    record,
                    f,
                    tz,
                    time_format,
                    protector,
                )?;
                Canonical {
                    value: organisation::organisation_value(&o),
                    key: o.key,
                    source_updated_at: o.source_updated_at,
                    transaction: None,
                    position: None,
                }
            }
        })
    }

    /// The upstream record as JSON text fit for a dead letter (personal data protected).
    pub fn protected_raw(&self, record: &Value, protector: &Protector) -> String {
        match self {
            FamilyFields::Transaction(f) => transaction::protected_raw(record, f, protector),
            FamilyFields::Asset(f) => asset::protected_raw_asset(record, f, protector),
            FamilyFields::Contract(f) => contract::protected_raw_contract(record, f, protector),
            FamilyFields::Organisation(f) => {
                organisation::protected_raw_organisation(record, f, protector)
            }
        }
    }

    /// The transaction mapping, for the transaction's vocabulary statistics.
    pub fn transaction_values(&self) -> Option<&TransactionValues> {
        match self {
            FamilyFields::Transaction(f) => Some(&f.values),
            _ => None,
        }
    }
}

/// Text fields that are not free text: the key and native id (protected by the family's
/// normaliser), the source's configured name, validated codes (credit codes, region
/// codes, a credit code's kind) and pseudonyms. Redacting them would only break them.
pub const IDENTIFIERS: &[&str] = &[
    "key",
    "source",
    "native_id",
    "credit_code",
    "organisation_kind",
    "level_raw",
    "id_number_pseudonym",
    "phone_pseudonym",
    "region_code",
    "county_code",
    "registration_region_code",
];

/// Redact every string of a canonical record, nested parties included, except the
/// [`IDENTIFIERS`].
fn redact_free_text(value: &mut AvroValue, protector: &Protector) {
    match value {
        AvroValue::Record(fields) => {
            for (name, field) in fields {
                if !IDENTIFIERS.contains(&name.as_str()) {
                    redact_free_text(field, protector);
                }
            }
        }
        AvroValue::Union(_, inner) => redact_free_text(inner, protector),
        AvroValue::Array(items) => items
            .iter_mut()
            .for_each(|item| redact_free_text(item, protector)),
        AvroValue::Map(entries) => entries
            .values_mut()
            .for_each(|entry| redact_free_text(entry, protector)),
        AvroValue::String(text) => *text = protector.redact_text(text),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::normalize::Family;
    use crate::protect::testing::valid_ids_in;
    use crate::protect::NameMask;

    const FAMILIES: [Family; 4] = [
        Family::PropertyRightsTransaction,
        Family::CollectiveAsset,
        Family::EconomicContract,
        Family::CollectiveOrganisation,
    ];

    fn fields(family: Family) -> FamilyFields {
        FamilyFields::validate(family, &toml::Table::new(), &BTreeMap::new(), "sources.f").unwrap()
    }

    /// Every upstream field name a mapping reads: the quoted strings of its `Debug` form
    /// (the defaults are Chinese names without quotes in them).
    fn field_names(fields: &FamilyFields) -> Vec<String> {
        format!("{fields:?}")
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Values as upstreams publish them, persons' numbers in several spellings among them.
    const PLAUSIBLE: &[&str] = &[
        "2024-01-01 10:00:00",
        "140702100200",
        "N2140702MFW8Q9FK61",
        "91350100M000100Y43",
        "35.5",
        "亩",
        "12.5万元",
        "500元/亩/年",
        "10年",
        "2023年3月31日",
        "是",
        "自然人",
        "法人",
        "资产/固定资产/房屋",
        "鸣谦村股份经济合作社",
        "11010519491231002X",
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "ID11010519491231002X",
        "王建军 身份证号:11010519491231002X 电话13800138000",
        "13800138000",
        "+86 138 0013 8000",
        "110105491231002",
    ];

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "\\PC{0,24}".prop_map(Value::String),
            prop::sample::select(PLAUSIBLE).prop_map(|s| Value::String(s.to_owned())),
            (
                prop::sample::select(PLAUSIBLE),
                prop::sample::select(PLAUSIBLE),
                "\\PC{0,6}"
            )
                .prop_map(|(a, b, c)| Value::String(format!("{a}{c}{b}"))),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("\\PC{0,4}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A valid record of each family, for random changes to start from: normalising
    /// then gets past the first fields and into every reader.
    fn sample(family: Family) -> Value {
        match family {
            Family::PropertyRightsTransaction => serde_json::json!({
                "项目编号": "JZ140702202300001", "项目名称": "鸣谦村耕地经营权出租",
                "交易品种": "农户承包土地经营权", "交易方式": "协议", "流转方式": "出租",
                "项目状态": "成交", "行政区划代码": "140702100200", "坐落": "鸣谦村东坡",
                "面积": "10", "面积单位": "亩", "流转期限": "10年", "挂牌价(万元)": "1",
                "成交价(万元)": "1.2", "成交日期": "2023-03-31", "更新时间": "2024-01-01 10:00:00",
                "转出方": "鸣谦村股份经济合作社", "转出方类型": "法人",
                "转出方证件号码": "N2140702MFW8Q9FK61", "受让方": "王建军", "受让方类型": "自然人",
                "受让方证件号码": "11010519491231002X", "受让方联系电话": "13800138000"
            }),
            Family::CollectiveAsset => serde_json::json!({
                "资产编码": "ZC140702-0001", "资产名称": "村委会办公楼",
                "资产类别": "资产/固定资产/房屋及建筑物", "是否经营性": "否",
                "取得日期": "2015年6月30日", "原值": "1,250,000.00", "累计折旧": "312500",
                "净值": "93.75万元", "数量": "1栋", "面积": "860", "面积单位": "㎡",
                "坐落": "鸣谦村村委会院内", "行政区划代码": "140702100200", "使用状态": "在用",
                "经营方式": "自营", "使用人": "张建国", "使用人类型": "自然人",
                "使用人证件号码": "11010519491231002X", "更新时间": "2024-03-01 10:30:00"
            }),
            Family::EconomicContract => serde_json::json!({
                "合同编号": "HT-1", "合同名称": "鸣谦村耕地承包合同", "合同类型": "承包合同",
                "甲方": "鸣谦村股份经济合作社", "甲方证件号码": "N2140702MFW8Q9FK61",
                "乙方": "张建国", "乙方类型": "自然人", "乙方证件号码": "11010519491231002X",
                "乙方联系电话": "13800138000", "标的": "东坡耕地", "面积": "50", "面积单位": "亩",
                "合同总金额": "25万元", "年租金": "500元/亩/年", "起始日期": "2020年1月1日",
                "终止日期": "2029/12/31", "合同期限": "10年", "已收金额": "100000",
                "欠收金额": "25000", "合同状态": "履行中", "行政区划代码": "140702100200",
                "更新时间": "2024-03-01 10:30:00"
            }),
            _ => serde_json::json!({
                "统一社会信用代码": "N2140702MFW8Q9FK61",
                "组织名称": "榆次区乌金山镇鸣谦村股份经济合作社",
                "住所": "山西省晋中市榆次区乌金山镇鸣谦村", "法定代表人": "王建军",
                "成员数": "1,236人", "户数": "412", "登记日期": "2019-11-20",
                "更新时间": "2024-03-01 10:30:00"
            }),
        }
    }

    fn strings(value: &AvroValue, out: &mut Vec<String>) {
        match value {
            AvroValue::String(s) | AvroValue::Enum(_, s) => out.push(s.clone()),
            AvroValue::Record(fields) => fields.iter().for_each(|(_, v)| strings(v, out)),
            AvroValue::Union(_, inner) => strings(inner, out),
            AvroValue::Array(items) => items.iter().for_each(|v| strings(v, out)),
            _ => {}
        }
    }

    proptest! {
        /// Random records with each family's field names holding random strings,
        /// numbers, nulls and nested values: normalising never panics, and nothing it
        /// publishes (the record, or a dead letter's id, message and raw record) holds a
        /// valid ID number in clear.
        #[test]
        fn random_records_never_panic_nor_publish_an_id_number(
            family in 0usize..4,
            from_sample in any::<bool>(),
            picks in prop::collection::vec((any::<prop::sample::Index>(), value()), 0..30),
            not_an_object in prop::option::weighted(0.05, value()),
        ) {
            let fields = fields(FAMILIES[family]);
            let names = field_names(&fields);
            let mut record = if from_sample {
                sample(FAMILIES[family])
            } else {
                Value::Object(serde_json::Map::new())
            };
            // From a sample, a few fields changed; from nothing, many set.
            let changes = if from_sample { picks.len().min(3) } else { picks.len() };
            for (i, v) in picks.into_iter().take(changes) {
                record[i.get(&names)] = v;
            }
            let record = not_an_object.unwrap_or(record);
            let protector = Protector::from_key(&[3; 32], NameMask::KeepFirst).unwrap();
            let tz = chrono_tz::Asia::Shanghai;
            let format = "%Y-%m-%d %H:%M:%S";
            let _ = fields.position(&record, tz, format);
            let mut published = vec![fields.protected_raw(&record, &protector)];
            match fields.normalise("s", &record, tz, format, &protector) {
                Ok(canonical) => {
                    published.push(canonical.key.clone());
                    strings(&canonical.value, &mut published);
                }
                Err(rejection) => {
                    published.push(protector.redact_text(&rejection.message));
                    published.extend(rejection.native_id);
                }
            }
            for text in &published {
                prop_assert_eq!(valid_ids_in(text), Vec::<String>::new(), "{} in {}", text, record);
            }
        }
    }
}
