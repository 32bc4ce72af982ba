//! One poll of the drop directory: each file matching the patterns, complete and not
//! yet ingested, becomes pages of records; a file already ingested (the same content
//! under any name) is only moved to `done_dir`; a malformed one, or one over a cap, is
//! refused as a whole into `error_dir`.
//!
//! Complete: quiet (unchanged) for `min_age_secs` by its clocks or across polls, or its
//! ready marker present ([`super::ready`]). A file that still looks cut short when read
//! (a workbook that is not a whole archive, a quote or character open at the end) is
//! left in place and retried until it has been quiet for `incomplete_retry_secs`; only
//! then, stable and still malformed, is it refused.
//!
//! Exactly once per file: the SHA-256 of a file's bytes is taken (streaming, within
//! `max_file_bytes`) before it is parsed. Every page carries the manifest
//! ([`Manifest`]) with the file's progress, committed with the page's records; the
//! file's last page adds its checksum to the manifest and moves it once committed. A
//! crash mid-file resumes after the last committed page; a crash between the last
//! commit and the move leaves a file whose checksum is in the manifest, which the next
//! poll just moves.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::{marker_path, FileDropConfig, Limits};
use super::decode::Sniff;
use super::manifest::{same_file, Entry, Manifest, Outcome, Progress};
use super::ready::{Signature, Watch};
use super::refusal::{human_bytes, Refusal, RefusalKind};
use super::table::{HeaderTest, Layout, Named, Table, HEADER_WITHIN_ROWS};
use crate::protect::Protector;
use crate::source::{OnCommit, Page, Pages, PositionOf, RejectedInput, Resume, SourceError};

/// Stable dead-letter reason of a refused file.
pub const FILE_REJECTED: &str = "file_rejected";
/// Stable dead-letter reason of a file refused for passing a cap (`max_*`).
pub const FILE_TOO_LARGE: &str = "file_too_large";

/// Why a poll could not run. A single bad file is not an error of the poll: it is
/// refused (dead letter, `error_dir`) and the others go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("source {source_name}: cannot list the drop directory {}: {error}; create it or correct [sources.{source_name}.file] dir", dir.display())]
    Dir {
        source_name: String,
        dir: PathBuf,
        error: std::io::Error,
    },
    #[error("source {source_name}: the committed checkpoint state is not a file_drop manifest ({message}); was the source's type changed? Give the source a new name to start afresh")]
    State {
        source_name: String,
        message: String,
    },
}

/// A configured `file_drop` source, ready to poll.
#[derive(Debug, Clone)]
pub struct FileDropSource {
    name: String,
    config: FileDropConfig,
    /// The files as earlier polls saw them, shared by the pulls of this source.
    watch: Arc<Mutex<Watch>>,
    /// The redactor the committed manifest's file names went through, to recognise
    /// them (see [`same_file`]). Shared: it holds a keyed MAC's state.
    protector: Arc<Protector>,
}

/// A file seen in the drop directory.
struct Dropped {
    path: PathBuf,
    name: String,
    signature: Signature,
    /// How long nothing about it changed.
    quiet: Duration,
    /// Its ready marker, when one is configured and present.
    marker: Option<PathBuf>,
    /// Complete enough to read: quiet for `min_age`, or its marker present.
    ready: bool,
}

type Sender = mpsc::Sender<Result<Page, SourceError>>;

impl FileDropSource {
    /// # Errors
    /// Never: the directory is read when polled, so a missing one is reported per cycle.
    pub fn new(
        name: &str,
        config: FileDropConfig,
        protector: Protector,
    ) -> Result<FileDropSource, FileError> {
        Ok(FileDropSource {
            name: name.to_owned(),
            config,
            watch: Arc::default(),
            protector: Arc::new(protector),
        })
    }

    pub fn config(&self) -> &FileDropConfig {
        &self.config
    }

