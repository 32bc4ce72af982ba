//! A panic inside a source was reported as a clean sync: `once` exited 0 and printed
//! nothing for the source, the pull task's join error was dropped. A panicking source is
//! a failed source: logged at ERROR with the panic message and the source's name,
//! `once` exits 1, and `run` keeps the other sources going and tries the panicked one
//! again at its next fire time.
//!
//! The sources' known panics (a lag window overflowing the date arithmetic) are fixed, so
//! the panic is injected: debug builds of `ruralsync` panic the source named by
//! `RURALSYNC_TEST_PANIC` (`<source>` in its pull task, `<source>@start` as its cycle
//! starts).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;

/// Two sources on the same simulator: `good` and `bad`.
fn two_sources(dir: &Path, prefix: &str, url: &str) -> PathBuf {
    let path = dir.join("ruralsync.toml");
    let source = |name: &str| {
        format!(
            "[sources.{name}]\ntype = \"http_json\"\nfamily = \"property_rights_transaction\"\nschedule = \"* * * * * *\"\n[sources.{name}.http]\nurl = \"{url}\"\npage_size = 50\n"
        )
    };
    std::fs::write(
        &path,
        format!(
            "[kafka]\nbootstrap_servers = \"{}\"\ntopic_prefix = \"{prefix}\"\ntransactional_id_prefix = \"{prefix}\"\n\n{}\n{}",
            bootstrap(),
            source("bad"),
            source("good")
        ),
    )
    .unwrap();
    path
}

async fn once_panicking(config: &Path, fault: &str) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(["once", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env("RUST_BACKTRACE", "0")
        .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
        .env("RURALSYNC_TEST_PANIC", fault)
        .output()
        .await
        .unwrap()
}

async fn assert_failed_not_clean(fault: &str, panic_message: &str) {
    let sim = start_sim(11, 120).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("panic");
    let config = two_sources(dir.path(), &prefix, &sim.url);
    let out = once_panicking(&config, fault).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "bad: FAILED: source bad: panicked: {panic_message}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("good: ok: 3 pages, 120 fetched, 120 published"),
        "{stdout}"
    );
    let error_line = stderr
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("sync failed") && l.contains("source=bad"))
        .unwrap_or_else(|| panic!("an ERROR line names the source:\n{stderr}"));
    assert!(error_line.contains(panic_message), "{error_line}");
    let landed = read_family(&prefix, "property_rights_transaction").await;
    assert!(landed.iter().any(|r| r.key.starts_with("good:")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_task_that_panicked_was_reported_as_a_clean_sync() {
    assert_failed_not_clean("bad", "injected test fault: the pull task of bad panics").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_panicking_as_its_pull_starts_was_lost_from_the_report() {
    assert_failed_not_clean(
        "bad@start",
        "injected test fault: bad panics as its pull starts",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_keeps_other_sources_going_and_retries_a_panicking_one() {
    // The panicked source's pages were all published, before its pull task panicked.
    keeps_going_and_retries("bad", 60).await;
}

/// A cycle that panicked may have left a transaction open: the next one replaces the
/// producer first, and goes on failing cleanly, fire after fire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_retries_a_source_panicking_as_it_starts_with_a_fresh_producer() {
    keeps_going_and_retries("bad@start", 0).await;
}

async fn keeps_going_and_retries(fault: &str, bad_published: usize) {
    let sim = start_sim(12, 60).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("panic-run");
    let config = two_sources(dir.path(), &prefix, &sim.url);
    let log = dir.path().join("run.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env("RUST_BACKTRACE", "0")
        .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
        .env("RURALSYNC_TEST_PANIC", fault)
        .stderr(file)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    let count = |text: &str, source: &str, what: &str| {
        text.lines()
            .filter(|l| l.contains(what) && l.contains(&format!("source={source}")))
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = read();
        if count(&text, "bad", "sync failed") >= 3 && count(&text, "good", "sync finished") >= 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "both sources keep firing:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "still running");
    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) with a pid we own and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{}", read());
    let landed = read_family(&prefix, "property_rights_transaction").await;
    assert_eq!(
        landed.iter().filter(|r| r.key.starts_with("good:")).count(),
        60
    );
    assert_eq!(
        landed.iter().filter(|r| r.key.starts_with("bad:")).count(),
        bad_published
    );
}
