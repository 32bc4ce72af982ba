//! One sync cycle of one source: pull pages after the checkpoint and publish each page
//! with its checkpoint in one Kafka transaction.
//!
//! Publishing a page is three steps:
//! 1. [`plan`] (pure): the page and the committed state → the messages of every topic,
//!    the staged fingerprint changes, the counts and the next checkpoint;
//! 2. [`commit`] (I/O): the page's transaction, retried through Kafka outages, with
//!    in-doubt outcomes settled by reading the committed checkpoint back;
//! 3. apply: the new checkpoint, the staged fingerprints and the after-commit effects
//!    (files moved) become the runner's state.
//!
//! The next page is fetched while the current one is published (the source's page task
//! runs ahead by `prefetch_pages`). A page's records that sit at or before the committed
//! position are skipped: the `updated since` parameter is inclusive, and records sharing
//! the cursor's second are told apart by native id.

mod commit;
mod observe;
pub mod plan;

use std::any::Any;
use std::panic::AssertUnwindSafe;

use chrono::Utc;
use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;

use crate::avro::{EncodeError, Framing};
use crate::config::{KafkaConfig, SourceConfig};
use crate::family::UnknownWords;
use crate::fingerprint::Fingerprints;
use crate::normalize::Position;
use crate::protect::Protector;
use crate::sink::kafka::{Checkpoint, PublishError, Recovery, SourceProducer, Topics};
use crate::source::{Page, PositionOf, Resume, Source, SourceError};
pub use observe::Observer;
pub use plan::{plan, Note, PageCounts, Plan, PlanError, PlanInput};

/// How often one page is planned again after the broker refused a message as too large
/// that the size limits read at start let through (its topic's limit was lowered).
const MAX_REPLANS: u32 = 3;

/// Why a cycle stopped early. Pages committed before the failure stay committed; the
/// next cycle starts after them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("source {source_name}: {error}")]
    Encode {
        source_name: String,
        error: EncodeError,
    },
    #[error("source {source_name}: checkpoint cannot be serialised: {error}")]
    Checkpoint {
        source_name: String,
        error: serde_json::Error,
    },
    #[error("source {source_name}: fenced: another instance publishes this source with the same transactional id ({transactional_id}); this one stops it")]
    Fenced {
        source_name: String,
        transactional_id: String,
    },
    #[error("source {source_name}: stopped by shutdown before the page in flight was committed; the next start publishes it again from the checkpoint")]
    Interrupted { source_name: String },
    /// A bug: the source's code panicked. Pages committed before stay; the cycle counts
    /// as failed.
    #[error(
        "source {source_name}: panicked: {message}; this is a bug, please report it with the log"
    )]
    Panicked {
        source_name: String,
        message: String,
    },
}

impl SyncError {
    /// Whether the source must stop instead of running again at its next fire time:
    /// another instance took it over, or it failed for a reason no retry cures (a topic
    /// deleted, access denied, a checkpoint larger than its topic accepts).
    pub fn stops_source(&self) -> bool {
        match self {
            SyncError::Fenced { .. } => true,
            SyncError::Publish(e) => matches!(e.recovery(), Recovery::Stop | Recovery::TooLarge),
            _ => false,
        }
    }
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    pub pages: u64,
    /// Records received from the source.
    pub fetched: u64,
    /// Records published to the family's topic.
    pub published: u64,
    /// Records published to the dead-letter topic.
    pub dead_letters: u64,
    /// The same, by reason code.
    pub dead_letters_by_reason: std::collections::BTreeMap<&'static str, u64>,
    /// Records at or before the committed position, already published by an earlier cycle.
    pub already_published: u64,
    /// Records fetched again whose canonical content had not changed: not republished.
    pub unchanged: u64,
    /// Bad records fetched again exactly as they were dead-lettered before: not
    /// dead-lettered again.
    pub unchanged_dead_letters: u64,
    /// Vocabulary words not known to the source's value map nor the built-in words,
    /// published as OTHER with the raw word.
    pub unknown_values: UnknownWords,
    /// Position after the cycle.
    pub position: Option<Position>,
}

impl CycleReport {
    /// Count what a page read, committed or not.
    fn read(&mut self, plan: &Plan) {
        let c = &plan.counts;
        self.fetched += c.fetched;
        self.already_published += c.already_published;
        self.unchanged += c.unchanged;
        self.unchanged_dead_letters += c.unchanged_dead_letters;
        self.unknown_values.add(&plan.unknown);
    }

