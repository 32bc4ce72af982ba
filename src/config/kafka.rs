//! `[kafka]`, validated: the brokers, topic naming, transaction timing, and the
//! librdkafka settings of the clients.
//!
//! Every Kafka client ruralsync creates — the producers, the admin client that creates
//! topics and reads their size limits, the checkpoint and fingerprint readers, `peek` —
//! gets the properties of `[kafka.client]` (security, TLS, SASL …); the producers also get
//! `[kafka.producer]`. Secret properties (`sasl.password`, `ssl.key.password` …) are never
//! written in the file: the config names an environment variable or a file, read when a
//! client is created ([`crate::sink::kafka`]). Property values are never quoted in an
//! error: a misspelled key's value may well be a secret.

use std::path::PathBuf;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaConfRes;

use super::raw::RawKafka;
use super::validate::{is_topic_safe, Invalid};

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
    /// `[kafka.producer]`: librdkafka properties of the producers only.
    pub producer: Vec<(String, String)>,
    /// `[kafka.client]` and the secret properties: settings of every client.
    pub client: ClientSettings,
}

/// What every Kafka client is configured with besides `bootstrap.servers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    /// `[kafka.client]`: librdkafka properties of every client.
    pub properties: Vec<(String, String)>,
    /// Secret properties, and where their values are read.
    pub secrets: Vec<SecretProperty>,
}

/// A secret librdkafka property whose value is read from the environment or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretProperty {
    /// The librdkafka property, e.g. `sasl.password`.
    pub property: &'static str,
    /// The config key naming its origin (`kafka.sasl_password_env`), for messages.
    pub key: String,
    pub from: SecretFrom,
}

/// Where a secret's value is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretFrom {
    /// An environment variable, by name.
    Env(String),
    /// A file holding only the value (surrounding whitespace ignored).
    File(PathBuf),
}

/// The secret librdkafka properties ruralsync sets, and the stem of the `[kafka]` keys
/// that say where each comes from (`<stem>_env`, `<stem>_file`).
pub const SECRET_PROPERTIES: &[(&str, &str)] = &[
    ("sasl.password", "sasl_password"),
    ("ssl.key.password", "ssl_key_password"),
    ("ssl.keystore.password", "ssl_keystore_password"),
    (
        "sasl.oauthbearer.client.secret",
        "sasl_oauthbearer_client_secret",
    ),
];

/// Properties ruralsync sets on every client itself.
const RESERVED_CLIENT_KEYS: &[&str] = &["bootstrap.servers"];

/// Properties ruralsync sets on the producers; overriding them would break its
/// guarantees.
const RESERVED_PRODUCER_KEYS: &[&str] = &[
    "bootstrap.servers",
    "acks",
    "enable.idempotence",
    "transactional.id",
];

/// Properties the readers set for their `read_committed` scan; in `[kafka.client]` they
/// would also reach the producers and the admin client.
const READER_KEYS: &[&str] = &[
    "group.id",
    "isolation.level",
    "enable.partition.eof",
    "enable.auto.commit",
    "acks",
    "enable.idempotence",
    "transactional.id",
];

pub(super) fn validate_kafka(raw: &RawKafka) -> Result<KafkaConfig, Invalid> {
    validate_basics(raw)?;
    for (key, value) in &raw.client {
        check_property("client", key, value)?;
    }
    for (key, value) in &raw.producer {
        check_property("producer", key, value)?;
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
        producer: pairs(&raw.producer),
        client: ClientSettings {
            properties: pairs(&raw.client),
            secrets: secrets(raw)?,
        },
    })
}

