//! The broker goes away for 30 s in the middle of a sync and comes back: the run
//! completes, nothing is lost or duplicated, and the outage is logged once per backoff
//! step, not once per record.
//!
//! This test runs its own broker (`scripts/kafka` on port 19092) so that stopping it
//! disturbs no other test.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

const SOURCE: &str = "jinzhong";
const PORT: &str = "19092";

fn kafka(action: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka");
    let status = Command::new(script)
        .arg(action)
        .env("KAFKA_PORT", PORT)
        .env("KAFKA_CONTROLLER_PORT", "19093")
        .status()
        .unwrap();
    assert!(status.success(), "scripts/kafka {action} on port {PORT}");
}

/// Stops and deletes the test's broker even when the test fails.
struct OwnBroker;

impl Drop for OwnBroker {
    fn drop(&mut self) {
        kafka("reset");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_broker_outage_mid_run_loses_and_duplicates_nothing() {
    const RECORDS: usize = 30_000;
    kafka("reset");
    kafka("start");
    let _broker = OwnBroker;
    let bootstrap = format!("127.0.0.1:{PORT}");
    let sim = start_sim(31, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("outage");
    let config = write_config_with(
        dir.path(),
        &bootstrap,
        &prefix,
        SOURCE,
        &sim.url,
        100,
        "transaction_timeout_ms = 10000\nretry_backoff_initial_ms = 1000\nretry_backoff_max_ms = 8000",
    );
    let mut daemon = Daemon::spawn(
        &["once", "--config", config.to_str().unwrap()],
        dir.path().join("once.log"),
    );
    daemon
        .wait_for_log("page committed", Duration::from_secs(60))
        .await;

    let outage = Instant::now();
    kafka("stop");
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(outage.elapsed())).await;
    assert!(
        daemon.child.try_wait().unwrap().is_none(),
        "still running, waiting for Kafka:\n{}",
        daemon.log_text()
    );
    kafka("start");
    let down_for = outage.elapsed();

    let status = tokio::time::timeout(Duration::from_secs(240), daemon.child.wait())
        .await
        .expect("the run completes")
        .unwrap();
    let log = daemon.log_text();
    assert!(status.success(), "{log}");

    let mut kafka_config = kafka_config(&prefix);
    kafka_config.bootstrap_servers = bootstrap;
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka_config, SOURCE, &upstream).await,
        (RECORDS, 0, 0)
    );

    let retries = log.matches("publishing a page failed").count();
    let client_warnings = log.matches("Kafka client reports a problem").count();
    println!("outage test: broker down {down_for:?}; {retries} retry lines, {client_warnings} client warnings for {RECORDS} records");
    assert!(retries >= 1, "the outage was noticed:\n{log}");
    assert!(
        retries <= 20,
        "one line per backoff step, not per record: {retries}"
    );
    assert!(
        client_warnings <= 30,
        "librdkafka's reports are condensed, not per reconnect or record: {client_warnings}\n{log}"
    );
    assert!(log.contains("Kafka is back; page committed"), "{log}");
}
