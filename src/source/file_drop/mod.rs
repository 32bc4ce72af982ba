//! `file_drop`: CSV and XLSX exports dropped in a directory. Being written.

use chrono_tz::Tz;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::config::Invalid;
use crate::source::{Pages, PositionOf, Resume};

/// `[sources.<name>.file]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFileDrop {
    pub dir: String,
}

#[derive(Debug, Clone)]
pub struct FileDropConfig {
    pub dir: std::path::PathBuf,
    pub time_format: String,
}

impl FileDropConfig {
    /// # Errors
    /// [`Invalid`] naming the key under `key`.
    pub fn validate(raw: &RawFileDrop, _tz: Tz, _key: &str) -> Result<FileDropConfig, Invalid> {
        Ok(FileDropConfig {
            dir: raw.dir.clone().into(),
            time_format: "%Y-%m-%d %H:%M:%S".into(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("source {source_name}: the file_drop source kind is not written yet")]
    NotWritten { source_name: String },
}

#[derive(Debug, Clone)]
pub struct FileDropSource {
    name: String,
    config: FileDropConfig,
}

impl FileDropSource {
    /// # Errors
    /// Never yet.
    pub fn new(name: &str, config: FileDropConfig) -> Result<FileDropSource, FileError> {
        Ok(FileDropSource {
            name: name.to_owned(),
            config,
        })
    }

    pub fn config(&self) -> &FileDropConfig {
        &self.config
    }

    pub fn spawn_pages(&self, _resume: Resume, _position_of: PositionOf, _stop: CancellationToken) -> Pages {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let name = self.name.clone();
        let task = tokio::spawn(async move {
            let _ = tx.send(Err(FileError::NotWritten { source_name: name }.into())).await;
        });
        (rx, task)
    }
}
