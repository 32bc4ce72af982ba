//! `sql`: a query against PostgreSQL or MySQL/MariaDB. Being written.

use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::config::Invalid;
use crate::source::{Pages, PositionOf, Resume};

/// `[sources.<name>.sql]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    pub query: String,
}

#[derive(Debug, Clone)]
pub struct SqlConfig {
    pub query: String,
    pub lag: Duration,
    pub time_format: String,
}

impl SqlConfig {
    /// # Errors
    /// [`Invalid`] naming the key under `key`.
    pub fn validate(raw: &RawSql, _tz: Tz, _key: &str) -> Result<SqlConfig, Invalid> {
        Ok(SqlConfig {
            query: raw.query.clone(),
            lag: Duration::ZERO,
            time_format: "%Y-%m-%d %H:%M:%S".into(),
        })
    }

    pub fn incremental(&self) -> bool {
        true
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    #[error("source {source_name}: the sql source kind is not written yet")]
    NotWritten { source_name: String },
}

#[derive(Debug, Clone)]
pub struct SqlSource {
    name: String,
    config: SqlConfig,
}

impl SqlSource {
    /// # Errors
    /// Never yet.
    pub fn new(name: &str, config: SqlConfig) -> Result<SqlSource, SqlError> {
        Ok(SqlSource {
            name: name.to_owned(),
            config,
        })
    }

    pub fn config(&self) -> &SqlConfig {
        &self.config
    }

    pub fn spawn_pages(&self, _resume: Resume, _position_of: PositionOf, _stop: CancellationToken) -> Pages {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let name = self.name.clone();
        let task = tokio::spawn(async move {
            let _ = tx.send(Err(SqlError::NotWritten { source_name: name }.into())).await;
        });
        (rx, task)
    }
}
