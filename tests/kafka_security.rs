//! A secured cluster could not be used: SASL/TLS settings reached only the producer,
//! while topic creation, the checkpoint and fingerprint readers and `peek` connected in
//! PLAINTEXT. Now one `[kafka]` client config serves every client, the password comes
//! from the environment, and neither a wrong password nor a property's value is echoed.
//!
//! The broker tests need the SASL_PLAINTEXT listener `scripts/kafka` adds
//! (`RURALSYNC_TEST_SASL_BOOTSTRAP`, which `scripts/test` always sets; user and password
//! are the script's test fixtures, `KAFKA_SASL_USER`/`KAFKA_SASL_PASSWORD` by default
//! `ruralsync`/`ruralsync-test-password`). Without the variable they skip, saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;
use ruralsync::config::{ClientSettings, SecretFrom, SecretProperty};

const PASSWORD_ENV: &str = "RURALSYNC_TEST_KAFKA_PASSWORD";

fn sasl_bootstrap() -> Option<String> {
    let address = std::env::var("RURALSYNC_TEST_SASL_BOOTSTRAP").ok();
    if address.is_none() {
        println!(
            "SKIPPED: RURALSYNC_TEST_SASL_BOOTSTRAP is not set (scripts/test sets it to the SASL_PLAINTEXT listener of scripts/kafka)"
        );
    }
    address
}

fn sasl_user() -> String {
    std::env::var("KAFKA_SASL_USER").unwrap_or_else(|_| "ruralsync".into())
}

fn sasl_password() -> String {
    std::env::var("KAFKA_SASL_PASSWORD").unwrap_or_else(|_| "ruralsync-test-password".into())
}

/// A config reaching the broker through its SASL listener only.
fn sasl_config(dir: &Path, bootstrap: &str, prefix: &str, url: &str) -> PathBuf {
    let kafka_extra = format!(
        "sasl_password_env = \"{PASSWORD_ENV}\"\n\n[kafka.client]\n\"security.protocol\" = \"SASL_PLAINTEXT\"\n\"sasl.mechanism\" = \"PLAIN\"\n\"sasl.username\" = \"{}\"\n",
        sasl_user()
    );
    // The [kafka.client] table must close before the source's tables: write_config_with
    // puts kafka_extra at the end of [kafka].
    write_config_with(dir, bootstrap, prefix, "jinzhong", url, 40, &kafka_extra)
}