    /// Poll the directory in a blocking task (parsing is CPU work), sending each page
    /// as soon as it is ready. Stops after the last file, after a poll error (sent
    /// too), when the receiver is dropped, or on `stop`.
    ///
    /// With no `header_columns` configured, the header row is the one holding the
    /// family's id and update-time columns, recognised through `position_of`.
    pub fn spawn_pages(
        &self,
        resume: Resume,
        position_of: PositionOf,
        stop: CancellationToken,
    ) -> Pages {
        let (tx, rx) = mpsc::channel(1);
        let source = self.clone();
        let task = tokio::task::spawn_blocking(move || {
            let probe = Probe {
                position_of,
                format: source.config.pull.time_format.clone(),
                tz: source.config.timezone,
            };
            let header: &dyn HeaderTest = if source.config.header_columns.is_empty() {
                &probe
            } else {
                &Named(&source.config.header_columns)
            };
            let mut poll = Poll {
                source: &source,
                header,
                tx: &tx,
                stop: &stop,
                number: 0,
            };
            if let Err(error) = poll.run(resume) {
                let _ = tx.blocking_send(Err(error.into()));
            }
        });
        (rx, task)
    }

    /// The wanted files, oldest first, each with its readiness; notes them in the watch.
    fn list(&self) -> Result<Vec<Dropped>, FileError> {
        let dir_error = |error| FileError::Dir {
            source_name: self.name.clone(),
            dir: self.config.dir.clone(),
            error,
        };
        let (now, mono) = (SystemTime::now(), Instant::now());
        let mut watch = self.watch.lock().unwrap_or_else(|e| e.into_inner());
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.config.dir).map_err(dir_error)? {
            let entry = entry.map_err(dir_error)?;
            let Ok(name) = entry.file_name().into_string() else {
                tracing::warn!(source = %self.name, file = ?entry.file_name(), "file name is not UTF-8; skipped");
                continue;
            };
            if !self.config.wants(&name) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let signature = Signature::of(&meta);
            let look = watch.look(&name, signature, now, mono);
            if look.warn_future {
                self.warn_future(&name, &signature, now);
            }
            let path = entry.path();
            let marker = self
                .config
                .ready_marker
                .as_deref()
                .map(|m| marker_path(&path, m))
                .filter(|m| m.is_file());
            let ready = match self.config.ready_marker {
                Some(_) => marker.is_some(),
                None => look.quiet >= self.config.min_age,
            };
            files.push(Dropped {
                path,
                name,
                signature,
                quiet: look.quiet,
                marker,
                ready,
            });
        }
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        watch.keep_only(&names);
        drop(watch);
        files.sort_by(|a, b| (a.signature.modified, &a.name).cmp(&(b.signature.modified, &b.name)));
        Ok(files)
    }

    /// One WARN per file (and per content) dated in the future, saying what is done.
    fn warn_future(&self, name: &str, signature: &Signature, now: SystemTime) {
        let mtime = chrono::DateTime::<chrono::Utc>::from(signature.modified).to_rfc3339();
        let ahead_secs = signature
            .modified
            .duration_since(now)
            .unwrap_or_default()
            .as_secs();
        if signature.changed_in_future(now) {
            tracing::warn!(source = %self.name, file = %name, %mtime, ahead_secs, "file dated in the future, and its change time too (the clock of the machine or file server writing it is ahead); it is read once it has stayed unchanged across polls for min_age_secs (in `ruralsync run`; a single `once` cannot tell)");
        } else {
            tracing::warn!(source = %self.name, file = %name, %mtime, ahead_secs, "file dated in the future (the writer's clock is ahead, or the date was copied); the date is ignored: the file is read once unchanged for min_age_secs by its change time and size, like any other");
        }
    }

    /// Log once per content that a file looks cut short and is left for later.
    fn note_incomplete(&self, file: &Dropped, message: &str) {
        let mut watch = self.watch.lock().unwrap_or_else(|e| e.into_inner());
        if watch.first_incomplete(&file.name) {
            tracing::warn!(source = %self.name, file = %file.name, quiet_secs = file.quiet.as_secs(), retry_for_secs = self.config.incomplete_retry.as_secs(), %message, "file looks cut short, maybe still being written; left in place and read again at the next polls; refused if it stays so, unchanged, for incomplete_retry_secs");
        }
    }
}

/// One poll in progress.
struct Poll<'a> {
    source: &'a FileDropSource,
    header: &'a dyn HeaderTest,
    tx: &'a Sender,
    stop: &'a CancellationToken,
    /// Pages sent so far.
    number: u64,
}

/// Whether the poll goes on.
type Go = ControlFlow<()>;

/// A file's bytes read once, within `max_file_bytes`.
struct Scan {
    sha256: String,
    sniff: Sniff,
}

