//! The contract between the simulator and the daemon: every kind of value `ruralsync-sim`
//! publishes reads, with the daemon's own parsers, normalisers and division table, as the
//! simulator says it does — valid identifiers valid, each dirty-profile fault rejected or
//! read as documented, each ledger row normalised to its expected canonical values.
//!
//! The simulator is the independent oracle of the other integration tests, so it shares
//! no code with the daemon (its crate checks its own output with its own readers, written
//! from the standards); this is the one place where both crates meet. The tests here were
//! the cross-checks inside the simulator's module when it lived in the daemon's library
//! (`src/sim/tests.rs`, `identity.rs`, `ledger.rs`).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Datelike;
use ruralsync::family::asset::{AssetFamily, AssetFields};
use ruralsync::family::{Context, RecordFamily};
use ruralsync::normalize::parse::{
    amount_yuan, area_m2, credit_code, date, looks_like_phone, resident_id, scalar_text,
    village_code, MoneyUnit,
};
use ruralsync::normalize::Reason;
use ruralsync::protect::{NameMask, Protector};
use ruralsync::region::Divisions;
use ruralsync_sim::geography::Geography;
use ruralsync_sim::identity::{
    ascii, mobile, wrong_credit_check, wrong_id_check, Organisation, PersonId,
};
use ruralsync_sim::ledger::{Ledger, LedgerSpec};
use ruralsync_sim::{Fault, FaultEntry};
use rust_decimal::Decimal;
use serde_json::Value;

use ruralsync_sim::fixtures::{dirty, local, parsed, s, sim};
use ruralsync_sim::RECORD_KEYS as KEYS;

// --- the division table -------------------------------------------------------------

/// The anchors' villages, as the daemon's table knows them (was part of
/// `anchors_are_exactly_as_documented`).
#[test]
fn anchor_villages_resolve_in_the_daemons_table() {
    let table = Divisions::shanxi();
    let sim = sim(0, 5);
    let code = |no: &str| s(&sim.record(no).unwrap(), "行政区划代码").to_owned();
    assert_eq!(code("JZ140702202300001"), "140702100200");
    assert_eq!(table.get("140702100200").unwrap().name, "鸣谦村委会");
    assert_eq!(code("JZ140703202300002"), "140726101200");
    assert_eq!(
        table.resolve_village("140726101200").unwrap().code,
        "140703101200"
    );
}

/// Every published 行政区划代码 is a village committee of the county in its 项目编号 (was
/// part of `a_5000_record_dataset_shows_every_quirk`).
#[test]
fn every_region_code_of_a_5000_record_dataset_is_a_village_committee_of_its_county() {
    let table = Divisions::shanxi();
    let mut retired = 0;
    for r in &parsed(&sim(42, 5000)) {
        let no = s(r, "项目编号");
        let code = s(r, "行政区划代码");
        let village = table
            .resolve_village(code)
            .unwrap_or_else(|| panic!("{code}"));
        assert!(village.is_village_committee(), "{code}");
        assert_eq!(&no[2..8], Divisions::county_code_of(code).unwrap(), "{r}");
        assert!(village_code(code).is_ok(), "{r}");
        retired += usize::from(code.starts_with("140726"));
    }
    assert!(retired > 0);
}

/// The same villages in the daemon's table as in the simulator's own reading of the
/// shared CSV: Jinzhong's counties and village committees, code for code.
#[test]
fn the_simulators_geography_is_the_daemons_table() {
    let table = Divisions::shanxi();
    let geo = Geography::jinzhong();
    let counties: Vec<&str> = table.children("140700").map(|d| d.code.as_str()).collect();
    let sim_counties: Vec<&str> = geo.counties.iter().map(|c| c.code).collect();
    assert_eq!(sim_counties, counties);
    for v in &geo.villages {
        let d = table.get(v.code).unwrap_or_else(|| panic!("{}", v.code));
        assert!(d.is_village_committee(), "{}", v.code);
        assert!(
            d.name.starts_with(v.name.trim_end_matches('村')),
            "{} {}",
            d.name,
            v.name
        );
    }
    let committees = table
        .children("140700")
        .flat_map(|county| table.children(&county.code))
        .flat_map(|town| table.children(&town.code))
        .filter(|d| d.is_village_committee() && !d.name.ends_with("社区"))
        .count();
    assert_eq!(geo.villages.len(), committees);
}

