//! The config file as written: serde types, one per table. Doc comments here are the
//! reference for operators; `config/ruralsync.example.toml` shows every key.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Where and how records are published.
    pub kafka: RawKafka,
    /// How personal data is protected.
    #[serde(default)]
    pub privacy: RawPrivacy,
    /// The admin HTTP server (health, readiness, metrics, sources API); none without
    /// this table. See [`RawAdmin`](crate::config::RawAdmin).
    pub admin: Option<super::admin::RawAdmin>,
    /// The upstream systems to pull, by name. The name is part of every record key
    /// (`<name>:<native id>`), of the checkpoint key and of the transactional id: keep it
    /// stable once data has been published.
    #[serde(default)]
    pub sources: BTreeMap<String, RawSource>,
    /// A Confluent-compatible schema registry: values in the Confluent wire format
    /// instead of single-object encoding (see [`crate::registry::RawSchemaRegistry`]).
    pub schema_registry: Option<crate::registry::RawSchemaRegistry>,
}

/// `[kafka]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKafka {
    /// Comma-separated `host:port` list. Use `127.0.0.1`, not `localhost`, on machines
    /// where `localhost` resolves to `::1` first.
    pub bootstrap_servers: String,
    /// Prefix of every topic name: `<prefix>.<family>.v1`, `<prefix>.dead-letter.v1`,
    /// `<prefix>._checkpoints`. Default `ruralsync`.
    #[serde(default = "default_topic_prefix")]
    pub topic_prefix: String,
    /// Prefix of the per-source transactional id (`<prefix>-<source>`). Two daemons
    /// with the same prefix and source fence each other. Default `ruralsync`.
    #[serde(default = "default_topic_prefix")]
    pub transactional_id_prefix: String,
    /// Partitions of record topics created by ruralsync. Default 3.
    #[serde(default = "default_partitions")]
    pub topic_partitions: i32,
    /// Replication factor of topics created by ruralsync. Default 1 (single broker).
    #[serde(default = "default_replication")]
    pub replication_factor: i32,
    /// How long one Kafka transaction (init, commit) may take before it counts as
    /// failed. Default 60000.
    #[serde(default = "default_transaction_timeout_ms")]
    pub transaction_timeout_ms: u64,
    /// First wait before publishing a page again after Kafka failed; doubles per
    /// attempt up to `retry_backoff_max_ms`. Defaults 500 and 30000.
    #[serde(default = "default_retry_backoff_initial_ms")]
    pub retry_backoff_initial_ms: u64,
    #[serde(default = "default_retry_backoff_max_ms")]
    pub retry_backoff_max_ms: u64,
    /// Extra librdkafka properties of the producers only, e.g.
    /// `"compression.type" = "lz4"`. `acks`, `enable.idempotence` and
    /// `transactional.id` are set by ruralsync; security settings go in `[kafka.client]`.
    #[serde(default)]
    pub producer: BTreeMap<String, String>,
    /// librdkafka properties of every Kafka client ruralsync creates (producers, the
    /// admin client creating topics, the checkpoint and fingerprint readers, `peek`):
    /// security and connection settings such as `"security.protocol" = "SASL_SSL"`,
    /// `"sasl.mechanism" = "SCRAM-SHA-512"`, `"sasl.username"`, `"ssl.ca.location"`.
    /// Secret properties are refused here: see `sasl_password_env` and its siblings.
    #[serde(default)]
    pub client: BTreeMap<String, String>,
    /// Environment variable holding `sasl.password` (e.g. `RURALSYNC_KAFKA_PASSWORD`).
    /// Read when a client is created; never logged.
    pub sasl_password_env: Option<String>,
    /// File holding `sasl.password` instead (surrounding whitespace ignored).
    pub sasl_password_file: Option<String>,
    /// Environment variable, or file, holding `ssl.key.password` (the passphrase of
    /// `ssl.key.location`).
    pub ssl_key_password_env: Option<String>,
    pub ssl_key_password_file: Option<String>,
    /// Environment variable, or file, holding `ssl.keystore.password` (of
    /// `ssl.keystore.location`, a PKCS#12 keystore).
    pub ssl_keystore_password_env: Option<String>,
    pub ssl_keystore_password_file: Option<String>,
    /// Environment variable, or file, holding `sasl.oauthbearer.client.secret`.
    pub sasl_oauthbearer_client_secret_env: Option<String>,
    pub sasl_oauthbearer_client_secret_file: Option<String>,
}