    /// Count what a committed page published.
    fn committed(&mut self, plan: &Plan) {
        let c = &plan.counts;
        self.pages += 1;
        self.published += c.published;
        self.dead_letters += c.dead_letters;
        for (reason, n) in &c.dead_letters_by_reason {
            *self.dead_letters_by_reason.entry(reason).or_insert(0) += n;
        }
        self.position.clone_from(&plan.position);
    }
}

/// A source ready to sync: its puller, producer, framings and committed checkpoint.
pub struct SourceRunner {
    config: SourceConfig,
    kafka: KafkaConfig,
    source: Source,
    producer: SourceProducer,
    topics: Topics,
    checkpoint: Checkpoint,
    fingerprints: Fingerprints,
    protector: Protector,
    /// How record and dead-letter datums are framed as messages.
    records: Framing,
    dead_letters: Framing,
    /// A cycle panicked: its transaction may be open. The next cycle replaces the
    /// producer first, which settles it.
    unsettled: bool,
    /// Told what each page and transaction did (the daemon's telemetry), if anyone.
    observer: Option<std::sync::Arc<dyn Observer>>,
}

impl SourceRunner {
    /// `framings` frame the family's records and the dead letters (chosen once per
    /// daemon: single-object, or Confluent with a registry).
    ///
    /// # Errors
    /// When the source's client cannot be built.
    pub fn new(
        config: SourceConfig,
        kafka: KafkaConfig,
        producer: SourceProducer,
        checkpoint: Checkpoint,
        fingerprints: Fingerprints,
        protector: Protector,
        (records, dead_letters): (Framing, Framing),
    ) -> Result<SourceRunner, SourceError> {
        let topics = Topics::new(&kafka.topic_prefix);
        let source = Source::new(&config.name, &config.kind, &protector)?;
        Ok(SourceRunner {
            config,
            kafka,
            source,
            producer,
            topics,
            checkpoint,
            fingerprints,
            protector,
            records,
            dead_letters,
            unsettled: false,
            observer: None,
        })
    }

    /// Report what each page and transaction does to `observer` from now on.
    pub fn observe(&mut self, observer: std::sync::Arc<dyn Observer>) {
        self.observer = Some(observer);
    }

