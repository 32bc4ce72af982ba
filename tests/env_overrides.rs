//! Environment overrides (`RURALSYNC_<TABLE>_<KEY>`) of the real binary: a config file
//! written for a plaintext broker that does not exist is pointed at the SASL listener of
//! the test broker entirely from the environment, `check` says which keys the
//! environment set (never a secret's value), and `once` publishes through SASL.
//!
//! Needs the SASL_PLAINTEXT listener `scripts/kafka` adds (`RURALSYNC_TEST_SASL_BOOTSTRAP`,
//! which `scripts/test` sets); without it the test skips, saying so.

mod common;

use common::*;

const PASSWORD_ENV: &str = "RURALSYNC_TEST_KAFKA_PASSWORD";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_points_a_plaintext_config_at_the_sasl_listener() {
    let Ok(sasl) = std::env::var("RURALSYNC_TEST_SASL_BOOTSTRAP") else {
        println!("SKIPPED: RURALSYNC_TEST_SASL_BOOTSTRAP is not set (scripts/test sets it to the SASL_PLAINTEXT listener of scripts/kafka)");
        return;
    };
    let user = std::env::var("KAFKA_SASL_USER").unwrap_or_else(|_| "ruralsync".into());
    let password =
        std::env::var("KAFKA_SASL_PASSWORD").unwrap_or_else(|_| "ruralsync-test-password".into());
    let sim = start_sim(1302, 120).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("envsasl");
    // Nothing listens on port 1: without the overrides every client would fail.
    let config = write_config_with(
        dir.path(),
        "127.0.0.1:1",
        "file-prefix",
        "jz",
        &sim.url,
        40,
        "",
    );
    let config = config.to_str().unwrap();
    let env = [
        ("RURALSYNC_KAFKA_BOOTSTRAP_SERVERS", sasl.as_str()),
        ("RURALSYNC_KAFKA_TOPIC_PREFIX", prefix.as_str()),
        ("RURALSYNC_KAFKA_TRANSACTIONAL_ID_PREFIX", prefix.as_str()),
        ("RURALSYNC_KAFKA_SASL_PASSWORD_ENV", PASSWORD_ENV),
        ("RURALSYNC_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        ("RURALSYNC_KAFKA_CLIENT_SASL_MECHANISM", "PLAIN"),
        ("RURALSYNC_KAFKA_CLIENT_SASL_USERNAME", user.as_str()),
        (PASSWORD_ENV, password.as_str()),
    ];
    let run = |args: &[&str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"));
        command
            .args(args)
            .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
            .envs(env)
            .kill_on_drop(true);
        command.output()
    };

    let out = run(&["check", "--config", config]).await.unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    for line in [
        format!("note: kafka.bootstrap_servers = \"{sasl}\" from the environment (RURALSYNC_KAFKA_BOOTSTRAP_SERVERS)"),
        "note: kafka.client.\"security.protocol\" = \"SASL_PLAINTEXT\" from the environment (RURALSYNC_KAFKA_CLIENT_SECURITY_PROTOCOL)".to_owned(),
        format!("note: kafka.sasl_password_env = \"{PASSWORD_ENV}\" from the environment"),
    ] {
        assert!(err.contains(&line), "{line:?} not in:\n{err}");
    }
    assert!(
        !err.contains(&password) && !text(&out.stdout).contains(&password),
        "the password is never printed"
    );

    let out = run(&["once", "--config", config]).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("jz: ok:"),
        "{}",
        text(&out.stdout)
    );
    let records = read_family(&prefix, "property_rights_transaction").await;
    assert_eq!(
        records.len(),
        120,
        "published through SASL under the prefix from the environment"
    );

    // A value that does not fit its key names the variable.
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"));
    let out = command
        .args(["check", "--config", config])
        .env("RURALSYNC_KAFKA_TOPIC_PARTITIONS", "six")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("key `kafka.topic_partitions`: set by environment variable RURALSYNC_KAFKA_TOPIC_PARTITIONS"), "{err}");
}
