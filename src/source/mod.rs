//! Sources: the upstream systems records are pulled from. One folder per kind; the kind
//! is chosen by the `type` tag of `[sources.<name>]` (see [`SourceKind`], [`RawKind`]):
//!
//! - [`http_json`]: paged JSON APIs (page number, offset, cursor token, Link header; auth,
//!   signing, retries, rate limit).
//! - [`sql`]: a query against PostgreSQL or MySQL/MariaDB, keyset-incremental.
//! - [`file_drop`]: CSV and XLSX exports dropped in a directory.
//!
//! Every kind yields [`Page`]s of raw upstream records (JSON objects with the platform's
//! field names) in the upstream's change order; normalisation happens downstream in
//! [`crate::pipeline`]. A page carries the source's own resume state, which the pipeline
//! commits in the same Kafka transaction as the page's records: a run stopped anywhere
//! resumes after the last committed page.

pub mod file_drop;
pub mod http_json;
mod kind;
mod settings;
pub mod sql;

pub use kind::{RawKind, SourceKind};
pub use settings::{LagWindow, PullSettings, SharedKeys};

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::normalize::Position;
use crate::protect::Protector;

/// One page of raw upstream records.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// 1-based page number within this pull.
    pub number: u64,
    pub records: Vec<Value>,
    /// Where each record came from, for dead letters (`台账.xlsx row 17`); empty when the
    /// page number says enough.
    pub locations: Vec<String>,
    /// Whether the source says no page follows this one.
    pub last: bool,
    /// The source's resume state once this page is committed (a cursor token, the next
    /// page number, a file's progress), stored in the checkpoint and handed back in
    /// [`Resume::state`]. `None` when the position alone says where to resume.
    pub state: Option<Value>,
    /// Whole inputs the source refused (a malformed file): published as dead letters in
    /// this page's transaction.
    pub rejected: Vec<RejectedInput>,
    /// What to do once this page's transaction is committed.
    pub on_commit: Vec<OnCommit>,
}

/// An input refused as a whole, before any of it was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedInput {
    /// What was refused, e.g. the file name.
    pub origin: String,
    /// Stable reason code for the dead letter, e.g. `file_rejected`.
    pub reason: &'static str,
    /// Why, for the person reading the dead letter.
    pub message: String,
}

/// A side effect that must wait until a page is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnCommit {
    /// Move an ingested (or refused) file out of the drop directory. `reason`, when
    /// set, is written to `<to>.reason.txt` beside it, redacted.
    ///
    /// The file keeps its name in `done/` and `error/`, a person's number in it
    /// included: it is the operator's own file on the operator's disk, and the name is
    /// how they find it again. The name travels nowhere else in clear: the reason text,
    /// the dead letter, the checkpoint and the log carry it redacted.
    MoveFile {
        from: PathBuf,
        to: PathBuf,
        reason: Option<String>,
    },
}

impl OnCommit {
    /// Carry out the effect. Failure is logged, not fatal: the committed state already
    /// records the outcome, and the source repeats the effect on its next poll. Text
    /// written passes `protector`'s redactor: this is where it leaves the process.
    pub fn apply(&self, source: &str, protector: &Protector) {
        match self {
            OnCommit::MoveFile { from, to, reason } => {
                let moved = (|| -> std::io::Result<()> {
                    if let Some(dir) = to.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    if let Some(reason) = reason {
                        let mut note = to.clone().into_os_string();
                        note.push(".reason.txt");
                        std::fs::write(note, format!("{}\n", protector.redact_text(reason)))?;
                    }
                    std::fs::rename(from, to)
                })();
                match moved {
                    Ok(()) => {
                        tracing::info!(source, from = %from.display(), to = %to.display(), "file moved")
                    }
                    Err(error) => tracing::warn!(
                        source,
                        from = %from.display(),
                        to = %to.display(),
                        %error,
                        "cannot move the file; its outcome is committed, the next poll moves it"
                    ),
                }
            }
        }
    }
}

/// Where a pull starts: the committed checkpoint's position and source state.
#[derive(Debug, Clone, Default)]
pub struct Resume {
    pub position: Option<Position>,
    pub state: Option<Value>,
}