    /// What the latest pull did on the wire (requests by status class, retries, waits),
    /// for kinds that count it.
    pub fn transport_stats(&self) -> Option<crate::source::http_json::PullStats> {
        self.source.transport_stats()
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Close the producer (flush before drop).
    pub async fn close(self) {
        self.producer.close().await;
    }

    /// Run one cycle. Stops after the page in flight when `stop` is cancelled.
    ///
    /// # Errors
    /// [`SyncError`] for the first pull, encode or publish failure, and
    /// [`SyncError::Panicked`] when the source's code panicked, here or in its pull task.
    pub async fn sync(&mut self, stop: &CancellationToken) -> Result<CycleReport, SyncError> {
        if self.unsettled {
            self.producer.reconnect().await?;
            self.unsettled = false;
        }
        let cycle = AssertUnwindSafe(self.cycle(stop)).catch_unwind().await;
        cycle.unwrap_or_else(|payload| {
            // It may have panicked with a transaction open.
            self.unsettled = true;
            let error = self.panicked(payload.as_ref());
            tracing::error!(source = %self.config.name, error = %error, "sync failed: the source panicked; committed pages stay published");
            Err(error)
        })
    }

    /// The error for a panic of this source's code, its message protected like any text
    /// that leaves the process.
    fn panicked(&self, payload: &(dyn Any + Send)) -> SyncError {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        SyncError::Panicked {
            source_name: self.config.name.clone(),
            message: self.protector.redact_text(&message),
        }
    }

    async fn cycle(&mut self, stop: &CancellationToken) -> Result<CycleReport, SyncError> {
        #[cfg(debug_assertions)]
        if test_fault::panics(&self.config.name, "start") {
            panic!(
                "injected test fault: {} panics as its pull starts",
                self.config.name
            );
        }
        let page_stop = stop.child_token();
        let (mut pages, task) = self.spawn_pages(page_stop.clone());
        let mut report = CycleReport {
            position: self.checkpoint.position.clone(),
            ..CycleReport::default()
        };
        let result = self.publish_pages(&mut pages, &mut report, stop).await;
        page_stop.cancel();
        drop(pages);
        // A pull task that panicked closed its channel as if the pull were complete:
        // only its join result tells.
        let result = match task.await {
            Err(joined) if joined.is_panic() => Err(self.panicked(joined.into_panic().as_ref())),
            _ => result,
        };
        self.log_cycle(&report, &result);
        result.map(|()| report)
    }

    /// Start the source's pull after the committed checkpoint.
    fn spawn_pages(&self, stop: CancellationToken) -> crate::source::Pages {
        let resume = Resume {
            position: self.checkpoint.position.clone(),
            state: self.checkpoint.state.clone(),
        };
        tracing::info!(
            source = %self.config.name,
            after = ?resume.position.as_ref().map(|p| (p.updated_at, &p.native_id)),
            resuming = resume.state.is_some(),
            "sync started"
        );
        let position_of: PositionOf = {
            let binding = self.config.binding.clone();
            let tz = self.config.timezone;
            let format = self.source.pull().time_format.clone();
            std::sync::Arc::new(move |record| binding.position(record, tz, &format))
        };
        let (pages, task) = self.source.spawn_pages(resume, position_of, stop);
        #[cfg(debug_assertions)]
        let task = test_fault::pull_task(&self.config.name, task);
        (pages, task)
    }

    /// Publish pages as they arrive, until the pull ends, a page fails, or `stop`
    /// (after the page in flight).
    async fn publish_pages(
        &mut self,
        pages: &mut tokio::sync::mpsc::Receiver<Result<Page, SourceError>>,
        report: &mut CycleReport,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        loop {
            let page = tokio::select! {
                biased;
                () = stop.cancelled() => return Ok(()),
                page = pages.recv() => page,
            };
            let Some(page) = page else { return Ok(()) };
            self.publish_fitting(&page?, report, stop).await?;
            if stop.is_cancelled() {
                tracing::info!(source = %self.config.name, pages = report.pages, "stopping after the page in flight");
                return Ok(());
            }
        }
    }

    /// The cycle's last log lines: the platform words nothing maps, and the outcome.
    fn log_cycle(&self, report: &CycleReport, result: &Result<(), SyncError>) {
        for (field, (n, examples)) in &report.unknown_values.by_field {
            tracing::warn!(
                source = %self.config.name,
                field,
                records = n,
                examples = ?examples,
                "platform words not in the vocabulary were published as OTHER with the raw word; map them under [sources.<name>.values.<field>]"
            );
        }
        match result {
            Ok(()) => tracing::info!(
                source = %self.config.name,
                pages = report.pages,
                fetched = report.fetched,
                published = report.published,
                dead_letters = report.dead_letters,
                dead_letters_by_reason = ?report.dead_letters_by_reason,
                already_published = report.already_published,
                unchanged = report.unchanged,
                unchanged_dead_letters = report.unchanged_dead_letters,
                unknown_values = report.unknown_values.total(),
                transport = %self.source.pull_stats(),
                "sync finished"
            ),
            Err(e) => tracing::error!(
                source = %self.config.name,
                pages_committed = report.pages,
                error = %e,
                "sync failed; committed pages stay published, the next run resumes after them"
            ),
        }
    }

    /// Publish a page; when the broker refuses a message as too large although the size
    /// limits read at start let it through, read its topic's limit again and plan the
    /// page again (a record over the new limit becomes a dead letter). Bounded: a
    /// refusal the fresh limits do not explain stops the source.
    async fn publish_fitting(
        &mut self,
        page: &Page,
        report: &mut CycleReport,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        let mut replans = 0;
        loop {
            let error = match self.publish_page(page, report, stop).await {
                Err(SyncError::Publish(e)) if e.recovery() == Recovery::TooLarge => e,
                other => return other,
            };
            let topic = error.failed_message().map(|m| m.topic.clone());
            let changed = match topic {
                Some(topic) if replans < MAX_REPLANS => {
                    self.producer.refresh_limits(&topic).await?
                }
                _ => false,
            };
            if !changed {
                return Err(SyncError::Publish(error));
            }
            replans += 1;
            tracing::warn!(source = %self.config.name, page = page.number, error = %error, "the broker refused a message as too large; its topic's limit was read again and the page is planned again");
        }
    }

    /// Plan the page, commit its transaction, apply the outcome. The report counts what
    /// the page read only once it is committed (or needs no transaction), so a page
    /// planned again is not counted twice.
    async fn publish_page(
        &mut self,
        page: &Page,
        report: &mut CycleReport,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        let plan = self.plan(page)?;
        self.log_notes(page.number, &plan.notes);
        if let Some((next, checkpoint)) = &plan.commit {
            self.commit(&plan.messages, checkpoint, next, page.number, stop)
                .await?;
        }
        report.read(&plan);
        let counts = plan.counts.clone();
        self.apply(page, plan, report);
        if let Some(observer) = &self.observer {
            observer.page_committed(&self.config.name, &counts);
        }
        Ok(())
    }

    /// Plan publishing `page` against the committed state.
    fn plan(&self, page: &Page) -> Result<Plan, SyncError> {
        let source = &self.source;
        let input = PlanInput {
            source: &self.config.name,
            binding: &self.config.binding,
            timezone: self.config.timezone,
            time_format: &source.pull().time_format,
            window: source.pull().window(),
            protector: &self.protector,
            topics: &self.topics,
            limits: self.producer.limits(),
            records: &self.records,
            dead_letters: &self.dead_letters,
            committed: &self.checkpoint,
            fingerprints: &self.fingerprints,
            state: source.protect_state(page.state.clone(), &self.protector),
            now: Utc::now(),
        };
        plan(page, &input).map_err(|error| match error {
            PlanError::Encode(error) => SyncError::Encode {
                source_name: self.config.name.clone(),
                error,
            },
            PlanError::Checkpoint(error) => SyncError::Checkpoint {
                source_name: self.config.name.clone(),
                error,
            },
        })
    }

    /// Log what planning found worth a line.
    fn log_notes(&self, page: u64, notes: &[Note]) {
        let source = &self.config.name;
        for note in notes {
            match note {
                Note::Rejected {
                    native_id,
                    field,
                    reason,
                    message,
                } => {
                    tracing::debug!(source = %source, page, native_id = ?native_id, field = ?field, reason, %message, "record rejected");
                }
                Note::TooLarge { key, over } => {
                    tracing::warn!(source = %source, page, key, bytes = over.bytes, limit = over.limit, by = %over.by, "record too large for its topic; published to the dead-letter topic instead");
                }
            }
        }
    }

    /// A committed page's outcome becomes the runner's state: the new checkpoint, the
    /// staged fingerprints, and the effects that waited for the commit.
    fn apply(&mut self, page: &Page, plan: Plan, report: &mut CycleReport) {
        let Some((next, _)) = plan.commit.clone() else {
            return;
        };
        let name = &self.config.name;
        let dead = plan.counts.dead_letters;
        if dead > 0 {
            tracing::warn!(source = %name, page = page.number, dead_letters = dead, topic = %self.topics.dead_letters(), "records failed normalisation and went to the dead-letter topic");
        }
        tracing::debug!(source = %name, page = page.number, published = plan.counts.published, dead_letters = dead, "page committed");
        self.checkpoint = next;
        for effect in &page.on_commit {
            effect.apply(name, &self.protector);
        }
        for (key, fingerprint) in &plan.staged {
            match fingerprint {
                Some(f) => self.fingerprints.insert(key, *f),
                None => self.fingerprints.remove(key),
            }
        }
        report.committed(&plan);
    }
}

/// Test-only fault injection, compiled into debug builds only: no source kind is known
/// to panic any more, yet the daemon's handling of a panicking source must be tested
/// through the real binary. `RURALSYNC_TEST_PANIC=<source>` makes that source's pull task
/// panic once its pull is done; `<source>@start` makes the cycle panic as it starts.
#[cfg(debug_assertions)]
mod test_fault {
    use tokio::task::JoinHandle;

    pub fn panics(source: &str, at: &str) -> bool {
        std::env::var("RURALSYNC_TEST_PANIC").is_ok_and(|v| match v.split_once('@') {
            Some((name, place)) => name == source && place == at,
            None => v == source && at == "pull",
        })
    }

    /// `task`, or a task that awaits it and then panics.
    pub fn pull_task(source: &str, task: JoinHandle<()>) -> JoinHandle<()> {
        if !panics(source, "pull") {
            return task;
        }
        let source = source.to_owned();
        tokio::spawn(async move {
            let _ = task.await;
            panic!("injected test fault: the pull task of {source} panics");
        })
    }
}
