//! Tests of the collective organisation family.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::*;
use crate::family::read::testing::{
    assert_schema_conventions, first_village_of, mapping, normalise_with, protector, round_trip,
};
use crate::family::Family;
use crate::normalize::parse;
use crate::normalize::vocab::OrganisationLevel;
use crate::normalize::Reason;

fn normalise(record: &Value) -> Result<CollectiveOrganisation, Rejection> {
    crate::family::read::testing::normalise::<OrganisationFamily>("jz", record)
}

fn complete(first16: &str) -> String {
    let org = parse::organisation_code_check_char(&first16[8..16]).unwrap();
    let body = format!("{first16}{org}");
    let check = parse::credit_code_check_char(&body).unwrap();
    format!("{body}{check}")
}

fn sample() -> Value {
    json!({
        "统一社会信用代码": complete("N2140702MA0B1C2D").to_lowercase(),
        "组织名称": "榆次区乌金山镇鸣谦村股份经济合作社",
        "住所": "山西省晋中市榆次区乌金山镇鸣谦村",
        "法定代表人": "王建军",
        "成员数": "1,236人",
        "户数": "412",
        "登记日期": "2019-11-20",
        "赋码日期": "2019/11/20",
        "更新时间": "2024-03-01 10:30:00"
    })
}

#[test]
fn a_village_organisation_normalises_exactly() {
    let o = normalise(&sample()).unwrap();
    let code = complete("N2140702MA0B1C2D");
    assert_eq!(o.native_id, code, "canonical uppercase");
    assert_eq!(o.key, format!("jz:{code}"));
    assert_eq!(o.credit_code, code);
    assert_eq!(
        (o.level, o.level_raw.as_str()),
        (OrganisationLevel::Village, "N2")
    );
    assert_eq!(o.registration_region_code, "140702");
    assert_eq!(
        o.region_code.as_deref(),
        Some("140702100200"),
        "from the address"
    );
    assert_eq!(o.county_code.as_deref(), Some("140702"));
    assert_eq!(o.legal_representative.as_deref(), Some("王**"));
    assert_eq!((o.member_count, o.household_count), (Some(1236), Some(412)));
    assert_eq!(o.registration_date, NaiveDate::from_ymd_opt(2019, 11, 20));
    assert_eq!(o.code_assigned_date, NaiveDate::from_ymd_opt(2019, 11, 20));
}

/// Levels from the code, and the village from a field, the address or the name.
#[test]
fn levels_and_villages() {
    let taigu = first_village_of("140703");
    /// First 16 code characters, record changes; level, village, county.
    type Case<'a> = (
        &'a str,
        Value,
        OrganisationLevel,
        Option<&'a str>,
        Option<&'a str>,
    );
    let cases: &[Case] = &[
        // Group level: the village from the name, its group part set aside; searched
        // within 榆次区 from the code.
        (
            "N1140702MA0B1C3E",
            json!({"组织名称": "鸣谦村第一村民小组经济合作社", "住所": null}),
            OrganisationLevel::Group,
            Some("140702100200"),
            Some("140702"),
        ),
        // Township level: no village even with one in the address.
        (
            "N3140702MA0B1C4F",
            json!({"组织名称": "乌金山镇股份经济联合社", "住所": "榆次区乌金山镇"}),
            OrganisationLevel::Township,
            None,
            Some("140702"),
        ),
        // A village code field wins; 太谷's retired prefix is mapped, while the code's
        // own region stays as issued.
        (
            "N2140726MA0B1C5G",
            json!({"行政区划代码": format!("140726{}", &taigu[6..])}),
            OrganisationLevel::Village,
            Some(taigu.as_str()),
            Some("140703"),
        ),
        // A place that does not resolve leaves the village null, not the record dead.
        (
            "N2140702MA0B1C6H",
            json!({"组织名称": "某某村股份经济合作社", "住所": "某地"}),
            OrganisationLevel::Village,
            None,
            Some("140702"),
        ),
    ];
    for (first16, changes, level, region, county) in cases {
        let mut record = sample();
        record["统一社会信用代码"] = json!(complete(first16));
        for (k, v) in changes.as_object().unwrap() {
            record[k] = v.clone();
        }
        let o = normalise(&record).unwrap_or_else(|e| panic!("{first16}: {e:?}"));
        assert_eq!(o.level, *level, "{first16}");
        assert_eq!(o.region_code.as_deref(), *region, "{first16}");
        assert_eq!(o.county_code.as_deref(), *county, "{first16}");
        assert_eq!(o.registration_region_code, first16[2..8], "{first16}");
    }
}

