//! Configuration: a TOML file read in two phases.
//!
//! 1. [`raw`]: serde types mirroring the file, `deny_unknown_fields`, defaults documented
//!    on each field. Their doc comments are the user reference.
//! 2. [`validate`]: a pure function from the raw config to [`Config`], the runtime form
//!    holding parsed things (cron schedules, time zones, URLs, field mappings). It does
//!    no I/O; every error names the file, the key and what would be valid.

mod check;
pub mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use check::check_time_format;
pub use validate::{
    validate, Config, Invalid, KafkaConfig, PrivacyConfig, SourceConfig, SourceKind,
};

/// A configuration problem, naming where it is and what would be valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
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
    let raw: raw::RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    validate(&raw).map_err(|e| ConfigError::Invalid {
        path: path.to_owned(),
        key: e.key,
        message: e.message,
    })
}

#[cfg(test)]
mod tests;