// --- the exchange's records ---------------------------------------------------------

/// The six party fields, for each side.
const SIDES: [(&str, &str, &str, &str); 2] = [
    ("转出方", "转出方类型", "转出方证件号码", "转出方联系电话"),
    ("受让方", "受让方类型", "受让方证件号码", "受让方联系电话"),
];

fn is_mobile(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

#[test]
fn every_party_identifier_of_a_clean_dataset_validates() {
    let records = parsed(&sim(42, 5000));
    let table = Divisions::shanxi();
    let counties: HashSet<&str> = Geography::jinzhong()
        .counties
        .iter()
        .map(|c| c.code)
        .collect();
    let mut codes_of: HashMap<String, HashSet<String>> = HashMap::new();
    let (mut persons, mut transferees, mut person_transferors) = (0, 0, 0);
    let (mut landlines, mut no_landline) = (0, 0);
    let mut kinds = HashSet::new();
    for r in &records {
        let county = Divisions::county_code_of(s(r, "行政区划代码")).unwrap();
        assert!(table.resolve_village(s(r, "行政区划代码")).is_some());
        for (side, (name, kind, id, phone)) in SIDES.iter().enumerate() {
            if r[*name].is_null() {
                assert_eq!(side, 1, "{r}");
                for key in [kind, id, phone] {
                    assert!(r[*key].is_null(), "{key} in {r}");
                }
                continue;
            }
            let party = s(r, name);
            if side == 1 {
                transferees += 1;
            }
            match s(r, kind) {
                "自然人" => {
                    let number = s(r, id);
                    let parsed = resident_id(number).unwrap_or_else(|e| panic!("{e} in {r}"));
                    assert_eq!(parsed.as_str(), number);
                    assert!(counties.contains(parsed.region_code()), "{r}");
                    let year = chrono::Datelike::year(&parsed.birth_date());
                    assert!((1950..=2000).contains(&year), "{r}");
                    let phone = s(r, phone);
                    assert!(is_mobile(phone) && looks_like_phone(phone), "{r}");
                    assert!(party.chars().count() <= 3, "{r}");
                    if side == 0 {
                        person_transferors += 1;
                    } else {
                        persons += 1;
                    }
                }
                "法人" => {
                    let code = credit_code(s(r, id)).unwrap_or_else(|e| panic!("{e} in {r}"));
                    assert_eq!(code.as_str(), s(r, id));
                    let expected_kind = if party.ends_with("股份经济合作社") {
                        assert_eq!(code.region_code(), county, "{r}");
                        "N2"
                    } else if party.ends_with("专业合作社") {
                        assert_eq!(code.region_code(), county, "{r}");
                        "93"
                    } else {
                        assert!(party.ends_with("有限公司"), "{r}");
                        assert!(code.region_code().starts_with("1407"), "{r}");
                        "91"
                    };
                    assert_eq!(code.kind_code(), expected_kind, "{r}");
                    kinds.insert(expected_kind);
                    match &r[*phone] {
                        Value::Null => no_landline += 1,
                        Value::String(p) => {
                            assert!(p.starts_with("0354-") && p.len() == 12, "{r}");
                            assert!(looks_like_phone(p), "{r}");
                            landlines += 1;
                        }
                        other => panic!("{other} in {r}"),
                    }
                    // One organisation, one code (collectives by village, since names
                    // repeat across towns).
                    let who = format!(
                        "{party}@{}",
                        if expected_kind == "N2" {
                            s(r, "行政区划代码")
                        } else {
                            ""
                        }
                    );
                    codes_of
                        .entry(who)
                        .or_default()
                        .insert(code.as_str().to_owned());
                }
                other => panic!("type {other} in {r}"),
            }
        }
    }
    assert_eq!(kinds, HashSet::from(["N2", "91", "93"]));
    for (who, codes) in &codes_of {
        assert_eq!(codes.len(), 1, "{who}: {codes:?}");
    }
    // About half of the transferees are persons; a few percent of transferors.
    let share = persons as f64 / transferees as f64;
    assert!((0.45..0.65).contains(&share), "{share}");
    let share = person_transferors as f64 / records.len() as f64;
    assert!((0.02..0.15).contains(&share), "{share}");
    assert!(
        landlines > 1000 && no_landline > 300,
        "{landlines} {no_landline}"
    );
}

fn text(record: &Value, key: &str) -> String {
    scalar_text(&record[key]).unwrap_or_else(|| panic!("{key} empty in {record}"))
}

fn wan(record: &Value, key: &str) -> Result<rust_decimal::Decimal, String> {
    amount_yuan(&text(record, key), MoneyUnit::TenThousandYuan)
}

fn area(record: &Value) -> Result<rust_decimal::Decimal, String> {
    area_m2(&text(record, "面积"), s(record, "面积单位"))
}

/// Each fault changes exactly the field(s) its entry names, and the value reads as the
/// fault says: rejected by the exact parser, or read as the clean record's value.
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
        let field = entry.fields[0];
        seen.insert(entry.fault);
        match entry.fault {
            Fault::ImpossibleDate => {
                assert!(date(s(c, "成交日期")).is_ok());
                assert!(date(s(&d, "成交日期")).is_err(), "{d}");
            }
            Fault::ChineseNumeralDate | Fault::ExcelSerialDate => {
                assert_eq!(
                    date(s(&d, "成交日期")).unwrap(),
                    date(s(c, "成交日期")).unwrap()
                );
                let written = s(&d, "成交日期");
                if entry.fault == Fault::ExcelSerialDate {
                    assert!(written.len() == 5 && written.bytes().all(|b| b.is_ascii_digit()));
                } else {
                    assert!(written.starts_with("二"), "{written}");
                }
            }
            Fault::UnknownCategory => {
                assert!(["碳汇交易权", "宅基地使用权(试点)"].contains(&s(&d, "交易品种")));
            }
            Fault::UnknownStatus => assert_eq!(s(&d, "项目状态"), "待公示"),
            Fault::UnknownRegion => {
                assert!(village_code(s(c, "行政区划代码")).is_ok());
                assert!(village_code(s(&d, "行政区划代码")).is_err(), "{d}");
            }
            Fault::MissingName => assert!(scalar_text(&d["项目名称"]).is_none(), "{d}"),
            Fault::BadAmount => assert!(wan(&d, "成交价(万元)").is_err(), "{d}"),
            Fault::CellUnitAmount => {
                let cell = s(&d, "成交价(万元)");
                assert!(cell.ends_with('元'), "{cell}");
                assert_eq!(wan(&d, field).unwrap(), wan(c, field).unwrap());
            }
            Fault::FullWidthNumbers => {
                for key in &entry.fields {
                    assert!(
                        s(&d, key).contains('．')
                            || s(&d, key).chars().all(|ch| ('０'..='９').contains(&ch)),
                        "{d}"
                    );
                }
                assert_eq!(area(&d).unwrap(), area(c).unwrap());
                assert_eq!(
                    wan(&d, "挂牌价(万元)").unwrap(),
                    wan(c, "挂牌价(万元)").unwrap()
                );
            }
            Fault::MixedAreaUnit => {
                assert!(["分", "㎡", "平米"].contains(&s(&d, "面积单位")), "{d}");
                assert_eq!(area(&d).unwrap(), area(c).unwrap(), "{d}");
            }
            Fault::BadAreaUnit => {
                assert_eq!(s(&d, "面积单位"), "英亩");
                assert!(area(&d).is_err());
            }
            Fault::WrongIdCheck => {
                let (wrong, right) = (s(&d, field), s(c, field));
                assert_eq!((wrong.len(), &wrong[..17]), (18, &right[..17]));
                assert!(resident_id(right).is_ok());
                assert!(resident_id(wrong).is_err());
            }
            Fault::Old15DigitId => {
                let old = s(&d, field);
                assert_eq!(old.len(), 15);
                assert_eq!(resident_id(old).unwrap().as_str(), s(c, field));
            }
            Fault::WrongCreditCodeCheck => {
                let (wrong, right) = (s(&d, field), s(c, field));
                assert_eq!(&wrong[..17], &right[..17]);
                assert!(credit_code(right).is_ok());
                assert!(credit_code(wrong).is_err());
            }
            Fault::BadPhone => {
                assert!(looks_like_phone(s(c, field)));
                assert!(!looks_like_phone(s(&d, field)), "{d}");
            }
            // `Fault` is non-exhaustive: a new kind needs its check here.
            other => panic!("no contract check for the fault {other}"),
        }
    }
    assert_eq!(seen.len(), Fault::ALL.len());
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
        assert!(
            credit_code(s(&r, "转出方证件号码")).is_ok()
                || resident_id(s(&r, "转出方证件号码")).is_ok()
        );
    }
    // Deals reached by mutation get a transferee with valid identifiers.
    for r in parsed(&sim) {
        if before.contains_key(s(&r, "项目编号")) {
            continue;
        }
        match r["受让方类型"].as_str() {
            Some("自然人") => {
                assert!(resident_id(s(&r, "受让方证件号码")).is_ok(), "{r}");
                assert!(is_mobile(s(&r, "受让方联系电话")), "{r}");
            }
            Some(_) => assert!(credit_code(s(&r, "受让方证件号码")).is_ok(), "{r}"),
            None => assert!(r["受让方证件号码"].is_null(), "{r}"),
        }
    }
}

