//! Raw config → runtime [`Config`]. Pure: no I/O, so every check is unit-testable.

use chrono_tz::Tz;

use super::kafka::{validate_kafka, KafkaConfig};
use super::raw::{RawConfig, RawPrivacy, RawSource};
use crate::family::{Binding, Family, RawFamily};
use crate::protect::{KeySource, NameMask};
use crate::schedule::Schedule;
use crate::settings::tagged;
use crate::source::{RawKind, SourceKind};

pub use crate::settings::Invalid;

/// The validated configuration the daemon runs on.
#[derive(Debug, Clone)]
pub struct Config {
    pub kafka: KafkaConfig,
    pub privacy: PrivacyConfig,
    /// The admin server; `None` without an enabled `[admin]` table.
    pub admin: Option<super::admin::AdminConfig>,
    /// The environment overrides that took effect (`RURALSYNC_<TABLE>_<KEY>`).
    pub overrides: Vec<super::env::Override>,
    /// Sources in name order, disabled ones included (`enabled` says).
    pub sources: Vec<SourceConfig>,
    /// `[schema_registry]`: publish in the Confluent wire format; `None`: single-object
    /// encoding and the `_schemas` topic.
    pub schema_registry: Option<crate::registry::SchemaRegistryConfig>,
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

/// Validate a parsed config.
///
/// # Errors
/// The first [`Invalid`] key found, in file order.
pub fn validate(raw: &RawConfig) -> Result<Config, Invalid> {
    let kafka = validate_kafka(&raw.kafka)?;
    let privacy = validate_privacy(&raw.privacy)?;
    let admin = super::admin::validate_admin(raw.admin.as_ref())?;
    let sources = raw
        .sources
        .iter()
        .map(|(name, source)| validate_source(name, source))
        .collect::<Result<Vec<_>, _>>()?;
    let schema_registry = raw
        .schema_registry
        .as_ref()
        .map(|r| r.validate("schema_registry"))
        .transpose()?;
    Ok(Config {
        kafka,
        privacy,
        admin,
        overrides: Vec::new(),
        sources,
        schema_registry,
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
    let at = format!("sources.{name}");
    if !is_topic_safe(name) {
        return Err(Invalid::new(
            at,
            "source names are used in keys and transactional ids; use 1-100 of [A-Za-z0-9._-]",
        ));
    }
    let family: RawFamily = tagged(family_table(raw), &at)?;
    let timezone: Tz = raw.timezone.parse().map_err(|_| {
        Invalid::new(
            format!("{at}.timezone"),
            format!(
                "unknown time zone {:?}; expected an IANA name such as \"Asia/Shanghai\"",
                raw.timezone
            ),
        )
    })?;
    let schedule = Schedule::parse(&raw.schedule, timezone)
        .map_err(|message| Invalid::new(format!("{at}.schedule"), message))?;
    let kind: RawKind = tagged(kind_table(raw), &at)?;
    Ok(SourceConfig {
        name: name.to_owned(),
        schedule,
        timezone,
        enabled: raw.enabled,
        kind: kind.validate(timezone, &at)?,
        binding: family.bind(&at)?,
    })
}

/// The source's keys that choose and configure its record family, as one tagged table.
fn family_table(raw: &RawSource) -> toml::Table {
    toml::Table::from_iter([
        ("family".to_owned(), raw.family.clone()),
        ("fields".to_owned(), toml::Value::Table(raw.fields.clone())),
        (
            "values".to_owned(),
            // A map of maps of strings always converts.
            toml::Value::try_from(&raw.values)
                .unwrap_or_else(|_| toml::Value::Table(Default::default())),
        ),
    ])
}

/// The source's keys that choose and configure its kind, as one tagged table.
fn kind_table(raw: &RawSource) -> toml::Table {
    let tables = [("http", &raw.http), ("sql", &raw.sql), ("file", &raw.file)];
    let present = tables
        .into_iter()
        .filter_map(|(name, t)| Some((name.to_owned(), toml::Value::Table(t.clone()?))));
    std::iter::once(("type".to_owned(), raw.kind.clone()))
        .chain(present)
        .collect()
}

pub(super) fn is_topic_safe(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