/// Reads a raw record's place in the change order (its update time and native id, by
/// the family's field mapping). Sources that re-anchor their queries on the last record
/// seen (keyset pagination) use it.
pub type PositionOf = Arc<dyn Fn(&Value) -> Option<Position> + Send + Sync>;

/// Why a source could not deliver a page. Every variant names the source and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error(transparent)]
    Http(#[from] http_json::PullError),
    #[error(transparent)]
    Sql(#[from] sql::SqlError),
    #[error(transparent)]
    File(#[from] file_drop::FileError),
}

/// The stream of pages a pull produces, and the task producing them.
pub type Pages = (mpsc::Receiver<Result<Page, SourceError>>, JoinHandle<()>);

/// A configured source of any kind, ready to pull.
#[derive(Debug, Clone)]
pub enum Source {
    HttpJson(http_json::HttpJsonSource),
    Sql(sql::SqlSource),
    FileDrop(file_drop::FileDropSource),
}

impl Source {
    /// The source called `name`, of `kind`. `protector` is the redactor of what a
    /// source writes itself (a `file_drop` source's checkpoint names it by).
    ///
    /// # Errors
    /// When the source's client cannot be built (TLS back end, bad credentials file).
    pub fn new(
        name: &str,
        kind: &SourceKind,
        protector: &Protector,
    ) -> Result<Source, SourceError> {
        Ok(match kind {
            SourceKind::HttpJson(c) => {
                Source::HttpJson(http_json::HttpJsonSource::new(name, (**c).clone())?)
            }
            SourceKind::Sql(c) => Source::Sql(sql::SqlSource::new(name, c.clone())?),
            SourceKind::FileDrop(c) => Source::FileDrop(file_drop::FileDropSource::new(
                name,
                c.clone(),
                protector.clone(),
            )?),
        })
    }

    /// Pull pages after `resume` in a task, sending each into the returned channel as
    /// soon as it is ready so the next is fetched while the previous one is published.
    /// The task stops after the last page, after the first error (sent too), when the
    /// receiver is dropped, or on `stop`.
    pub fn spawn_pages(
        &self,
        resume: Resume,
        position_of: PositionOf,
        stop: CancellationToken,
    ) -> Pages {
        match self {
            Source::HttpJson(s) => s.spawn_pages(resume, position_of, stop),
            Source::Sql(s) => s.spawn_pages(resume, position_of, stop),
            Source::FileDrop(s) => s.spawn_pages(resume, position_of, stop),
        }
    }

    /// What shapes this source's pulls: page size, prefetch, whether incremental, the
    /// lag window (records at or before `position − lag` are skipped as already
    /// published) and the format of update times in its records.
    pub fn pull(&self) -> &PullSettings {
        match self {
            Source::HttpJson(s) => &s.config().pull,
            Source::Sql(s) => &s.config().pull,
            Source::FileDrop(s) => &s.config().pull,
        }
    }

    /// What the last pull did at the transport level (requests, retries, waits), for the
    /// cycle's log line; empty for kinds that count nothing.
    pub fn pull_stats(&self) -> String {
        match self {
            Source::HttpJson(s) => s.pull_stats().to_string(),
            Source::Sql(_) | Source::FileDrop(_) => String::new(),
        }
    }

    /// The same counters as data, for the metrics; `None` for kinds that count nothing.
    pub fn transport_stats(&self) -> Option<http_json::PullStats> {
        match self {
            Source::HttpJson(s) => Some(s.pull_stats()),
            Source::Sql(_) | Source::FileDrop(_) => None,
        }
    }

    /// The source's resume state as the checkpoint may hold it: text in it that names
    /// what a person may have typed (a `file_drop` source's file names and refusal
    /// reasons) redacted; cursors, tokens and positions as they are, since the source
    /// must read them back. See [`file_drop::protect_state`].
    pub fn protect_state(&self, state: Option<Value>, protector: &Protector) -> Option<Value> {
        match self {
            Source::FileDrop(_) => state.map(|s| file_drop::protect_state(s, protector)),
            Source::HttpJson(_) | Source::Sql(_) => state,
        }
    }
}
