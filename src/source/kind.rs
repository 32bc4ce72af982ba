//! The source kinds, chosen by the `type` tag of `[sources.<name>]`: the raw tables
//! ([`RawKind`], read by [`crate::settings::tagged`]) and their validated form
//! ([`SourceKind`]). Each kind keeps its settings in its own table
//! (`[sources.<name>.http]`, `.sql`, `.file`), so a variant holds that one table.

use chrono_tz::Tz;
use serde::Deserialize;

use super::file_drop::{FileDropConfig, RawFileDrop};
use super::http_json::{HttpJsonConfig, RawHttpJson};
use super::sql::{RawSql, SqlConfig};
use crate::settings::{Invalid, Tagged};

/// A validated source kind.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SourceKind {
    /// Boxed: its retry, auth and paging settings make it far the largest.
    HttpJson(Box<HttpJsonConfig>),
    Sql(SqlConfig),
    FileDrop(FileDropConfig),
}

/// A source's kind and its table, chosen by its `type` key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RawKind {
    /// `type = "http_json"`: a paged JSON API, `[sources.<name>.http]`.
    #[serde(rename = "http_json")]
    HttpJson { http: Box<RawHttpJson> },
    /// `type = "sql"`: a database query, `[sources.<name>.sql]`.
    #[serde(rename = "sql")]
    Sql { sql: RawSql },
    /// `type = "file_drop"`: CSV/XLSX exports dropped in a directory,
    /// `[sources.<name>.file]`.
    #[serde(rename = "file_drop")]
    FileDrop { file: RawFileDrop },
}

/// Each kind's tag and the table it takes.
const TABLES: [(&str, &str); 3] = [("http_json", "http"), ("sql", "sql"), ("file_drop", "file")];

impl Tagged for RawKind {
    const TAG: &'static str = "type";
    const WHAT: &'static str = "source type";

    fn values() -> Vec<&'static str> {
        TABLES.iter().map(|(kind, _)| *kind).collect()
    }

    /// A missing table, and a kind's table under another kind, get messages of their
    /// own rather than serde's.
    fn check(tag: &str, table: &toml::Table, key: &str) -> Result<(), Invalid> {
        for (kind, name) in TABLES {
            if kind == tag && !table.contains_key(name) {
                return Err(Invalid::new(
                    format!("{key}.{name}"),
                    format!("is missing; a source of type {tag:?} needs a [{key}.{name}] table"),
                ));
            }
        }
        for (kind, name) in TABLES {
            if kind != tag && table.contains_key(name) {
                return Err(Invalid::new(
                    format!("{key}.{name}"),
                    format!("belongs to sources of type {kind:?}, but this source is {tag:?}; remove it or change `type`"),
                ));
            }
        }
        Ok(())
    }
}

impl RawKind {
    /// Validate the kind's table; `key` is the source's key (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault.
    pub fn validate(self, tz: Tz, key: &str) -> Result<SourceKind, Invalid> {
        Ok(match self {
            RawKind::HttpJson { http } => SourceKind::HttpJson(Box::new(HttpJsonConfig::validate(
                &http,
                tz,
                &format!("{key}.http"),
            )?)),
            RawKind::Sql { sql } => {
                SourceKind::Sql(SqlConfig::validate(&sql, tz, &format!("{key}.sql"))?)
            }
            RawKind::FileDrop { file } => {
                SourceKind::FileDrop(FileDropConfig::validate(&file, tz, &format!("{key}.file"))?)
            }
        })
    }
}