#[test]
fn only_collective_economic_organisations_are_accepted() {
    for (code, kind) in [
        ("91350100M000100Y43".to_owned(), "91"),
        (complete("93140702MA0K3L4P"), "93"),
        (complete("N9140702MA0K3L4P"), "N9"),
    ] {
        let mut record = sample();
        record["统一社会信用代码"] = json!(code);
        let err = normalise(&record).unwrap_err();
        assert_eq!(err.reason, Reason::NotACollectiveOrganisation, "{code}");
        assert_eq!(err.reason.code(), "not_a_collective_organisation");
        assert_eq!(err.field.as_deref(), Some("统一社会信用代码"));
        assert_eq!(err.native_id.as_deref(), Some(code.as_str()));
        assert!(err.message.contains(kind), "{}", err.message);
    }
}

#[test]
fn each_bad_field_is_named_with_its_reason() {
    let code = complete("N2140702MA0B1C2D");
    let cases: &[(&str, Value, Reason)] = &[
        ("统一社会信用代码", Value::Null, Reason::MissingField),
        (
            "统一社会信用代码",
            json!(format!("{}0", &code[..17])),
            Reason::BadCreditCode,
        ),
        ("组织名称", Value::Null, Reason::MissingField),
        (
            "更新时间",
            json!("2024-03-01T10:30:00"),
            Reason::BadTimestamp,
        ),
        ("行政区划代码", json!("140702100000"), Reason::UnknownRegion),
        ("成员数", json!("约1200人"), Reason::BadCount),
        ("户数", json!("41.5"), Reason::BadCount),
        ("登记日期", json!("2019-02-29"), Reason::BadDate),
        ("赋码日期", json!("11/20/2019"), Reason::BadDate),
    ];
    for (field, value, reason) in cases {
        let mut record = sample();
        record[*field] = value.clone();
        let err = normalise(&record).unwrap_err();
        assert_eq!(
            (err.reason, err.field.as_deref()),
            (*reason, Some(*field)),
            "{field}: {err:?}"
        );
    }
}

#[test]
fn a_persons_id_in_the_code_column_is_not_repeated() {
    let mut record = sample();
    record["统一社会信用代码"] = json!("11010519491231002X");
    record["法定代表人联系电话"] = json!("13800138000");
    let err = normalise(&record).unwrap_err();
    assert_eq!(err.reason, Reason::BadCreditCode);
    let native_id = err.native_id.unwrap();
    assert!(
        !native_id.contains("11010519491231002X") && native_id.starts_with("[id:"),
        "{native_id}"
    );
    assert!(
        !err.message.contains("11010519491231002X"),
        "{}",
        err.message
    );
    let raw = Family::CollectiveOrganisation
        .with_defaults()
        .protected_raw(&record, &protector());
    for secret in ["11010519491231002X", "13800138000", "王建军"] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }
    assert!(
        raw.contains("王**") && raw.contains("鸣谦村股份经济合作社"),
        "{raw}"
    );
}

#[test]
fn config_renames_fields() {
    let text = "name = \"集体经济组织名称\"\nmember_count = \"成员人数\"";
    let f = mapping::<OrganisationFamily>("sources.jz", text, &Words::new()).unwrap();
    let mut record = sample();
    record["集体经济组织名称"] = record["组织名称"].take();
    record["成员人数"] = json!(88);
    let o = normalise_with::<OrganisationFamily>("jz", &record, &f).unwrap();
    assert_eq!(o.member_count, Some(88));
    for (text, key) in [
        ("credit_code = \"\"", "sources.jz.fields.credit_code"),
        ("level = \"层级\"", "sources.jz.fields.level"),
    ] {
        let err = mapping::<OrganisationFamily>("sources.jz", text, &Words::new());
        assert_eq!(err.unwrap_err().key, key);
    }
}

#[test]
fn the_schema_keeps_the_pipeline_conventions_and_values_round_trip() {
    assert_schema_conventions(SCHEMA.text);
    let value = (normalise(&sample()).unwrap()).value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
    let sparse = json!({
        "统一社会信用代码": complete("N3140702MA0B1C4F"),
        "组织名称": "乌金山镇股份经济联合社",
        "更新时间": "2024-03-01 10:30:00"
    });
    let o = normalise(&sparse).unwrap();
    assert_eq!((&o.region_code, &o.legal_representative), (&None, &None));
    let value = o.value();
    assert_eq!(round_trip(SCHEMA.text, &value), value);
}
