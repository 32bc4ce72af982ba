//! Configuration: a TOML file read in two phases.
//!
//! 1. [`raw`]: serde types mirroring the file, `deny_unknown_fields`, defaults documented
//!    on each field. Their doc comments are the user reference.
//! 2. [`validate`]: a pure function from the raw config to [`Config`], the runtime form
//!    holding parsed things (cron schedules, time zones, URLs, field mappings). It does
//!    no I/O; every error names the file, the key and what would be valid.

mod check;
mod kafka;
pub mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use check::{check_lag_secs, check_time_format, MAX_LAG_SECS};
pub use kafka::{ClientSettings, KafkaConfig, SecretFrom, SecretProperty, SECRET_PROPERTIES};
pub use validate::{validate, Config, Invalid, PrivacyConfig, SourceConfig, SourceKind};

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
    let raw: raw::RawConfig = toml::from_str(text).map_err(|e| parse_error(path, text, &e))?;
    validate(&raw).map_err(|e| ConfigError::Invalid {
        path: path.to_owned(),
        key: e.key,
        message: e.message,
    })
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
        message: without_values(error.message()),
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

/// serde's type errors quote the value found (`invalid type: string "…", expected u32`);
/// keep what kind of value it was and what was expected. toml's syntax messages name
/// expected tokens only; their lines are joined.
fn without_values(message: &str) -> String {
    let message = message.lines().collect::<Vec<_>>().join("; ");
    for prefix in ["invalid type: ", "invalid value: ", "invalid length: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
            let kind = found.split(['"', '`']).next().unwrap_or("").trim();
            return format!("{prefix}{kind} (value not shown), expected {expected}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        return format!("unknown variant (value not shown), expected {expected}");
    }
    message
}

#[cfg(test)]
mod tests;
