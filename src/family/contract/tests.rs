//! Tests of the economic contract family.

use std::collections::BTreeMap;

use apache_avro::types::Value as AvroValue;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::*;
use crate::family::read::testing::{
    assert_schema_conventions, first_village_of, mapping, normalise_with, protector, round_trip,
    FORMAT,
};
use crate::family::read::PartyKind;
use crate::family::words::value_maps;
use crate::family::Family;
use crate::normalize::parse;
use crate::normalize::parse::Term;
use crate::normalize::vocab::{ContractStatus, ContractType};
use crate::normalize::Reason;
use crate::protect::Personal;

fn normalise(record: &Value) -> Result<EconomicContract, Rejection> {
    crate::family::read::testing::normalise::<ContractFamily>("sz", record)
}

const VILLAGE_CREDIT_CODE: &str = "N2140702MA0B1C2D";

/// A valid N2 credit code (both check characters computed).
fn village_code() -> String {
    let org = parse::organisation_code_check_char(&VILLAGE_CREDIT_CODE[8..16]).unwrap();
    let body = format!("{VILLAGE_CREDIT_CODE}{org}");
    let check = parse::credit_code_check_char(&body).unwrap();
    format!("{body}{check}")
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
        c.term,
        Some(Term::Fixed {
            months: 120,
            days: 0
        })
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

    // Published term; parsed.
    let fixed = |months, days| Some(Term::Fixed { months, days });
    let terms: &[(Value, Option<Term>)] = &[
        (json!("30年"), fixed(360, 0)),
        (json!(15), fixed(180, 0)),
        (json!("6个月"), fixed(6, 0)),
        (json!("1年又15天"), fixed(12, 15)),
        (json!("永久"), Some(Term::Permanent)),
        (json!("长期"), Some(Term::Indefinite)),
        (Value::Null, None),
    ];
    for (text, want) in terms {
        let mut record = sample();
        record["合同期限"] = text.clone();
        let c = normalise(&record).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(c.term, *want, "{text}");
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
        let raw = Family::EconomicContract
            .with_defaults()
            .protected_raw(&record, &protector());
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
    // As published: through the binding, whose encoder redacts every text field.
    let binding = Family::EconomicContract.with_defaults();
    let protector = protector();
    let cx = Context {
        source: "sz",
        timezone: chrono_tz::Asia::Shanghai,
        time_format: FORMAT,
        protector: &protector,
    };
    let (_, value) = binding.decoded(&record, cx).unwrap();
    let AvroValue::Record(published) = value else {
        panic!("not a record")
    };
    let subject = published
        .iter()
        .find(|(name, _)| name == "subject")
        .and_then(|(_, v)| crate::avro::decode::string(v))
        .unwrap()
        .to_owned();
    assert!(
        subject.starts_with("东坡耕地") && subject.contains("[phone:") && subject.contains("[id:"),
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
    let raw = Family::EconomicContract
        .with_defaults()
        .protected_raw(&record, &protector());
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
    let text = r#"
        total_amount = "合同金额(万元)"
        total_amount_unit = "万元"
        annual_rent = "租金标准"
        annual_rent_unit = "元/亩/年"
        term = "期限(月)"
        term_unit = "月"
        owner = "甲方"
        region_code = ""
        "#;
    let words = BTreeMap::from([(
        "contract_type".to_owned(),
        BTreeMap::from([("土地发包".to_owned(), "CONTRACTING".to_owned())]),
    )]);
    let f = mapping::<ContractFamily>("sources.sz", text, &words).unwrap();
    let mut record = sample();
    record["合同金额(万元)"] = json!("25");
    record["租金标准"] = json!("500");
    record["期限(月)"] = json!("18");
    record["合同类型"] = json!("土地发包");
    record["甲方"] = json!("榆次区乌金山镇鸣谦村股份经济合作社");
    let c = normalise_with::<ContractFamily>("sz", &record, &f).unwrap();
    assert_eq!(c.total_amount_yuan.unwrap().to_string(), "250000.00");
    assert_eq!(
        (
            c.unit_price_yuan.unwrap().to_string(),
            c.unit_price_basis.as_deref()
        ),
        ("500.0000".to_owned(), Some("亩/年"))
    );
    assert_eq!(
        c.term,
        Some(Term::Fixed {
            months: 18,
            days: 0
        })
    );
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
        ("party_c = \"丙方\"", "sources.sz.fields.party_c"),
    ];
    for (text, key) in bad {
        let err = mapping::<ContractFamily>("sources.sz", text, &Words::new()).unwrap_err();
        assert_eq!(err.key, *key, "{text}: {err:?}");
    }
    let err = value_maps::<ContractValues>(
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
    assert_schema_conventions(SCHEMA.text);
    let c = normalise(&sample()).unwrap();
    let value = c.value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
    let mut record = sample();
    record["年租金"] = json!("1.2万元");
    record["合同期限"] = json!("永久");
    let value = (normalise(&record).unwrap()).value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
    let sparse = json!({
        "合同编号": "HT-1",
        "行政区划代码": first_village_of("140703"),
        "更新时间": "2024-03-01 10:30:00"
    });
    let c = normalise(&sparse).unwrap();
    assert_eq!(c.county_code, "140703");
    let value = c.value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
}
