//! Configuration: a TOML file read in two phases.
//!
//! 1. [`raw`]: serde types mirroring the file, `deny_unknown_fields`, defaults documented
//!    on each field. Their doc comments are the user reference.
//! 2. [`validate`]: a pure function from the raw config to [`Config`], the runtime form
//!    holding parsed things (cron schedules, time zones, URLs, field mappings). It does
//!    no I/O; every error names the file, the key and what would be valid.

pub mod admin;
pub mod env;
mod kafka;
pub mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use admin::{AdminConfig, RawAdmin, TokenFrom};
pub use env::Override;
pub use kafka::{ClientSettings, KafkaConfig, SecretFrom, SecretProperty, SECRET_PROPERTIES};
pub use validate::{validate, Config, Invalid, PrivacyConfig, SourceConfig};

/// A configuration problem, naming where it is and what would be valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not TOML, or not shaped like the config. The message says where and
    /// what is wrong but never quotes the file's content: the offending line may hold a
    /// secret (toml's own messages print the line).
    #[error("{path}: {at}: {message}")]
    Parse {
        path: PathBuf,
        /// `line L, column C` (1-based), or `position unknown`.
        at: String,
        message: String,
    },
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Read, parse and validate the config file at `path`.
///
/// # Errors
/// [`ConfigError`] when the file cannot be read, is not valid TOML for the config
/// structure, or holds an invalid value.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Parse and validate config text; `path` is only used in error messages.
///
/// # Errors
/// As [`load`], without the read error.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    parse_with_env(path, text, &env::vars())
}

/// [`parse`] with the environment overrides among `vars` applied between parsing and
/// validation ([`env`]); those that took effect are in [`Config::overrides`].
///
/// # Errors
/// As [`parse`]; a value from the environment that does not fit names its variable.
pub fn parse_with_env(
    path: &Path,
    text: &str,
    vars: &[(String, String)],
) -> Result<Config, ConfigError> {
    let invalid = |e: Invalid| ConfigError::Invalid {
        path: path.to_owned(),
        key: e.key,
        message: e.message,
    };
    let mut raw: raw::RawConfig = toml::from_str(text).map_err(|e| parse_error(path, text, &e))?;
    let overrides = env::apply(&mut raw, vars).map_err(invalid)?;
    let mut config = validate(&raw).map_err(invalid)?;
    config.overrides = overrides;
    Ok(config)
}

/// A TOML error as [`ConfigError::Parse`]: its position as line and column, and its
/// message without the values it quotes.
fn parse_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let at = error.span().map_or_else(
        || "position unknown".to_owned(),
        |span| {
            let (line, column) = line_and_column(text, span.start);
            format!("line {line}, column {column}")
        },
    );
    ConfigError::Parse {
        path: path.to_owned(),
        at,
        message: crate::settings::without_values(error.message()),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
