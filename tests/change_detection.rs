//! Change detection: a full pull over unchanged data publishes nothing; a changed record
//! is published again, alone.

mod common;

use common::*;

const SOURCE: &str = "jinzhong";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_pulls_publish_only_records_whose_content_changed() {
    const RECORDS: usize = 2_000;
    let sim = start_sim(51, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("changes");
    // No `updated since`: every run pulls the whole table.
    let config = write_config_full(
        dir.path(),
        &bootstrap(),
        &prefix,
        SOURCE,
        &sim.url,
        500,
        "",
        "incremental = false",
    );
    let config = config.to_str().unwrap();
    let topic = format!("{prefix}.property_rights_transaction.v1");
    let schema = schema_file("property_rights_transaction.avsc");

    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("{RECORDS} fetched, {RECORDS} published")),
        "{}",
        text(&out.stdout)
    );
    let first = read_decoded(&prefix, &topic, &schema).await;
    assert_eq!(first.len(), RECORDS);
    let offsets = |records: &[Decoded]| records.iter().map(|r| (r.partition, r.offset)).max();

    // The same data again: fetched in full, nothing published, the topic's end unmoved.
    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("{RECORDS} fetched, 0 published, 0 dead letters, 0 already published, {RECORDS} unchanged")),
        "{}",
        text(&out.stdout)
    );
    let second = read_decoded(&prefix, &topic, &schema).await;
    assert_eq!(second.len(), RECORDS);
    assert_eq!(offsets(&second), offsets(&first), "no new offsets");

    // One record changes upstream: only it is published again, with its new content.
    let mutation = sim.sim.mutate(1, 0);
    let changed = format!("{SOURCE}:{}", mutation.changed[0]);
    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("{RECORDS} fetched, 1 published")),
        "{}",
        text(&out.stdout)
    );
    let third = read_decoded(&prefix, &topic, &schema).await;
    assert_eq!(third.len(), RECORDS + 1);
    let new: Vec<_> = third
        .iter()
        .filter(|r| {
            !first
                .iter()
                .any(|f| (f.partition, f.offset) == (r.partition, r.offset))
        })
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].key, changed);
    let upstream = sim.sim.record(&mutation.changed[0]).unwrap();
    assert_eq!(
        new[0].str("status_raw").unwrap(),
        upstream["项目状态"].as_str().unwrap()
    );
    let before = first.iter().find(|r| r.key == changed).unwrap();
    assert_ne!(
        before.str("status_raw"),
        new[0].str("status_raw"),
        "the republished record carries the change"
    );
}
