//! Environment overrides: what differs per deployment without editing the file.
//!
//! `RURALSYNC_<TABLE>_<KEY>` sets a scalar key of `[kafka]`, `[admin]` or `[privacy]`
//! (`RURALSYNC_KAFKA_BOOTSTRAP_SERVERS`, `RURALSYNC_ADMIN_LISTEN`,
//! `RURALSYNC_PRIVACY_HMAC_KEY_FILE`), and `RURALSYNC_KAFKA_CLIENT_<PROPERTY>` a
//! `[kafka.client]` property, its name upper-cased with dots as `_`
//! (`RURALSYNC_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL`). They are applied between
//! parsing and validation, so an overridden value is validated like one in the file.
//! Variables that match no key are left alone: `RURALSYNC_PII_KEY` and the variables
//! that `*_env` keys name (`RURALSYNC_KAFKA_PASSWORD`) live in the same namespace.

use super::admin::RawAdmin;
use super::raw::RawConfig;
use crate::settings::Invalid;

/// An override that took effect, for `ruralsync check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The environment variable.
    pub variable: String,
    /// The dotted key it set.
    pub key: String,
    /// The value, as `check` may print it (none of these keys holds a secret: secrets
    /// are named by `*_env`/`*_file` keys, and a secret property is refused).
    pub value: String,
}

const PREFIX: &str = "RURALSYNC_";

/// Apply every override among `vars` to `raw`.
///
/// # Errors
/// [`Invalid`] naming the variable and the key when a value does not fit its key (a
/// number or a boolean expected).
pub fn apply(raw: &mut RawConfig, vars: &[(String, String)]) -> Result<Vec<Override>, Invalid> {
    let mut applied = Vec::new();
    for (variable, value) in vars {
        let Some(rest) = variable.strip_prefix(PREFIX) else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        let key = if let Some(property) = lower.strip_prefix("kafka_client_") {
            let property = property.replace('_', ".");
            raw.kafka.client.insert(property.clone(), value.clone());
            Some(format!("kafka.client.\"{property}\""))
        } else if let Some(key) = lower.strip_prefix("kafka_") {
            kafka(raw, key, value, variable)?.then(|| format!("kafka.{key}"))
        } else if let Some(key) = lower.strip_prefix("admin_") {
            // The table is created only for a key of it: `RURALSYNC_ADMIN_TOKEN` (the
            // token itself, named by `token_env`) must not turn the server on.
            let mut admin = raw.admin.clone().unwrap_or_default();
            let known = admin_key(&mut admin, key, value, variable)?;
            if known {
                raw.admin = Some(admin);
            }
            known.then(|| format!("admin.{key}"))
        } else if let Some(key) = lower.strip_prefix("privacy_") {
            privacy(raw, key, value).then(|| format!("privacy.{key}"))
        } else {
            None
        };
        if let Some(key) = key {
            applied.push(Override {
                variable: variable.clone(),
                key,
                value: value.clone(),
            });
        }
    }
    Ok(applied)
}

/// The process's `RURALSYNC_*` variables, sorted (so overrides apply in a stable order).
pub fn vars() -> Vec<(String, String)> {
    let mut vars: Vec<_> = std::env::vars()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .collect();
    vars.sort();
    vars
}

fn number<T: std::str::FromStr>(value: &str, variable: &str, key: &str) -> Result<T, Invalid> {
    value.trim().parse().map_err(|_| {
        Invalid::new(
            key,
            format!("set by environment variable {variable}: {value:?} is not a whole number"),
        )
    })
}

fn kafka(raw: &mut RawConfig, key: &str, value: &str, variable: &str) -> Result<bool, Invalid> {
    let k = &mut raw.kafka;
    let at = format!("kafka.{key}");
    let text = Some(value.to_owned());
    match key {
        "bootstrap_servers" => k.bootstrap_servers = value.to_owned(),
        "topic_prefix" => k.topic_prefix = value.to_owned(),
        "transactional_id_prefix" => k.transactional_id_prefix = value.to_owned(),
        "topic_partitions" => k.topic_partitions = number(value, variable, &at)?,
        "replication_factor" => k.replication_factor = number(value, variable, &at)?,
        "transaction_timeout_ms" => k.transaction_timeout_ms = number(value, variable, &at)?,
        "retry_backoff_initial_ms" => k.retry_backoff_initial_ms = number(value, variable, &at)?,
        "retry_backoff_max_ms" => k.retry_backoff_max_ms = number(value, variable, &at)?,
        "sasl_password_env" => k.sasl_password_env = text,
        "sasl_password_file" => k.sasl_password_file = text,
        "ssl_key_password_env" => k.ssl_key_password_env = text,
        "ssl_key_password_file" => k.ssl_key_password_file = text,
        "ssl_keystore_password_env" => k.ssl_keystore_password_env = text,
        "ssl_keystore_password_file" => k.ssl_keystore_password_file = text,
        "sasl_oauthbearer_client_secret_env" => k.sasl_oauthbearer_client_secret_env = text,
        "sasl_oauthbearer_client_secret_file" => k.sasl_oauthbearer_client_secret_file = text,
        _ => return Ok(false),
    }
    Ok(true)
}

