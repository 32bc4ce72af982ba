//! Tests of the simulator: the dataset directly, and the API over real HTTP on 127.0.0.1.
//! They check the simulator alone, with its own division table and check characters; what
//! the daemon's parsers make of the same records is `tests/simulator_contract.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::record::UPDATED_FORMAT;
use super::{Fault, FaultEntry, Profile, SimConfig, Simulator};
use crate::check::{credit_code_is_valid, resident_id_is_valid};
use crate::divisions::{Division, Table};
use crate::geography::{TAIGU_CODE, TAIGU_RETIRED_CODE};
use crate::sql_seed::published_date;

mod api;
mod hostile;

use crate::fixtures::{dirty, local, parsed, rendered, s, sim};
use crate::RECORD_KEYS as KEYS;

fn updated(record: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s(record, "更新时间"), UPDATED_FORMAT).unwrap()
}

/// A published 行政区划代码 with the retired Taigu county code read as today's (the
/// simulator publishes the old one on purpose).
fn today(code: &str) -> String {
    match code.strip_prefix(TAIGU_RETIRED_CODE) {
        Some(rest) => format!("{TAIGU_CODE}{rest}"),
        None => code.to_owned(),
    }
}

/// The village of a published 行政区划代码.
fn village_of(code: &str) -> &'static Division {
    Table::shanxi()
        .get(&today(code))
        .unwrap_or_else(|| panic!("{code} is not in the table"))
}

#[test]
fn same_seed_gives_identical_json_and_another_seed_differs() {
    let a = rendered(&sim(7, 3000));
    let b = rendered(&sim(7, 3000));
    let c = rendered(&sim(8, 3000));
    assert_eq!(a, b);
    assert_eq!(a.len(), 3000);
    assert_ne!(a, c);
    // The anchors do not depend on the seed.
    assert_eq!(a[..5], c[..5]);
}

