//! The admin server of the real `ruralsync run`, against the simulator and real Kafka:
//! health and readiness, the metrics after a cycle (equal to what the topics hold), the
//! sources API, run now (honoured, never overlapping), pause and resume, refused tokens.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use ruralsync_sim::{Profile, SimConfig};

const SOURCE: &str = "jz";
const TOKEN: &str = "admin-token-0123456789abcdef";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A config with one source on `url` firing on `schedule`, and `[admin]` with `admin`.
fn write_admin_config(
    dir: &Path,
    prefix: &str,
    url: &str,
    schedule: &str,
    http: &str,
    admin: &str,
) -> String {
    let path = dir.join("ruralsync.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[kafka]
bootstrap_servers = "{bootstrap}"
topic_prefix = "{prefix}"
transactional_id_prefix = "{prefix}"
topic_partitions = 2

[admin]
{admin}

[sources.{SOURCE}]
type = "http_json"
family = "property_rights_transaction"
schedule = "{schedule}"

[sources.{SOURCE}.http]
url = "{url}"
{http}
"#,
            bootstrap = bootstrap()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

struct Admin {
    base: String,
    http: reqwest::Client,
}

impl Admin {
    fn new(port: u16) -> Admin {
        Admin {
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        match self.http.get(format!("{}{path}", self.base)).send().await {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap()),
            Err(_) => (0, String::new()),
        }
    }

    async fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn post(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Poll `path` until it answers `status` (panics after `timeout`).
    async fn wait_for(
        &self,
        path: &str,
        status: u16,
        timeout: Duration,
        daemon: &Daemon,
    ) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (got, body) = self.get(path).await;
            if got == status {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} answered {got} {body}, not {status}\n{}",
                daemon.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Poll the source until `done` holds for its JSON.
    async fn wait_source(
        &self,
        timeout: Duration,
        daemon: &Daemon,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let state = self.json(&format!("/api/v1/sources/{SOURCE}")).await;
            if done(&state) {
                return state;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "source state {state}\n{}",
                daemon.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The value of the sample `series` (name and labels, exactly as exposed) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_publishes_and_the_metrics_equal_what_the_topics_hold() {
    const RECORDS: usize = 300;
    let sim = start_sim_with(SimConfig {
        seed: 1301,
        records: RECORDS,
        profile: Profile::Dirty,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("admin");
    let port = free_port();
    std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let admin_table = format!(
        "listen = \"127.0.0.1:{port}\"\ntoken_file = \"{}\"",
        dir.path().join("token").display()
    );
    // Fires once a year: every cycle here is a run-now. 2 requests a second over 10-record
    // pages make a cycle last about 15 s, long enough to ask again while it runs.
    let config = write_admin_config(
        dir.path(),
        &prefix,
        &sim.url,
        "0 0 3 1 1 *",
        "page_size = 10\nmax_requests_per_second = 2.0",
        &admin_table,
    );
    let daemon = Daemon::spawn(&["run", "--config", &config], dir.path().join("run.log"));
    let admin = Admin::new(port);

    admin
        .wait_for("/healthz", 200, Duration::from_secs(30), &daemon)
        .await;
    admin
        .wait_for("/readyz", 200, Duration::from_secs(60), &daemon)
        .await;
    let sources = admin.json("/api/v1/sources").await;
    assert_eq!(sources["sources"][0]["name"], SOURCE);
    assert_eq!(sources["sources"][0]["status"], "idle");
    assert!(
        sources["sources"][0]["next_fire_at"].is_string(),
        "{sources}"
    );
    assert_eq!(admin.get("/api/v1/sources/nope").await.0, 404);
    let (_, before) = admin.get("/metrics").await;
    let published = format!("ruralsync_records_published_total{{source=\"{SOURCE}\",family=\"property_rights_transaction\"}}");
    assert_eq!(sample(&before, &published), Some(0.0), "{before}");

    // Refused tokens change nothing.
    let run = format!("/api/v1/sources/{SOURCE}/run");
    assert_eq!(admin.post(&run, None).await.0, 401);
    assert_eq!(
        admin
            .post(&run, Some("admin-token-0123456789abcdeX"))
            .await
            .0,
        401
    );
    assert_eq!(
        admin
            .post(&format!("/api/v1/sources/{SOURCE}/pause"), Some("wrong"))
            .await
            .0,
        401
    );

    let (status, body) = admin.post(&run, Some(TOKEN)).await;
    assert_eq!(status, 202, "{body}");
    admin
        .wait_source(Duration::from_secs(10), &daemon, |s| {
            s["status"] == "running"
        })
        .await;
    let (status, body) = admin.post(&run, Some(TOKEN)).await;
    assert_eq!(status, 409, "run now while running is refused: {body}");
    let state = admin
        .wait_source(Duration::from_secs(120), &daemon, |s| {
            s["last_cycle"].is_object() && s["status"] == "idle"
        })
        .await;
    assert_eq!(state["last_cycle"]["outcome"], "success", "{state}");
    assert_eq!(state["last_cycle"]["trigger"], "manual", "{state}");

    let records = read_family(&prefix, "property_rights_transaction").await;
    let dead = read_decoded(
        &prefix,
        &format!("{prefix}.dead_letter.v1"),
        &schema_file("dead_letter.avsc"),
    )
    .await;
    assert!(
        records.len() > 200 && !dead.is_empty(),
        "{} records, {} dead letters",
        records.len(),
        dead.len()
    );
    assert_eq!(records.len() + dead.len(), RECORDS);
    let (_, metrics) = admin.get("/metrics").await;
    assert_eq!(
        sample(&metrics, &published),
        Some(records.len() as f64),
        "{metrics}"
    );
    let dead_total: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("ruralsync_records_dead_lettered_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(dead_total, dead.len() as f64, "{metrics}");
    let fetched = format!("ruralsync_records_fetched_total{{source=\"{SOURCE}\",family=\"property_rights_transaction\"}}");
    assert_eq!(sample(&metrics, &fetched), Some(RECORDS as f64));
    let cycles = |outcome: &str| {
        format!("ruralsync_cycles_total{{source=\"{SOURCE}\",outcome=\"{outcome}\"}}")
    };
    assert_eq!(
        sample(&metrics, &cycles("success")),
        Some(1.0),
        "one cycle: the refused run was not queued"
    );
    let pages = RECORDS.div_ceil(10) as f64;
    let ok =
        format!("ruralsync_upstream_requests_total{{source=\"{SOURCE}\",status_class=\"2xx\"}}");
    assert!(sample(&metrics, &ok).unwrap() >= pages, "{metrics}");
    let committed =
        format!("ruralsync_kafka_transactions_total{{source=\"{SOURCE}\",outcome=\"committed\"}}");
    let committed_pages = state["last_cycle"]["pages"].as_f64().unwrap();
    assert!(committed_pages >= pages, "{state}");
    assert_eq!(
        sample(&metrics, &committed),
        Some(committed_pages),
        "{metrics}"
    );
    for name in [
        "ruralsync_freshness_seconds{",
        "ruralsync_last_success_timestamp_seconds{",
        "ruralsync_cycle_duration_seconds_bucket{",
        "ruralsync_build_info{",
        "ruralsync_source_state{",
        "ruralsync_schedule_interval_seconds{",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
    let log = daemon.log_text();
    assert_eq!(log.matches("sync started").count(), 1, "{log}");

    // `ruralsync status` prints the same as a table.
    let out = ruralsync(&["status", "--config", &config]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let row = table.lines().nth(1).unwrap_or_default();
    assert!(
        table.starts_with("SOURCE")
            && row.starts_with("jz")
            && row.contains("idle")
            && row.contains("success (manual)"),
        "{table}"
    );
    assert!(row.contains(&records.len().to_string()), "{table}");

    // Pause: run now refused; resume: accepted again.
    assert_eq!(
        admin
            .post(&format!("/api/v1/sources/{SOURCE}/pause"), Some(TOKEN))
            .await
            .0,
        202
    );
    admin
        .wait_source(Duration::from_secs(10), &daemon, |s| {
            s["status"] == "paused"
        })
        .await;
    assert_eq!(admin.post(&run, Some(TOKEN)).await.0, 409);
    assert_eq!(
        admin
            .post(&format!("/api/v1/sources/{SOURCE}/resume"), Some(TOKEN))
            .await
            .0,
        202
    );
    admin
        .wait_source(Duration::from_secs(10), &daemon, |s| s["status"] == "idle")
        .await;
    daemon.signal(libc::SIGTERM);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_once_a_source_fails_longer_than_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("admin-ready");
    let port = free_port();
    // Nothing listens there: every request fails without an answer.
    let dead_url = format!("http://127.0.0.1:{}/api/v1/transactions", free_port());
    let config = write_admin_config(
        dir.path(),
        &prefix,
        &dead_url,
        "* * * * * *",
        "max_attempts = 1",
        &format!("listen = \"127.0.0.1:{port}\"\nready_failing_grace_secs = 2"),
    );
    let daemon = Daemon::spawn(&["run", "--config", &config], dir.path().join("run.log"));
    let admin = Admin::new(port);
    admin
        .wait_for("/healthz", 200, Duration::from_secs(30), &daemon)
        .await;
    let body = admin
        .wait_for("/readyz", 503, Duration::from_secs(60), &daemon)
        .await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    // Before Kafka answered, or once the source failed past the grace; wait for the latter.
    let body = if body["failed"][0]["check"] == "kafka" {
        admin
            .wait_for("/readyz", 200, Duration::from_secs(60), &daemon)
            .await;
        let body = admin
            .wait_for("/readyz", 503, Duration::from_secs(30), &daemon)
            .await;
        serde_json::from_str(&body).unwrap()
    } else {
        body
    };
    assert_eq!(body["status"], "not_ready");
    assert_eq!(
        body["failed"][0]["check"],
        format!("source:{SOURCE}"),
        "{body}"
    );
    assert!(
        body["failed"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ready_failing_grace_secs"),
        "{body}"
    );
    let state = admin.json(&format!("/api/v1/sources/{SOURCE}")).await;
    assert!(state["failing_since"].is_string(), "{state}");
    let (_, metrics) = admin.get("/metrics").await;
    let failures = format!("ruralsync_cycles_total{{source=\"{SOURCE}\",outcome=\"failure\"}}");
    assert!(sample(&metrics, &failures).unwrap() >= 2.0, "{metrics}");
    let errors =
        format!("ruralsync_upstream_requests_total{{source=\"{SOURCE}\",status_class=\"error\"}}");
    assert!(sample(&metrics, &errors).unwrap() >= 2.0, "{metrics}");
    let failing = format!("ruralsync_source_state{{source=\"{SOURCE}\",state=\"failing\"}}");
    assert_eq!(sample(&metrics, &failing), Some(1.0), "{metrics}");
    // Without a token, commands are refused as disabled.
    assert_eq!(
        admin
            .post(&format!("/api/v1/sources/{SOURCE}/run"), Some(TOKEN))
            .await
            .0,
        403
    );
    daemon.signal(libc::SIGTERM);
}

#[tokio::test]
async fn a_listen_address_beyond_loopback_without_a_token_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_admin_config(
        dir.path(),
        "t-unused",
        "http://127.0.0.1:9/x",
        "* * * * * *",
        "",
        "listen = \"0.0.0.0:9780\"",
    );
    for command in ["check", "run"] {
        let out = ruralsync(&[command, "--config", &config]).await;
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = text(&out.stderr);
        assert!(
            err.contains("key `admin.listen`") && err.contains("admin.token_env"),
            "{err}"
        );
    }
    // A token file that is missing is refused at start, naming the key.
    let config = write_admin_config(
        dir.path(),
        "t-unused",
        "http://127.0.0.1:9/x",
        "* * * * * *",
        "",
        "listen = \"0.0.0.0:9780\"\ntoken_file = \"/nonexistent/token\"",
    );
    let out = ruralsync(&["run", "--config", &config]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("admin.token_file") && err.contains("/nonexistent/token"),
        "{err}"
    );
    // No daemon answers: status says so, exit 1.
    let port = free_port();
    let config = write_admin_config(
        dir.path(),
        "t-unused",
        "http://127.0.0.1:9/x",
        "* * * * * *",
        "",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    let out = ruralsync(&["status", "--config", &config]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is `ruralsync run` running with this config?"),
        "{}",
        text(&out.stderr)
    );
}