// --- the parties' identifiers ------------------------------------------------------

#[test]
fn collective_codes_are_valid_and_unique_per_village() {
    let geo = Geography::jinzhong();
    let mut seen = std::collections::HashSet::new();
    for (i, v) in geo.villages.iter().enumerate() {
        let org = Organisation::collective(geo, i);
        let code = org.credit_code();
        let parsed = credit_code(ascii(&code)).unwrap();
        assert_eq!(parsed.kind_code(), "N2");
        assert_eq!(parsed.region_code(), &v.code[..6]);
        assert!(seen.insert(code), "{}", ascii(&code));
    }
}

#[test]
fn wrong_checks_are_wrong_in_the_last_character_only() {
    let geo = Geography::jinzhong();
    let org = Organisation::company(geo, 3, 2);
    let code = org.credit_code();
    assert!(credit_code(ascii(&code)).is_ok());
    for shift in 0..=255 {
        let wrong = wrong_credit_check(code, shift);
        assert_eq!(wrong[..17], code[..17]);
        let err = credit_code(ascii(&wrong)).unwrap_err();
        assert!(err.contains("position 18"), "{err}");
    }
    let id = PersonId::of(12345, 0, geo).number();
    for shift in 0..=255 {
        let wrong = wrong_id_check(id, shift);
        assert_eq!(wrong[..17], id[..17]);
        assert!(resident_id(ascii(&wrong)).is_err());
    }
}

