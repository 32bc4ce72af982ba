//! The consumer-side tools the schema and consumer tests run as subprocesses: the Java
//! consumers (`scripts/javaenv`), the Python venv (`scripts/pyenv consumers`) and the
//! local schema registry (`scripts/registry`, its URL in `RURALSYNC_TEST_REGISTRY`).
//!
//! A test needing one of them skips, printing why, only when `RURALSYNC_REQUIRE_REGISTRY`
//! is unset; `scripts/test` sets it (and starts the registry), so in CI a missing tool
//! fails the test instead of hiding it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether missing tools fail the tests rather than skip them.
pub fn required() -> bool {
    std::env::var_os("RURALSYNC_REQUIRE_REGISTRY").is_some_and(|v| !v.is_empty())
}

/// `Some(value)`, or `None` after printing why the test skips — a panic instead when the
/// tools are required.
fn available<T>(what: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(v) => Some(v),
        Err(why) if required() => panic!("{what} is required (RURALSYNC_REQUIRE_REGISTRY): {why}"),
        Err(why) => {
            eprintln!("SKIPPED: {what} unavailable ({why}); set RURALSYNC_REQUIRE_REGISTRY=1 to fail instead");
            None
        }
    }
}

fn script(name: &str) -> Command {
    Command::new(root().join("scripts").join(name))
}

fn stdout_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The Java consumers' runtime classpath (`scripts/javaenv build`, once per test binary).
pub fn java_classpath() -> Option<String> {
    static CP: OnceLock<Result<String, String>> = OnceLock::new();
    let found = CP.get_or_init(|| {
        let out = script("javaenv")
            .arg("build")
            .output()
            .map_err(|e| format!("scripts/javaenv: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/javaenv build failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(stdout_line(&out))
    });
    available("the Java consumers (scripts/javaenv)", found.clone())
}

/// A Java class of `consumers/java` run with `args`; `None` when Java is unavailable.
pub fn java(main: &str, args: &[&str]) -> Option<Output> {
    let cp = java_classpath()?;
    let java = std::env::var("JAVA").unwrap_or_else(|_| "java".into());
    Some(
        Command::new(java)
            .args(["-cp", &cp, main])
            .args(args)
            .output()
            .expect("java runs"),
    )
}

/// The consumers venv's python (`scripts/pyenv consumers`, once per test binary).
pub fn python() -> Option<PathBuf> {
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PY.get_or_init(|| {
        let out = script("pyenv")
            .arg("consumers")
            .output()
            .map_err(|e| format!("scripts/pyenv: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/pyenv consumers failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(PathBuf::from(stdout_line(&out)))
    });
    available("the Python consumers venv (scripts/pyenv)", found.clone())
}

/// A script of `consumers/python` run by the venv's python with `args`.
pub fn python_script(name: &str, args: &[&str]) -> Option<Output> {
    let python = python()?;
    Some(
        Command::new(python)
            .arg(root().join("consumers/python").join(name))
            .args(args)
            .output()
            .expect("python runs"),
    )
}

/// The local registry's Confluent-compatible base URL (`RURALSYNC_TEST_REGISTRY`,
/// answered at `/subjects`).
pub fn registry() -> Option<String> {
    let found = match std::env::var("RURALSYNC_TEST_REGISTRY") {
        Ok(url) if !url.is_empty() => answers(&url).map(|()| url),
        _ => Err("RURALSYNC_TEST_REGISTRY is unset (scripts/registry start prints it)".into()),
    };
    available("the schema registry", found)
}

fn answers(url: &str) -> Result<(), String> {
    let out = Command::new("curl")
        .args(["-sf", "-m", "5", &format!("{url}/subjects")])
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{url}/subjects does not answer"))
    }
}

/// stdout and stderr of a finished tool, for assertion messages.
pub fn printed(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every committed message of `topic` as the daemon published it, read back and decoded
/// by the library with `schema` after a framing header of `header` bytes: by
/// (partition, offset), the key and the value as JSON.
pub async fn published(
    kafka: &ruralsync::config::KafkaConfig,
    topic: &str,
    schema: &apache_avro::Schema,
    header: usize,
) -> std::collections::BTreeMap<(i64, i64), (String, serde_json::Value, Vec<u8>)> {
    let landed = ruralsync::inspect::read_topic(kafka, topic, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    landed
        .into_iter()
        .map(|m| {
            let bytes = m.value.unwrap();
            let value = ruralsync::inspect::datum_to_json(schema, &bytes[header..]).unwrap();
            let head = bytes[..header].to_vec();
            (
                (i64::from(m.partition), m.offset),
                (m.key.unwrap(), value, head),
            )
        })
        .collect()
}

/// A consumer's JSON lines by (partition, offset).
pub fn consumed(out: &Output) -> std::collections::BTreeMap<(i64, i64), serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            (
                (
                    v["partition"].as_i64().unwrap(),
                    v["offset"].as_i64().unwrap(),
                ),
                v,
            )
        })
        .collect()
}

/// Assert that `consumer` decoded exactly the messages of `published`, each key and each
/// field equal to what the library decoded; returns how many fields were compared.
pub fn assert_same(
    consumer: &str,
    topic: &str,
    published: &std::collections::BTreeMap<(i64, i64), (String, serde_json::Value, Vec<u8>)>,
    consumed: &std::collections::BTreeMap<(i64, i64), serde_json::Value>,
) -> usize {
    assert_eq!(
        published.keys().collect::<Vec<_>>(),
        consumed.keys().collect::<Vec<_>>(),
        "{consumer}: the messages of {topic}"
    );
    let mut fields = 0;
    for (at, (key, want, _)) in published {
        let got = &consumed[at];
        assert_eq!(
            got["key"].as_str(),
            Some(key.as_str()),
            "{consumer}: {topic} {at:?} key"
        );
        let (want, got) = (want.as_object().unwrap(), got["value"].as_object().unwrap());
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>(),
            "{consumer}: {topic} {at:?}: field names"
        );
        for (name, value) in want {
            assert_eq!(
                &got[name], value,
                "{consumer}: {topic} {at:?}: field {name}"
            );
            fields += 1;
        }
    }
    fields
}