impl Poll<'_> {
    fn run(&mut self, resume: Resume) -> Result<(), FileError> {
        let name = &self.source.name;
        let mut manifest =
            Manifest::from_state(resume.state.as_ref()).map_err(|message| FileError::State {
                source_name: name.clone(),
                message,
            })?;
        let mut files = self.source.list()?;
        if let Some(current) = &manifest.current {
            // The file being ingested goes first, whatever its age.
            let protector = &self.source.protector;
            match files
                .iter()
                .position(|f| same_file(&current.file, &f.name, protector))
            {
                Some(i) => {
                    let file = files.remove(i);
                    files.insert(0, file);
                }
                None => tracing::warn!(
                    source = %name,
                    file = %current.file,
                    records_published = current.records_done,
                    "the file being ingested is gone from the drop directory; its committed records stay published, the rest of it is not read"
                ),
            }
        }
        let count = files.len();
        for (i, file) in files.iter().enumerate() {
            if self.stop.is_cancelled() {
                return Ok(());
            }
            if self.file(file, &mut manifest, i + 1 == count).is_break() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Ingest, move, refuse or leave one file.
    fn file(&mut self, file: &Dropped, manifest: &mut Manifest, last_file: bool) -> Go {
        let config = &self.source.config;
        let source = self.source.name.as_str();
        let resuming = manifest
            .current
            .as_ref()
            .is_some_and(|c| same_file(&c.file, &file.name, &self.source.protector));
        if !file.ready && !resuming {
            match &config.ready_marker {
                Some(m) => {
                    tracing::debug!(source, file = %file.name, marker = %m, "no ready marker yet; left for the next poll")
                }
                None => {
                    tracing::debug!(source, file = %file.name, quiet_ms = file.quiet.as_millis() as u64, "file changed too recently, maybe still being written; left for the next poll")
                }
            }
            return ControlFlow::Continue(());
        }
        tracing::debug!(source, file = %file.name, bytes = file.signature.len, quiet_ms = file.quiet.as_millis() as u64, "reading file");
        if file.signature.len > config.limits.max_file_bytes {
            let refusal = too_big(&config.limits, file.signature.len);
            return self.refused(file, None, refusal, manifest, last_file);
        }
        let scan = Table::prepare(&file.path, &file.name, config)
            .and_then(|prepared| Ok((prepared, scan(&file.path, &config.limits)?)));
        let (prepared, scan) = match scan {
            Ok(s) => s,
            Err(refusal) => return self.refused(file, None, refusal, manifest, last_file),
        };
        let sha256 = scan.sha256.as_str();
        let from = match manifest.current.take() {
            Some(c) if c.sha256 == sha256 => c.records_done,
            Some(c) if same_file(&c.file, &file.name, &self.source.protector) => {
                tracing::warn!(source, file = %file.name, records_published = c.records_done, "the file being ingested changed; its committed records stay published and the new content is read as a new file");
                0
            }
            // Only the file of that name is resumed; another in-progress entry (its file
            // gone) is dropped with this file's first page.
            Some(_) | None => 0,
        };
        if let Some(done) = manifest.find(sha256).cloned() {
            return self.seen_before(file, sha256, &done, manifest, last_file);
        }
        let stop = || self.stop.is_cancelled();
        let checked =
            Table::open(&file.path, prepared, config, &scan.sniff).and_then(|(table, what)| {
                let layout = table.check(self.header, &config.total_words, &stop)?;
                Ok((table, what, layout))
            });
        if stop() {
            return ControlFlow::Break(());
        }
        if changed_since_listed(file) {
            tracing::info!(source, file = %file.name, "file changed while being read; left for the next poll");
            return ControlFlow::Continue(());
        }
        match checked {
            Ok((table, what, layout)) => {
                let opened = Opened {
                    table,
                    what,
                    layout,
                };
                self.ingest(file, sha256, &opened, from, manifest, last_file)
            }
            Err(refusal) => self.refused(file, Some(sha256), refusal, manifest, last_file),
        }
    }

    /// A content ingested or refused before: moved where its first copy went.
    fn seen_before(
        &mut self,
        file: &Dropped,
        sha256: &str,
        done: &Entry,
        manifest: &Manifest,
        last_file: bool,
    ) -> Go {
        let (config, source) = (&self.source.config, self.source.name.as_str());
        let (to_dir, reason) = match done.outcome {
            Outcome::Ingested => {
                tracing::info!(source, file = %file.name, ingested_as = %done.file, sha256, "file content already ingested; not republished, moved to done");
                (&config.done_dir, None)
            }
            Outcome::Refused => {
                tracing::warn!(source, file = %file.name, refused_as = %done.file, sha256, "file content already refused; moved to error");
                let why = done.message.as_deref().unwrap_or("");
                let reason = format!(
                    "{}: the same content was refused before as {}: {why}",
                    file.name, done.file
                );
                (&config.error_dir, Some(reason))
            }
        };
        self.send(Page {
            on_commit: moves(file, to_dir, sha256, reason),
            last: last_file,
            state: Some(manifest.to_state()),
            ..Page::default()
        })
    }

    /// Publish a checked file's records in pages from record `from`.
    fn ingest(
        &mut self,
        file: &Dropped,
        sha256: &str,
        opened: &Opened,
        from: u64,
        manifest: &mut Manifest,
        last_file: bool,
    ) -> Go {
        let (config, source) = (&self.source.config, self.source.name.as_str());
        let Opened { table, layout, .. } = opened;
        log_ingest(source, &file.name, sha256, opened, from);
        let page_size = config.pull.page_size;
        let mut records = Vec::with_capacity(page_size.min(layout.records as usize));
        let mut locations = Vec::with_capacity(records.capacity());
        let mut go = ControlFlow::Continue(());
        let header = self.header;
        let walked = table.records(header, &config.total_words, from, &mut |record| {
            records.push(record.value);
            locations.push(format!("{} row {}", file.name, record.row));
            let done = record.index + 1;
            if records.len() < page_size || done == layout.records {
                return ControlFlow::Continue(());
            }
            let mut state = manifest.clone();
            state.current = Some(Progress {
                sha256: sha256.to_owned(),
                file: file.name.clone(),
                records_done: done,
                next_row: record.row + 1,
            });
            go = self.send(Page {
                records: std::mem::take(&mut records),
                locations: std::mem::take(&mut locations),
                state: Some(state.to_state()),
                ..Page::default()
            });
            go
        });
        if go.is_break() {
            return go;
        }
        if let Err(refusal) = walked {
            // The first pass accepted the file; a second pass cannot disagree unless the
            // file changed on disk, and then nothing more of it is published.
            tracing::error!(source, file = %file.name, message = %refusal, "file changed between passes; left in place");
            return ControlFlow::Continue(());
        }
        manifest.remember(
            Entry {
                sha256: sha256.to_owned(),
                file: file.name.clone(),
                outcome: Outcome::Ingested,
                records: layout.records,
                message: None,
            },
            config.manifest_max_files,
        );
        tracing::info!(source, file = %file.name, records = layout.records, "file read to the end; moved to done once its last page is committed");
        self.send(Page {
            records,
            locations,
            state: Some(manifest.to_state()),
            last: last_file,
            on_commit: moves(file, &config.done_dir, sha256, None),
            ..Page::default()
        })
    }

    /// Act on a refusal: leave the file for the next poll (unreadable; cut short and
    /// maybe still being written), or refuse it.
    fn refused(
        &mut self,
        file: &Dropped,
        sha256: Option<&str>,
        refusal: Refusal,
        manifest: &mut Manifest,
        last_file: bool,
    ) -> Go {
        let config = &self.source.config;
        let source = self.source.name.as_str();
        let Refusal { kind, mut message } = refusal;
        let reason = match kind {
            RefusalKind::Unreadable => {
                tracing::warn!(source, file = %file.name, %message, "cannot read the file; left for the next poll");
                return ControlFlow::Continue(());
            }
            RefusalKind::Incomplete if file.marker.is_some() => {
                message.push_str(" (its ready marker says it is complete)");
                FILE_REJECTED
            }
            RefusalKind::Incomplete if file.quiet < config.incomplete_retry => {
                self.source.note_incomplete(file, &message);
                return ControlFlow::Continue(());
            }
            RefusalKind::Incomplete => {
                message.push_str(&format!(
                    " (unchanged for {} s, so not still being written)",
                    file.quiet.as_secs()
                ));
                FILE_REJECTED
            }
            RefusalKind::Malformed => FILE_REJECTED,
            RefusalKind::TooLarge => FILE_TOO_LARGE,
        };
        self.refuse(file, sha256, reason, message, manifest, last_file)
    }

    /// Refuse a file as a whole: a page without records, its dead letter, the checksum
    /// remembered as refused (when it was read), and the move to `error_dir` with the
    /// reason beside it.
    fn refuse(
        &mut self,
        file: &Dropped,
        sha256: Option<&str>,
        reason: &'static str,
        message: String,
        manifest: &mut Manifest,
        last_file: bool,
    ) -> Go {
        let config = &self.source.config;
        tracing::warn!(source = %self.source.name, file = %file.name, sha256, reason, %message, "file refused; nothing of it is published; moved to the error directory with the reason");
        if let Some(sha256) = sha256 {
            manifest.remember(
                Entry {
                    sha256: sha256.to_owned(),
                    file: file.name.clone(),
                    outcome: Outcome::Refused,
                    records: 0,
                    message: Some(message.clone()),
                },
                config.manifest_max_files,
            );
        }
        // An unread file has no checksum: its name, size and date tell its copies apart.
        let tag = match sha256 {
            Some(s) => s.to_owned(),
            None => hex::encode(Sha256::digest(format!(
                "{}:{:?}",
                file.name, file.signature
            ))),
        };
        let note = format!("{}: {message}", file.name);
        self.send(Page {
            rejected: vec![RejectedInput {
                origin: file.name.clone(),
                reason,
                message,
            }],
            on_commit: moves(file, &config.error_dir, &tag, Some(note)),
            state: Some(manifest.to_state()),
            last: last_file,
            ..Page::default()
        })
    }

    fn send(&mut self, mut page: Page) -> Go {
        if self.stop.is_cancelled() {
            return ControlFlow::Break(());
        }
        self.number += 1;
        page.number = self.number;
        match self.tx.blocking_send(Ok(page)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }
}

/// What [`read_file`] found in a file it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// How the file was read, e.g. `CSV, GB18030` or `workbook, sheet "资产台账"`.
    pub read_as: String,
    /// Row number of the header, as a spreadsheet shows it.
    pub header_row: u64,
    pub records: u64,
}

/// Read a dropped file as a `file_drop` source does (size cap, checksum, encoding,
/// workbook checks, the whole-file check, then each record), outside any poll: for
/// tests and tools. `header_columns` name the header row's columns; `each` receives
/// every record with its row number.
///
/// # Errors
/// The [`Refusal`] the source would act on.
pub fn read_file(
    path: &Path,
    config: &FileDropConfig,
    header_columns: &[String],
    each: &mut dyn FnMut(u64, Value),
) -> Result<FileSummary, Refusal> {
    let len = std::fs::metadata(path)
        .map_err(|e| Refusal::unreadable(&e))?
        .len();
    if len > config.limits.max_file_bytes {
        return Err(too_big(&config.limits, len));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let prepared = Table::prepare(path, name, config)?;
    let scanned = scan(path, &config.limits)?;
    let (table, read_as) = Table::open(path, prepared, config, &scanned.sniff)?;
    let header = Named(header_columns);
    let layout = table.check(&header, &config.total_words, &|| false)?;
    table.records(&header, &config.total_words, 0, &mut |r| {
        each(r.row, r.value);
        ControlFlow::Continue(())
    })?;
    Ok(FileSummary {
        sha256: scanned.sha256,
        read_as,
        header_row: layout.header_row,
        records: layout.records,
    })
}

/// A file opened and checked whole: how it reads, and what the check found.
struct Opened {
    table: Table,
    what: String,
    layout: Layout,
}

fn log_ingest(source: &str, file: &str, sha256: &str, opened: &Opened, from: u64) {
    let layout = &opened.layout;
    if from > 0 {
        tracing::info!(
            source,
            file,
            sha256,
            records = layout.records,
            from_record = from,
            "resuming the file after its last committed page"
        );
        return;
    }
    tracing::info!(
        source,
        file,
        sha256,
        read_as = %opened.what,
        header_row = layout.header_row,
        header_columns = ?layout.required,
        records = layout.records,
        title_rows = layout.title_rows,
        blank_rows_skipped = layout.blank_rows,
        total_rows_skipped = layout.total_rows,
        "ingesting file"
    );
}

/// The refusal of a file larger than `max_file_bytes`, before it is read.
fn too_big(limits: &Limits, len: u64) -> Refusal {
    let what = format!("is {} ({len} bytes)", human_bytes(len));
    Refusal::over(limits, what, "max_file_bytes", limits.max_file_bytes)
}

/// Read the file once: its SHA-256 and what its bytes say about its encoding.
///
/// # Errors
/// Unreadable; or too large, if it grew past `max_file_bytes` since it was listed.
fn scan(path: &Path, limits: &Limits) -> Result<Scan, Refusal> {
    use std::io::Read;
    let io = |e: std::io::Error| Refusal::unreadable(&e);
    let file = std::fs::File::open(path).map_err(io)?;
    let mut input = file.take(limits.max_file_bytes + 1);
    let (mut hasher, mut sniff) = (Sha256::new(), Sniff::default());
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        total += n as u64;
        hasher.update(&buf[..n]);
        sniff.feed(&buf[..n]);
    }
    if total > limits.max_file_bytes {
        return Err(too_big(limits, total));
    }
    Ok(Scan {
        sha256: hex::encode(hasher.finalize()),
        sniff,
    })
}

/// Whether the file on disk is no longer the one listed (it was written to meanwhile).
fn changed_since_listed(file: &Dropped) -> bool {
    std::fs::metadata(&file.path).map_or(true, |m| Signature::of(&m) != file.signature)
}

/// Move `file` (and its ready marker) into `dir` once the page is committed.
fn moves(file: &Dropped, dir: &Path, tag: &str, reason: Option<String>) -> Vec<OnCommit> {
    let to = destination(dir, &file.name, tag);
    let marker = file.marker.as_ref().map(|from| {
        // The marker keeps its suffix after the file's new name.
        let suffix = from
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(file.name.as_str()))
            .unwrap_or(".done");
        OnCommit::MoveFile {
            from: from.clone(),
            to: marker_path(&to, suffix),
            reason: None,
        }
    });
    let file = OnCommit::MoveFile {
        from: file.path.clone(),
        to,
        reason,
    };
    std::iter::once(file).chain(marker).collect()
}

