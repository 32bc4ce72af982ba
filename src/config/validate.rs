//! Raw config → runtime [`Config`]. Pure: no I/O, so every check is unit-testable.

use chrono_tz::Tz;

use super::kafka::{validate_kafka, KafkaConfig};
use super::raw::{RawConfig, RawPrivacy, RawSource};
use crate::family::{Binding, Family, RawFamily};
use crate::protect::{KeySource, NameMask};
use crate::schedule::Schedule;
use crate::source::file_drop::FileDropConfig;
use crate::source::http_json::HttpJsonConfig;
use crate::source::sql::SqlConfig;

pub use crate::settings::Invalid;

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

/// One validated source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub schedule: Schedule,
    pub timezone: Tz,
    pub enabled: bool,
    pub kind: SourceKind,
    /// The record family and its field mapping.
    pub binding: Binding,
}

impl SourceConfig {
    /// The record family the source yields.
    pub fn family(&self) -> Family {
        self.binding.family()
    }
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

fn validate_source(name: &str, raw: &RawSource) -> Result<SourceConfig, Invalid> {
    let key = |k: &str| format!("sources.{name}.{k}");
    if !is_topic_safe(name) {
        return Err(Invalid::new(
            format!("sources.{name}"),
            "source names are used in keys and transactional ids; use 1-100 of [A-Za-z0-9._-]",
        ));
    }
    let family_table = toml::Table::from_iter([
        ("family".to_owned(), toml::Value::String(raw.family.clone())),
        ("fields".to_owned(), toml::Value::Table(raw.fields.clone())),
        (
            "values".to_owned(),
            // A map of maps of strings always converts.
            toml::Value::try_from(&raw.values)
                .unwrap_or_else(|_| toml::Value::Table(Default::default())),
        ),
    ]);
    let family: RawFamily = crate::settings::tagged(family_table, &format!("sources.{name}"))?;
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
    Ok(SourceConfig {
        name: name.to_owned(),
        schedule,
        timezone,
        enabled: raw.enabled,
        kind,
        binding: family.bind(&format!("sources.{name}"))?,
    })
}

pub(super) fn is_topic_safe(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
