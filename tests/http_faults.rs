//! The `http_json` source against an unreliable upstream (docs/upstream-api.md, "Faults on
//! demand"): server errors, 429 with `Retry-After`, truncated bodies, and records inserted
//! and changed while a pull pages — every record still lands exactly once, in its latest
//! version. And a pull stopped part-way resumes at the page it stopped on.

mod common;
mod http_common;

use std::time::Duration;

use common::*;
use http_common::*;
use ruralsync_sim::{HttpFaults, SimConfig};

/// Faults as the issue states them, and one project changed and one listed after every
/// page served.
fn faulty() -> HttpFaults {
    HttpFaults {
        rates: "5xx=0.10,429=0.02,truncated=0.01".parse().unwrap(),
        retry_after: Duration::from_secs(1),
        insert_per_page: 1,
        ..HttpFaults::default()
    }
}

/// Retry fast (the faults are many), and reach back 2 s: projects changed mid-pull are
/// stamped with the current second, where earlier ones of the same second were already
/// published, and the next pull must look there again.
const RETRY: &str = "retry_initial_ms = 20\nretry_max_ms = 400\nmax_attempts = 10\nlag_secs = 2\n";

/// Pull `style` through the faults, then once more with a quiet upstream to take what
/// changed during the last pages, and check what landed against the upstream's final
/// state. `seed` is chosen so that 429s fall among the first pull's requests (the fault
/// of the n-th request is fixed by the seed).
async fn faults_end_exactly_once(test: &str, seed: u64, style: Style) {
    let sim = sim(SimConfig {
        seed,
        records: 1500,
        http_faults: faulty(),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(test);
    let config = config(dir.path(), &prefix, &sim, style, 50, RETRY);
    let started = std::time::Instant::now();
    let out = once(&config, &[]).await;
    assert_ok(&out);
    let during = sim.sim.stats();
    let counters = pull_counters(&out);
    eprintln!(
        "{test}: first pull {:?}, source {counters:?}, simulator {during:?}",
        started.elapsed()
    );
    assert!(during.faults.server_error > 0, "{during:?}");
    assert!(during.faults.too_many_requests > 0, "{during:?}");
    assert_eq!(during.retry_after_violations, 0, "Retry-After was honoured");
    assert!(during.changed > 0 && during.inserted > 0, "{during:?}");
    assert_eq!(counters["requests"], during.requests);
    assert_eq!(counters["throttled"], during.faults.too_many_requests);
    assert!(counters["retries"] >= during.faults.server_error + during.faults.too_many_requests);
    assert!(counters["waited_ms"] >= 1000 * during.faults.too_many_requests);

    sim.sim.set_http_faults(HttpFaults::default());
    let out = once(&config, &[]).await;
    assert_ok(&out);
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(upstream.len(), 1500 + during.inserted as usize);
    let messages = assert_latest_exactly_once(&prefix, &upstream).await;
    eprintln!(
        "{test}: {} upstream records, {messages} messages, simulator {:?}",
        upstream.len(),
        sim.sim.stats()
    );
}

#[tokio::test]
async fn page_numbers_through_faults_and_moving_records_publish_every_record_exactly_once() {
    faults_end_exactly_once("faults-page", 13, Style::Page).await;
}

#[tokio::test]
async fn cursors_through_faults_and_moving_records_publish_every_record_exactly_once() {
    faults_end_exactly_once("faults-cursor", 34, Style::Cursor).await;
}

/// A full pull stopped after four pages (by `max_pages`) commits `{"page": 5}` with
/// them; the next run asks for page 5 first, not page 1.
#[tokio::test]
async fn a_full_pull_stopped_part_way_resumes_at_the_page_it_stopped_on() {
    let sim = sim(SimConfig {
        seed: 41,
        records: 500,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("resume-page");
    let stopped = config(
        dir.path(),
        &prefix,
        &sim,
        Style::Page,
        50,
        "incremental = false\nmax_pages = 4\n",
    );
    let out = once(&stopped, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        common::text(&out.stdout).contains("max_pages = 4"),
        "{}",
        output_text(&out)
    );
    assert_eq!(sim.sim.stats().requests, 4);
    let checkpoint = checkpoint_of(&prefix).await;
    assert_eq!(
        checkpoint.state,
        Some(serde_json::json!({"pagination": "page", "page": 5}))
    );
    assert_eq!(
        read_family(&prefix, "property_rights_transaction")
            .await
            .len(),
        200
    );

    let full = config(
        dir.path(),
        &prefix,
        &sim,
        Style::Page,
        50,
        "incremental = false\n",
    );
    assert_ok(&once(&full, &[]).await);
    // Pages 5–10, then the empty page 11 that ends the list: seven requests, not eleven.
    assert_eq!(sim.sim.stats().requests, 4 + 7);
    assert_eq!(
        checkpoint_of(&prefix).await.state,
        None,
        "a finished pull leaves no state"
    );
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await,
        (500, 0, 0)
    );
}

/// The same with cursor tokens: the token of the page after the last committed one is
/// the state, and the next run sends it.
#[tokio::test]
async fn a_cursor_pull_stopped_part_way_resumes_with_its_token() {
    let sim = sim(SimConfig {
        seed: 42,
        records: 500,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("resume-cursor");
    let stopped = config(
        dir.path(),
        &prefix,
        &sim,
        Style::Cursor,
        50,
        "max_pages = 3\n",
    );
    let out = once(&stopped, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let state = checkpoint_of(&prefix)
        .await
        .state
        .expect("a cursor to resume at");
    assert_eq!(state["pagination"], "cursor");
    assert!(
        state["cursor"].as_str().is_some_and(|t| !t.is_empty()),
        "{state}"
    );
    assert_eq!(sim.sim.stats().requests, 3);

    let full = config(dir.path(), &prefix, &sim, Style::Cursor, 50, "");
    assert_ok(&once(&full, &[]).await);
    // Pages 4–10 (the tenth says hasMore = false).
    assert_eq!(sim.sim.stats().requests, 3 + 7);
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await,
        (500, 0, 0)
    );
}

async fn checkpoint_of(prefix: &str) -> ruralsync::sink::kafka::Checkpoint {
    let mut all = ruralsync::sink::kafka::load_checkpoints(
        &kafka_config(prefix),
        &format!("{prefix}._checkpoints"),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    all.remove(SOURCE).expect("a checkpoint")
}

/// Slow responses: a request that outlives `timeout_ms` is abandoned and retried, the
/// pull completes exactly once; an upstream that is always too slow fails the run with
/// the timeout named, after `max_attempts`.
#[tokio::test]
async fn slow_responses_time_out_and_are_retried() {
    let sim = sim(SimConfig {
        seed: 7,
        records: 300,
        http_faults: HttpFaults {
            rates: "slow=0.25".parse().unwrap(),
            slow_delay: Duration::from_millis(1500),
            ..HttpFaults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("slow");
    let settings =
        "timeout_ms = 400\nretry_initial_ms = 20\nretry_max_ms = 100\nmax_attempts = 10\n";
    let path = config(dir.path(), &prefix, &sim, Style::Page, 30, settings);
    let out = once(&path, &[]).await;
    assert_ok(&out);
    let stats = sim.sim.stats();
    assert!(stats.faults.slow > 0, "{stats:?}");
    let counters = pull_counters(&out);
    assert!(
        counters["retries"] >= stats.faults.slow,
        "every slow response was retried: {counters:?} {stats:?}"
    );
    let upstream = all_upstream(&sim.url).await;
    assert_latest_exactly_once(&prefix, &upstream).await;

    sim.sim.set_http_faults(HttpFaults {
        rates: "slow=1.0".parse().unwrap(),
        slow_delay: Duration::from_millis(1500),
        ..HttpFaults::default()
    });
    let settings = "timeout_ms = 200\nretry_initial_ms = 20\nretry_max_ms = 50\nmax_attempts = 3\nincremental = false\n";
    let path = config(dir.path(), &prefix, &sim, Style::Page, 30, settings);
    let out = once(&path, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("timed out") || text.contains("timeout"),
        "{text}"
    );
    assert!(
        text.contains("jinzhong") && text.contains("page 1"),
        "{text}"
    );
}
