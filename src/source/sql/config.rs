//! Settings of a `sql` source: the raw table as operators write it, and its validation.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::settings::Invalid;
use crate::source::{PullSettings, SharedKeys};

/// `[sources.<name>.sql]`: a query against PostgreSQL or MySQL/MariaDB.
///
/// ruralsync runs the query wrapped as
/// `SELECT * FROM (\n<query>\n) AS src WHERE <after the checkpoint> ORDER BY <updated>, <id>`
/// and streams its rows; each page of `page_size` rows is one Kafka transaction.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    /// Environment variable holding the connection URL, e.g. `RURALSYNC_EXCHANGE_DB_URL`
    /// = `postgres://user:password@host:5432/db` or `mysql://user:password@host:3306/db`
    /// (`postgresql://` and `mariadb://` work too; TLS via `?sslmode=require` /
    /// `?ssl-mode=required`). The URL holds a password, so the config file only names
    /// where it is; logs show it with the password masked. Set this or `url_file`.
    pub url_env: Option<String>,
    /// File holding the connection URL instead (whitespace around it ignored).
    pub url_file: Option<String>,
    /// A SELECT (or WITH … SELECT) yielding the record family's fields. Alias columns to
    /// the field names the family mapping expects (`SELECT xmbh AS "项目编号", …` in
    /// PostgreSQL, the same with backticks or double quotes in MySQL). No trailing
    /// clauses are needed: ruralsync adds the incremental condition and the order.
    /// Comments are fine anywhere, a trailing `-- comment` and `;` included.
    pub query: String,
    /// Output column of `query` holding the row's last change time (更新时间): a
    /// TIMESTAMP, TIMESTAMPTZ, DATETIME or MySQL TIMESTAMP column. It must be the
    /// column the family mapping reads as the update time. Index it together with
    /// `id_column` upstream: the incremental condition and the order use both.
    pub updated_column: String,
    /// Output column of `query` holding the record's native id (项目编号), the
    /// tie-break between rows changed in the same second. It must be the column the
    /// family mapping reads as the id.
    pub id_column: String,
    /// Pull only rows changed after the checkpoint (default true). `false` reads the
    /// whole result every run and relies on change detection to publish only rows whose
    /// content changed.
    #[serde(default = "default_true")]
    pub incremental: bool,
    /// Seconds an incremental pull reaches back before the committed position, for rows
    /// committed upstream after later ones were read (a long transaction stamps 更新时间
    /// when it starts, not when it commits). Rows in the window are read again and
    /// published only if their content changed, so the window costs reads, never
    /// duplicates. 0 trusts every writer to commit in 更新时间 order. 0 to 2678400 (31 days);
    /// default 60.
    #[serde(default = "default_lag_secs")]
    pub lag_secs: u64,
    /// Rows per page; each page is one Kafka transaction. Default 1000.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Pages read ahead of the one being published. Default 2.
    #[serde(default = "default_prefetch_pages")]
    pub prefetch_pages: usize,
    /// chrono format timestamps are rendered in, in the source's `timezone`; the family
    /// mapping reads update times back with it. Whole seconds: sub-second digits are
    /// not supported. Default `%Y-%m-%d %H:%M:%S`.
    #[serde(default = "default_time_format")]
    pub time_format: String,
    /// Timeout of connecting (TCP, TLS, login). Default 10000.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Longest wait for the database to send the next row; the first row of a pull
    /// includes the time the database takes to plan and sort. Time spent waiting for
    /// Kafka does not count. Default 300000.
    #[serde(default = "default_row_timeout_ms")]
    pub row_timeout_ms: u64,
}

fn default_true() -> bool {
    true
}
fn default_lag_secs() -> u64 {
    60
}

fn default_page_size() -> u32 {
    1000
}
fn default_prefetch_pages() -> usize {
    2
}
fn default_time_format() -> String {
    "%Y-%m-%d %H:%M:%S".into()
}
fn default_connect_timeout_ms() -> u64 {
    10_000
}
fn default_row_timeout_ms() -> u64 {
    300_000
}

/// Where the connection URL is read from when the source is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    Env(String),
    File(PathBuf),
}

/// A validated `sql` source.
#[derive(Debug, Clone)]
pub struct SqlConfig {
    pub url: UrlSource,
    /// The operator's query, without its terminating `;` and any comment after it.
    pub query: String,
    pub updated_column: String,
    pub id_column: String,
    /// Page size, prefetch, incremental, lag window and the chrono format of rendered
    /// timestamps (whole seconds).
    pub pull: PullSettings,
    pub connect_timeout: Duration,
    pub row_timeout: Duration,
    /// The source's time zone: naive timestamps are read as local times in it, and every
    /// timestamp is rendered in it.
    pub timezone: Tz,
}

