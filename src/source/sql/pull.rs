//! Pulling a `sql` source: the wrapped query, its rows streamed into pages, the pages
//! sent through a bounded channel to the pipeline.
//!
//! # Order
//!
//! The pipeline skips records at or before the committed position (update time, then
//! native id compared as text) and moves that position with every committed page, so a
//! source must deliver rows in exactly that order, or a row behind an earlier page's
//! position is skipped as "already published". Databases order ids by their own
//! collation (and integers as numbers), and timestamps carry fractions the rendered text
//! drops. So the query orders by the native `(updated, id)` — which an upstream index on
//! the pair serves without a sort — and rows of the same rendered second (a group, as
//! small as one bulk update) are re-sorted here by their position before they are paged.
//!
//! The first rows after a checkpoint are chosen with the position's own terms: the
//! update time from the committed second, and within that second only ids whose UTF-8
//! text sorts after the committed id (`convert_to`/`CONVERT … AS BINARY`). With a lag
//! window the condition is only `updated >= committed − lag`: the pipeline skips what
//! lies at or before that and fingerprints make the rest of the window harmless.
//!
//! # Streaming
//!
//! Rows come from one `fetch` of the wrapped query, read one at a time, and each full
//! page is awaited into the bounded channel: while the pipeline is behind, no row is
//! read, so memory holds a few pages and one group, not the result. The row timeout
//! covers only the wait for the database's next row, never the wait for the pipeline.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use futures_util::{Stream, TryStreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::SqlConfig;
use super::connect::{Driver, Target};
use super::value::{Render, Stamp};
use super::{mysql, postgres};
use crate::normalize::parse::scalar_text;
use crate::normalize::Position;
use crate::source::{Page, Pages, PositionOf, Resume, SourceError};

/// Why a pull failed. Every variant names the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    #[error("source {source_name}: connection URL: {message}")]
    Url {
        source_name: String,
        message: String,
    },
    #[error("source {source_name}: cannot connect to {url}: {message}")]
    Connect {
        source_name: String,
        /// The URL with its password masked.
        url: String,
        message: String,
    },
    #[error("source {source_name}: {what} took longer than {after_ms} ms ({url}); raise sql.{key} if the database is only slow")]
    Timeout {
        source_name: String,
        url: String,
        what: &'static str,
        key: &'static str,
        after_ms: u64,
    },
    #[error("source {source_name}: the query failed while {stage}: {message}")]
    Query {
        source_name: String,
        stage: &'static str,
        message: String,
    },
    #[error("source {source_name}: sql.{key} = {column:?} is not a column of the query's output; its columns are {available}")]
    MissingColumn {
        source_name: String,
        key: &'static str,
        column: String,
        available: String,
    },
    #[error("source {source_name}: sql.updated_column {column:?} has type {type_name}; it must be a timestamp (TIMESTAMP, TIMESTAMPTZ, DATETIME): convert it in the query, e.g. CAST(gxsj AS TIMESTAMP)")]
    UpdatedNotTimestamp {
        source_name: String,
        column: String,
        type_name: String,
    },
    #[error("source {source_name}: column {column:?} has type {type_name}, which the sql source does not read; convert it in the query (e.g. CAST({column} AS VARCHAR(100)) or AS DECIMAL) or leave it out")]
    UnsupportedType {
        source_name: String,
        column: String,
        type_name: String,
    },
    #[error("source {source_name}: row {row}: column {column:?} ({type_name}): {message}")]
    Value {
        source_name: String,
        /// 1-based number of the row in this pull.
        row: u64,
        column: String,
        type_name: String,
        message: String,
    },
    #[error("source {source_name}: row {row}: {message}")]
    NotTheFamilyColumns {
        source_name: String,
        row: u64,
        message: String,
    },
}

/// A configured `sql` source, ready to pull.
#[derive(Debug, Clone)]
pub struct SqlSource {
    name: String,
    config: SqlConfig,
    target: Target,
    /// Float columns are reported once per source, not once per pull.
    floats_reported: Arc<AtomicBool>,
}