#[test]
fn anchors_are_exactly_as_documented() {
    let expected = [
        r#"{"项目编号":"JZ140702202300001","项目名称":"榆次区乌金山镇鸣谦村耕地经营权出租","交易品种":"农户承包土地经营权","交易方式":"公开竞价","流转方式":"出租","项目状态":"成交","行政区划代码":"140702100200","坐落":"榆次区乌金山镇鸣谦村","面积":35.5,"面积单位":"亩","流转期限":"10年","挂牌价(万元)":12,"成交价(万元)":12.5,"成交日期":"2023年3月31日","转出方":"鸣谦村股份经济合作社","转出方类型":"法人","转出方证件号码":"N2140702MFW8Q9FK61","转出方联系电话":"0354-5196800","受让方":"王建军","受让方类型":"自然人","受让方证件号码":"140702196805120317","受让方联系电话":"13935401268","更新时间":"2023-01-05 09:00:00"}"#,
        r#"{"项目编号":"JZ140703202300002","项目名称":"太谷县胡村镇胡村林地经营权转让","交易品种":"林权","交易方式":"协议","流转方式":"转让","项目状态":"鉴证","行政区划代码":"140726101200","坐落":"太谷县胡村镇胡村","面积":"2.25","面积单位":"公顷","流转期限":"30年","挂牌价(万元)":"8.0000","成交价(万元)":"8.3456","成交日期":"2023/4/1","转出方":"胡村股份经济合作社","转出方类型":"法人","转出方证件号码":"N2140703MFPG02KWX0","转出方联系电话":null,"受让方":"山西太行林业开发有限公司","受让方类型":"法人","受让方证件号码":"91140703MA0JW6K29R","受让方联系电话":"0354-6231188","更新时间":"2023-01-05 09:00:00"}"#,
        r#"{"项目编号":"JZ140781202300003","项目名称":"介休市义安镇义安村温室大棚出售","交易品种":"农业生产设施设备","交易方式":"拍卖","流转方式":"出售","项目状态":"合同签订","行政区划代码":"140781100200","坐落":"介休市义安镇义安村","面积":1200,"面积单位":"平方米","流转期限":null,"挂牌价(万元)":3.2,"成交价(万元)":3.05,"成交日期":"20230415","转出方":"义安村股份经济合作社","转出方类型":"法人","转出方证件号码":"N2140781MF0RMDT0XL","转出方联系电话":"0354-4936513","受让方":"李志强","受让方类型":"自然人","受让方证件号码":"140781197509030157","受让方联系电话":"15903546631","更新时间":"2023-01-05 09:00:01"}"#,
        r#"{"项目编号":"JZ140727202300005","项目名称":"祁县昭馀镇南关村集体厂房出租","交易品种":"农村集体经营性资产","交易方式":"招标","流转方式":"出租","项目状态":"成交","行政区划代码":"140727100214","坐落":"祁县昭馀镇南关村","面积":0.8,"面积单位":"亩","流转期限":"5年","挂牌价(万元)":1.5,"成交价(万元)":1.75,"成交日期":"2023-05-20","转出方":"南关村股份经济合作社","转出方类型":"法人","转出方证件号码":"N2140727MFY3ECXU4H","转出方联系电话":null,"受让方":"祁县鑫盛农产品加工有限公司","受让方类型":"法人","受让方证件号码":"91140727MA0HB3T80Q","受让方联系电话":null,"更新时间":"2023-01-06 10:30:00"}"#,
        r#"{"项目编号":"JZ140728202300004","项目名称":"平遥县古陶镇东城村荒山使用权出租","交易品种":"四荒使用权","交易方式":"挂牌","流转方式":"出租","项目状态":"挂牌","行政区划代码":"140728100200","坐落":"平遥县古陶镇东城村","面积":120,"面积单位":"亩","流转期限":"20年","挂牌价(万元)":5.6,"成交价(万元)":null,"成交日期":null,"转出方":"东城村股份经济合作社","转出方类型":"法人","转出方证件号码":"N2140728MF5FWEEA1Y","转出方联系电话":"0354-6137765","受让方":null,"受让方类型":null,"受让方证件号码":null,"受让方联系电话":null,"更新时间":"2023-01-06 10:30:00"}"#,
    ];
    for seed in [0, 42] {
        let sim = sim(seed, 1000);
        // Byte for byte, in API order (anchor 5 sorts before 4: same second, smaller 编号).
        assert_eq!(rendered(&sim)[..5], expected);
        for text in expected {
            let want: Value = serde_json::from_str(text).unwrap();
            let got = sim.record(s(&want, "项目编号")).unwrap();
            assert_eq!(got, want);
        }
    }
    // The anchor villages are the documented ones; anchor 2 carries the retired Taigu
    // code of a village the table lists under today's.
    let table = Table::shanxi();
    assert_eq!(table.get("140702100200").unwrap().name, "鸣谦村委会");
    assert!(table.get("140726101200").is_none());
    assert_eq!(village_of("140726101200").code, "140703101200");
    // With the minimum size there are only the anchors.
    assert_eq!(sim(1, 0).len(), 5);
    assert_eq!(rendered(&sim(1, 5)), expected);
}

#[test]
fn records_are_sorted_by_update_time_then_project_number() {
    let records = parsed(&sim(3, 5000));
    for pair in records.windows(2) {
        let a = (updated(&pair[0]), s(&pair[0], "项目编号"));
        let b = (updated(&pair[1]), s(&pair[1], "项目编号"));
        assert!(a < b, "{a:?} !< {b:?}");
    }
    let generated = &records[5..];
    assert!(generated
        .iter()
        .all(|r| updated(r) >= local("2023-01-07 00:00:00")
            && updated(r) <= local("2024-06-30 23:59:59")));
}

