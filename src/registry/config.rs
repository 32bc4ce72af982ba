//! `[schema_registry]`: raw (serde, the operator reference) and validated.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::settings::Invalid;

/// `[schema_registry]`: publish values in the Confluent wire format (magic byte 0, the
/// 4-byte schema id, the datum) through a Confluent-compatible schema registry, instead
/// of Avro single-object encoding with the `<prefix>._schemas` topic. At start the daemon
/// sets the subjects' compatibility level, then looks up or registers each writer schema
/// (every family it publishes, and the dead letter); it refuses to start when the
/// registry refuses a schema as incompatible, and waits for a registry that does not
/// answer (up to `start_timeout_secs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchemaRegistry {
    /// Base URL of the Confluent-compatible API: `http://registry:8081` (Confluent),
    /// `http://registry:8080/apis/ccompat/v7` (Apicurio). No credentials in it.
    pub url: String,
    /// Basic auth: the user name; the password comes from `password_env` or
    /// `password_file`.
    pub username: Option<String>,
    /// Environment variable holding the basic-auth password.
    pub password_env: Option<String>,
    /// File holding the basic-auth password (surrounding white space ignored).
    pub password_file: Option<PathBuf>,
    /// Environment variable holding a bearer token (instead of basic auth).
    pub bearer_token_env: Option<String>,
    /// File holding a bearer token.
    pub bearer_token_file: Option<PathBuf>,
    /// How subjects are named: `topic_name` (default, Confluent's TopicNameStrategy:
    /// `<topic>-value`), `record_name` (`<full record name>`) or `topic_record_name`
    /// (`<topic>-<full record name>`).
    #[serde(default = "default_strategy")]
    pub subject_name_strategy: String,
    /// Compatibility level set on ruralsync's subjects at start: `FULL_TRANSITIVE`
    /// (default: what the schema catalogue's own rules guarantee), `FULL`, `BACKWARD`,
    /// `BACKWARD_TRANSITIVE`, `FORWARD`, `FORWARD_TRANSITIVE` or `NONE`.
    #[serde(default = "default_compatibility")]
    pub compatibility: String,
    /// How long a start waits for a registry that does not answer (connection refused,
    /// timeouts, 5xx), with backoff; then the start fails. Default 300.
    #[serde(default = "default_start_timeout")]
    pub start_timeout_secs: u64,
    /// Timeout of each request to the registry. Default 10.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// Send credentials over plain `http://` to another machine (refused by default: they
    /// would cross the network in clear).
    #[serde(default)]
    pub allow_insecure_http: bool,
}

fn default_strategy() -> String {
    "topic_name".into()
}
fn default_compatibility() -> String {
    "FULL_TRANSITIVE".into()
}
fn default_start_timeout() -> u64 {
    300
}
fn default_request_timeout() -> u64 {
    10
}

/// How subjects are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectStrategy {
    TopicName,
    RecordName,
    TopicRecordName,
}

impl SubjectStrategy {
    /// The subject of the values of `topic` written with the record `full_name`.
    pub fn subject(self, topic: &str, full_name: &str) -> String {
        match self {
            SubjectStrategy::TopicName => format!("{topic}-value"),
            SubjectStrategy::RecordName => full_name.to_owned(),
            SubjectStrategy::TopicRecordName => format!("{topic}-{full_name}"),
        }
    }
}

/// Where a credential is read at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialFrom {
    Env(String),
    File(PathBuf),
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// The user name, and where the password is read (with its config key).
    Basic {
        username: String,
        password: CredentialFrom,
        key: String,
    },
    /// Where the token is read (with its config key).
    Bearer {
        token: CredentialFrom,
        key: String,
    },
}

/// `[schema_registry]`, validated.
#[derive(Debug, Clone)]
pub struct SchemaRegistryConfig {
    pub url: Url,
    pub auth: Auth,
    pub strategy: SubjectStrategy,
    /// The level set on every subject (`FULL_TRANSITIVE` …).
    pub compatibility: String,
    pub start_timeout: Duration,
    pub request_timeout: Duration,
}

