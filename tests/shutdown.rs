//! Stopping and starting the daemon at awkward moments.

mod common;

use std::time::{Duration, Instant};

use common::*;

const SOURCE: &str = "jinzhong";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once_and_corrupts_nothing() {
    const RECORDS: usize = 10_000;
    let sim = start_sim(41, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("twosignals");
    let config = write_config_with(dir.path(), &bootstrap(), &prefix, SOURCE, &sim.url, 100, "");
    let config = config.to_str().unwrap();
    let mut daemon = Daemon::spawn(&["run", "--config", config], dir.path().join("run.log"));
    daemon
        .wait_for_log("page committed", Duration::from_secs(30))
        .await;
    daemon.signal(libc::SIGTERM);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let asked = Instant::now();
    daemon.signal(libc::SIGTERM);
    let status = tokio::time::timeout(Duration::from_secs(2), daemon.child.wait())
        .await
        .expect("exits at once")
        .unwrap();
    assert!(
        status.code() == Some(130) || status.code() == Some(0),
        "{status:?}\n{}",
        daemon.log_text()
    );
    assert!(asked.elapsed() < Duration::from_secs(2));

    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await,
        (RECORDS, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_started_while_kafka_is_away_waits_for_it_and_still_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1.
    let config = write_config_with(
        dir.path(),
        "127.0.0.1:1",
        "absent",
        SOURCE,
        "http://127.0.0.1:1/x",
        100,
        "transaction_timeout_ms = 3000",
    );
    let mut daemon = Daemon::spawn(
        &["run", "--config", config.to_str().unwrap()],
        dir.path().join("run.log"),
    );
    daemon
        .wait_for_log(
            "cannot start: Kafka is not ready; retrying",
            Duration::from_secs(60),
        )
        .await;
    assert!(
        daemon.child.try_wait().unwrap().is_none(),
        "still running:\n{}",
        daemon.log_text()
    );
    daemon.signal(libc::SIGTERM);
    let status = tokio::time::timeout(Duration::from_secs(5), daemon.child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", daemon.log_text());
}
