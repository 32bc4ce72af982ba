//! Tests of the transaction family.

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::*;
use crate::family::read::testing::{first_village_of, protector};
use crate::family::read::{self, PartyKind};
use crate::normalize::parse;
use crate::normalize::vocab::{Category, LifecycleStatus, TradeMethod, TransferType};
use crate::normalize::Reason;
use crate::protect::Personal;

fn normalise(record: &Value) -> Result<Transaction, Rejection> {
    read::testing::normalise::<TransactionFamily>("jz", record)
}

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
        source_updated_at: DateTime::from_timestamp_millis(1_672_880_400_000).unwrap_or_default(),
    }
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
    let t = normalise(&sample()).unwrap();
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
        let err = normalise(&record).unwrap_err();
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
    let t = normalise(&record).unwrap();
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
    let t = normalise(&record).unwrap();
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
        let err = normalise(&record).unwrap_err();
        assert_eq!((err.reason, err.field.as_deref()), (reason, Some(field)));
        assert!(!err.message.contains(value), "{}", err.message);
        let raw = crate::family::Family::PropertyRightsTransaction
            .with_defaults()
            .protected_raw(&record, &protector());
        assert!(!raw.contains(value), "{raw}");
        assert!(!raw.contains("张三"), "the person's name is masked: {raw}");
        assert!(raw.contains("张*"), "{raw}");
    }
    let mut record = sample();
    record["转出方类型"] = json!("法人");
    record["转出方证件号码"] = json!("91350100M000100Y44");
    let err = normalise(&record).unwrap_err();
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
        normalise(&record)
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
        normalise(&record)
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

#[test]
fn the_schema_keeps_the_pipeline_conventions_and_values_round_trip() {
    use crate::family::read::testing::{assert_schema_conventions, round_trip};
    assert_schema_conventions(SCHEMA.text);
    let value = sample_transaction().value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
}