const LEVELS: &[&str] = &[
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

impl RawSchemaRegistry {
    /// Validate; `key` is the table's key (`schema_registry`).
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault and what would be valid.
    pub fn validate(&self, key: &str) -> Result<SchemaRegistryConfig, Invalid> {
        let url = registry_url(&self.url, &format!("{key}.url"))?;
        let strategy = match self.subject_name_strategy.as_str() {
            "topic_name" => SubjectStrategy::TopicName,
            "record_name" => SubjectStrategy::RecordName,
            "topic_record_name" => SubjectStrategy::TopicRecordName,
            other => {
                return Err(Invalid::new(
                    format!("{key}.subject_name_strategy"),
                    format!("{other:?} is not a strategy; valid: topic_name, record_name, topic_record_name"),
                ))
            }
        };
        if !LEVELS.contains(&self.compatibility.as_str()) {
            return Err(Invalid::new(
                format!("{key}.compatibility"),
                format!(
                    "{:?} is not a level; valid: {}",
                    self.compatibility,
                    LEVELS.join(", ")
                ),
            ));
        }
        for (name, secs) in [
            ("start_timeout_secs", self.start_timeout_secs),
            ("request_timeout_secs", self.request_timeout_secs),
        ] {
            if !(1..=86_400).contains(&secs) {
                return Err(Invalid::new(
                    format!("{key}.{name}"),
                    format!("{secs} is out of range; valid: 1 to 86400 seconds"),
                ));
            }
        }
        let auth = self.auth(key)?;
        if auth != Auth::None
            && url.scheme() == "http"
            && !loopback(&url)
            && !self.allow_insecure_http
        {
            return Err(Invalid::new(
                format!("{key}.url"),
                "is plain http:// to another machine while credentials are configured; use https:// (or set allow_insecure_http = true)",
            ));
        }
        Ok(SchemaRegistryConfig {
            url,
            auth,
            strategy,
            compatibility: self.compatibility.clone(),
            start_timeout: Duration::from_secs(self.start_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
        })
    }

    fn auth(&self, key: &str) -> Result<Auth, Invalid> {
        let from = |env: &Option<String>, file: &Option<PathBuf>, stem: &str| match (env, file) {
            (Some(_), Some(_)) => Err(Invalid::new(
                format!("{key}.{stem}_env"),
                format!("and {key}.{stem}_file are both set; keep one"),
            )),
            (Some(var), None) => Ok(Some((
                CredentialFrom::Env(var.clone()),
                format!("{key}.{stem}_env"),
            ))),
            (None, Some(path)) => Ok(Some((
                CredentialFrom::File(path.clone()),
                format!("{key}.{stem}_file"),
            ))),
            (None, None) => Ok(None),
        };
        let password = from(&self.password_env, &self.password_file, "password")?;
        let token = from(
            &self.bearer_token_env,
            &self.bearer_token_file,
            "bearer_token",
        )?;
        match (&self.username, password, token) {
            (None, None, None) => Ok(Auth::None),
            (Some(username), Some((password, key)), None) => Ok(Auth::Basic {
                username: username.clone(),
                password,
                key,
            }),
            (None, None, Some((token, key))) => Ok(Auth::Bearer { token, key }),
            (_, _, Some(_)) => Err(Invalid::new(
                format!("{key}.bearer_token_env"),
                "is set together with basic auth (username, password_*); choose one",
            )),
            (Some(_), None, None) => Err(Invalid::new(
                format!("{key}.username"),
                format!("is set without a password; set {key}.password_env or {key}.password_file"),
            )),
            (None, Some(_), None) => Err(Invalid::new(
                format!("{key}.username"),
                "is missing: a password needs its user name",
            )),
        }
    }
}

fn loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn registry_url(text: &str, key: &str) -> Result<Url, Invalid> {
    let url = Url::parse(text).map_err(|e| {
        Invalid::new(
            key,
            format!("is not a URL ({e}); e.g. \"http://registry:8081\""),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid::new(
            key,
            format!("scheme {:?}; valid: http, https", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid::new(
            key,
            "carries credentials; put the user in username and the password in password_env or password_file",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Invalid::new(
            key,
            "has a query or fragment; give the API's base URL only",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(extra: &str) -> Result<SchemaRegistryConfig, Invalid> {
        let text = format!("url = \"http://127.0.0.1:18081/apis/ccompat/v7\"\n{extra}");
        let raw: RawSchemaRegistry = toml::from_str(&text).unwrap();
        raw.validate("schema_registry")
    }

    #[test]
    fn defaults_are_topic_names_and_full_transitive_without_auth() {
        let c = raw("").unwrap();
        assert_eq!(c.strategy, SubjectStrategy::TopicName);
        assert_eq!(c.compatibility, "FULL_TRANSITIVE");
        assert_eq!(c.auth, Auth::None);
        assert_eq!(c.start_timeout, Duration::from_secs(300));
        assert_eq!(
            c.strategy
                .subject("rs.dead_letter.v1", "cn.ruralsync.v1.DeadLetter"),
            "rs.dead_letter.v1-value"
        );
        let c = raw("username = \"u\"\npassword_file = \"/etc/p\"").unwrap();
        assert!(
            matches!(c.auth, Auth::Basic { ref key, .. } if key == "schema_registry.password_file")
        );
        let c =
            raw("bearer_token_env = \"T\"\nsubject_name_strategy = \"topic_record_name\"").unwrap();
        assert!(matches!(c.auth, Auth::Bearer { .. }));
        assert_eq!(c.strategy.subject("t", "a.B"), "t-a.B");
    }

    #[test]
    fn mistakes_name_their_key() {
        let cases = [
            ("compatibility = \"full\"", "schema_registry.compatibility"),
            (
                "subject_name_strategy = \"x\"",
                "schema_registry.subject_name_strategy",
            ),
            ("username = \"u\"", "schema_registry.username"),
            ("password_env = \"P\"", "schema_registry.username"),
            (
                "username = \"u\"\npassword_env = \"P\"\nbearer_token_env = \"T\"",
                "schema_registry.bearer_token_env",
            ),
            (
                "password_env = \"P\"\npassword_file = \"/p\"\nusername = \"u\"",
                "schema_registry.password_env",
            ),
            (
                "start_timeout_secs = 0",
                "schema_registry.start_timeout_secs",
            ),
        ];
        for (extra, key) in cases {
            assert_eq!(raw(extra).unwrap_err().key, key, "{extra}");
        }
        let remote = |extra: &str| {
            let text = format!("url = \"http://registry.example.cn:8081\"\nusername = \"u\"\npassword_env = \"P\"\n{extra}");
            toml::from_str::<RawSchemaRegistry>(&text)
                .unwrap()
                .validate("schema_registry")
        };
        assert_eq!(remote("").unwrap_err().key, "schema_registry.url");
        assert!(remote("allow_insecure_http = true").is_ok());
        let with_password: RawSchemaRegistry =
            toml::from_str("url = \"http://u:secret@registry:8081\"").unwrap();
        let err = with_password.validate("schema_registry").unwrap_err();
        assert_eq!(err.key, "schema_registry.url");
        assert!(!err.message.contains("secret"), "{}", err.message);
        assert!(toml::from_str::<RawSchemaRegistry>("url = \"x\"\nurll = 1").is_err());
    }
}