impl SqlConfig {
    /// # Errors
    /// [`Invalid`] naming the key under `key` (e.g. `sources.x.sql.query`).
    pub fn validate(raw: &RawSql, tz: Tz, key: &str) -> Result<SqlConfig, Invalid> {
        let k = |name: &str| format!("{key}.{name}");
        let url = url_source(raw, key)?;
        let query = query(&raw.query, key)?;
        for (name, column) in [
            ("updated_column", &raw.updated_column),
            ("id_column", &raw.id_column),
        ] {
            if column.trim().is_empty() || column != column.trim() {
                return Err(Invalid::new(
                    k(name),
                    format!("{column:?} is not a column name; give the name of a column of the query's output, e.g. \"更新时间\""),
                ));
            }
        }
        if raw.updated_column == raw.id_column {
            return Err(Invalid::new(
                k("id_column"),
                "is the same column as updated_column; the id breaks ties between rows changed in the same second",
            ));
        }
        let pull = SharedKeys {
            table: key,
            page_size: raw.page_size.into(),
            page_sizes: 1..=100_000,
            prefetch_pages: Some(raw.prefetch_pages),
            incremental: raw.incremental,
            lag_secs: Some(raw.lag_secs),
            time_format: ("time_format", &raw.time_format),
        }
        .validate(tz)?;
        for (name, ms) in [
            ("connect_timeout_ms", raw.connect_timeout_ms),
            ("row_timeout_ms", raw.row_timeout_ms),
        ] {
            if ms == 0 {
                return Err(Invalid::new(
                    k(name),
                    "is 0; expected a timeout in milliseconds, e.g. 10000",
                ));
            }
        }
        whole_seconds(&raw.time_format, tz).map_err(|m| Invalid::new(k("time_format"), m))?;
        Ok(SqlConfig {
            url,
            query,
            updated_column: raw.updated_column.clone(),
            id_column: raw.id_column.clone(),
            pull,
            connect_timeout: Duration::from_millis(raw.connect_timeout_ms),
            row_timeout: Duration::from_millis(raw.row_timeout_ms),
            timezone: tz,
        })
    }

    /// Whether pulls start after the committed position.
    pub fn incremental(&self) -> bool {
        self.pull.incremental
    }
}

/// Where the connection URL is read from: `url_env` or `url_file`, exactly one.
fn url_source(raw: &RawSql, key: &str) -> Result<UrlSource, Invalid> {
    let k = |name: &str| format!("{key}.{name}");
    match (&raw.url_env, &raw.url_file) {
        (Some(_), Some(_)) => {
            Err(Invalid::new(
                k("url_file"),
                "is set together with url_env; set one of them",
            ))
        }
        (None, None) => {
            Err(Invalid::new(
                k("url_env"),
                "is missing; name the environment variable holding the connection URL (url_env = \"RURALSYNC_EXCHANGE_DB_URL\") or the file holding it (url_file)",
            ))
        }
        (Some(var), None) => {
            let ok = !var.is_empty()
                && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !var.as_bytes()[0].is_ascii_digit();
            if !ok {
                return Err(Invalid::new(
                    k("url_env"),
                    format!("{var:?} is not an environment variable name; use letters, digits and _, e.g. \"RURALSYNC_EXCHANGE_DB_URL\" (the URL itself does not belong in the file)"),
                ));
            }
            Ok(UrlSource::Env(var.clone()))
        }
        (None, Some(file)) => {
            if file.trim().is_empty() {
                return Err(Invalid::new(
                    k("url_file"),
                    "is empty; expected the path of a file holding the connection URL",
                ));
            }
            Ok(UrlSource::File(PathBuf::from(file)))
        }
    }
}

/// The operator's query: one SELECT (or WITH … SELECT) statement.
fn query(text: &str, key: &str) -> Result<String, Invalid> {
    let k = |name: &str| format!("{key}.{name}");
    let query = super::statement::single_statement(text.trim())
        .map_err(|m| Invalid::new(k("query"), m))?
        .to_owned();
    let first = super::statement::first_keyword(&query);
    if !matches!(first.as_str(), "SELECT" | "WITH") {
        return Err(Invalid::new(
            k("query"),
            if first.is_empty() {
                "is empty; expected a SELECT yielding the family's fields".to_owned()
            } else {
                format!("starts with {first:?}; expected a SELECT (or WITH … SELECT) yielding the family's fields")
            },
        ));
    }
    Ok(query)
}

