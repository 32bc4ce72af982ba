//! Simulator → `ruralsync once` (the real binary) → real Kafka, read back and decoded
//! with the schema files in `schemas/`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

const SOURCE: &str = "jinzhong";

/// What the anchor records of the simulator (see `crates/ruralsync-sim/src/dataset.rs`)
/// must become.
struct Expected {
    native_id: &'static str,
    region_code: &'static str,
    category: &'static str,
    method: &'static str,
    transfer_type: Option<&'static str>,
    status: &'static str,
    area_m2: &'static str,
    area_published: &'static str,
    area_unit: &'static str,
    term: Option<&'static str>,
    listing_yuan: &'static str,
    deal_yuan: Option<&'static str>,
    deal_date: Option<&'static str>,
    updated_at: &'static str,
}

const ANCHORS: &[Expected] = &[
    Expected {
        native_id: "JZ140702202300001",
        region_code: "140702100200",
        category: "LAND_MANAGEMENT_RIGHT",
        method: "PUBLIC_BIDDING",
        transfer_type: Some("LEASE"),
        status: "DEAL_CONCLUDED",
        area_m2: "23666.67", // 35.5 亩 × 10000/15, half-even at 0.01 m²
        area_published: "35.5",
        area_unit: "亩",
        term: Some("10年"),
        listing_yuan: "120000.00",               // 12 万元
        deal_yuan: Some("125000.00"),            // 12.5 万元
        deal_date: Some("2023-03-31"),           // 2023年3月31日
        updated_at: "2023-01-05T01:00:00+00:00", // 09:00 Beijing
    },
    Expected {
        native_id: "JZ140703202300002",
        region_code: "140703101200", // published with the retired 140726 prefix
        category: "FOREST_RIGHT",
        method: "AGREEMENT",
        transfer_type: Some("TRANSFER"),
        status: "CERTIFIED",
        area_m2: "22500.00", // "2.25" 公顷
        area_published: "2.25",
        area_unit: "公顷",
        term: Some("30年"),
        listing_yuan: "80000.00",
        deal_yuan: Some("83456.00"),   // "8.3456" 万元
        deal_date: Some("2023-04-01"), // 2023/4/1
        updated_at: "2023-01-05T01:00:00+00:00",
    },
    Expected {
        native_id: "JZ140781202300003",
        region_code: "140781100200",
        category: "AGRICULTURAL_FACILITY_EQUIPMENT",
        method: "AUCTION",
        transfer_type: Some("SALE"),
        status: "CONTRACT_SIGNED",
        area_m2: "1200.00",
        area_published: "1200",
        area_unit: "平方米",
        term: None,
        listing_yuan: "32000.00",
        deal_yuan: Some("30500.00"),
        deal_date: Some("2023-04-15"), // 20230415
        updated_at: "2023-01-05T01:00:01+00:00",
    },
    Expected {
        native_id: "JZ140728202300004",
        region_code: "140728100200",
        category: "FOUR_WASTELANDS_USE_RIGHT",
        method: "LISTING",
        transfer_type: Some("LEASE"),
        status: "LISTED",
        area_m2: "80000.00", // 120 亩
        area_published: "120",
        area_unit: "亩",
        term: Some("20年"),
        listing_yuan: "56000.00",
        deal_yuan: None,
        deal_date: None,
        updated_at: "2023-01-06T02:30:00+00:00",
    },
    Expected {
        native_id: "JZ140727202300005",
        region_code: "140727100214",
        category: "COLLECTIVE_OPERATING_ASSET",
        method: "TENDER",
        transfer_type: Some("LEASE"),
        status: "DEAL_CONCLUDED",
        area_m2: "533.33", // 0.8 亩 = 533.333…
        area_published: "0.8",
        area_unit: "亩",
        term: Some("5年"),
        listing_yuan: "15000.00",
        deal_yuan: Some("17500.00"),
        deal_date: Some("2023-05-20"),
        updated_at: "2023-01-06T02:30:00+00:00",
    },
];