/// What a 5,000-record dataset must show a normaliser: every quirk at least once.
#[test]
fn a_5000_record_dataset_shows_every_quirk() {
    let records = parsed(&sim(42, 5000));
    let mut date_styles = HashSet::new();
    let mut units = HashSet::new();
    let mut states = HashSet::new();
    let mut categories = HashSet::new();
    let mut methods = HashSet::new();
    let mut transfers = HashSet::new();
    let mut text_areas = 0;
    let mut number_areas = 0;
    let mut text_prices = 0;
    let mut retired = 0;
    let mut numbers = HashSet::new();
    let mut per_second: HashMap<&str, usize> = HashMap::new();
    for r in &records {
        let object = r.as_object().unwrap();
        assert_eq!(object.len(), KEYS.len(), "{r}");
        for key in KEYS {
            assert!(object.contains_key(key), "{key} missing in {r}");
        }
        let no = s(r, "项目编号");
        assert!(numbers.insert(no.to_owned()), "duplicate {no}");
        assert!(no.len() == 17 && no.starts_with("JZ1407"), "{no}");
        assert!(no[2..].bytes().all(|b| b.is_ascii_digit()), "{no}");

        let code = s(r, "行政区划代码");
        let village = village_of(code);
        assert!(village.is_village_committee(), "{code}");
        assert_eq!(&no[2..8], &village.code[..6], "{r}");
        if code.starts_with("140726") {
            retired += 1;
        }
        let place = s(r, "坐落");
        assert!(s(r, "项目名称").starts_with(place), "{r}");

        match &r["面积"] {
            Value::String(text) => {
                text_areas += 1;
                let (_, decimals) = text.split_once('.').unwrap();
                assert_eq!(decimals.len(), 2, "{r}");
            }
            Value::Number(n) => {
                number_areas += 1;
                let text = n.to_string();
                let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
                assert!(decimals <= 2, "{r}");
            }
            other => panic!("面积 {other}"),
        }
        if r["挂牌价(万元)"].is_string() {
            text_prices += 1;
        }
        let price_text = match &r["挂牌价(万元)"] {
            Value::String(t) => t.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("挂牌价 {other}"),
        };
        assert!(price_text.split_once('.').is_none_or(|(_, d)| d.len() <= 4));
        units.insert(s(r, "面积单位").to_owned());
        let state = s(r, "项目状态");
        states.insert(state.to_owned());
        categories.insert(s(r, "交易品种").to_owned());
        methods.insert(s(r, "交易方式").to_owned());
        if let Some(t) = r["流转方式"].as_str() {
            transfers.insert(t.to_owned());
            if t == "出售" {
                assert!(r["流转期限"].is_null(), "{r}");
            }
        }

        let dealt = matches!(state, "成交" | "合同签订" | "鉴证");
        for key in [
            "成交价(万元)",
            "成交日期",
            "受让方",
            "受让方类型",
            "受让方证件号码",
        ] {
            assert_eq!(!r[key].is_null(), dealt, "{key} in {r}");
        }
        if dealt {
            let date = s(r, "成交日期");
            let style = if date.contains('年') {
                "chinese"
            } else if date.contains('/') {
                "slashes"
            } else if date.contains('-') {
                "iso"
            } else if date.contains('.') {
                "dots"
            } else {
                assert_eq!(date.len(), 8, "{date}");
                "compact"
            };
            date_styles.insert(style);
        }
        *per_second.entry(s(r, "更新时间")).or_default() += 1;
    }

    assert_eq!(
        date_styles,
        HashSet::from(["chinese", "slashes", "compact", "iso", "dots"])
    );
    assert_eq!(
        units,
        HashSet::from(["亩", "公顷", "平方米"].map(String::from))
    );
    assert_eq!(states.len(), 11, "{states:?}");
    assert_eq!(categories.len(), 9, "{categories:?}");
    assert_eq!(methods.len(), 5, "{methods:?}");
    assert_eq!(transfers.len(), 5, "{transfers:?}");
    assert!(
        text_areas > 100 && number_areas > 3000,
        "{text_areas} {number_areas}"
    );
    assert!(text_prices > 100, "{text_prices}");
    // About 2% carry the retired Taigu code.
    assert!((40..200).contains(&retired), "{retired}");
    // Bulk imports: several seconds hold three or more projects.
    let crowded = per_second.values().filter(|&&n| n >= 3).count();
    assert!(crowded >= 10, "{crowded}");
}