impl SqlSource {
    /// Read the connection URL from its environment variable or file.
    ///
    /// # Errors
    /// [`SqlError::Url`] when it is missing or not a PostgreSQL or MySQL URL.
    pub fn new(name: &str, config: SqlConfig) -> Result<SqlSource, SqlError> {
        let target = Target::load(name, &config.url)?;
        Ok(SqlSource {
            name: name.to_owned(),
            config,
            target,
            floats_reported: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn config(&self) -> &SqlConfig {
        &self.config
    }

    /// Stream the rows after `resume` into pages in a task. Stops after the last row,
    /// after the first error (sent too), when the receiver is dropped, or on `stop`.
    ///
    /// `position_of` reads a rendered row's position as the pipeline will: rows of the
    /// same second are put in that order, and a row whose position disagrees with its
    /// `updated_column`/`id_column` stops the pull (the columns are not the family's).
    pub fn spawn_pages(
        &self,
        resume: Resume,
        position_of: PositionOf,
        stop: CancellationToken,
    ) -> Pages {
        let c = &self.config;
        let start = match resume.position.filter(|_| c.pull.incremental) {
            None => Start::All,
            Some(p) if c.pull.lag.is_zero() => Start::After(p),
            Some(p) => Start::From(c.pull.lag.start(p.updated_at)),
        };
        let (tx, rx) = mpsc::channel(c.pull.prefetch_pages);
        let run = Run {
            name: self.name.clone(),
            config: self.config.clone(),
            target: self.target.clone(),
            floats_reported: self.floats_reported.clone(),
            start,
            tx: tx.clone(),
            stop,
            position_of,
        };
        let task = tokio::spawn(async move {
            if let Err(error) = run.pull().await {
                let _ = tx.send(Err(SourceError::from(error))).await;
            }
        });
        (rx, task)
    }
}

/// Where a pull starts.
#[derive(Debug, Clone)]
pub(super) enum Start {
    /// From the first row.
    All,
    /// Rows updated at or after this (a lag window's start).
    From(DateTime<Utc>),
    /// Rows after this position (keyset).
    After(Position),
}

/// What differs between the SQL dialects when ruralsync wraps the operator's query.
pub(super) struct Dialect {
    /// Quote an identifier.
    pub quote: fn(&str) -> String,
    /// The `n`th (1-based) bind parameter.
    pub param: fn(usize) -> String,
    /// An id expression as UTF-8 bytes, compared byte-wise as positions compare ids.
    pub id_bytes: fn(&str) -> String,
}

impl Run {
    /// The operator's query wrapped in the keyset after `self.start`, ordered by
    /// (updated, id). Binds, in order: the start time; for `After`, the next second and
    /// the id's bytes.
    pub(super) fn keyset_sql(&self, base: &str, d: &Dialect) -> String {
        let u = format!("src.{}", (d.quote)(&self.config.updated_column));
        let id = format!("src.{}", (d.quote)(&self.config.id_column));
        let (p1, p2, p3) = ((d.param)(1), (d.param)(2), (d.param)(3));
        let condition = match &self.start {
            Start::All => String::new(),
            Start::From(_) => format!(" WHERE {u} >= {p1}"),
            Start::After(_) => format!(
                " WHERE {u} >= {p1} AND ({u} >= {p2} OR {} > {p3})",
                (d.id_bytes)(&id)
            ),
        };
        format!("{base}{condition} ORDER BY {u}, {id}")
    }

    /// The values [`Run::keyset_sql`]'s parameters take, in its order; `updated` says
    /// how the update column compares (with or without a time zone).
    pub(super) fn keyset_binds(&self, updated: Render) -> Vec<Bind> {
        match &self.start {
            Start::All => Vec::new(),
            Start::From(from) => vec![Bind::Stamp(self.bound(*from, updated))],
            Start::After(p) => vec![
                Bind::Stamp(self.bound(p.updated_at, updated)),
                Bind::Stamp(self.bound(p.updated_at + chrono::Duration::seconds(1), updated)),
                Bind::Bytes(p.native_id.as_bytes().to_vec()),
            ],
        }
    }
}

/// One parameter value of the keyset query.
pub(super) enum Bind {
    Stamp(Stamp),
    /// An id as UTF-8 bytes.
    Bytes(Vec<u8>),
}

/// One pull: what the drivers need to run the query and page its rows.
pub(super) struct Run {
    pub name: String,
    pub config: SqlConfig,
    pub target: Target,
    floats_reported: Arc<AtomicBool>,
    pub start: Start,
    tx: mpsc::Sender<Result<Page, SourceError>>,
    stop: CancellationToken,
    position_of: PositionOf,
}

/// One output column of the query as a driver found it.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub name: String,
    /// The database's name of its type, for messages.
    pub type_name: String,
    /// `None` when the type is not supported.
    pub render: Option<Render>,
}

/// The row being rendered, for messages.
pub(super) struct RowAt<'a> {
    source_name: &'a str,
    /// 1-based number of the row in this pull.
    number: u64,
}

impl RowAt<'_> {
    pub fn value_error(
        &self,
        column: &str,
        type_name: &str,
        message: impl Into<String>,
    ) -> SqlError {
        SqlError::Value {
            source_name: self.source_name.to_owned(),
            row: self.number,
            column: column.to_owned(),
            type_name: type_name.to_owned(),
            message: message.into(),
        }
    }
}