#[test]
fn person_ids_are_valid_in_both_forms_and_phones_are_mobiles() {
    let geo = Geography::jinzhong();
    for key in (0..100_000u32).step_by(97) {
        let person = PersonId::of(key, 4, geo);
        let id = resident_id(ascii(&person.number())).unwrap();
        assert_eq!(id.birth_date(), person.birth);
        assert!((1950..2000).contains(&person.birth.year()));
        assert!(geo.counties.iter().any(|c| c.code == id.region_code()));
        let old = resident_id(ascii(&person.old_number())).unwrap();
        assert!(old.was_upgraded_from_15());
        assert_eq!(old.as_str(), id.as_str());
        assert!(looks_like_phone(ascii(&mobile(key))));
    }
}

#[test]
fn landlines_are_jinzhong_numbers_or_none() {
    let geo = Geography::jinzhong();
    let mut none = 0;
    for i in 0..geo.villages.len() {
        match Organisation::collective(geo, i).landline() {
            Some(phone) => assert!(looks_like_phone(ascii(&phone)), "{}", ascii(&phone)),
            None => none += 1,
        }
    }
    let share = none as f64 / geo.villages.len() as f64;
    assert!((0.25..0.42).contains(&share), "{share}");
}

// --- the asset ledger ---------------------------------------------------------------