#[test]
fn mutation_changes_exactly_the_returned_projects() {
    let sim = sim(5, 2000);
    let before: BTreeMap<String, String> = rendered(&sim)
        .into_iter()
        .map(|text| {
            let v: Value = serde_json::from_str(&text).unwrap();
            (s(&v, "项目编号").to_owned(), text)
        })
        .collect();
    let now = local("2025-02-03 12:00:00") + chrono::Duration::milliseconds(700);
    let mutation = sim.mutate_at(40, 7, now);
    assert_eq!(mutation.changed.len(), 40);
    assert_eq!(mutation.added.len(), 7);
    assert_eq!(sim.len(), 2007);

    let changed: HashSet<_> = mutation.changed.iter().cloned().collect();
    assert_eq!(changed.len(), 40);
    for no in [
        "JZ140702202300001",
        "JZ140703202300002",
        "JZ140781202300003",
    ] {
        assert!(!changed.contains(no));
    }
    let after = parsed(&sim);
    for r in &after {
        let no = s(r, "项目编号");
        let text = r.to_string();
        if changed.contains(no) {
            let old: Value = serde_json::from_str(&before[no]).unwrap();
            assert_ne!(&old, r, "{no} did not change");
            assert_ne!(old["项目状态"], r["项目状态"], "{no}");
            assert_eq!(s(r, "更新时间"), "2025-02-03 12:00:00");
            assert!(updated(r) > updated(&old));
        } else if mutation.added.iter().any(|a| a == no) {
            assert_eq!(s(r, "项目状态"), "挂牌");
            assert!(r["成交价(万元)"].is_null());
            assert_eq!(&no[8..12], "2025");
            assert_eq!(s(r, "更新时间"), "2025-02-03 12:00:00");
        } else {
            let old: Value = serde_json::from_str(&before[no]).unwrap();
            assert_eq!(old.to_string(), text, "{no} changed without being reported");
        }
    }
    // The first projects of a county's new year are numbered from 00006.
    assert!(mutation.added.iter().any(|no| no.ends_with("00006")));
    // Order is kept: the changed and added projects are now last.
    let tail: HashSet<_> = after[after.len() - 47..]
        .iter()
        .map(|r| s(r, "项目编号").to_owned())
        .collect();
    assert_eq!(tail.len(), 47);
    assert!(changed
        .iter()
        .chain(&mutation.added)
        .all(|no| tail.contains(no)));
    for pair in after.windows(2) {
        assert!(
            (updated(&pair[0]), s(&pair[0], "项目编号"))
                < (updated(&pair[1]), s(&pair[1], "项目编号"))
        );
    }

    // A clock behind the data does not move 更新时间 backwards.
    let second = sim.mutate_at(3, 1, local("2024-01-01 00:00:00"));
    for no in second.changed.iter().chain(&second.added) {
        assert_eq!(
            s(&sim.record(no).unwrap(), "更新时间"),
            "2025-02-03 12:00:00"
        );
    }
}

#[test]
fn mutation_keeps_deal_fields_consistent_with_state() {
    let sim = sim(9, 500);
    for minute in 0..30 {
        let now = local("2025-03-01 09:00:00") + chrono::Duration::minutes(minute);
        sim.mutate_at(50, 3, now);
    }
    for r in parsed(&sim) {
        let dealt = matches!(s(&r, "项目状态"), "成交" | "合同签订" | "鉴证");
        for key in [
            "成交价(万元)",
            "成交日期",
            "受让方",
            "受让方类型",
            "受让方证件号码",
        ] {
            assert_eq!(!r[key].is_null(), dealt, "{key} in {r}");
        }
    }
}

#[test]
fn mutation_never_touches_frozen_anchors() {
    let sim = sim(1, 5);
    let frozen: Vec<_> = [
        "JZ140702202300001",
        "JZ140703202300002",
        "JZ140781202300003",
    ]
    .iter()
    .map(|no| sim.record(no).unwrap())
    .collect();
    let mut touched = HashSet::new();
    for _ in 0..20 {
        touched.extend(sim.mutate(10, 0).changed);
    }
    assert!(touched
        .iter()
        .all(|no| no == "JZ140728202300004" || no == "JZ140727202300005"));
    for (no, old) in [
        "JZ140702202300001",
        "JZ140703202300002",
        "JZ140781202300003",
    ]
    .iter()
    .zip(frozen)
    {
        assert_eq!(sim.record(no).unwrap(), old);
    }
}

#[test]
fn same_seed_mutates_the_same_projects() {
    let now = local("2025-01-01 08:00:00");
    let a = sim(11, 1000).mutate_at(20, 3, now);
    let b = sim(11, 1000).mutate_at(20, 3, now);
    assert_eq!(a, b);
}

