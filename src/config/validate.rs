//! Raw config → runtime [`Config`]. Pure: no I/O, so every check is unit-testable.

use std::time::Duration;

use chrono_tz::Tz;

use super::raw::{RawConfig, RawKafka, RawPrivacy, RawSource};
use crate::normalize::{Family, FamilyFields};
use crate::protect::{KeySource, NameMask};
use crate::schedule::Schedule;
use crate::source::file_drop::FileDropConfig;
use crate::source::http_json::HttpJsonConfig;
use crate::source::sql::SqlConfig;

/// A validation failure: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl Invalid {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The validated configuration the daemon runs on.
#[derive(Debug, Clone)]
pub struct Config {
    pub kafka: KafkaConfig,
    pub privacy: PrivacyConfig,
    /// Sources in name order, disabled ones included (`enabled` says).
    pub sources: Vec<SourceConfig>,
}

impl Config {
    /// The source called `name`.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// `[privacy]`, validated. The key itself is read at start-up
/// ([`crate::protect::Protector::load`]), not here.
#[derive(Debug, Clone)]
pub struct PrivacyConfig {
    pub key: KeySource,
    pub person_names: NameMask,
}

/// `[kafka]`, validated.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    pub bootstrap_servers: String,
    pub topic_prefix: String,
    pub transactional_id_prefix: String,
    pub topic_partitions: i32,
    pub replication_factor: i32,
    pub transaction_timeout: Duration,
    pub retry_backoff_initial: Duration,
    pub retry_backoff_max: Duration,
    pub producer: Vec<(String, String)>,
}

/// One validated source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub family: Family,
    pub schedule: Schedule,
    pub timezone: Tz,
    pub enabled: bool,
    pub kind: SourceKind,
    pub fields: FamilyFields,
}

/// The source kinds, chosen by the `type` tag.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SourceKind {
    /// Boxed: its retry, auth and paging settings make it far the largest.
    HttpJson(Box<HttpJsonConfig>),
    Sql(SqlConfig),
    FileDrop(FileDropConfig),
}

/// Properties ruralsync sets itself; overriding them would break its guarantees.
const RESERVED_PRODUCER_KEYS: &[&str] = &[
    "bootstrap.servers",
    "acks",
    "enable.idempotence",
    "transactional.id",
];

/// Validate a parsed config.
///
/// # Errors
/// The first [`Invalid`] key found, in file order.
pub fn validate(raw: &RawConfig) -> Result<Config, Invalid> {
    let kafka = validate_kafka(&raw.kafka)?;
    let privacy = validate_privacy(&raw.privacy)?;
    let sources = raw
        .sources
        .iter()
        .map(|(name, source)| validate_source(name, source))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Config {
        kafka,
        privacy,
        sources,
    })
}

fn validate_privacy(raw: &RawPrivacy) -> Result<PrivacyConfig, Invalid> {
    let person_names = match raw.person_names.as_str() {
        "mask" => NameMask::KeepFirst,
        "drop" => NameMask::Drop,
        other => {
            return Err(Invalid::new(
                "privacy.person_names",
                format!("{other:?} is not a choice; valid: mask (王**), drop"),
            ))
        }
    };
    if raw.hmac_key_env.trim().is_empty() && raw.hmac_key_file.is_none() {
        return Err(Invalid::new(
            "privacy.hmac_key_env",
            "is empty and privacy.hmac_key_file is not set; name where the pseudonym key comes from",
        ));
    }
    Ok(PrivacyConfig {
        key: KeySource {
            env: raw.hmac_key_env.clone(),
            file: raw.hmac_key_file.as_ref().map(std::path::PathBuf::from),
        },
        person_names,
    })
}

