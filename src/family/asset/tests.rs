//! Tests of the collective asset family.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::class::classify;
use super::*;
use crate::family::read::testing::{
    assert_schema_conventions, first_village_of, mapping, normalise_with, protector, round_trip,
};
use crate::family::read::PartyKind;
use crate::family::words::value_maps;
use crate::family::Family;
use crate::normalize::vocab::{
    AccountingSystem, AssetClass, AssetTopClass, OperatingMode, ValueMap,
};
use crate::normalize::Reason;
use crate::protect::Personal;

fn normalise(record: &Value) -> Result<CollectiveAsset, Rejection> {
    crate::family::read::testing::normalise::<AssetFamily>("sz", record)
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
    let raw = Family::CollectiveAsset
        .with_defaults()
        .protected_raw(&record, &p);
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
    let raw = Family::CollectiveAsset
        .with_defaults()
        .protected_raw(&record, &p);
    assert!(
        raw.contains("榆次区鸣谦农业专业合作社") && raw.contains("91350100M000100Y43"),
        "{raw}"
    );
}

#[test]
fn config_sets_units_and_the_accounting_system() {
    let text = r#"
        original_value = "原值(万元)"
        original_value_unit = "万元"
        area = "面积(亩)"
        area_default_unit = "亩"
        accounting_system_default = "ACCOUNTING_2004"
        "#;
    let f = mapping::<AssetFamily>("sources.sz", text, &Words::new()).unwrap();
    let mut record = sample();
    record["原值(万元)"] = json!("125");
    record["原值"] = Value::Null;
    record["累计折旧"] = json!("31.25万元");
    record["面积(亩)"] = json!("1.5");
    record["面积单位"] = Value::Null;
    record["会计制度"] = Value::Null;
    let a = normalise_with::<AssetFamily>("sz", &record, &f).unwrap();
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
        ("colour = \"颜色\"", "sources.sz.fields.colour"),
    ];
    for (text, key) in bad {
        let err = mapping::<AssetFamily>("sources.sz", text, &Words::new()).unwrap_err();
        assert_eq!(err.key, *key, "{text}: {err:?}");
    }
    let values = BTreeMap::from([(
        "operating_mode".to_owned(),
        BTreeMap::from([("托管".to_owned(), "CONTRACTED_OUT".to_owned())]),
    )]);
    let v = value_maps::<AssetValues>(&values, "sources.sz.values").unwrap();
    assert_eq!(
        v.operating_mode.map("托管", OperatingMode::from_word),
        OperatingMode::ContractedOut
    );
    let values = BTreeMap::from([("colour".to_owned(), BTreeMap::new())]);
    assert_eq!(
        value_maps::<AssetValues>(&values, "sources.sz.values")
            .unwrap_err()
            .key,
        "sources.sz.values.colour"
    );
}

#[test]
fn the_schema_keeps_the_pipeline_conventions_and_values_round_trip() {
    assert_schema_conventions(SCHEMA.text);
    let mut record = sample();
    record["使用人"] = json!("王建军");
    record["使用人类型"] = json!("自然人");
    record["使用人联系电话"] = json!("13800138000");
    record["年收益"] = json!("1.2万元");
    let full = normalise(&record).unwrap();
    let value = full.value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
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
    let value = a.value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
}