fn is_mobile(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

#[test]
fn profiles_are_deterministic_and_the_dirty_one_is_the_clean_one_plus_faults() {
    let a = rendered(&dirty(7, 3000));
    let b = rendered(&dirty(7, 3000));
    assert_eq!(a, b);
    assert_eq!(dirty(7, 3000).faults(), dirty(7, 3000).faults());
    assert_ne!(dirty(7, 3000).faults(), dirty(8, 3000).faults());
    let clean = rendered(&sim(7, 3000));
    assert_ne!(a, clean);
    // Same records in the same order; the anchors are never faulted.
    assert_eq!(a[..5], clean[..5]);
    let differing = a.iter().zip(&clean).filter(|(d, c)| d != c).count();
    assert_eq!(differing, dirty(7, 3000).faults().len());
    assert!(sim(7, 3000).faults().is_empty());
}

#[test]
fn a_2000_record_dirty_dataset_has_every_fault_at_least_twice() {
    let sim = dirty(42, 2000);
    let faults = sim.faults();
    let share = faults.len() as f64 / 1995.0;
    assert!((0.12..0.18).contains(&share), "{share}");
    let mut count: BTreeMap<Fault, usize> = BTreeMap::new();
    for (_, fault) in &faults {
        *count.entry(*fault).or_default() += 1;
    }
    for fault in Fault::ALL {
        assert!(
            count.get(&fault).copied().unwrap_or(0) >= 2,
            "{fault}: {count:?}"
        );
    }
    // Sorted by 项目编号, one entry per record, never an anchor.
    let nos: Vec<&String> = faults.iter().map(|(no, _)| no).collect();
    assert!(nos.windows(2).all(|w| w[0] < w[1]));
    assert!(faults
        .iter()
        .all(|(no, _)| no[12..].parse::<u32>().unwrap() > 5));
    // Other seeds too.
    for seed in [0, 1, 2, 3] {
        let kinds: HashSet<Fault> = dirty(seed, 2000)
            .faults()
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        assert_eq!(kinds.len(), Fault::ALL.len(), "seed {seed}");
    }
}

/// Each fault changes exactly the field(s) its entry names, into the documented form:
/// judged here with the simulator's own readers (its date styles, division table and
/// check characters); `tests/simulator_contract.rs` reads the same records with the
/// daemon's parsers.
#[test]
fn faulted_records_differ_from_clean_only_in_the_faulted_fields() {
    let clean: HashMap<String, Value> = parsed(&sim(42, 2000))
        .into_iter()
        .map(|r| (s(&r, "项目编号").to_owned(), r))
        .collect();
    let dirty_sim = dirty(42, 2000);
    let entries: HashMap<String, FaultEntry> = dirty_sim
        .fault_entries()
        .into_iter()
        .map(|e| (e.project_no.clone(), e))
        .collect();
    let mut seen = HashSet::new();
    for d in parsed(&dirty_sim) {
        let no = s(&d, "项目编号");
        let c = &clean[no];
        let differing: BTreeSet<&str> = KEYS.into_iter().filter(|k| d[*k] != c[*k]).collect();
        let Some(entry) = entries.get(no) else {
            assert!(
                differing.is_empty(),
                "{no} changed without a fault: {differing:?}"
            );
            continue;
        };
        let fields: BTreeSet<&str> = entry.fields.iter().copied().collect();
        assert_eq!(differing, fields, "{no} {}: {d}", entry.fault);
        assert_eq!(entry.expected_reason, entry.fault.expected_reason());
        seen.insert(entry.fault);
        fault_has_its_documented_form(entry, &d, c);
    }
    assert_eq!(seen.len(), Fault::ALL.len());
}

/// The faulted record `d` shows `entry`'s fault as the table in `fault.rs` documents it,
/// where the clean record `c` is well formed.
fn fault_has_its_documented_form(entry: &FaultEntry, d: &Value, c: &Value) {
    let field = entry.fields[0];
    let region = |r: &Value| Table::shanxi().get(&today(s(r, "行政区划代码")));
    match entry.fault {
        Fault::ImpossibleDate => {
            assert!(published_date(s(c, "成交日期")).is_ok());
            assert!(published_date(s(d, "成交日期")).is_err(), "{d}");
        }
        Fault::ChineseNumeralDate | Fault::ExcelSerialDate => {
            let written = s(d, "成交日期");
            if entry.fault == Fault::ExcelSerialDate {
                assert!(written.len() == 5 && written.bytes().all(|b| b.is_ascii_digit()));
            } else {
                assert!(written.starts_with("二"), "{written}");
            }
        }
        Fault::UnknownCategory => {
            assert!(["碳汇交易权", "宅基地使用权(试点)"].contains(&s(d, "交易品种")));
        }
        Fault::UnknownStatus => assert_eq!(s(d, "项目状态"), "待公示"),
        Fault::UnknownRegion => {
            assert!(region(c).is_some_and(Division::is_village_committee));
            assert!(region(d).is_none(), "{d}");
        }
        Fault::MissingName => {
            assert!(matches!(&d["项目名称"], Value::Null) || s(d, "项目名称").is_empty())
        }
        Fault::BadAmount => {
            // Negative, finer than a fen (0.000001 万元) or no number at all.
            let text = match &d[field] {
                Value::Number(n) => n.to_string(),
                _ => s(d, field).to_owned(),
            };
            let value = rust_decimal::Decimal::from_str_exact(&text);
            assert!(
                value.is_err() || value.is_ok_and(|v| v.is_sign_negative() || v.scale() > 6),
                "{d}"
            );
        }
        Fault::CellUnitAmount => {
            let cell = s(d, field);
            assert!(cell.ends_with('元'), "{cell}");
        }
        Fault::FullWidthNumbers => {
            for key in &entry.fields {
                assert!(
                    s(d, key).contains('．')
                        || s(d, key).chars().all(|ch| ('０'..='９').contains(&ch)),
                    "{d}"
                );
            }
        }
        Fault::MixedAreaUnit => {
            assert!(["分", "㎡", "平米"].contains(&s(d, "面积单位")), "{d}");
        }
        Fault::BadAreaUnit => assert_eq!(s(d, "面积单位"), "英亩"),
        Fault::WrongIdCheck => {
            let (wrong, right) = (s(d, field), s(c, field));
            assert_eq!((wrong.len(), &wrong[..17]), (18, &right[..17]));
            assert!(resident_id_is_valid(right.as_bytes()));
            assert!(!resident_id_is_valid(wrong.as_bytes()));
        }
        Fault::Old15DigitId => {
            let (old, right) = (s(d, field), s(c, field));
            assert_eq!(old.len(), 15);
            assert_eq!((&old[..6], &old[6..]), (&right[..6], &right[8..17]));
        }
        Fault::WrongCreditCodeCheck => {
            let (wrong, right) = (s(d, field), s(c, field));
            assert_eq!(&wrong[..17], &right[..17]);
            assert!(credit_code_is_valid(right.as_bytes()));
            assert!(!credit_code_is_valid(wrong.as_bytes()));
        }
        Fault::BadPhone => {
            assert!(is_mobile(s(c, field)));
            assert!(!is_mobile(s(d, field)), "{d}");
        }
    }
}

#[test]
fn dirty_mutation_leaves_faulted_records_alone_and_lists_clean_projects() {
    let sim = dirty(12, 1000);
    let faults = sim.faults();
    let before: HashMap<String, Value> = faults
        .iter()
        .map(|(no, _)| (no.clone(), sim.record(no).unwrap()))
        .collect();
    let mut added = Vec::new();
    for minute in 0..20 {
        let now = local("2025-03-01 09:00:00") + chrono::Duration::minutes(minute);
        let mutation = sim.mutate_at(60, 5, now);
        assert!(mutation.changed.iter().all(|no| !before.contains_key(no)));
        added.extend(mutation.added);
    }
    assert_eq!(sim.faults(), faults);
    for (no, old) in &before {
        assert_eq!(&sim.record(no).unwrap(), old);
    }
    for no in &added {
        let r = sim.record(no).unwrap();
        let id = s(&r, "转出方证件号码").as_bytes();
        assert!(credit_code_is_valid(id) || resident_id_is_valid(id), "{r}");
    }
    // Deals reached by mutation get a transferee with valid identifiers.
    for r in parsed(&sim) {
        if before.contains_key(s(&r, "项目编号")) {
            continue;
        }
        let id = r["受让方证件号码"].as_str().map(str::as_bytes);
        match r["受让方类型"].as_str() {
            Some("自然人") => {
                assert!(id.is_some_and(resident_id_is_valid), "{r}");
                assert!(is_mobile(s(&r, "受让方联系电话")), "{r}");
            }
            Some(_) => assert!(id.is_some_and(credit_code_is_valid), "{r}"),
            None => assert!(id.is_none(), "{r}"),
        }
    }
}

// --- over HTTP ---------------------------------------------------------------------

struct Running {
    sim: Arc<Simulator>,
    base: String,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(config: SimConfig) -> Running {
        let sim = Arc::new(Simulator::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(Arc::clone(&sim).serve(listener, shutdown.clone()));
        Running {
            sim,
            base: format!("http://{addr}"),
            shutdown,
            task,
        }
    }

    async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = reqwest::get(format!("{}{path_and_query}", self.base))
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops promptly")
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn pages_cover_every_record_once_in_order() {
    let running = Running::start(SimConfig {
        seed: 4,
        records: 1234,
        ..SimConfig::default()
    })
    .await;
    let all = parsed(&running.sim);
    let mut listed = Vec::new();
    for page_no in 1..=13 {
        let (status, body) = running
            .get(&format!(
                "/api/v1/transactions?pageNo={page_no}&pageSize=100"
            ))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["code"], 0);
        assert_eq!(body["msg"], "成功");
        let data = &body["data"];
        assert_eq!(data["total"], 1234);
        assert_eq!(data["pageNo"], page_no);
        assert_eq!(data["pageSize"], 100);
        let list = data["list"].as_array().unwrap();
        assert_eq!(list.len(), if page_no == 13 { 34 } else { 100 });
        listed.extend(list.iter().cloned());
    }
    assert_eq!(listed, all);

    // Past the end: empty list, right total.
    let (status, body) = running
        .get("/api/v1/transactions?pageNo=14&pageSize=100")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["total"], 1234);
    assert_eq!(body["data"]["list"].as_array().unwrap().len(), 0);
    let (_, body) = running
        .get("/api/v1/transactions?pageNo=2147483647&pageSize=1000")
        .await;
    assert_eq!(body["data"]["list"].as_array().unwrap().len(), 0);

    // Defaults: first page of 100.
    let (_, body) = running.get("/api/v1/transactions").await;
    assert_eq!(body["data"]["pageNo"], 1);
    assert_eq!(body["data"]["pageSize"], 100);
    assert_eq!(body["data"]["list"].as_array().unwrap()[..], all[..100]);

    let health = reqwest::get(format!("{}/healthz", running.base))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    running.stop().await;
}

#[tokio::test]
async fn updated_since_is_inclusive() {
    let running = Running::start(SimConfig {
        seed: 6,
        records: 3000,
        ..SimConfig::default()
    })
    .await;
    let all = parsed(&running.sim);

    // The second anchor second: anchors 3, 5, 4 and everything generated.
    let (_, body) = running
        .get("/api/v1/transactions?updatedSince=2023-01-05%2009:00:01&pageSize=2")
        .await;
    assert_eq!(body["data"]["total"], 2998);
    let list = body["data"]["list"].as_array().unwrap();
    assert_eq!(list[0]["项目编号"], "JZ140781202300003");
    assert_eq!(list[1]["项目编号"], "JZ140727202300005");

    // A second shared by several projects: all of them are included.
    let mut counts: BTreeMap<NaiveDateTime, usize> = BTreeMap::new();
    for r in &all {
        *counts.entry(updated(r)).or_default() += 1;
    }
    let (&crowded, _) = counts.iter().filter(|(_, &n)| n >= 3).nth(3).unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|r| updated(r) >= crowded)
        .cloned()
        .collect();
    let since = crowded
        .format(UPDATED_FORMAT)
        .to_string()
        .replace(' ', "%20");
    let (status, body) = running
        .get(&format!(
            "/api/v1/transactions?updatedSince={since}&pageSize=1000"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["total"], expected.len());
    let list = body["data"]["list"].as_array().unwrap();
    assert_eq!(list[..], expected[..list.len()]);
    assert_eq!(updated(&list[0]), crowded);
    assert!(updated(&list[2]) == crowded);

    // After the last record: nothing.
    let (_, body) = running
        .get("/api/v1/transactions?updatedSince=2030-01-01%2000:00:00")
        .await;
    assert_eq!(body["data"]["total"], 0);
    running.stop().await;
}

#[tokio::test]
async fn bad_parameters_get_400_naming_the_parameter() {
    let running = Running::start(SimConfig {
        seed: 1,
        records: 100,
        max_page_size: 500,
        ..SimConfig::default()
    })
    .await;
    let cases = [
        ("pageNo=0", "pageNo", "1 到 2147483647"),
        ("pageNo=abc", "pageNo", "1 到 2147483647"),
        ("pageNo=-1", "pageNo", "1 到 2147483647"),
        ("pageSize=0", "pageSize", "1 到 500"),
        ("pageSize=501", "pageSize", "1 到 500"),
        (
            "updatedSince=2023-13-01%2000:00:00",
            "updatedSince",
            "yyyy-MM-dd HH:mm:ss",
        ),
        (
            "updatedSince=2023/03/31%2008:00:00",
            "updatedSince",
            "yyyy-MM-dd HH:mm:ss",
        ),
        (
            "updatedSince=2023-03-31",
            "updatedSince",
            "yyyy-MM-dd HH:mm:ss",
        ),
    ];
    for (query, param, hint) in cases {
        let (status, body) = running.get(&format!("/api/v1/transactions?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["code"], 400, "{query}");
        assert!(body["data"].is_null(), "{query}");
        let msg = body["msg"].as_str().unwrap();
        assert!(msg.contains(param) && msg.contains(hint), "{query}: {msg}");
    }
    // The largest page is fine.
    let (status, body) = running.get("/api/v1/transactions?pageSize=500").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["list"].as_array().unwrap().len(), 100);
    running.stop().await;
}

#[tokio::test]
async fn admin_mutate_shows_up_in_the_next_pages() {
    let running = Running::start(SimConfig {
        seed: 2,
        records: 300,
        ..SimConfig::default()
    })
    .await;
    let (_, last) = running
        .get("/api/v1/transactions?pageNo=300&pageSize=1")
        .await;
    let last = last["data"]["list"][0].clone();

    let response = reqwest::Client::new()
        .post(format!("{}/admin/mutate?changed=4&new=2", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mutation: Value = response.json().await.unwrap();
    let changed = mutation["changed"].as_array().unwrap();
    let added = mutation["added"].as_array().unwrap();
    assert_eq!((changed.len(), added.len()), (4, 2));
    assert_eq!(running.sim.len(), 302);

    let since = s(&last, "更新时间").replace(' ', "%20");
    let (_, body) = running
        .get(&format!("/api/v1/transactions?updatedSince={since}"))
        .await;
    let nos: HashSet<_> = body["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["项目编号"].clone())
        .collect();
    assert!(changed.iter().chain(added).all(|no| nos.contains(no)));

    let bad = reqwest::Client::new()
        .post(format!("{}/admin/mutate?changed=x", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    running.stop().await;
}

#[tokio::test]
async fn periodic_mutation_runs_while_serving_and_stops_with_it() {
    let running = Running::start(SimConfig {
        seed: 3,
        records: 50,
        mutate_every: Some(Duration::from_millis(20)),
        mutate_changed: 2,
        mutate_new: 1,
        ..SimConfig::default()
    })
    .await;
    let grown = async {
        while running.sim.len() < 53 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), grown)
        .await
        .expect("three periodic mutations within 10 s");
    let sim = Arc::clone(&running.sim);
    running.stop().await;
    // Stopped: no more mutations.
    let len = sim.len();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.len(), len);
}

#[tokio::test]
async fn admin_faults_lists_the_faulted_records() {
    let running = Running::start(SimConfig {
        seed: 42,
        records: 2000,
        profile: Profile::Dirty,
        ..SimConfig::default()
    })
    .await;
    let (status, body) = running.get("/admin/faults").await;
    assert_eq!(status, 200);
    let list = body.as_array().unwrap();
    let faults = running.sim.faults();
    assert_eq!(list.len(), faults.len());
    for (entry, (no, fault)) in list.iter().zip(&faults) {
        assert_eq!(entry["项目编号"], no.as_str());
        assert_eq!(entry["fault"], fault.name());
        match fault.expected_reason() {
            Some(reason) => assert_eq!(entry["expected_reason"], reason),
            None => assert!(entry["expected_reason"].is_null()),
        }
        let fields = entry["fields"].as_array().unwrap();
        assert!(!fields.is_empty());
        let record = running.sim.record(no).unwrap();
        assert!(fields
            .iter()
            .all(|f| record.get(f.as_str().unwrap()).is_some()));
    }
    let date_faults = list
        .iter()
        .filter(|e| e["fault"] == "ImpossibleDate")
        .count();
    assert!(date_faults >= 2);
    assert!(list.iter().any(|e| e["expected_reason"] == "bad_date"));
    running.stop().await;

    let clean = Running::start(SimConfig {
        seed: 42,
        records: 100,
        ..SimConfig::default()
    })
    .await;
    let (status, body) = clean.get("/admin/faults").await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!([]));
    clean.stop().await;
}