async fn run_with_password(args: &[&str], password: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"));
    command
        .args(args)
        .env("RUST_LOG", "info,librdkafka=debug")
        .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
        .env_remove(PASSWORD_ENV)
        .kill_on_drop(true);
    if let Some(password) = password {
        command.env(PASSWORD_ENV, password);
    }
    command.output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_configured_for_sasl_creates_topics_publishes_restores_and_peeks() {
    let Some(bootstrap) = sasl_bootstrap() else {
        return;
    };
    let sim = start_sim(21, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("sasl");
    let config = sasl_config(dir.path(), &bootstrap, &prefix, &sim.url);
    let config = config.to_str().unwrap();
    let password = sasl_password();

    // Topic creation, size limits, producers, checkpoint and fingerprint restore.
    let out = run_with_password(&["once", "--config", config], Some(&password)).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("jinzhong: ok: 3 pages, 100 fetched, 100 published"),
        "{}",
        text(&out.stdout)
    );
    // The checkpoint and the fingerprints are read back through SASL: nothing twice.
    let out = run_with_password(&["once", "--config", config], Some(&password)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 published, 0 dead letters"),
        "{}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("checkpoint and fingerprints restored")
            && stderr.contains("published_total=100"),
        "{stderr}"
    );

    let topic = format!("{prefix}.property_rights_transaction.v1");
    let out = run_with_password(
        &[
            "peek", "--config", config, "--topic", &topic, "--limit", "1",
        ],
        Some(&password),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("== {topic}: 100 messages")),
        "{}",
        text(&out.stdout)
    );
    for output in [&out.stdout, &out.stderr] {
        assert!(!text(output).contains(&password));
    }

    // And the library's reader, given the same settings, decodes what landed.
    let mut kafka = kafka_config(&prefix);
    kafka.bootstrap_servers = bootstrap;
    std::env::set_var(PASSWORD_ENV, &password);
    kafka.client = ClientSettings {
        properties: vec![
            ("security.protocol".into(), "SASL_PLAINTEXT".into()),
            ("sasl.mechanism".into(), "PLAIN".into()),
            ("sasl.username".into(), sasl_user()),
        ],
        secrets: vec![SecretProperty {
            property: "sasl.password",
            key: "kafka.sasl_password_env".into(),
            from: SecretFrom::Env(PASSWORD_ENV.into()),
        }],
    };
    let upstream = all_upstream(&sim.url).await;
    assert_eq!(
        assert_exactly_once(&kafka, "jinzhong", &upstream).await,
        (100, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_at_once_without_being_echoed() {
    let Some(bootstrap) = sasl_bootstrap() else {
        return;
    };
    let wrong = "wrong-hunter2-Pa55word";
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("sasl-wrong");
    let config = sasl_config(dir.path(), &bootstrap, &prefix, "http://127.0.0.1:1/x");
    let config = config.to_str().unwrap();
    for command in ["once", "run"] {
        let started = Instant::now();
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            run_with_password(&[command, "--config", config], Some(wrong)),
        )
        .await
        .unwrap_or_else(|_| panic!("{command} gives up: a wrong password is not retried"));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        let error = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{command}: {stderr}"));
        assert!(
            error.starts_with(&format!("error: cannot connect to Kafka at {bootstrap}: "))
                && error.contains("Authentication failed")
                && error.contains("kafka.sasl_password_env"),
            "{command}: {error}"
        );
        assert!(
            !stdout.contains("hunter2") && !stderr.contains("hunter2"),
            "{command}: the password is echoed:\n{stdout}{stderr}"
        );
        println!(
            "{command} with a wrong password: exit 2 after {:?}: {error}",
            started.elapsed()
        );
    }

    // No password at all: named by its variable, before any connection.
    let out = run_with_password(&["once", "--config", config], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!(
            "kafka.sasl_password_env: environment variable {PASSWORD_ENV} is not set (it holds sasl.password)"
        )),
        "{}",
        text(&out.stderr)
    );
}

/// No broker needed: the file itself is refused.
#[tokio::test]
async fn a_secret_or_a_misspelled_property_in_the_file_is_refused_without_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[kafka.client]\n\"sasl.password\" = \"hunter2-in-the-file\"\n",
            "key `kafka.client.sasl.password`: holds a secret and is not written in the config file: set kafka.sasl_password_env",
        ),
        (
            "[kafka.client]\n\"sasl.usernme\" = \"hunter2-in-the-file\"\n",
            "key `kafka.client.sasl.usernme`: is not a librdkafka property (misspelled?)",
        ),
        (
            "[kafka.client]\n\"security.protocol\" = \"hunter2-in-the-file\"\n",
            "key `kafka.client.security.protocol`: has a value librdkafka does not accept for it (the value is not shown",
        ),
        (
            "[kafka.producer]\n\"security.protocol\" = \"SASL_SSL\"\n",
            "key `kafka.producer.security.protocol`: applies to every Kafka client",
        ),
        (
            "sasl_password_env = \"hunter2-in-the-file\"\n",
            "key `kafka.sasl_password_env`: is not an environment variable name",
        ),
    ];
    for (kafka_extra, want) in cases {
        let config = write_config_with(
            dir.path(),
            &bootstrap(),
            "p",
            "county_a",
            "http://127.0.0.1:1/x",
            10,
            kafka_extra,
        );
        let out = ruralsync(&["check", "--config", config.to_str().unwrap()]).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(want), "want {want:?} in {stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}