fn assert_anchor(record: &Decoded, want: &Expected) {
    let id = want.native_id;
    assert_eq!(record.key, format!("{SOURCE}:{id}"), "Kafka key");
    assert_eq!(record.str("key").unwrap(), record.key, "{id} key field");
    assert_eq!(record.str("source").as_deref(), Some(SOURCE));
    assert_eq!(record.str("native_id").as_deref(), Some(id));
    assert_eq!(
        record.str("region_code").as_deref(),
        Some(want.region_code),
        "{id}"
    );
    assert_eq!(
        record.str("county_code").as_deref(),
        Some(&want.region_code[..6]),
        "{id}"
    );
    assert_eq!(
        record.str("category").as_deref(),
        Some(want.category),
        "{id}"
    );
    assert_eq!(record.str("method").as_deref(), Some(want.method), "{id}");
    assert_eq!(
        record.str("transfer_type").as_deref(),
        want.transfer_type,
        "{id}"
    );
    assert_eq!(record.str("status").as_deref(), Some(want.status), "{id}");
    assert_eq!(
        record.decimal("area_m2").as_deref(),
        Some(want.area_m2),
        "{id}"
    );
    assert_eq!(
        record.str("area_published").as_deref(),
        Some(want.area_published),
        "{id}"
    );
    assert_eq!(
        record.str("area_unit_published").as_deref(),
        Some(want.area_unit),
        "{id}"
    );
    assert_eq!(record.str("term_published").as_deref(), want.term, "{id}");
    assert_eq!(
        record.decimal("listing_price_yuan").as_deref(),
        Some(want.listing_yuan),
        "{id}"
    );
    assert_eq!(
        record.decimal("deal_price_yuan").as_deref(),
        want.deal_yuan,
        "{id}"
    );
    assert_eq!(record.date("deal_date").as_deref(), want.deal_date, "{id}");
    assert_eq!(
        record.timestamp("source_updated_at"),
        want.updated_at,
        "{id}"
    );
}

fn by_key(records: &[Decoded]) -> BTreeMap<String, &Decoded> {
    records.iter().map(|r| (r.key.clone(), r)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_to_kafka_exact_records_then_only_changes() {
    const RECORDS: usize = 2_500;
    let sim = start_sim(11, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("e2e");
    let config = write_config(dir.path(), &prefix, SOURCE, &sim.url, 500);
    let config = config.to_str().unwrap();
    let topic = format!("{prefix}.property_rights_transaction.v1");
    let schema = schema_file("property_rights_transaction.avsc");

    // First run: everything, exactly once.
    let out = ruralsync(&["once", "--config", config]).await;
    assert!(
        out.status.success(),
        "once failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout).trim(),
        format!("{SOURCE}: ok: 6 pages, {RECORDS} fetched, {RECORDS} published, 0 dead letters, 0 already published, 0 unchanged, 0 dead letters unchanged, 0 unknown values")
    );
    let first = read_decoded(&prefix, &topic, &schema).await;
    assert_eq!(first.len(), RECORDS);
    let keys = by_key(&first);
    assert_eq!(keys.len(), RECORDS, "one message per upstream record");
    for want in ANCHORS {
        assert_anchor(keys[&format!("{SOURCE}:{}", want.native_id)], want);
    }
    let divisions = ruralsync::region::Divisions::shanxi();
    for r in &first {
        let code = r.str("region_code").unwrap();
        assert!(
            divisions
                .get(&code)
                .is_some_and(|d| d.is_village_committee()),
            "{} {code}",
            r.key
        );
        assert!(code.starts_with("1407"), "Jinzhong: {code}");
        let upstream = sim.sim.record(&r.str("native_id").unwrap()).unwrap();
        assert_eq!(
            r.str("status_raw").unwrap(),
            upstream["项目状态"].as_str().unwrap()
        );
    }
    let dead = read_family(&prefix, "dead_letter").await;
    assert!(dead.is_empty(), "clean data, no dead letters: {dead:?}");

    // Upstream changes: 7 projects move on, 4 are listed. Only those are published again.
    let mutation = sim.sim.mutate(7, 4);
    let mut expected: BTreeSet<String> = mutation
        .changed
        .iter()
        .chain(&mutation.added)
        .map(|id| format!("{SOURCE}:{id}"))
        .collect();
    assert_eq!(expected.len(), 11);
    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(" 11 published, 0 dead letters"),
        "{}",
        text(&out.stdout)
    );
    let second = read_decoded(&prefix, &topic, &schema).await;
    assert_eq!(second.len(), RECORDS + 11);
    let seen: BTreeSet<(i32, i64)> = first.iter().map(|r| (r.partition, r.offset)).collect();
    let new: Vec<&Decoded> = second
        .iter()
        .filter(|r| !seen.contains(&(r.partition, r.offset)))
        .collect();
    let new_keys: BTreeSet<String> = new.iter().map(|r| r.key.clone()).collect();
    assert_eq!(new_keys, expected);
    for r in &new {
        let upstream = sim.sim.record(&r.str("native_id").unwrap()).unwrap();
        assert_eq!(
            r.str("status_raw").unwrap(),
            upstream["项目状态"].as_str().unwrap(),
            "{}",
            r.key
        );
        expected.remove(&r.key);
    }
    for id in &mutation.added {
        let r = new
            .iter()
            .find(|r| r.key == format!("{SOURCE}:{id}"))
            .unwrap();
        assert_eq!(
            r.str("status").as_deref(),
            Some("LISTED"),
            "new listings are listed"
        );
    }

    // Nothing changed: nothing published.
    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(" 0 published"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        read_decoded(&prefix, &topic, &schema).await.len(),
        RECORDS + 11
    );
}
