//! `[admin]`: the daemon's admin HTTP server (health, readiness, metrics, the sources
//! API). Raw form, validated form, and where the access token is read.
//!
//! Without an `[admin]` table the daemon serves nothing: two daemons on one machine (or
//! the test suite's many) would otherwise fight over one port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::kafka::SecretFrom;
use crate::settings::Invalid;

/// The port the admin server listens on when `listen` is not set.
pub const DEFAULT_PORT: u16 = 9780;

/// `[admin]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    /// Whether the admin server runs. Default true (when the table is present).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// `address:port` to listen on. Default `127.0.0.1:9780` (this machine only). Any
    /// other address (`0.0.0.0:9780` in a container) needs an access token.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Environment variable holding the access token that `POST /api/v1/sources/…`
    /// (run, pause, resume) requires as `Authorization: Bearer <token>`. Never in this
    /// file. At least 16 characters.
    pub token_env: Option<String>,
    /// File holding the token instead (surrounding whitespace ignored).
    pub token_file: Option<String>,
    /// How long an enabled, unpaused source may keep failing before `/readyz` answers
    /// 503. Default 600.
    #[serde(default = "default_grace")]
    pub ready_failing_grace_secs: u64,
}

impl Default for RawAdmin {
    fn default() -> Self {
        RawAdmin {
            enabled: true,
            listen: default_listen(),
            token_env: None,
            token_file: None,
            ready_failing_grace_secs: default_grace(),
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_listen() -> String {
    format!("127.0.0.1:{DEFAULT_PORT}")
}
fn default_grace() -> u64 {
    600
}

/// `[admin]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    /// Where the access token is read at start; `None`: mutating endpoints are refused.
    pub token: Option<TokenFrom>,
    pub ready_failing_grace: Duration,
}

/// Where the admin token is read, with the key that says so (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFrom {
    pub key: &'static str,
    pub from: SecretFrom,
}

/// The shortest token accepted: a guessable token is no protection.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Validate `[admin]`; `None` when it is absent or disabled.
///
/// # Errors
/// [`Invalid`] naming the key: an unparsable `listen`, both or neither token keys where
/// one is needed (a `listen` address other than loopback), a zero grace.
pub fn validate_admin(raw: Option<&RawAdmin>) -> Result<Option<AdminConfig>, Invalid> {
    let Some(raw) = raw.filter(|r| r.enabled) else {
        return Ok(None);
    };
    let listen: SocketAddr = raw.listen.trim().parse().map_err(|_| {
        Invalid::new(
            "admin.listen",
            format!(
                "{:?} is not an address:port; expected e.g. \"127.0.0.1:{DEFAULT_PORT}\" or \"0.0.0.0:{DEFAULT_PORT}\"",
                raw.listen
            ),
        )
    })?;
    let token = token_from(raw)?;
    if token.is_none() && !listen.ip().is_loopback() {
        return Err(Invalid::new(
            "admin.listen",
            format!("{listen} is reachable from other machines and no access token is configured; set admin.token_env (or admin.token_file), or listen on 127.0.0.1"),
        ));
    }
    if raw.ready_failing_grace_secs == 0 {
        return Err(Invalid::new(
            "admin.ready_failing_grace_secs",
            "is 0; expected seconds (default 600): one failed cycle would make the daemon unready",
        ));
    }
    Ok(Some(AdminConfig {
        listen,
        token,
        ready_failing_grace: Duration::from_secs(raw.ready_failing_grace_secs),
    }))
}

fn token_from(raw: &RawAdmin) -> Result<Option<TokenFrom>, Invalid> {
    match (&raw.token_env, &raw.token_file) {
        (Some(_), Some(_)) => Err(Invalid::new(
            "admin.token_file",
            "and admin.token_env are both set; set one",
        )),
        (Some(name), None) => {
            if !super::kafka::is_env_name(name) {
                return Err(Invalid::new(
                    "admin.token_env",
                    "is not an environment variable name (expected letters, digits and _); it names the variable holding the token, not the token itself",
                ));
            }
            Ok(Some(TokenFrom {
                key: "admin.token_env",
                from: SecretFrom::Env(name.clone()),
            }))
        }
        (None, Some(path)) if path.trim().is_empty() => Err(Invalid::new(
            "admin.token_file",
            "is empty; expected the path of a file holding the token",
        )),
        (None, Some(path)) => Ok(Some(TokenFrom {
            key: "admin.token_file",
            from: SecretFrom::File(PathBuf::from(path)),
        })),
        (None, None) => Ok(None),
    }
}

/// Why the admin token could not be read at start.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct TokenError {
    pub key: &'static str,
    pub message: String,
}