/// A time format (checked already to read a time back to the second) must drop
/// sub-second digits: the keyset orders rows by whole seconds, as the pipeline's
/// positions do.
fn whole_seconds(format: &str, tz: Tz) -> Result<(), String> {
    let sample = tz
        .with_ymd_and_hms(2023, 3, 31, 8, 9, 10)
        .single()
        .ok_or("time zone has no 2023-03-31 08:09:10")?;
    let fraction = sample.with_nanosecond(500_000_000).unwrap_or(sample);
    let text = fraction.format(format).to_string();
    match crate::normalize::parse::local_timestamp(&text, format, tz) {
        Ok(back) if back == sample => Ok(()),
        _ => Err(format!(
            "{format:?} renders fractions of a second ({text:?}); sql sources order rows by whole seconds: use a format without %f, e.g. \"%Y-%m-%d %H:%M:%S\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Asia::Shanghai;

    use super::*;

    fn raw() -> RawSql {
        toml::from_str(
            r#"
url_env = "EXCHANGE_DB_URL"
query = "SELECT xmbh AS \"项目编号\", gxsj AS \"更新时间\" FROM jy_xm;"
updated_column = "更新时间"
id_column = "项目编号"
"#,
        )
        .unwrap()
    }

    fn invalid(raw: &RawSql) -> Invalid {
        SqlConfig::validate(raw, Shanghai, "sources.x.sql").unwrap_err()
    }

    #[test]
    fn defaults_are_documented_ones() {
        let c = SqlConfig::validate(&raw(), Shanghai, "sources.x.sql").unwrap();
        assert_eq!(c.url, UrlSource::Env("EXCHANGE_DB_URL".into()));
        assert_eq!(
            c.query,
            "SELECT xmbh AS \"项目编号\", gxsj AS \"更新时间\" FROM jy_xm"
        );
        assert!(c.incremental());
        assert_eq!(c.pull.lag.duration(), Duration::from_secs(60));
        assert_eq!(c.pull.page_size, 1000);
        assert_eq!(c.pull.prefetch_pages, 2);
        assert_eq!(c.pull.time_format, "%Y-%m-%d %H:%M:%S");
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.row_timeout, Duration::from_secs(300));
    }

    /// A huge `lag_secs` overflowed the date arithmetic of the pull and panicked it.
    #[test]
    fn regression_a_huge_lag_panicked_the_pull_and_is_now_refused() {
        let mut r = raw();
        r.lag_secs = 10_000_000_000_000;
        let err = invalid(&r);
        assert_eq!(err.key, "sources.x.sql.lag_secs");
        assert!(err.message.contains("expected 0 to 2678400"), "{err:?}");
        r.lag_secs = crate::settings::MAX_LAG_SECS;
        assert!(SqlConfig::validate(&r, Shanghai, "sources.x.sql").is_ok());
    }

    #[test]
    fn the_url_is_named_by_exactly_one_reference() {
        let mut r = raw();
        r.url_file = Some("/run/secrets/db-url".into());
        assert_eq!(invalid(&r).key, "sources.x.sql.url_file");
        r.url_env = None;
        let c = SqlConfig::validate(&r, Shanghai, "k").unwrap();
        assert_eq!(c.url, UrlSource::File("/run/secrets/db-url".into()));
        r.url_file = None;
        let e = invalid(&r);
        assert_eq!(e.key, "sources.x.sql.url_env");
        assert!(e.message.contains("url_file"), "{}", e.message);
        // A URL pasted where the variable's name belongs is refused, not looked up.
        r.url_env = Some("postgres://u:secret@h/db".into());
        let e = invalid(&r);
        assert_eq!(e.key, "sources.x.sql.url_env");
        assert!(e.message.contains("not an environment variable name"));
    }

    #[test]
    fn the_query_is_one_select() {
        let mut r = raw();
        r.query = "jy_xm".into();
        let e = invalid(&r);
        assert_eq!(e.key, "sources.x.sql.query");
        assert!(e.message.contains("SELECT"), "{}", e.message);
        r.query = "SELECT 1; DELETE FROM jy_xm".into();
        assert!(invalid(&r).message.contains("more than one statement"));
        r.query = "with t as (select 1 as a) select a, ';' as b from t;".into();
        assert!(SqlConfig::validate(&r, Shanghai, "k").is_ok());
        r.query = "  ".into();
        assert!(invalid(&r).message.contains("empty"));
        r.query = "-- the exchange's projects\nSELECT xmbh FROM jy_xm; -- all of them".into();
        let c = SqlConfig::validate(&r, Shanghai, "k").unwrap();
        assert_eq!(
            c.query,
            "-- the exchange's projects\nSELECT xmbh FROM jy_xm"
        );
        r.query = "SELECT 'open FROM jy_xm".into();
        assert!(invalid(&r).message.contains("ends inside a string literal"));
    }

    #[test]
    fn columns_ranges_and_formats_are_checked() {
        let mut r = raw();
        r.id_column = "更新时间".into();
        assert_eq!(invalid(&r).key, "sources.x.sql.id_column");
        let mut r = raw();
        r.updated_column = "".into();
        assert_eq!(invalid(&r).key, "sources.x.sql.updated_column");
        let mut r = raw();
        r.page_size = 0;
        assert_eq!(invalid(&r).key, "sources.x.sql.page_size");
        let mut r = raw();
        r.row_timeout_ms = 0;
        assert_eq!(invalid(&r).key, "sources.x.sql.row_timeout_ms");
        let mut r = raw();
        r.time_format = "%Y-%m-%d".into();
        assert_eq!(invalid(&r).key, "sources.x.sql.time_format");
        r.time_format = "%Y-%m-%d %H:%M:%S%.3f".into();
        let e = invalid(&r);
        assert!(e.message.contains("fractions of a second"), "{}", e.message);
        r.time_format = "%Y/%m/%d %H:%M:%S".into();
        assert!(SqlConfig::validate(&r, Shanghai, "k").is_ok());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<RawSql>(
            "url = \"postgres://u:p@h/db\"\nquery = \"SELECT 1\"\nupdated_column = \"a\"\nid_column = \"b\"",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `url`"), "{e}");
    }
}