/// `<dir>/<name>`, or `<dir>/<stem>.<first 8 hex of the tag>.<ext>` when a file of
/// that name is already there (the same export name dropped every month).
fn destination(dir: &Path, name: &str, tag: &str) -> PathBuf {
    let plain = dir.join(name);
    if !plain.exists() {
        return plain;
    }
    let tag = &tag[..tag.len().min(8)];
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => dir.join(format!("{stem}.{tag}.{ext}")),
        _ => dir.join(format!("{name}.{tag}")),
    }
}

/// The default header test: the row holding the family's id and update-time columns.
///
/// The source does not see the family's field mapping, only `position_of`, which reads
/// a record's id and update time by that mapping. Offered a candidate row as a record
/// whose every cell holds a distinct valid time, `position_of` answers only if the row
/// holds both columns, and the times it returns say which cells they are.
struct Probe {
    position_of: PositionOf,
    format: String,
    tz: Tz,
}

impl Probe {
    fn sample(&self, i: usize) -> Option<(String, chrono::DateTime<chrono::Utc>)> {
        let base = NaiveDate::from_ymd_opt(2001, 2, 3)?.and_hms_opt(4, 5, 6)?;
        let at = base + chrono::Duration::seconds(61 * i as i64);
        let local = self.tz.from_local_datetime(&at).earliest()?;
        Some((
            local.format(&self.format).to_string(),
            local.with_timezone(&chrono::Utc),
        ))
    }
}