impl RawKafka {
    /// The `(_env, _file)` keys of each secret property, in the order of
    /// [`crate::config::SECRET_PROPERTIES`].
    pub fn secret_origins(&self) -> [(Option<&String>, Option<&String>); 4] {
        [
            (
                self.sasl_password_env.as_ref(),
                self.sasl_password_file.as_ref(),
            ),
            (
                self.ssl_key_password_env.as_ref(),
                self.ssl_key_password_file.as_ref(),
            ),
            (
                self.ssl_keystore_password_env.as_ref(),
                self.ssl_keystore_password_file.as_ref(),
            ),
            (
                self.sasl_oauthbearer_client_secret_env.as_ref(),
                self.sasl_oauthbearer_client_secret_file.as_ref(),
            ),
        ]
    }
}

fn default_topic_prefix() -> String {
    "ruralsync".into()
}
fn default_partitions() -> i32 {
    3
}
fn default_replication() -> i32 {
    1
}
fn default_transaction_timeout_ms() -> u64 {
    60_000
}
fn default_retry_backoff_initial_ms() -> u64 {
    500
}
fn default_retry_backoff_max_ms() -> u64 {
    30_000
}

/// `[privacy]`: natural persons' ID numbers and phones are published only as keyed
/// pseudonyms (HMAC-SHA256), their names masked or dropped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPrivacy {
    /// Environment variable holding the pseudonym key (at least 32 bytes). Default
    /// `RURALSYNC_PII_KEY`. Keep the key stable: a new key gives everyone new pseudonyms.
    pub hmac_key_env: String,
    /// File holding the key instead (whitespace around it ignored). Takes precedence.
    pub hmac_key_file: Option<String>,
    /// How persons' names are published: `mask` (王** — default) or `drop`.
    pub person_names: String,
}

impl Default for RawPrivacy {
    fn default() -> Self {
        RawPrivacy {
            hmac_key_env: "RURALSYNC_PII_KEY".into(),
            hmac_key_file: None,
            person_names: "mask".into(),
        }
    }
}

/// `[sources.<name>]`: one upstream system.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Source kind: `http_json` (paged JSON API), `sql` (a database query) or
    /// `file_drop` (CSV/XLSX exports dropped in a directory).
    #[serde(rename = "type")]
    pub kind: toml::Value,
    /// Record family the source yields: `property_rights_transaction`,
    /// `collective_asset`, `economic_contract` or `collective_organisation`.
    pub family: toml::Value,
    /// Cron expression: `sec min hour day-of-month month day-of-week [year]`, or the usual
    /// five fields without seconds (then seconds are 0). Evaluated in `timezone`.
    pub schedule: String,
    /// IANA time zone of the schedule and of the platform's local times.
    /// Default `Asia/Shanghai`.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Whether the daemon runs this source. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Settings of an `http_json` source: see
    /// [`RawHttpJson`](crate::source::http_json::RawHttpJson). Read with `type` as
    /// [`RawKind`](crate::source::RawKind) when the config is validated.
    pub http: Option<toml::Table>,
    /// Settings of a `sql` source: see [`RawSql`](crate::source::sql::RawSql).
    pub sql: Option<toml::Table>,
    /// Settings of a `file_drop` source: see
    /// [`RawFileDrop`](crate::source::file_drop::RawFileDrop).
    pub file: Option<toml::Table>,
    /// Upstream field names of the record family, where they differ from the defaults
    /// (each family's `Raw*Fields` in [`crate::family`], e.g.
    /// [`RawTransactionFields`](crate::family::transaction::RawTransactionFields)).
    #[serde(default)]
    pub fields: toml::Table,
    /// The platform's own words for a vocabulary field, mapped to canonical symbols:
    /// `[sources.x.values.category] "土地流转" = "LAND_MANAGEMENT_RIGHT"`. Consulted
    /// before the built-in words; words known to neither become `OTHER` (raw kept) and
    /// are counted in the cycle's log line.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

fn default_timezone() -> String {
    "Asia/Shanghai".into()
}
fn default_true() -> bool {
    true
}
