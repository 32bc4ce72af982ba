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

    // The cursor passed the bad record too: a second run publishes nothing.
    let out = ruralsync(&["once", "--config", config.to_str().unwrap()]).await;
    assert!(
        text(&out.stdout).contains("0 published, 0 dead letters, 3 already published"),
        "{}",
        text(&out.stdout)
    );
}
