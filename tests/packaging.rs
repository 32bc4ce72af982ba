//! Packaging and monitoring files, each checked by the real tool on this machine: the
//! systemd unit (`systemd-analyze verify` and its offline security score), the Debian
//! package (`cargo deb`, `dpkg -i`, started as its system user far enough to answer
//! `/healthz`, then purged), `docker-compose config`, the alert rules (`promtool check
//! rules`, `promtool test rules`) and the Grafana dashboard (every metric it queries is
//! in the daemon's `/metrics`).
//!
//! The tools come from `scripts/ops-tools` and `scripts/pyenv compose`. A test whose
//! tool is absent skips with the reason, unless `RURALSYNC_REQUIRE_OPS_TOOLS` is set (as
//! `scripts/test` does after installing them): then it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cache() -> PathBuf {
    std::env::var_os("RURALSYNC_CACHE").map_or_else(|| repo().join(".cache"), PathBuf::from)
}

fn required() -> bool {
    std::env::var_os("RURALSYNC_REQUIRE_OPS_TOOLS").is_some()
}

/// `path` if the tool is there; `None` (the test skips, saying why) if not, unless
/// the tools are required.
fn tool(name: &str, path: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(path) = path.filter(|p| p.is_file()) {
        return Some(path);
    }
    assert!(
        !required(),
        "{name} is missing but RURALSYNC_REQUIRE_OPS_TOOLS is set: run scripts/ops-tools (and scripts/pyenv compose)"
    );
    println!("SKIPPED: {name} is not installed; scripts/ops-tools (or scripts/pyenv compose) installs it");
    None
}

fn docker_compose() -> Option<PathBuf> {
    let venvs = std::fs::read_dir(cache().join("pyenv")).ok();
    let found = venvs.into_iter().flatten().flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let bin = e.path().join("bin/docker-compose");
        (name.starts_with("compose-") && bin.is_file()).then_some(bin)
    });
    tool("docker-compose", found)
}

fn run(program: &Path, args: &[&str], cwd: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
}

fn both(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// `systemd-analyze verify` of `unit` with its `ExecStart` binary at `binary`: no
/// warning at all, and an offline security exposure of at most 2.0 ("OK").
fn verify_unit(analyze: &Path, unit_text: &str, binary: &str) {
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("ruralsync.service");
    std::fs::write(&unit, unit_text.replace("/usr/bin/ruralsync", binary)).unwrap();
    let unit = unit.to_str().unwrap();
    let out = run(analyze, &["verify", unit], dir.path());
    assert!(
        out.status.success() && both(&out).trim().is_empty(),
        "systemd-analyze verify: {}",
        both(&out)
    );
    let out = run(analyze, &["security", "--offline=yes", unit], dir.path());
    let report = both(&out);
    let exposure: f64 = report
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for ruralsync.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    assert!(exposure <= 2.0, "exposure {exposure}:\n{report}");
}

#[test]
fn the_systemd_unit_verifies_and_is_sandboxed() {
    let Some(analyze) = tool("systemd-analyze", Some("/usr/bin/systemd-analyze".into())) else {
        return;
    };
    let unit = std::fs::read_to_string(repo().join("packaging/ruralsync.service")).unwrap();
    for line in [
        "User=ruralsync",
        "EnvironmentFile=-/etc/ruralsync/ruralsync.env",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ExecStart=/usr/bin/ruralsync run --config /etc/ruralsync/ruralsync.toml",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing");
    }
    // Before the package is installed, the unit is verified against the built binary.
    verify_unit(&analyze, &unit, env!("CARGO_BIN_EXE_ruralsync"));
    // A unit with a mistake is not verified clean: the check can fail.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.service");
    let bad_unit = unit
        .replace("ProtectSystem=strict", "ProtectSystem=sometimes")
        .replace("/usr/bin/ruralsync", env!("CARGO_BIN_EXE_ruralsync"));
    std::fs::write(&bad, bad_unit).unwrap();
    let out = run(&analyze, &["verify", bad.to_str().unwrap()], dir.path());
    assert!(
        both(&out).contains("protect system value, ignoring: sometimes"),
        "{}",
        both(&out)
    );
}