fn validate_kafka(raw: &RawKafka) -> Result<KafkaConfig, Invalid> {
    if raw.bootstrap_servers.trim().is_empty() {
        return Err(Invalid::new(
            "kafka.bootstrap_servers",
            "is empty; expected a comma-separated host:port list such as \"127.0.0.1:9092\"",
        ));
    }
    for (key, value) in [
        ("kafka.topic_prefix", &raw.topic_prefix),
        (
            "kafka.transactional_id_prefix",
            &raw.transactional_id_prefix,
        ),
    ] {
        if !is_topic_safe(value) {
            return Err(Invalid::new(
                key,
                format!("{value:?} is not usable in a topic name; use 1-100 of [A-Za-z0-9._-]"),
            ));
        }
    }
    if raw.topic_partitions < 1 {
        return Err(Invalid::new(
            "kafka.topic_partitions",
            format!(
                "{} is not a partition count; expected 1 or more",
                raw.topic_partitions
            ),
        ));
    }
    if raw.replication_factor < 1 {
        return Err(Invalid::new(
            "kafka.replication_factor",
            format!(
                "{} is not a replication factor; expected 1 or more",
                raw.replication_factor
            ),
        ));
    }
    if !(1_000..=900_000).contains(&raw.transaction_timeout_ms) {
        return Err(Invalid::new(
            "kafka.transaction_timeout_ms",
            format!(
                "{} is out of range; expected 1000 to 900000 (the broker's default maximum)",
                raw.transaction_timeout_ms
            ),
        ));
    }
    if raw.retry_backoff_initial_ms == 0 || raw.retry_backoff_max_ms < raw.retry_backoff_initial_ms
    {
        return Err(Invalid::new(
            "kafka.retry_backoff_max_ms",
            format!(
                "backoff {}..{} ms is not a range; expected 0 < retry_backoff_initial_ms <= retry_backoff_max_ms",
                raw.retry_backoff_initial_ms, raw.retry_backoff_max_ms
            ),
        ));
    }
    if let Some(key) = raw
        .producer
        .keys()
        .find(|k| RESERVED_PRODUCER_KEYS.contains(&k.as_str()))
    {
        return Err(Invalid::new(
            format!("kafka.producer.{key}"),
            format!(
                "is set by ruralsync and cannot be overridden (reserved: {})",
                RESERVED_PRODUCER_KEYS.join(", ")
            ),
        ));
    }
    Ok(KafkaConfig {
        bootstrap_servers: raw.bootstrap_servers.clone(),
        topic_prefix: raw.topic_prefix.clone(),
        transactional_id_prefix: raw.transactional_id_prefix.clone(),
        topic_partitions: raw.topic_partitions,
        replication_factor: raw.replication_factor,
        transaction_timeout: Duration::from_millis(raw.transaction_timeout_ms),
        retry_backoff_initial: Duration::from_millis(raw.retry_backoff_initial_ms),
        retry_backoff_max: Duration::from_millis(raw.retry_backoff_max_ms),
        producer: raw
            .producer
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

fn validate_source(name: &str, raw: &RawSource) -> Result<SourceConfig, Invalid> {
    let key = |k: &str| format!("sources.{name}.{k}");
    if !is_topic_safe(name) {
        return Err(Invalid::new(
            format!("sources.{name}"),
            "source names are used in keys and transactional ids; use 1-100 of [A-Za-z0-9._-]",
        ));
    }
    let family = Family::from_config_name(&raw.family).ok_or_else(|| {
        Invalid::new(
            key("family"),
            format!(
                "unknown record family {:?}; valid: {}",
                raw.family,
                Family::config_names().join(", ")
            ),
        )
    })?;
    let timezone: Tz = raw.timezone.parse().map_err(|_| {
        Invalid::new(
            key("timezone"),
            format!(
                "unknown time zone {:?}; expected an IANA name such as \"Asia/Shanghai\"",
                raw.timezone
            ),
        )
    })?;
    let schedule = Schedule::parse(&raw.schedule, timezone)
        .map_err(|message| Invalid::new(key("schedule"), message))?;
    let missing = |table: &str| {
        Invalid::new(
            key(table),
            format!(
                "is missing; a source of type {:?} needs a [sources.{name}.{table}] table",
                raw.kind
            ),
        )
    };
    let kind = match raw.kind.as_str() {
        "http_json" => {
            let http = raw.http.as_ref().ok_or_else(|| missing("http"))?;
            SourceKind::HttpJson(Box::new(HttpJsonConfig::validate(
                http,
                timezone,
                &key("http"),
            )?))
        }
        "sql" => {
            let sql = raw.sql.as_ref().ok_or_else(|| missing("sql"))?;
            SourceKind::Sql(SqlConfig::validate(sql, timezone, &key("sql"))?)
        }
        "file_drop" => {
            let file = raw.file.as_ref().ok_or_else(|| missing("file"))?;
            SourceKind::FileDrop(FileDropConfig::validate(file, timezone, &key("file"))?)
        }
        other => {
            return Err(Invalid::new(
                key("type"),
                format!("unknown source type {other:?}; valid: http_json, sql, file_drop"),
            ))
        }
    };
    // A kind's table under another kind is a mistake worth naming, not ignoring.
    for (table, present, kind) in [
        ("http", raw.http.is_some(), "http_json"),
        ("sql", raw.sql.is_some(), "sql"),
        ("file", raw.file.is_some(), "file_drop"),
    ] {
        if present && raw.kind != kind {
            return Err(Invalid::new(
                key(table),
                format!(
                    "belongs to sources of type {kind:?}, but this source is {:?}; remove it or change `type`",
                    raw.kind
                ),
            ));
        }
    }
    let fields =
        FamilyFields::validate(family, &raw.fields, &raw.values, &format!("sources.{name}"))?;
    Ok(SourceConfig {
        name: name.to_owned(),
        family,
        schedule,
        timezone,
        enabled: raw.enabled,
        kind,
        fields,
    })
}

fn is_topic_safe(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