impl HeaderTest for Probe {
    fn required(&self, cells: &[&str]) -> Option<Vec<String>> {
        let filled = cells.iter().filter(|c| !c.is_empty()).count();
        if filled < 2 {
            return None;
        }
        let mut record = Map::new();
        let mut samples = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let (text, at) = self.sample(i)?;
            record.insert((*cell).to_owned(), Value::String(text.clone()));
            samples.push((*cell, text, at));
        }
        let position = (self.position_of)(&Value::Object(record))?;
        let id = samples
            .iter()
            .find(|(_, text, _)| *text == position.native_id)?;
        let updated = samples
            .iter()
            .find(|(_, _, at)| *at == position.updated_at)?;
        Some(vec![id.0.to_owned(), updated.0.to_owned()])
    }

    fn explain(&self, closest: Option<(u64, &[String])>) -> String {
        let near = closest
            .map(|(row, cells)| {
                let named: Vec<&str> = cells
                    .iter()
                    .filter(|c| !c.is_empty())
                    .map(String::as_str)
                    .take(8)
                    .collect();
                format!(" (the fullest row, {row}, holds {})", named.join(", "))
            })
            .unwrap_or_default();
        format!(
            "no header row in the first {HEADER_WITHIN_ROWS} rows{near}: none holds both the id and the update-time columns of the source's field mapping ([sources.<name>.fields] id and updated_at, e.g. 资产编码 and 更新时间); name the header's columns with header_columns if they differ"
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::family::Family;
    use crate::source::file_drop::RawFileDrop;
    use ruralsync_sim::export::{csv_bytes, row_number, xlsx_bytes, CsvEncoding};
    use ruralsync_sim::ledger::{Ledger, LedgerSpec};

    fn source(dir: &Path, extra: &str) -> FileDropSource {
        let raw: RawFileDrop = toml::from_str(&format!(
            "dir = {:?}\nmin_age_secs = 0\npage_size = 4\n{extra}",
            dir.display().to_string()
        ))
        .unwrap();
        let config = FileDropConfig::validate(&raw, chrono_tz::Asia::Shanghai, "k").unwrap();
        let protector = Protector::from_key(&[7; 32], crate::protect::NameMask::KeepFirst).unwrap();
        FileDropSource::new("drop", config, protector).unwrap()
    }

    fn position_of() -> PositionOf {
        let binding = Family::CollectiveAsset.with_defaults();
        Arc::new(move |r| binding.position(r, chrono_tz::Asia::Shanghai, "%Y-%m-%d %H:%M:%S"))
    }

    async fn pull(s: &FileDropSource, state: Option<Value>) -> Vec<Page> {
        let (mut rx, task) = s.spawn_pages(
            Resume {
                position: None,
                state,
            },
            position_of(),
            CancellationToken::new(),
        );
        let mut pages = Vec::new();
        while let Some(page) = rx.recv().await {
            pages.push(page.unwrap());
        }
        task.await.unwrap();
        pages
    }

    fn ledger(rows: usize) -> Ledger {
        Ledger::generate(&LedgerSpec {
            seed: 11,
            rows,
            village: Some("140702100200".into()),
            bad_rows: 0,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_file_becomes_pages_whose_state_resumes_after_the_committed_one() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledger(10);
        std::fs::write(dir.path().join("台账.csv"), csv_bytes(&l, CsvEncoding::Gbk)).unwrap();
        let s = source(dir.path(), "");
        let pages = pull(&s, None).await;
        assert_eq!(
            pages.iter().map(|p| p.records.len()).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        assert_eq!(
            pages[0].locations[0],
            format!("台账.csv row {}", row_number(0))
        );
        assert_eq!(pages[1].records[0]["资产编码"], l.rows[4].id.as_str());
        assert!(pages[..2].iter().all(|p| p.on_commit.is_empty()));
        let OnCommit::MoveFile { to, reason, .. } = &pages[2].on_commit[0];
        assert_eq!(
            (to.clone(), reason.clone()),
            (dir.path().join("done/台账.csv"), None)
        );
        let done = Manifest::from_state(pages[2].state.as_ref()).unwrap();
        assert_eq!((done.files.len(), done.current.clone()), (1, None));

        // Resume after the first page: the rest, from record 4.
        let rest = pull(&s, pages[0].state.clone()).await;
        assert_eq!(
            rest.iter().map(|p| p.records.len()).collect::<Vec<_>>(),
            [4, 2]
        );
        assert_eq!(
            rest[0].locations[0],
            format!("台账.csv row {}", row_number(4))
        );
        // After the last page (file not yet moved): only the move.
        let again = pull(&s, pages[2].state.clone()).await;
        assert_eq!(again.len(), 1);
        assert!(again[0].records.is_empty() && again[0].rejected.is_empty());
        assert_eq!(again[0].on_commit.len(), 1);
    }

    /// Regression (issue 10, point 2): the checkpoint keeps a file named after a person
    /// redacted; the file being ingested is still recognised by that name after a
    /// restart and resumed where its last committed page ended.
    #[tokio::test]
    async fn a_file_named_after_a_person_resumes_from_its_redacted_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledger(10);
        let name = "11010519491231002X.csv";
        std::fs::write(dir.path().join(name), csv_bytes(&l, CsvEncoding::Gbk)).unwrap();
        // An older file that would otherwise be read first.
        std::fs::write(
            dir.path().join("0.csv"),
            csv_bytes(&ledger(1), CsvEncoding::Gbk),
        )
        .unwrap();
        let old = std::fs::File::options()
            .write(true)
            .open(dir.path().join("0.csv"))
            .unwrap();
        old.set_modified(SystemTime::UNIX_EPOCH).unwrap();
        let s = source(dir.path(), "");
        let first = pull(&s, None).await;
        let page = first
            .iter()
            .find(|p| p.locations.first().is_some_and(|l| l.starts_with(name)))
            .unwrap();
        let state =
            crate::source::file_drop::protect_state(page.state.clone().unwrap(), &s.protector);
        assert!(!state.to_string().contains("11010519491231002X"), "{state}");
        let rest = pull(&s, Some(state)).await;
        assert_eq!(
            rest[0].locations[0],
            format!("{name} row {}", row_number(4)),
            "resumed first, after its committed page"
        );
    }

    #[tokio::test]
    async fn the_header_is_found_through_the_family_mapping_in_xlsx_too() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledger(3);
        std::fs::write(dir.path().join("台账.xlsx"), xlsx_bytes(&l).unwrap()).unwrap();
        std::fs::write(dir.path().join("坏.csv"), "标题\r\n编号,名称\r\n1,a\r\n").unwrap();
        let pages = pull(&source(dir.path(), ""), None).await;
        let refused: Vec<&Page> = pages.iter().filter(|p| !p.rejected.is_empty()).collect();
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].rejected[0]
                .message
                .starts_with("no header row in the first 30 rows"),
            "{:?}",
            refused[0].rejected
        );
        let records: Vec<&Value> = pages.iter().flat_map(|p| &p.records).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0]["行政区划代码"], "140702100200");
        assert_eq!(
            records[0]["更新时间"],
            l.rows[0]
                .updated_at
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
                .as_str()
        );
        // A date cell reads as its midnight: the normaliser's dates accept it.
        assert_eq!(
            records[0]["取得日期"],
            l.rows[0]
                .acquired
                .format("%Y-%m-%d 00:00:00")
                .to_string()
                .as_str()
        );
    }

    /// `cargo test --release --lib -- --ignored parse_200k --nocapture`: export and parse
    /// throughput of a 200,000-row ledger (no Kafka).
    #[test]
    #[ignore]
    fn parse_200k_rows_of_csv_and_xlsx() {
        use std::time::Instant;
        let rows = 200_000;
        let t = Instant::now();
        let l = ledger(rows);
        eprintln!("generate: {:.2} s", t.elapsed().as_secs_f64());
        let s = source(Path::new("/nonexistent"), "");
        let c = s.config();
        let cols = ["资产编码".to_owned(), "更新时间".to_owned()];
        for (name, bytes) in [
            ("台账.csv", {
                let t = Instant::now();
                let b = csv_bytes(&l, CsvEncoding::Gbk);
                eprintln!(
                    "write GBK CSV: {:.2} s, {} MB",
                    t.elapsed().as_secs_f64(),
                    b.len() >> 20
                );
                b
            }),
            ("台账.xlsx", {
                let t = Instant::now();
                let b = xlsx_bytes(&l).unwrap();
                eprintln!(
                    "write XLSX: {:.2} s, {} MB",
                    t.elapsed().as_secs_f64(),
                    b.len() >> 20
                );
                b
            }),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            drop(bytes);
            let t = Instant::now();
            let prepared = Table::prepare(&path, name, c).unwrap();
            let scanned = scan(&path, &c.limits).unwrap();
            let sha = scanned.sha256;
            let (table, what) = Table::open(&path, prepared, c, &scanned.sniff).unwrap();
            let opened = t.elapsed().as_secs_f64();
            let layout = table
                .check(&Named(&cols), &c.total_words, &|| false)
                .unwrap();
            let checked = t.elapsed().as_secs_f64();
            let mut n = 0u64;
            table
                .records(&Named(&cols), &c.total_words, 0, &mut |r| {
                    n += 1;
                    std::hint::black_box(r);
                    ControlFlow::Continue(())
                })
                .unwrap();
            let total = t.elapsed().as_secs_f64();
            assert_eq!((layout.records, n), (rows as u64, rows as u64));
            eprintln!(
                "{name} ({what}, sha {}): open+decode {opened:.2} s, check {:.2} s, records {:.2} s; {:.0} rows/s",
                &sha[..8],
                checked - opened,
                total - checked,
                rows as f64 / total
            );
        }
    }
}
