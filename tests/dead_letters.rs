//! A bad record goes to the dead-letter topic with its reason; the good records of its
//! page are published, and the cursor moves past both.

mod common;

use axum::{routing::get, Json, Router};
use common::*;
use serde_json::json;

fn record(id: &str, deal_date: &str, updated: &str) -> serde_json::Value {
    json!({
        "项目编号": id, "项目名称": "测试项目", "交易品种": "林权", "交易方式": "协议",
        "流转方式": "转让", "项目状态": "成交", "行政区划代码": "140702100200",
        "面积": 10, "面积单位": "亩", "挂牌价(万元)": 1, "成交价(万元)": "1.2",
        "成交日期": deal_date, "更新时间": updated,
        "受让方": "王建军", "受让方类型": "自然人",
        "受让方证件号码": "11010519491231002X", "受让方联系电话": "13800138000"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_date_goes_to_the_dead_letter_topic_and_the_page_goes_on() {
    let page = json!({"code": 0, "msg": "成功", "data": {"total": 3, "list": [
        record("A1", "2023-03-31", "2024-01-01 10:00:00"),
        record("A2", "2023-02-30", "2024-01-01 10:00:00"),
        record("A3", "2023/4/1", "2024-01-01 10:00:01"),
    ]}});
    let app = Router::new().route("/list", get(move || async move { Json(page.clone()) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/list", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("dlq");
    let config = write_config(dir.path(), &prefix, "fixture", &url, 10);
    let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("3 fetched, 2 published, 1 dead letters"),
        "{}",
        text(&out.stdout)
    );

    let good = read_family(&prefix, "property_rights_transaction").await;
    let mut keys: Vec<_> = good.iter().map(|r| r.key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["fixture:A1", "fixture:A3"]);

    let dead = read_family(&prefix, "dead_letter").await;
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(d.key, "fixture:A2");
    assert_eq!(d.str("source").as_deref(), Some("fixture"));
    assert_eq!(
        d.str("family").as_deref(),
        Some("property_rights_transaction")
    );
    assert_eq!(d.str("native_id").as_deref(), Some("A2"));
    assert_eq!(d.str("field").as_deref(), Some("成交日期"));
    assert_eq!(d.str("reason").as_deref(), Some("bad_date"));
    assert_eq!(
        d.str("message").as_deref(),
        Some("\"2023-02-30\" is not a real date: 2023-02 has 28 days, not 30")
    );
    assert_eq!(
        ruralsync::avro::decode::nullable(d.get("page")),
        Some(&apache_avro::types::Value::Long(1))
    );

    // The cursor passed the bad record too. The second run reads all three again (they
    // are inside the default 60 s lag window) and publishes nothing twice.
    let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
    assert!(
        text(&out.stdout).contains(
            "0 published, 0 dead letters, 0 already published, 2 unchanged, 1 dead letters unchanged"
        ),
        "{}",
        text(&out.stdout)
    );
}

/// A full pull reads every record on every run: a bad record is dead-lettered once, not
/// once per run; mended upstream it is published; broken again it is dead-lettered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_record_read_again_is_dead_lettered_once_until_it_changes() {
    use std::sync::{Arc, Mutex};
    let deal_date = Arc::new(Mutex::new("2023-02-30".to_owned()));
    let served = Arc::clone(&deal_date);
    let app = Router::new().route(
        "/list",
        get(move || {
            let date = served.lock().unwrap().clone();
            async move {
                Json(
                    json!({"code": 0, "msg": "成功", "data": {"total": 2, "list": [
                        record("B1", "2023-03-31", "2024-01-01 10:00:00"),
                        record("B2", &date, "2024-01-01 10:00:00"),
                    ]}}),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/list", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("dlq-again");
    let config = write_config_full(
        dir.path(),
        &bootstrap(),
        &prefix,
        "full",
        &url,
        10,
        "",
        "incremental = false",
    );
    let once = || async {
        let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let reasons = || async {
        read_family(&prefix, "dead_letter")
            .await
            .iter()
            .map(|d| (d.key.clone(), d.str("message").unwrap()))
            .collect::<Vec<_>>()
    };
    let first = once().await;
    assert!(
        first.contains("2 fetched, 1 published, 1 dead letters"),
        "{first}"
    );
    let second = once().await;
    assert!(
        second.contains("0 published, 0 dead letters, 0 already published, 1 unchanged, 1 dead letters unchanged"),
        "{second}"
    );
    assert_eq!(reasons().await.len(), 1);

    // Mended upstream: published, and its dead letter forgotten.
    *deal_date.lock().unwrap() = "2023-04-02".to_owned();
    let mended = once().await;
    assert!(mended.contains("1 published, 0 dead letters"), "{mended}");
    let good = read_family(&prefix, "property_rights_transaction").await;
    let b2: Vec<_> = good.iter().filter(|r| r.key == "full:B2").collect();
    assert_eq!(b2.len(), 1);
    let april_2 =
        chrono::NaiveDate::from_ymd_opt(2023, 4, 2).unwrap() - chrono::NaiveDate::default();
    assert_eq!(
        ruralsync::avro::decode::nullable(b2[0].get("deal_date")),
        Some(&apache_avro::types::Value::Date(april_2.num_days() as i32))
    );

    // Broken the same way again: dead-lettered again.
    *deal_date.lock().unwrap() = "2023-02-30".to_owned();
    let relapse = once().await;
    assert!(relapse.contains("0 published, 1 dead letters"), "{relapse}");
    let dead = reasons().await;
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|(key, _)| key == "full:B2"), "{dead:?}");
}
