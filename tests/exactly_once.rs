//! Exactly once from source cursor to topic, through kill -9, SIGTERM, a second
//! instance and a broker outage — against the real broker and the real binary.
//!
//! The crash test's size comes from the environment: `RURALSYNC_CRASH_RECORDS` (default
//! 20000) and `RURALSYNC_CRASH_KILLS` (default 5); `scripts/crash-test` runs the full
//! version (100000 records, 20 kills).

mod common;

use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};

const SOURCE: &str = "jinzhong";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_and_duplicates_nothing() {
    let records = env_number("RURALSYNC_CRASH_RECORDS", 20_000);
    let kills = env_number("RURALSYNC_CRASH_KILLS", 5);
    let sim = start_sim(21, records).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("crash");
    let config = write_config_with(
        dir.path(),
        &bootstrap(),
        &prefix,
        SOURCE,
        &sim.url,
        500,
        "transaction_timeout_ms = 10000",
    );
    let config = config.to_str().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (mut hit, mut missed) = (0, 0);
    for i in 0..kills {
        let mut daemon = Daemon::spawn(
            &["once", "--config", config],
            dir.path().join(format!("crash-{i}.log")),
        );
        // Let it get past start-up (a second or so) into publishing, then kill it.
        let delay = Duration::from_millis(rng.random_range(800..2_500));
        tokio::time::sleep(delay).await;
        if daemon.child.try_wait().unwrap().is_none() {
            daemon.child.start_kill().unwrap(); // SIGKILL
            daemon.child.wait().await.unwrap();
            hit += 1;
        } else {
            missed += 1;
        }
    }
    let out = ruralsync(&["once", "--config", config]).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(upstream.len(), records);
    let (landed, lost, duplicated) =
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await;
    println!(
        "crash test: {records} upstream records, {hit} kill -9 during a sync ({missed} runs had already finished), {landed} records in the topic, {lost} lost, {duplicated} duplicated"
    );
    assert_eq!((landed, lost, duplicated), (records, 0, 0));
    assert!(
        hit >= kills.min(3),
        "most kills must land mid-sync: {hit} of {kills}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_zero_within_the_grace_period_and_the_next_start_resumes() {
    const RECORDS: usize = 20_000;
    let sim = start_sim(22, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("sigterm");
    let config = write_config_with(dir.path(), &bootstrap(), &prefix, SOURCE, &sim.url, 100, "");
    let config = config.to_str().unwrap();
    let daemon = Daemon::spawn(
        &["run", "--config", config, "--grace-period-secs", "5"],
        dir.path().join("run.log"),
    );
    daemon
        .wait_for_log("page committed", Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    daemon.signal(libc::SIGTERM);
    let mut daemon = daemon;
    let status = tokio::time::timeout(Duration::from_secs(5), daemon.child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    let took = asked.elapsed();
    assert_eq!(status.code(), Some(0), "{}", daemon.log_text());
    assert!(
        daemon.log_text().contains("shutting down"),
        "{}",
        daemon.log_text()
    );

    let kafka = kafka_config(&prefix);
    let checkpoints = ruralsync::sink::kafka::load_checkpoints(
        &kafka,
        &format!("{prefix}._checkpoints"),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let stopped_at = checkpoints[SOURCE].published_total as usize;
    assert!(
        stopped_at > 0 && stopped_at < RECORDS,
        "stopped mid-sync: {stopped_at}"
    );

    let out = ruralsync(&["once", "--config", config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let resumed = text(&out.stdout);
    assert!(
        resumed.contains(&format!("{} published", RECORDS - stopped_at)),
        "resumes after the checkpoint ({stopped_at}): {resumed}"
    );
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka, SOURCE, &upstream).await,
        (RECORDS, 0, 0)
    );
    println!(
        "sigterm test: exit 0 after {took:?}; {stopped_at} records committed before, {} after",
        RECORDS - stopped_at
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_fences_the_first_and_records_stay_exactly_once() {
    const RECORDS: usize = 20_000;
    let sim = start_sim(23, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("fence");
    let config = write_config_with(dir.path(), &bootstrap(), &prefix, SOURCE, &sim.url, 100, "");
    let config = config.to_str().unwrap();
    let first = Daemon::spawn(&["run", "--config", config], dir.path().join("first.log"));
    first
        .wait_for_log("page committed", Duration::from_secs(30))
        .await;
    let second = Daemon::spawn(&["run", "--config", config], dir.path().join("second.log"));

    let mut first = first;
    let status = tokio::time::timeout(Duration::from_secs(60), first.child.wait())
        .await
        .expect("the fenced instance stops")
        .unwrap();
    assert_eq!(status.code(), Some(1), "{}", first.log_text());
    let log = first.log_text();
    assert!(
        log.contains("fenced: another instance publishes this source"),
        "{log}"
    );
    assert!(
        log.contains("every source stopped (fenced by another instance)"),
        "{log}"
    );

    // The second instance carries on to the end; then stop it.
    let kafka = kafka_config(&prefix);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let c = ruralsync::sink::kafka::load_checkpoints(
            &kafka,
            &format!("{prefix}._checkpoints"),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        if c.get(SOURCE)
            .is_some_and(|c| c.published_total as usize >= RECORDS)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "second instance did not finish:\n{}",
            second.log_text()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    second.signal(libc::SIGTERM);
    let mut second = second;
    assert_eq!(second.child.wait().await.unwrap().code(), Some(0));
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka, SOURCE, &upstream).await,
        (RECORDS, 0, 0)
    );
}