impl Run {
    async fn pull(self) -> Result<(), SqlError> {
        tracing::debug!(source = %self.name, url = %self.target.masked, start = ?self.start, "sql pull started");
        match &self.target.driver {
            Driver::Postgres(options) => postgres::pull(&self, options).await,
            Driver::MySql(options) => mysql::pull(&self, options).await,
        }
    }

    /// Connect with the connect timeout, unless stopped first (`None`).
    pub async fn connect<C>(
        &self,
        connecting: impl Future<Output = Result<C, sqlx::Error>>,
    ) -> Result<Option<C>, SqlError> {
        let timeout = self.config.connect_timeout;
        tokio::select! {
            () = self.stop.cancelled() => Ok(None),
            connected = tokio::time::timeout(timeout, connecting) => match connected {
                Ok(Ok(conn)) => Ok(Some(conn)),
                Ok(Err(e)) => Err(SqlError::Connect {
                    source_name: self.name.clone(),
                    url: self.target.masked.clone(),
                    message: self.target.scrub(&e.to_string()),
                }),
                Err(_) => Err(SqlError::Timeout {
                    source_name: self.name.clone(),
                    url: self.target.masked.clone(),
                    what: "connecting",
                    key: "connect_timeout_ms",
                    after_ms: timeout.as_millis() as u64,
                }),
            },
        }
    }

    pub fn query_error(&self, stage: &'static str, e: &sqlx::Error) -> SqlError {
        SqlError::Query {
            source_name: self.name.clone(),
            stage,
            message: self.target.scrub(&e.to_string()),
        }
    }

