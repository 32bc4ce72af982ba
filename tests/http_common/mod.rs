//! Helpers of the `http_json` tests (`http_styles`, `http_faults`): a simulator with a
//! chosen auth mode and faults, configs per API style, `ruralsync once` with extra
//! environment, and the check that what landed is the upstream's latest content.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use apache_avro::types::Value;
use ruralsync_sim::SimConfig;

use crate::common::{self, RunningSim};

pub mod recorder;

pub const SOURCE: &str = "jinzhong";

/// How `[sources.x.http]` reads for each of the simulator's four API styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Page,
    Offset,
    Cursor,
    Link,
}

impl Style {
    pub fn path(self) -> &'static str {
        match self {
            Style::Page => "/api/v1/transactions",
            Style::Offset => "/api/v2/transactions",
            Style::Cursor => "/api/v3/transactions",
            Style::Link => "/api/v4/transactions",
        }
    }

    /// The `[http]` lines of this style (besides `url` and `page_size`).
    pub fn settings(self) -> &'static str {
        match self {
            Style::Page => "pagination = \"page\"\n",
            Style::Offset => {
                "pagination = \"offset\"\noffset_param = \"offset\"\nsize_param = \"limit\"\nrecords_path = \"data.rows\"\n"
            }
            Style::Cursor => {
                "pagination = \"cursor\"\nsize_param = \"size\"\ncursor_param = \"cursor\"\ncursor_path = \"result.nextCursor\"\nhas_more_path = \"result.hasMore\"\nrecords_path = \"result.records\"\nmessage_path = \"message\"\n"
            }
            Style::Link => {
                "pagination = \"link\"\nsize_param = \"per_page\"\nsince_param = \"updated_since\"\nrecords_path = \"\"\n"
            }
        }
    }
}

/// A simulator serving `config`, and the URL of `style` on it.
pub async fn sim(config: SimConfig) -> RunningSim {
    common::start_sim_with(config).await
}

pub fn url(sim: &RunningSim, style: Style) -> String {
    sim.url.replace("/api/v1/transactions", style.path())
}

/// The origin (`http://127.0.0.1:port`) of the simulator.
pub fn origin(sim: &RunningSim) -> String {
    sim.url.replace("/api/v1/transactions", "")
}

/// Write the config of one source of `style` on `sim`, with `extra` lines in `[http]`
/// (and sub-tables after them).
pub fn config(
    dir: &Path,
    prefix: &str,
    sim: &RunningSim,
    style: Style,
    page_size: u32,
    extra: &str,
) -> PathBuf {
    common::write_config_full(
        dir,
        &common::bootstrap(),
        prefix,
        SOURCE,
        &url(sim, style),
        page_size,
        "",
        &format!("{}{extra}", style.settings()),
    )
}

/// `ruralsync once --config <config>` with `env` added to the environment.
pub async fn once(config: &Path, env: &[(&str, &str)]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(["once", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env("RURALSYNC_PII_KEY", common::TEST_PII_KEY)
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap()
}

/// Stdout and stderr of a run, for assertions and failure messages.
pub fn output_text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        common::text(&out.stdout),
        common::text(&out.stderr)
    )
}

/// Assert the run succeeded.
pub fn assert_ok(out: &Output) {
    assert!(out.status.success(), "run failed:\n{}", output_text(out));
}

/// The `transport=…` counters of the `sync finished` line, as name → value.
pub fn pull_counters(out: &Output) -> HashMap<String, u64> {
    let stderr = common::text(&out.stderr);
    let line = stderr
        .lines()
        .rfind(|l| l.contains("sync finished"))
        .unwrap_or_else(|| panic!("no `sync finished` line:\n{}", output_text(out)));
    line.split_whitespace()
        .map(|w| w.strip_prefix("transport=").unwrap_or(w))
        .filter_map(|w| w.split_once('='))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect()
}

/// What every upstream record normalises to, by key.
pub fn expected(upstream: &[serde_json::Value]) -> HashMap<String, Value> {
    upstream
        .iter()
        .map(|raw| common::transaction_record(SOURCE, raw).unwrap())
        .collect()
}

/// Every transaction message of `prefix`, decoded, by key in offset order.
pub async fn landed(prefix: &str) -> HashMap<String, Vec<Value>> {
    let schema = common::schema_file("property_rights_transaction.avsc");
    let topic = format!("{prefix}.property_rights_transaction.v1");
    let landed = ruralsync::inspect::read_topic(
        &common::kafka_config(prefix),
        &topic,
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    let mut by_key: HashMap<String, Vec<Value>> = HashMap::new();
    for m in landed {
        let bytes = m.value.unwrap();
        let value = apache_avro::from_avro_datum(&schema, &mut &bytes[10..], None).unwrap();
        by_key.entry(m.key.unwrap()).or_default().push(value);
    }
    by_key
}

/// Assert that the latest message of every upstream record is its current content, that
/// nothing else landed, and that no key holds the same content twice. Returns the number
/// of messages.
pub async fn assert_latest_exactly_once(prefix: &str, upstream: &[serde_json::Value]) -> usize {
    let expected = expected(upstream);
    let landed = landed(prefix).await;
    let mut messages = 0;
    let mut stale = Vec::new();
    for (key, versions) in &landed {
        let want = expected
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not an upstream record"));
        messages += versions.len();
        for (i, v) in versions.iter().enumerate() {
            assert!(
                !versions[..i].contains(v),
                "{key}: the same content published twice"
            );
        }
        if versions.last() != Some(want) {
            stale.push(key.clone());
        }
    }
    let lost: Vec<&String> = expected
        .keys()
        .filter(|k| !landed.contains_key(*k))
        .collect();
    assert!(
        lost.is_empty(),
        "{} upstream records never published, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    assert!(
        stale.is_empty(),
        "{} records' latest message is not their upstream content, e.g. {:?}",
        stale.len(),
        &stale[..stale.len().min(5)]
    );
    messages
}
