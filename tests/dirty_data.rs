//! The simulator's dirty profile through the real pipeline into real Kafka: every bad
//! record is a dead letter with the right reason and field, every good one is in its
//! topic with exact values, and no topic carries a person's ID number or phone in clear.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use ruralsync::normalize::parse;
use ruralsync_sim::{Fault, Profile, SimConfig, Simulator};

const SOURCE: &str = "county";

/// Canonical fields that dirty spellings of the same value must not change.
const CANONICAL: &[&str] = &[
    "region_code",
    "area_m2",
    "listing_price_yuan",
    "deal_price_yuan",
    "deal_date",
    "transferor",
    "transferee",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dirty_upstream_data_splits_exactly_into_records_and_dead_letters_without_personal_data() {
    const RECORDS: usize = 2_000;
    let dirty = start_sim_with(SimConfig {
        seed: 61,
        records: RECORDS,
        profile: Profile::Dirty,
        ..SimConfig::default()
    })
    .await;
    // The same seed, clean: what the faulted-but-valid records must normalise to.
    let clean = Simulator::new(SimConfig {
        seed: 61,
        records: RECORDS,
        ..SimConfig::default()
    });
    let faults: HashMap<String, _> = dirty
        .sim
        .fault_entries()
        .into_iter()
        .map(|f| (f.project_no.clone(), f))
        .collect();
    assert!(faults.len() > RECORDS / 10, "{} faults", faults.len());

    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("dirty");
    let config = write_config(dir.path(), &prefix, SOURCE, &dirty.url, 500);
    let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let records = read_family(&prefix, "property_rights_transaction").await;
    let dead = read_family(&prefix, "dead_letter").await;
    let records_by_id: HashMap<String, &Decoded> = records
        .iter()
        .map(|r| (r.str("native_id").unwrap(), r))
        .collect();
    let dead_by_id: HashMap<String, &Decoded> = dead
        .iter()
        .map(|d| (d.str("native_id").unwrap(), d))
        .collect();
    let expected_dead = faults
        .values()
        .filter(|f| f.expected_reason.is_some())
        .count();
    assert_eq!(dead.len(), expected_dead, "one dead letter per bad record");
    assert_eq!(
        records.len(),
        RECORDS - expected_dead,
        "every other record published"
    );
    assert!(
        text(&out.stdout).contains(&format!(
            "{} published, {expected_dead} dead letters",
            RECORDS - expected_dead
        )),
        "{}",
        text(&out.stdout)
    );

    // Counted per reason in the run's summary.
    let mut by_reason: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in faults.values() {
        if let Some(reason) = f.expected_reason {
            *by_reason.entry(reason).or_default() += 1;
        }
    }
    for (reason, n) in by_reason {
        let line = format!("{SOURCE}:   dead letters {reason}: {n}");
        assert!(
            text(&out.stdout).contains(&line),
            "{line} in\n{}",
            text(&out.stdout)
        );
    }

    let mut checked_valid = 0;
    for (id, fault) in &faults {
        match fault.expected_reason {
            Some(reason) => {
                let d = dead_by_id
                    .get(id)
                    .unwrap_or_else(|| panic!("{id} ({:?}) is not a dead letter", fault.fault));
                assert_eq!(
                    d.str("reason").as_deref(),
                    Some(reason),
                    "{id} {:?}: {:?}",
                    fault.fault,
                    d.str("message")
                );
                let field = d.str("field").unwrap();
                assert!(
                    fault.fields.contains(&field.as_str()),
                    "{id} {:?}: field {field} not in {:?}",
                    fault.fault,
                    fault.fields
                );
                assert!(
                    !records_by_id.contains_key(id),
                    "{id} must not be published"
                );
            }
            None => {
                let r = records_by_id
                    .get(id)
                    .unwrap_or_else(|| panic!("{id} ({:?}) not published", fault.fault));
                let twin = clean.record(id).unwrap();
                let (_, want) = transaction_record(SOURCE, &twin).unwrap();
                let apache_avro::types::Value::Record(want) = want else {
                    unreachable!()
                };
                let want: HashMap<_, _> = want.into_iter().collect();
                for name in CANONICAL {
                    assert_eq!(r.get(name), &want[*name], "{id} {:?}: {name}", fault.fault);
                }
                match fault.fault {
                    Fault::UnknownCategory => {
                        assert_eq!(r.str("category").as_deref(), Some("OTHER"));
                        assert_eq!(
                            r.str("category_raw"),
                            dirty.sim.record(id).unwrap()["交易品种"]
                                .as_str()
                                .map(str::to_owned)
                        );
                    }
                    Fault::UnknownStatus => assert_eq!(r.str("status").as_deref(), Some("OTHER")),
                    _ => {}
                }
                checked_valid += 1;
            }
        }
    }
    assert!(checked_valid > 50, "{checked_valid}");

    // No topic, dead letters and internal ones included, carries a person's ID number or
    // phone in clear.
    let mut secrets = HashSet::new();
    for raw in all_upstream(&dirty.url).await {
        for party in ["转出方", "受让方"] {
            let person = raw[format!("{party}类型")] == "自然人";
            if let Some(id) = raw[format!("{party}证件号码")].as_str().filter(|_| person) {
                secrets.insert(id.to_owned());
                if let Ok(canonical) = parse::resident_id(id) {
                    secrets.insert(canonical.as_str().to_owned());
                }
            }
            if let Some(phone) = raw[format!("{party}联系电话")].as_str().filter(|_| person) {
                secrets.insert(phone.to_owned());
                secrets.extend(parse::phone(phone).map(|p| p.digits));
            }
        }
    }
    assert!(secrets.len() > 500, "{} secrets", secrets.len());
    let mut scanned = 0;
    for topic in [
        "property_rights_transaction.v1",
        "dead_letter.v1",
        "_checkpoints",
        "_fingerprints",
    ] {
        let topic = format!("{prefix}.{topic}");
        for m in ruralsync::inspect::read_topic(
            &kafka_config(&prefix),
            &topic,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap()
        {
            let text = String::from_utf8_lossy(m.value.as_deref().unwrap_or_default()).into_owned()
                + " "
                + m.key.as_deref().unwrap_or("");
            for candidate in numbers_in(&text) {
                assert!(
                    !secrets.contains(&candidate),
                    "{topic} {:?} carries {candidate} in clear",
                    m.key
                );
            }
            scanned += 1;
        }
    }
    assert!(scanned >= RECORDS, "{scanned}");

    // And by shape, in every topic of the run (aborted transactions included): no valid
    // ID number or mobile number at all, whoever's.
    let scanned = assert_no_personal_data(&prefix, 4).await;
    assert!(scanned >= RECORDS, "{scanned}");
}

/// Every phone-like and ID-like run of characters in `text`, raw and canonical.
fn numbers_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = parse::find_phones(text)
        .into_iter()
        .flat_map(|r| {
            let raw = text[r].to_owned();
            let digits = parse::phone(&raw).map(|p| p.digits);
            std::iter::once(raw).chain(digits)
        })
        .collect();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_digit() || (i - start == 17 && matches!(bytes[i], b'X' | b'x')))
        {
            i += 1;
        }
        if i - start >= 7 {
            // Every 15- and 18-long window, so IDs inside longer digit runs are seen too.
            for len in [15, 18] {
                for w in start..=i.saturating_sub(len) {
                    if w + len <= i {
                        found.push(text[w..w + len].to_owned());
                    }
                }
            }
            found.push(text[start..i].to_owned());
        }
        i = i.max(start + 1);
    }
    found
}