    /// Check the query's output: the incremental columns exist, the update time is a
    /// timestamp, every column has a rendering. Reports float columns once. Returns the
    /// renderings and the update time's.
    pub fn check_columns(&self, columns: &[Column]) -> Result<(Vec<Render>, Render), SqlError> {
        let find = |key: &'static str, column: &str| {
            columns
                .iter()
                .find(|c| c.name == column)
                .ok_or_else(|| SqlError::MissingColumn {
                    source_name: self.name.clone(),
                    key,
                    column: column.to_owned(),
                    available: columns
                        .iter()
                        .map(|c| format!("{:?}", c.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        };
        let updated = find("updated_column", &self.config.updated_column)?;
        find("id_column", &self.config.id_column)?;
        let updated_render = match updated.render {
            Some(r) if r.is_timestamp() => r,
            _ => {
                return Err(SqlError::UpdatedNotTimestamp {
                    source_name: self.name.clone(),
                    column: updated.name.clone(),
                    type_name: updated.type_name.clone(),
                })
            }
        };
        let renders = columns
            .iter()
            .map(|c| {
                c.render.ok_or_else(|| SqlError::UnsupportedType {
                    source_name: self.name.clone(),
                    column: c.name.clone(),
                    type_name: c.type_name.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let updated = updated_render;
        let floats: Vec<&str> = columns
            .iter()
            .filter(|c| c.render.is_some_and(Render::is_float))
            .map(|c| c.name.as_str())
            .collect();
        if !floats.is_empty() && !self.floats_reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                source = %self.name,
                columns = ?floats,
                "float columns are not exact upstream: their values are published as their shortest round-trip text; store or cast them as NUMERIC/DECIMAL for exact amounts and areas"
            );
        }
        Ok((renders, updated))
    }

    /// The update time as the database compares it: local time for a column without
    /// zone, an instant for one with.
    pub fn bound(&self, at: DateTime<Utc>, updated: Render) -> Stamp {
        match updated {
            Render::TimestampTz => Stamp::Aware(at),
            _ => Stamp::Naive(at.with_timezone(&self.config.timezone).naive_local()),
        }
    }

    /// Render the query's rows and send them in pages, each full page as soon as it is
    /// made, waiting while the pipeline is behind. Stops after the last row, when the
    /// database is silent for longer than the row timeout, when the pipeline has gone,
    /// or on `stop`.
    ///
    /// # Errors
    /// The first row that cannot be rendered or paged, a failed read, or the row timeout.
    pub async fn page_rows<R>(
        &self,
        mut rows: impl Stream<Item = Result<R, sqlx::Error>> + Unpin,
        mut render: impl FnMut(&R, &RowAt<'_>) -> Result<(Value, Option<Stamp>), SqlError>,
    ) -> Result<(), SqlError> {
        let mut pager = Pager::new(
            &self.name,
            self.config.pull.page_size,
            self.config.timezone,
            self.position_of.clone(),
            self.config.id_column.clone(),
            self.config.updated_column.clone(),
        );
        loop {
            let next = tokio::select! {
                biased;
                () = self.stop.cancelled() => return Ok(()),
                next = self.next_row(&mut rows) => next?,
            };
            let Some(row) = next else { break };
            let row_at = RowAt {
                source_name: &self.name,
                number: pager.rows + 1,
            };
            let (record, stamp) = render(&row, &row_at)?;
            pager.push(record, stamp)?;
            if !self.send_ready(&mut pager).await {
                return Ok(());
            }
        }
        pager.finish();
        tracing::debug!(source = %self.name, rows = pager.rows, pages = pager.number, "sql pull finished");
        self.send_ready(&mut pager).await;
        Ok(())
    }

    /// The next row, `None` after the last. Only this read is timed, not the wait for
    /// the pipeline in [`Run::send_ready`]: the row timeout is about the database.
    async fn next_row<R>(
        &self,
        rows: &mut (impl Stream<Item = Result<R, sqlx::Error>> + Unpin),
    ) -> Result<Option<R>, SqlError> {
        match tokio::time::timeout(self.config.row_timeout, rows.try_next()).await {
            Ok(next) => next.map_err(|e| self.query_error("reading rows", &e)),
            Err(_) => Err(SqlError::Timeout {
                source_name: self.name.clone(),
                url: self.target.masked.clone(),
                what: "waiting for the next row",
                key: "row_timeout_ms",
                after_ms: self.config.row_timeout.as_millis() as u64,
            }),
        }
    }

    /// Send the pages ready, waiting while the pipeline is behind. `false` when stopped
    /// or the pipeline has dropped the receiver: nothing more is to be sent.
    async fn send_ready(&self, pager: &mut Pager) -> bool {
        while let Some(page) = pager.take_ready() {
            tokio::select! {
                () = self.stop.cancelled() => return false,
                sent = self.tx.send(Ok(page)) => if sent.is_err() { return false },
            }
        }
        true
    }
}

/// Rows in, pages out, in the pipeline's position order (see the module docs). Pure: no
/// I/O, so the order is unit-tested.
pub(super) struct Pager {
    name: String,
    page_size: usize,
    tz: Tz,
    position_of: PositionOf,
    id_column: String,
    updated_column: String,
    /// Rows of the current second, with their positions.
    group: Vec<(Option<Position>, Value)>,
    /// The current group's local second (`None` for rows without update time).
    group_at: Option<Option<NaiveDateTime>>,
    page: Vec<Value>,
    ready: VecDeque<Page>,
    /// Pages made so far.
    number: u64,
    /// Rows taken so far.
    rows: u64,
}

impl Pager {
    fn new(
        name: &str,
        page_size: usize,
        tz: Tz,
        position_of: PositionOf,
        id_column: String,
        updated_column: String,
    ) -> Pager {
        Pager {
            name: name.to_owned(),
            page_size: page_size.max(1),
            tz,
            position_of,
            id_column,
            updated_column,
            group: Vec::new(),
            group_at: None,
            page: Vec::new(),
            ready: VecDeque::new(),
            number: 0,
            rows: 0,
        }
    }

    /// Take a row, rendered, with its update time as the database holds it.
    ///
    /// # Errors
    /// [`SqlError::NotTheFamilyColumns`] when the row's position, as the family mapping
    /// reads it, is not its `updated_column` and `id_column`.
    fn push(&mut self, record: Value, stamp: Option<Stamp>) -> Result<(), SqlError> {
        self.rows += 1;
        let position = (self.position_of)(&record);
        if let Some(p) = &position {
            let time = stamp.and_then(|s| s.position_time(self.tz));
            let id = record.get(&self.id_column).and_then(scalar_text);
            if time != Some(p.updated_at) || id.as_deref() != Some(p.native_id.as_str()) {
                return Err(SqlError::NotTheFamilyColumns {
                    source_name: self.name.clone(),
                    row: self.rows,
                    message: format!(
                        "the family mapping reads this row as updated at {} with id {:?}, but sql.updated_column {:?} and sql.id_column {:?} say {} and {:?}; name the columns the mapping reads ([sources.<name>.fields] updated_at and id)",
                        p.updated_at,
                        p.native_id,
                        self.updated_column,
                        self.id_column,
                        time.map_or_else(|| "nothing".to_owned(), |t| t.to_string()),
                        id.unwrap_or_default(),
                    ),
                });
            }
        }
        let at = stamp.map(|s| s.local_second(self.tz));
        if self.group_at != Some(at) {
            self.close_group();
            self.group_at = Some(at);
        }
        self.group.push((position, record));
        Ok(())
    }

    /// Page the current group, in position order.
    fn close_group(&mut self) {
        // Stable: rows without a position keep their order, ahead of the others.
        self.group.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, record) in self.group.drain(..) {
            self.page.push(record);
            if self.page.len() == self.page_size {
                self.number += 1;
                self.ready.push_back(Page {
                    number: self.number,
                    records: std::mem::take(&mut self.page),
                    ..Page::default()
                });
            }
        }
    }

    /// No row follows: page the last group and mark the last page.
    fn finish(&mut self) {
        self.close_group();
        if !self.page.is_empty() {
            self.number += 1;
            self.ready.push_back(Page {
                number: self.number,
                records: std::mem::take(&mut self.page),
                ..Page::default()
            });
        }
        if let Some(last) = self.ready.back_mut() {
            last.last = true;
        }
    }

    fn take_ready(&mut self) -> Option<Page> {
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use chrono_tz::Asia::Shanghai;
    use serde_json::json;

    use super::*;
    use crate::normalize::parse::local_timestamp;

    const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

    fn position_of() -> PositionOf {
        Arc::new(|r: &Value| {
            Some(Position {
                updated_at: local_timestamp(r["更新时间"].as_str()?, FORMAT, Shanghai).ok()?,
                native_id: scalar_text(&r["项目编号"])?,
            })
        })
    }

    fn pager(page_size: usize) -> Pager {
        Pager::new(
            "x",
            page_size,
            Shanghai,
            position_of(),
            "项目编号".into(),
            "更新时间".into(),
        )
    }

    fn at(h: u32, m: u32, s: u32, micro: u32) -> Stamp {
        Stamp::Naive(
            NaiveDate::from_ymd_opt(2023, 3, 31)
                .unwrap()
                .and_hms_micro_opt(h, m, s, micro)
                .unwrap(),
        )
    }

    fn row(id: Value, stamp: Stamp) -> (Value, Option<Stamp>) {
        (
            json!({"项目编号": id, "更新时间": stamp.render(Shanghai, FORMAT)}),
            Some(stamp),
        )
    }

    fn ids(pages: &[Page]) -> Vec<Vec<String>> {
        pages
            .iter()
            .map(|p| {
                p.records
                    .iter()
                    .map(|r| r["项目编号"].to_string())
                    .collect()
            })
            .collect()
    }

    fn drain(p: &mut Pager) -> Vec<Page> {
        std::iter::from_fn(|| p.take_ready()).collect()
    }

    #[test]
    fn rows_of_one_second_are_paged_in_position_order() {
        // As a database orders them: by the full timestamp, then ids numerically.
        let mut p = pager(2);
        for (id, stamp) in [
            (json!(9), at(8, 0, 0, 100)),
            (json!(10), at(8, 0, 0, 200)),
            (json!(2), at(8, 0, 0, 300)),
            (json!(1), at(8, 0, 1, 0)),
        ] {
            let (r, s) = row(id, stamp);
            p.push(r, s).unwrap();
        }
        // Nothing is paged while the second may still grow.
        assert_eq!(ids(&drain(&mut p)), vec![vec!["10", "2"]]);
        p.finish();
        let rest = drain(&mut p);
        assert_eq!(ids(&rest), vec![vec!["9", "1"]]);
        assert!(rest[0].last);
        assert_eq!(rest[0].number, 2);
    }

    #[test]
    fn a_row_read_with_other_columns_than_the_mapping_stops_the_pull() {
        let mut p = pager(10);
        let (mut r, s) = row(json!("JZ1"), at(8, 0, 0, 0));
        r["项目编号"] = json!("JZ2");
        // The stamp says 08:00:00, the mapping's field another second.
        let other = at(9, 0, 0, 0);
        r["更新时间"] = other.render(Shanghai, FORMAT);
        let e = p.push(r, s).unwrap_err();
        assert!(e.to_string().contains("sql.updated_column"), "{e}");
    }

    #[test]
    fn an_empty_result_makes_no_page() {
        let mut p = pager(10);
        p.finish();
        assert!(p.take_ready().is_none());
    }
}