fn spec(rows: usize, bad_rows: usize) -> LedgerSpec {
    LedgerSpec {
        seed: 7,
        rows,
        village: Some("140702100200".into()),
        bad_rows,
    }
}

/// The expected values are what the real normaliser makes of each row.
/// (Was `sim::ledger::tests`.)
#[test]
fn expected_values_are_what_the_normaliser_yields() {
    let ledger = Ledger::generate(&spec(400, 6)).unwrap();
    let fields = AssetFields::validate(Default::default(), &Default::default(), "s").unwrap();
    let protector = Protector::from_key(&[7; 32], NameMask::KeepFirst).unwrap();
    for row in &ledger.rows {
        let cx = Context {
            source: "s",
            timezone: chrono_tz::Asia::Shanghai,
            time_format: "%Y-%m-%d %H:%M:%S",
            protector: &protector,
        };
        let got = AssetFamily::normalise(&row.to_json(&ledger.village), &fields, &cx);
        match (row.expected(&ledger.village), got) {
            (Ok(want), Ok(a)) => {
                let money = |d: Option<Decimal>| d.map(|d| format!("{d:.2}"));
                assert_eq!(a.native_id, want.native_id);
                assert_eq!(a.asset_name, want.asset_name);
                assert_eq!(a.top_class.symbol(), want.top_class, "{}", row.class_path);
                assert_eq!(
                    a.sub_class.map(|c| c.symbol()),
                    Some(want.sub_class),
                    "{}",
                    row.class_path
                );
                assert_eq!(a.operating, Some(want.operating));
                assert_eq!(
                    a.acquired_date.map(|d| d.to_string()),
                    Some(want.acquired_date)
                );
                assert_eq!(money(a.original_value_yuan), want.original_value_yuan);
                assert_eq!(
                    money(a.accumulated_depreciation_yuan),
                    want.accumulated_depreciation_yuan
                );
                assert_eq!(money(a.net_value_yuan), want.net_value_yuan);
                assert_eq!(a.quantity.map(|q| format!("{q:.4}")), want.quantity);
                assert_eq!(money(a.area_m2), want.area_m2);
                assert_eq!(a.area_unit_published, want.area_unit_published);
                assert_eq!(a.region_code, want.region_code);
                assert_eq!(
                    a.operating_mode.map(|m| m.symbol()),
                    Some(want.operating_mode)
                );
                assert_eq!(money(a.annual_income_yuan), want.annual_income_yuan);
                assert_eq!(a.accounting_system.symbol(), want.accounting_system);
            }
            (Err((reason, field)), Err(rejection)) => {
                assert_eq!(
                    (rejection.reason.code(), rejection.field.as_deref()),
                    (reason, Some(field)),
                    "{}",
                    row.id
                );
                assert_ne!(rejection.reason, Reason::MissingField);
            }
            (want, got) => panic!("{}: expected {want:?}, got {got:?}", row.id),
        }
    }
}