impl TokenFrom {
    /// Read the token now. Its value never appears in an error.
    ///
    /// # Errors
    /// [`TokenError`] naming the key when the variable is unset, the file unreadable, or
    /// the token shorter than [`MIN_TOKEN_CHARS`].
    pub fn read(&self) -> Result<String, TokenError> {
        let fail = |message: String| TokenError {
            key: self.key,
            message,
        };
        let value = match &self.from {
            SecretFrom::Env(name) => std::env::var(name).map_err(|_| {
                fail(format!(
                    "environment variable {name} is not set (or not UTF-8)"
                ))
            })?,
            SecretFrom::File(path) => std::fs::read_to_string(path)
                .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?,
        };
        let value = value.trim().to_owned();
        if value.chars().count() < MIN_TOKEN_CHARS {
            return Err(fail(format!(
                "the token is shorter than {MIN_TOKEN_CHARS} characters; use a random one, e.g. `openssl rand -hex 32`"
            )));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(listen: &str) -> RawAdmin {
        RawAdmin {
            listen: listen.into(),
            ..RawAdmin::default()
        }
    }

    #[test]
    fn absent_or_disabled_means_no_server() {
        assert_eq!(validate_admin(None).unwrap(), None);
        let off = RawAdmin {
            enabled: false,
            ..RawAdmin::default()
        };
        assert_eq!(validate_admin(Some(&off)).unwrap(), None);
    }

    #[test]
    fn loopback_by_default_without_a_token() {
        let c = validate_admin(Some(&RawAdmin::default())).unwrap().unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9780");
        assert_eq!(c.token, None);
        assert_eq!(c.ready_failing_grace, Duration::from_secs(600));
    }

    #[test]
    fn a_non_loopback_listen_without_a_token_is_refused_naming_the_key() {
        let e = validate_admin(Some(&raw("0.0.0.0:9780"))).unwrap_err();
        assert_eq!(e.key, "admin.listen");
        assert!(e.message.contains("admin.token_env"), "{}", e.message);
        let with_token = RawAdmin {
            token_env: Some("RURALSYNC_ADMIN_TOKEN".into()),
            ..raw("0.0.0.0:9780")
        };
        assert!(validate_admin(Some(&with_token)).unwrap().is_some());
    }

    #[test]
    fn bad_listen_and_token_keys_are_named() {
        assert_eq!(
            validate_admin(Some(&raw("localhost"))).unwrap_err().key,
            "admin.listen"
        );
        let both = RawAdmin {
            token_env: Some("A".into()),
            token_file: Some("/x".into()),
            ..RawAdmin::default()
        };
        assert_eq!(
            validate_admin(Some(&both)).unwrap_err().key,
            "admin.token_file"
        );
        let secret_in_place = RawAdmin {
            token_env: Some("s3cr3t-t0ken-value!".into()),
            ..RawAdmin::default()
        };
        let e = validate_admin(Some(&secret_in_place)).unwrap_err();
        assert_eq!(e.key, "admin.token_env");
        assert!(!e.message.contains("s3cr3t"));
    }

    #[test]
    fn a_short_token_is_refused_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc12\n").unwrap();
        let from = TokenFrom {
            key: "admin.token_file",
            from: SecretFrom::File(path.clone()),
        };
        let e = from.read().unwrap_err();
        assert!(
            !e.to_string().contains("abc12") && e.to_string().contains("16"),
            "{e}"
        );
        std::fs::write(&path, " 0123456789abcdef0123 \n").unwrap();
        assert_eq!(from.read().unwrap(), "0123456789abcdef0123");
    }

    #[test]
    fn the_example_config_documents_admin() {
        let example = include_str!("../../config/ruralsync.example.toml");
        let c = crate::config::parse(std::path::Path::new("example.toml"), example).unwrap();
        let admin = c.admin.expect("the example has [admin]");
        assert_eq!(admin.listen.to_string(), "127.0.0.1:9780");
        assert_eq!(admin.ready_failing_grace, Duration::from_secs(600));
        for key in [
            "token_env",
            "token_file",
            "ready_failing_grace_secs",
            "listen",
        ] {
            assert!(example.contains(key), "{key} is documented");
        }
    }
}