fn pairs(table: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    table.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn validate_basics(raw: &RawKafka) -> Result<(), Invalid> {
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
    Ok(())
}

/// Check one property of `[kafka.<table>]`: not one ruralsync sets, not a secret, in the
/// right table, and accepted by librdkafka. The value is never quoted.
fn check_property(table: &str, key: &str, value: &str) -> Result<(), Invalid> {
    let at = format!("kafka.{table}.{key}");
    let reserved: &[&str] = match table {
        "producer" => RESERVED_PRODUCER_KEYS,
        _ => RESERVED_CLIENT_KEYS,
    };
    if reserved.contains(&key) {
        return Err(Invalid::new(
            at,
            format!(
                "is set by ruralsync and cannot be overridden (reserved: {})",
                reserved.join(", ")
            ),
        ));
    }
    if table == "client" && READER_KEYS.contains(&key) {
        return Err(Invalid::new(
            at,
            format!(
                "is set by ruralsync on the clients that need it and cannot be set for all (reserved: {})",
                READER_KEYS.join(", ")
            ),
        ));
    }
    if let Some(why) = secret_refusal(key) {
        return Err(Invalid::new(at, why));
    }
    if table == "producer" && is_security_property(key) {
        return Err(Invalid::new(
            at,
            "applies to every Kafka client (producers, admin, checkpoint readers, peek): move it to [kafka.client]",
        ));
    }
    librdkafka_accepts(key, value).map_err(|why| Invalid::new(at, why))
}

/// Why `key` may not be written in the file, if it holds a secret.
fn secret_refusal(key: &str) -> Option<String> {
    if let Some((_, stem)) = SECRET_PROPERTIES.iter().find(|(p, _)| *p == key) {
        return Some(format!(
            "holds a secret and is not written in the config file: set kafka.{stem}_env (an environment variable) or kafka.{stem}_file (a file) instead"
        ));
    }
    if key == "ssl.key.pem" || key == "ssl_key" {
        return Some(
            "holds a private key and is not written in the config file: put the key in a file and set ssl.key.location".into(),
        );
    }
    let lower = key.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("secret") {
        let known: Vec<&str> = SECRET_PROPERTIES.iter().map(|(p, _)| *p).collect();
        return Some(format!(
            "looks like a secret and is not written in the config file; secret properties ruralsync reads from the environment or a file: {}",
            known.join(", ")
        ));
    }
    None
}

/// Transport security settings: every client must share them or it cannot connect.
fn is_security_property(key: &str) -> bool {
    key == "security.protocol"
        || key.starts_with("sasl.")
        || key.starts_with("ssl.")
        || key.starts_with("ssl_")
        || key == "enable.ssl.certificate.verification"
}

/// Whether librdkafka knows `key` and accepts `value` for it (no client is created, no
/// connection made). Its own messages quote the value; these do not.
fn librdkafka_accepts(key: &str, value: &str) -> Result<(), String> {
    let mut config = rdkafka::ClientConfig::new();
    config.set(key, value);
    match config.create_native_config() {
        Ok(_) => Ok(()),
        Err(KafkaError::ClientConfig(RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN, ..)) => Err(
            "is not a librdkafka property (misspelled?); see https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md".into(),
        ),
        Err(_) => Err(
            "has a value librdkafka does not accept for it (the value is not shown: it may be a secret); see https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md for the valid values".into(),
        ),
    }
}

/// The secret properties configured, each from exactly one of its `_env` or `_file` key.
fn secrets(raw: &RawKafka) -> Result<Vec<SecretProperty>, Invalid> {
    let mut found = Vec::new();
    for ((property, stem), (env, file)) in SECRET_PROPERTIES.iter().zip(raw.secret_origins()) {
        let from = match (env, file) {
            (None, None) => continue,
            (Some(_), Some(_)) => {
                return Err(Invalid::new(
                    format!("kafka.{stem}_file"),
                    format!("and kafka.{stem}_env are both set; set one"),
                ))
            }
            (Some(name), None) => {
                if !is_env_name(name) {
                    return Err(Invalid::new(
                        format!("kafka.{stem}_env"),
                        "is not an environment variable name (expected letters, digits and _, not starting with a digit); it names the variable holding the secret, not the secret itself",
                    ));
                }
                (format!("kafka.{stem}_env"), SecretFrom::Env(name.clone()))
            }
            (None, Some(path)) => {
                if path.trim().is_empty() {
                    return Err(Invalid::new(
                        format!("kafka.{stem}_file"),
                        "is empty; expected the path of a file holding the secret",
                    ));
                }
                (format!("kafka.{stem}_file"), SecretFrom::File(path.into()))
            }
        };
        found.push(SecretProperty {
            property,
            key: from.0,
            from: from.1,
        });
    }
    Ok(found)
}

pub(super) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelled_or_invalid_property_is_named_without_its_value() {
        for (key, value) in [
            ("securty.protocol", "hunter2-secret"),
            ("security.protocol", "hunter2-secret"),
        ] {
            let err = check_property("client", key, value).unwrap_err();
            assert_eq!(err.key, format!("kafka.client.{key}"));
            assert!(!err.message.contains("hunter2"), "{}", err.message);
        }
        assert!(check_property("client", "securty.protocol", "x")
            .unwrap_err()
            .message
            .contains("not a librdkafka property"));
        assert!(check_property("client", "security.protocol", "SASL_SSL").is_ok());
        assert!(check_property("producer", "compression.type", "lz4").is_ok());
    }

    #[test]
    fn secrets_are_refused_in_the_file_and_named_where_they_belong() {
        let err = check_property("client", "sasl.password", "hunter2").unwrap_err();
        assert!(err.message.contains("kafka.sasl_password_env"), "{err:?}");
        assert!(!err.message.contains("hunter2"));
        for key in [
            "ssl.key.password",
            "ssl.key.pem",
            "my.password",
            "client.secret",
        ] {
            assert!(check_property("client", key, "x").is_err(), "{key}");
        }
    }

    #[test]
    fn security_settings_belong_to_every_client_not_only_the_producer() {
        let err = check_property("producer", "security.protocol", "SASL_SSL").unwrap_err();
        assert!(err.message.contains("move it to [kafka.client]"), "{err:?}");
        let err = check_property("client", "group.id", "g").unwrap_err();
        assert!(err.message.contains("reserved"), "{err:?}");
    }

    #[test]
    fn environment_names_are_checked_without_being_quoted() {
        assert!(is_env_name("RURALSYNC_KAFKA_PASSWORD"));
        assert!(!is_env_name("hunter2 secret"));
        assert!(!is_env_name("9X"));
    }
}
