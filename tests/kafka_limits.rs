//! Produce errors no retry cures never loop. A record larger than its topic accepts was
//! retried forever (`once` never returned), and so was a page for a topic deleted under
//! a running source. Now the record goes to the dead-letter topic as `too_large` while
//! the rest of its page is published, and a deleted topic stops the source, naming it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::{routing::get, Json, Router};
use common::*;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;
use serde_json::{json, Value};

const ID_NUMBER: &str = "11010519491231002X";

fn record(id: &str, name: &str, updated: &str) -> Value {
    json!({
        "项目编号": id, "项目名称": name, "交易品种": "林权", "交易方式": "协议",
        "流转方式": "转让", "项目状态": "成交", "行政区划代码": "140702100200",
        "面积": 10, "面积单位": "亩", "挂牌价(万元)": 1, "成交价(万元)": "1.2",
        "成交日期": "2023-03-31", "更新时间": updated,
        "受让方": "王建军", "受让方类型": "自然人",
        "受让方证件号码": ID_NUMBER, "受让方联系电话": "13800138000"
    })
}

/// A page-number API serving whatever `records` holds, all on page 1.
async fn serve(records: Arc<Mutex<Vec<Value>>>) -> String {
    let app = Router::new().route(
        "/list",
        get(move || {
            let list = records.lock().unwrap().clone();
            async move {
                Json(json!({"code": 0, "msg": "成功", "data": {"total": list.len(), "list": list}}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/list", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn admin() -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap()
}

/// Create `topic` with `max.message.bytes` = `limit`, before ruralsync does.
async fn create_small_topic(topic: &str, limit: usize) {
    let limit = limit.to_string();
    let results =
        admin()
            .create_topics(
                &[NewTopic::new(topic, 2, TopicReplication::Fixed(1))
                    .set("max.message.bytes", &limit)],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_over_the_topics_max_message_bytes_was_retried_forever() {
    let prefix = unique_prefix("too-large");
    let records_topic = format!("{prefix}.property_rights_transaction.v1");
    create_small_topic(&records_topic, 4_000).await;
    create_small_topic(&format!("{prefix}.dead_letter.v1"), 5_000).await;
    let huge_name = "大".repeat(3_000); // 9,000 bytes of UTF-8
    let mut records: Vec<Value> = (1..=20)
        .map(|i| record(&format!("B{i:02}"), "测试项目", "2024-01-01 10:00:00"))
        .collect();
    records[6] = record("B07", &huge_name, "2024-01-01 10:00:00");
    let url = serve(Arc::new(Mutex::new(records))).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &prefix, "fixture", &url, 100);

    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        ruralsync(&["once", "--config", config.to_str().unwrap()]),
    )
    .await
    .expect("once returns");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("20 fetched, 19 published, 1 dead letters")
            && stdout.contains("dead letters too_large: 1"),
        "{stdout}"
    );
    println!(
        "once with one record over the limit: {:?}",
        started.elapsed()
    );

    let published = read_family(&prefix, "property_rights_transaction").await;
    let mut keys: Vec<&str> = published.iter().map(|r| r.key.as_str()).collect();
    keys.sort();
    let expected: Vec<String> = (1..=20)
        .filter(|i| *i != 7)
        .map(|i| format!("fixture:B{i:02}"))
        .collect();
    assert_eq!(keys, expected);

    let dead = read_family(&prefix, "dead_letter").await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let d = &dead[0];
    assert_eq!(d.key, "fixture:B07");
    assert_eq!(d.str("reason").as_deref(), Some("too_large"));
    assert_eq!(d.str("native_id").as_deref(), Some("B07"));
    let message = d.str("message").unwrap();
    assert!(
        message.starts_with("record fixture:B07 is ")
            && message.contains(
                "bytes as a Kafka message, over the 4000-byte limit (max.message.bytes of topic"
            )
            && message.contains(&records_topic),
        "{message}"
    );
    // The raw record, personal data protected, cut to fit the dead-letter topic.
    let raw = d.str("raw_record").unwrap();
    assert!(raw.contains("[cut to fit the topic:"), "{raw}");
    assert!(raw.starts_with('{') && raw.contains("大大大"), "{raw}");
    assert!(
        !raw.contains(ID_NUMBER) && !raw.contains("13800138000"),
        "{raw}"
    );
    assert!(raw.len() < 5_000, "{}", raw.len());

    // Nothing is retried: a second run dead-letters it no more and publishes nothing.
    let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
    assert!(
        text(&out.stdout).contains("0 published, 0 dead letters")
            && text(&out.stdout).contains("1 dead letters unchanged"),
        "{}",
        text(&out.stdout)
    );
}

/// The limits read at start are stale once the topic's `max.message.bytes` is lowered
/// while the daemon runs: the broker's own MESSAGE_TOO_LARGE answer is handled the same
/// way (the limit read again, the page planned again), not retried forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_limit_lowered_while_running_turns_the_brokers_refusal_into_a_dead_letter() {
    let prefix = unique_prefix("lowered");
    let records = Arc::new(Mutex::new(vec![record(
        "C01",
        "测试项目",
        "2024-01-01 10:00:00",
    )]));
    let url = serve(records.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &prefix, "fixture", &url, 100);
    let daemon = Daemon::spawn(
        &["run", "--config", config.to_str().unwrap()],
        dir.path().join("run.log"),
    );
    daemon
        .wait_for_log("page committed", Duration::from_secs(60))
        .await;

    let topic = format!("{prefix}.property_rights_transaction.v1");
    let alter = AlterConfig::new(ResourceSpecifier::Topic(&topic)).set("max.message.bytes", "4000");
    let altered = admin()
        .alter_configs(&[alter], &AdminOptions::new())
        .await
        .unwrap();
    assert!(altered.iter().all(Result::is_ok), "{altered:?}");
    records.lock().unwrap().extend([
        record("C02", &"大".repeat(3_000), "2024-01-01 10:00:01"),
        record("C03", "测试项目", "2024-01-01 10:00:02"),
    ]);
    daemon
        .wait_for_log("dead_letters=1", Duration::from_secs(60))
        .await;
    let log = daemon.log_text();
    assert!(
        log.contains("the broker refused a message as too large; its topic's limit was read again"),
        "{log}"
    );
    let dead = read_family(&prefix, "dead_letter").await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "fixture:C02");
    assert_eq!(dead[0].str("reason").as_deref(), Some("too_large"));
    let mut keys: Vec<String> = read_family(&prefix, "property_rights_transaction")
        .await
        .into_iter()
        .map(|r| r.key)
        .collect();
    keys.sort();
    assert_eq!(keys, ["fixture:C01", "fixture:C03"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_deleted_under_a_running_source_was_retried_forever() {
    let sim = start_sim(7, 3_000).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("deleted");
    let config = write_config_with(
        dir.path(),
        &bootstrap(),
        &prefix,
        "jinzhong",
        &sim.url,
        20,
        "transaction_timeout_ms = 10000\nretry_backoff_initial_ms = 500\nretry_backoff_max_ms = 2000",
    );
    let mut daemon = Daemon::spawn(
        &["run", "--config", config.to_str().unwrap()],
        dir.path().join("run.log"),
    );
    daemon
        .wait_for_log("page committed", Duration::from_secs(60))
        .await;
    let topic = format!("{prefix}.property_rights_transaction.v1");
    let deleted = admin()
        .delete_topics(&[&topic], &AdminOptions::new())
        .await
        .unwrap();
    assert!(deleted.iter().all(Result::is_ok), "{deleted:?}");
    let since = Instant::now();

    let status = tokio::time::timeout(Duration::from_secs(90), daemon.child.wait())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the daemon stops the source and exits:\n{}",
                daemon.log_text()
            )
        })
        .unwrap();
    let stopped_after = since.elapsed();
    let log = daemon.log_text();
    assert_eq!(status.code(), Some(1), "every source stopped:\n{log}");
    let stop_line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("source stopped"))
        .unwrap_or_else(|| panic!("an ERROR line stops the source:\n{log}"));
    assert!(
        stop_line.contains(&format!("on topic {topic}"))
            && stop_line.contains("the topic does not exist")
            && stop_line.contains("restart ruralsync"),
        "{stop_line}"
    );
    println!("{stop_line}");
    let retries = log.matches("publishing a page failed").count();
    println!(
        "deleted topic: source stopped {stopped_after:?} after the deletion, {retries} retries"
    );
    assert!(retries <= 3, "no endless loop: {retries} retries\n{log}");
}