#[test]
fn the_alert_rules_check_and_fire_when_they_should() {
    let Some(promtool) = tool("promtool", Some("/usr/bin/promtool".into())) else {
        return;
    };
    let dir = repo().join("monitoring");
    let out = run(&promtool, &["check", "rules", "alerts.yml"], &dir);
    assert!(
        out.status.success() && both(&out).contains("SUCCESS: 3 rules found"),
        "{}",
        both(&out)
    );
    let out = run(&promtool, &["test", "rules", "alerts.test.yml"], &dir);
    assert!(out.status.success(), "{}", both(&out));
    for alert in [
        "RuralsyncSourceFailing",
        "RuralsyncDataStale",
        "RuralsyncDeadLetterRate",
    ] {
        let tests = std::fs::read_to_string(dir.join("alerts.test.yml")).unwrap();
        assert!(
            tests.contains(&format!("alertname: {alert}")),
            "{alert} is exercised"
        );
    }
}

#[test]
fn the_compose_file_mounts_the_secrets_and_checks_readiness() {
    let Some(compose) = docker_compose() else {
        return;
    };
    let out = run(&compose, &["-f", "docker-compose.yml", "config"], repo());
    assert!(out.status.success(), "{}", both(&out));
    let normalised = text(&out.stdout);
    for needle in [
        "http://127.0.0.1:9780/readyz",
        "pii_key:",
        "admin_token:",
        "file: ",
        "127.0.0.1:9780",
    ] {
        assert!(
            normalised.contains(needle),
            "{needle} not in:\n{normalised}"
        );
    }
    // The daemon's config in the image reads the key and the token from those secrets:
    // the container no longer exits at start for want of RURALSYNC_PII_KEY.
    let config = ruralsync::config::parse_with_env(
        Path::new("config/docker.toml"),
        &std::fs::read_to_string(repo().join("config/docker.toml")).unwrap(),
        &[],
    )
    .unwrap();
    assert_eq!(
        config.privacy.key.file.as_deref(),
        Some(Path::new("/run/secrets/pii_key"))
    );
    let admin = config.admin.unwrap();
    assert_eq!(admin.listen.to_string(), "0.0.0.0:9780");
    assert!(admin.token.is_some());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get(url: &str, timeout: Duration) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(r) = reqwest::get(url).await {
            return (r.status().as_u16(), r.text().await.unwrap());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} never answered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every metric name a PromQL expression mentions (`ruralsync_…`).
fn metric_names(expr: &str) -> Vec<String> {
    expr.match_indices("ruralsync_")
        .map(|(at, _)| {
            expr[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_and_the_alerts_query_is_exposed() {
    // One cycle over dirty data: dead letters, a last success and a freshness exist.
    let sim = start_sim_with(ruralsync_sim::SimConfig {
        seed: 1303,
        records: 100,
        profile: ruralsync_sim::Profile::Dirty,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let prefix = unique_prefix("dashboard");
    let config = write_config(dir.path(), &prefix, "jz", &sim.url, 50);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace(
        "[sources.jz]",
        &format!("[admin]\nlisten = \"127.0.0.1:{port}\"\n\n[sources.jz]"),
    );
    std::fs::write(&config, text).unwrap();
    let daemon = Daemon::spawn(
        &["run", "--config", config.to_str().unwrap()],
        dir.path().join("run.log"),
    );
    daemon
        .wait_for_log("sync finished", Duration::from_secs(60))
        .await;
    let (status, metrics) = get(
        &format!("http://127.0.0.1:{port}/metrics"),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(status, 200, "{}", daemon.log_text());
    // Exposed names: each `# TYPE` family and the samples its type implies.
    let mut exposed = Vec::new();
    for line in metrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let mut parts = line.split(' ');
        let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            "info" => &["_info"],
            _ => &[""],
        };
        exposed.extend(suffixes.iter().map(|s| format!("{name}{s}")));
    }
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("monitoring/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut queried = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queried.extend(metric_names(target["expr"].as_str().unwrap()));
        }
    }
    queried.extend(metric_names(&dashboard["templating"].to_string()));
    assert!(queried.len() >= 15, "{queried:?}");
    let missing: Vec<_> = queried.iter().filter(|q| !exposed.contains(q)).collect();
    assert!(
        missing.is_empty(),
        "queried but not exposed: {missing:?}\n{metrics}"
    );
    // The alert rules too.
    let rules = std::fs::read_to_string(repo().join("monitoring/alerts.yml")).unwrap();
    let missing: Vec<_> = metric_names(&rules)
        .into_iter()
        .filter(|q| !exposed.contains(q))
        .collect();
    assert!(missing.is_empty(), "alert rules use unexposed {missing:?}");
}

/// Purges the package when dropped, so a failing test leaves nothing installed.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", "ruralsync"]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debian_package_installs_starts_as_its_user_and_purges() {
    let deb_tool = cache().join("cargo-deb-3.8.0/bin/cargo-deb");
    let Some(cargo_deb) = tool("cargo-deb", Some(deb_tool)) else {
        return;
    };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(!required(), "installing the package needs root");
        println!("SKIPPED: installing a Debian package needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deb = dir.path().join("ruralsync.deb");
    // The one release build of a test run.
    let out = run(
        &cargo_deb,
        &[
            "deb",
            "-p",
            "ruralsync",
            "--locked",
            "--output",
            deb.to_str().unwrap(),
        ],
        repo(),
    );
    assert!(out.status.success(), "cargo deb: {}", both(&out));
    let info = Command::new("dpkg-deb")
        .args(["--contents", deb.to_str().unwrap()])
        .output()
        .unwrap();
    for path in [
        "./usr/bin/ruralsync",
        "./etc/ruralsync/ruralsync.toml",
        "./etc/ruralsync/ruralsync.env",
        "./usr/lib/systemd/system/ruralsync.service",
    ] {
        assert!(
            text(&info.stdout).contains(path),
            "{path} not in the package:\n{}",
            text(&info.stdout)
        );
    }
    let _installed = Installed;
    let out = Command::new("dpkg")
        .args(["-i", deb.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "dpkg -i: {}", both(&out));
    let user = Command::new("getent")
        .args(["passwd", "ruralsync"])
        .output()
        .unwrap();
    assert!(user.status.success(), "the system user exists");
    let config = std::fs::metadata("/etc/ruralsync/ruralsync.toml").unwrap();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    assert_eq!(config.permissions().mode() & 0o777, 0o640);
    assert_ne!(config.gid(), 0, "group ruralsync reads it");
    if let Some(analyze) = tool("systemd-analyze", Some("/usr/bin/systemd-analyze".into())) {
        let unit = std::fs::read_to_string("/usr/lib/systemd/system/ruralsync.service").unwrap();
        verify_unit(&analyze, &unit, "/usr/bin/ruralsync");
    }

    // Started as systemd would (its user, its command line), with what ruralsync.env
    // would hold in the environment.
    let port = free_port();
    let prefix = unique_prefix("deb");
    // setpriv executes the daemon in its own process (runuser would fork and wait).
    let mut daemon = tokio::process::Command::new("setpriv")
        .args([
            "--reuid=ruralsync",
            "--regid=ruralsync",
            "--init-groups",
            "--",
            "/usr/bin/ruralsync",
            "run",
            "--config",
            "/etc/ruralsync/ruralsync.toml",
        ])
        .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
        .env("RURALSYNC_ADMIN_LISTEN", format!("127.0.0.1:{port}"))
        .env("RURALSYNC_KAFKA_BOOTSTRAP_SERVERS", bootstrap())
        .env("RURALSYNC_KAFKA_TOPIC_PREFIX", &prefix)
        .env("RURALSYNC_KAFKA_TRANSACTIONAL_ID_PREFIX", &prefix)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (status, body) = get(
        &format!("http://127.0.0.1:{port}/healthz"),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, body) = get(
        &format!("http://127.0.0.1:{port}/readyz"),
        Duration::from_secs(30),
    )
    .await;
    assert!(status == 200 || status == 503, "{status} {body}");
    daemon.kill().await.unwrap();

    drop(_installed);
    assert!(!Path::new("/usr/bin/ruralsync").exists(), "purged");
    assert!(
        !Path::new("/etc/ruralsync/ruralsync.toml").exists(),
        "conffiles purged"
    );
    let user = Command::new("getent")
        .args(["passwd", "ruralsync"])
        .output()
        .unwrap();
    assert!(
        !user.status.success(),
        "the system user is removed on purge"
    );
}
