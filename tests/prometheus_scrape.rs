//! A real Prometheus (Debian's package, from `scripts/ops-tools`) scrapes the daemon
//! while it syncs the simulator; a PromQL query over Prometheus's HTTP API returns the
//! published count the topic holds. Skips, saying why, when Prometheus is absent and
//! `RURALSYNC_REQUIRE_OPS_TOOLS` is unset.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of a PromQL instant query's only sample, if it has one.
async fn query(prometheus: &str, promql: &str) -> Option<f64> {
    let url = format!("{prometheus}/api/v1/query");
    let body: serde_json::Value = reqwest::Client::new()
        .get(url)
        .query(&[("query", promql)])
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_published_count_the_topic_holds() {
    let binary = Path::new("/usr/bin/prometheus");
    if !binary.is_file() {
        assert!(
            std::env::var_os("RURALSYNC_REQUIRE_OPS_TOOLS").is_none(),
            "prometheus is missing but RURALSYNC_REQUIRE_OPS_TOOLS is set: run scripts/ops-tools"
        );
        println!("SKIPPED: /usr/bin/prometheus is not installed; scripts/ops-tools installs it");
        return;
    }
    const RECORDS: usize = 400;
    let sim = start_sim(1304, RECORDS).await;
    let dir = tempfile::tempdir().unwrap();
    let (admin_port, prom_port) = (free_port(), free_port());
    let prefix = unique_prefix("prometheus");
    let config = write_config(dir.path(), &prefix, "jz", &sim.url, 50);
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[sources.jz]",
        &format!("[admin]\nlisten = \"127.0.0.1:{admin_port}\"\n\n[sources.jz]"),
    );
    std::fs::write(&config, text).unwrap();
    let prom_config = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom_config,
        format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ruralsync\n    static_configs:\n      - targets: ['127.0.0.1:{admin_port}']\n"),
    )
    .unwrap();
    let _prometheus = tokio::process::Command::new(binary)
        .arg(format!("--config.file={}", prom_config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let daemon = Daemon::spawn(
        &["run", "--config", config.to_str().unwrap()],
        dir.path().join("run.log"),
    );
    daemon
        .wait_for_log("sync finished", Duration::from_secs(60))
        .await;
    let landed = read_family(&prefix, "property_rights_transaction")
        .await
        .len();
    assert_eq!(landed, RECORDS);

    let prometheus = format!("http://127.0.0.1:{prom_port}");
    let promql = r#"sum(ruralsync_records_published_total{job="ruralsync",source="jz"})"#;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let value = query(&prometheus, promql).await;
        if value == Some(landed as f64) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus answered {value:?}, the topic holds {landed}\n{}",
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let up = query(&prometheus, r#"up{job="ruralsync"}"#).await;
    assert_eq!(up, Some(1.0));
    let success = query(
        &prometheus,
        r#"ruralsync_cycles_total{source="jz",outcome="success"}"#,
    )
    .await;
    assert!(success.unwrap_or(0.0) >= 1.0, "{success:?}");
}