fn admin_key(a: &mut RawAdmin, key: &str, value: &str, variable: &str) -> Result<bool, Invalid> {
    let at = format!("admin.{key}");
    match key {
        "enabled" => {
            a.enabled = match value.trim() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(Invalid::new(
                        at,
                        format!(
                        "set by environment variable {variable}: {value:?} is not true or false"
                    ),
                    ))
                }
            }
        }
        "listen" => a.listen = value.to_owned(),
        "token_env" => a.token_env = Some(value.to_owned()),
        "token_file" => a.token_file = Some(value.to_owned()),
        "ready_failing_grace_secs" => a.ready_failing_grace_secs = number(value, variable, &at)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn privacy(raw: &mut RawConfig, key: &str, value: &str) -> bool {
    let p = &mut raw.privacy;
    match key {
        "hmac_key_env" => p.hmac_key_env = value.to_owned(),
        "hmac_key_file" => p.hmac_key_file = Some(value.to_owned()),
        "person_names" => p.person_names = value.to_owned(),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        toml::from_str("[kafka]\nbootstrap_servers = \"file:9092\"\n").unwrap()
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn scalar_keys_of_kafka_admin_and_privacy_are_overridden() {
        let mut r = raw();
        let applied = apply(
            &mut r,
            &vars(&[
                ("RURALSYNC_KAFKA_BOOTSTRAP_SERVERS", "env:9094"),
                ("RURALSYNC_KAFKA_TOPIC_PARTITIONS", "6"),
                ("RURALSYNC_KAFKA_SASL_PASSWORD_ENV", "KAFKA_PASS"),
                ("RURALSYNC_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
                ("RURALSYNC_ADMIN_LISTEN", "0.0.0.0:9780"),
                ("RURALSYNC_PRIVACY_PERSON_NAMES", "drop"),
                // Not keys: left alone.
                ("RURALSYNC_PII_KEY", "0123456789abcdef0123456789abcdef"),
                ("RURALSYNC_KAFKA_PASSWORD", "secret"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(r.kafka.bootstrap_servers, "env:9094");
        assert_eq!(r.kafka.topic_partitions, 6);
        assert_eq!(r.kafka.sasl_password_env.as_deref(), Some("KAFKA_PASS"));
        assert_eq!(r.kafka.client["security.protocol"], "SASL_PLAINTEXT");
        assert_eq!(r.admin.unwrap().listen, "0.0.0.0:9780");
        assert_eq!(r.privacy.person_names, "drop");
        let keys: Vec<&str> = applied.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "kafka.bootstrap_servers",
                "kafka.topic_partitions",
                "kafka.sasl_password_env",
                "kafka.client.\"security.protocol\"",
                "admin.listen",
                "privacy.person_names"
            ]
        );
    }

    #[test]
    fn a_variable_that_names_no_key_changes_nothing() {
        let mut r = raw();
        let applied = apply(
            &mut r,
            &vars(&[("RURALSYNC_ADMIN_TOKEN", "0123456789abcdef0123")]),
        )
        .unwrap();
        assert!(applied.is_empty());
        assert!(
            r.admin.is_none(),
            "no admin server turned on by the token variable"
        );
    }

    #[test]
    fn a_value_that_does_not_fit_names_the_variable_and_the_key() {
        let e = apply(
            &mut raw(),
            &vars(&[("RURALSYNC_KAFKA_TOPIC_PARTITIONS", "six")]),
        )
        .unwrap_err();
        assert_eq!(e.key, "kafka.topic_partitions");
        assert!(
            e.message.contains("RURALSYNC_KAFKA_TOPIC_PARTITIONS"),
            "{}",
            e.message
        );
        let e = apply(&mut raw(), &vars(&[("RURALSYNC_ADMIN_ENABLED", "yes")])).unwrap_err();
        assert_eq!(e.key, "admin.enabled");
    }
}
