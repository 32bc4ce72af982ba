//! One sync cycle of one source: pull pages after the checkpoint, normalise each record,
//! encode, and publish each page with its checkpoint in one Kafka transaction.
//!
//! The next page is fetched while the current one is published (the source's page task
//! runs ahead by `prefetch_pages`). A page's records that sit at or before the committed
//! position are skipped: the `updated since` parameter is inclusive, and records sharing
//! the cursor's second are told apart by native id.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use chrono::Utc;
use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;

use crate::avro::{DatumWriter, DeadLetter, EncodeError, Framing, DEAD_LETTER};
use crate::backoff::Backoff;
use crate::config::{KafkaConfig, SourceConfig};
use crate::family::{Context, Outcome, UnknownWords};
use crate::fingerprint::{content_fingerprint, dead_letter_fingerprint, Fingerprints};
use crate::normalize::{Position, Rejection};
use crate::protect::Protector;
use crate::sink::kafka::{
    self, Checkpoint, Message, Oversize, PublishError, Recovery, SizeLimits, SourceProducer, Topics,
};
use crate::source::{Page, PositionOf, RejectedInput, Resume, Source, SourceError};

const DEAD_LETTER_SCHEMA_NAME: &str = "cn.ruralsync.v1.DeadLetter";
const FINGERPRINT_SCHEMA_NAME: &str = "ruralsync.Fingerprint.u64be";
/// Dead-letter reason of a record larger than its topic or the producer accepts.
const TOO_LARGE: &str = "too_large";
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

/// A source ready to sync: its puller, producer, encoders and committed checkpoint.
pub struct SourceRunner {
    config: SourceConfig,
    kafka: KafkaConfig,
    source: Source,
    producer: SourceProducer,
    topics: Topics,
    checkpoint: Checkpoint,
    fingerprints: Fingerprints,
    protector: Protector,
    /// How record datums are framed as messages.
    records: Framing,
    dead_letters: Framing,
    /// A cycle panicked: its transaction may be open. The next cycle replaces the
    /// producer first, which settles it.
    unsettled: bool,
}

impl SourceRunner {
    /// # Errors
    /// When the source's client cannot be built.
    pub fn new(
        config: SourceConfig,
        kafka: KafkaConfig,
        producer: SourceProducer,
        checkpoint: Checkpoint,
        fingerprints: Fingerprints,
        protector: Protector,
    ) -> Result<SourceRunner, SourceError> {
        let topics = Topics::new(&kafka.topic_prefix);
        let records = Framing::single_object(&config.family().schema().schema);
        let source = Source::new(&config, &protector)?;
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
            dead_letters: Framing::single_object(&DEAD_LETTER.schema),
            unsettled: false,
        })
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
            let format = self.source.time_format().to_owned();
            std::sync::Arc::new(move |record| binding.position(record, tz, &format))
        };
        let page_stop = stop.child_token();
        let (mut pages, task) = self
            .source
            .spawn_pages(resume, position_of, page_stop.clone());
        #[cfg(debug_assertions)]
        let task = test_fault::pull_task(&self.config.name, task);
        let mut report = CycleReport {
            position: self.checkpoint.position.clone(),
            ..CycleReport::default()
        };
        let result = async {
            loop {
                let page = tokio::select! {
                    biased;
                    () = stop.cancelled() => break,
                    page = pages.recv() => page,
                };
                let Some(page) = page else { break };
                self.publish_fitting(&page?, &mut report, stop).await?;
                if stop.is_cancelled() {
                    tracing::info!(source = %self.config.name, pages = report.pages, "stopping after the page in flight");
                    break;
                }
            }
            Ok(())
        }
        .await;
        page_stop.cancel();
        drop(pages);
        // A pull task that panicked closed its channel as if the pull were complete:
        // only its join result tells.
        let result = match task.await {
            Err(joined) if joined.is_panic() => Err(self.panicked(joined.into_panic().as_ref())),
            _ => result,
        };
        for (field, (n, examples)) in &report.unknown_values.by_field {
            tracing::warn!(
                source = %self.config.name,
                field,
                records = n,
                examples = ?examples,
                "platform words not in the vocabulary were published as OTHER with the raw word; map them under [sources.<name>.values.<field>]"
            );
        }
        match &result {
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
        result.map(|()| report)
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
            let before = report.clone();
            let error = match self.publish_page(page, report, stop).await {
                Err(SyncError::Publish(e)) if e.recovery() == Recovery::TooLarge => e,
                other => return other,
            };
            *report = before;
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

    async fn publish_page(
        &mut self,
        page: &Page,
        report: &mut CycleReport,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        let SourceRunner {
            config: cfg,
            source,
            topics,
            records,
            dead_letters,
            protector,
            fingerprints,
            producer,
            ..
        } = self;
        let limits = producer.limits();
        let time_format = source.time_format();
        let mut normaliser = cfg.binding.normaliser(Context {
            source: &cfg.name,
            timezone: cfg.timezone,
            time_format,
            protector,
        });
        let mut dead_letter_writer = DatumWriter::new(&DEAD_LETTER);
        let mut dead_letters = DeadLetters {
            framing: dead_letters,
            writer: &mut dead_letter_writer,
        };
        let committed = self.checkpoint.position.clone();
        // Records at or before this were published by an earlier cycle; those inside the
        // lag window after it are read again and pass the fingerprint check instead.
        let skip_through = committed.clone().filter(|_| source.incremental()).map(|p| {
            let lag = chrono::Duration::from_std(source.lag()).unwrap_or(chrono::Duration::MAX);
            Position {
                updated_at: p
                    .updated_at
                    .checked_sub_signed(lag)
                    .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC),
                ..p
            }
        });
        let mut position = committed.clone();
        let mut messages = Vec::with_capacity(page.records.len() * 2);
        let mut staged = Vec::with_capacity(page.records.len());
        let (mut published, mut dead) = (0, 0);
        let mut page_reasons = std::collections::BTreeMap::new();
        report.fetched += page.records.len() as u64;
        for (index, record) in page.records.iter().enumerate() {
            // The skip check needs the position before normalising; otherwise take it
            // from the normalised record rather than parse the update time twice.
            let check_skip = skip_through.is_some();
            let early = check_skip
                .then(|| cfg.binding.position(record, cfg.timezone, time_format))
                .flatten();
            if let (Some(at), Some(done)) = (&early, &skip_through) {
                if at <= done {
                    report.already_published += 1;
                    continue;
                }
            }
            let mut value = records.start(512);
            let normalised =
                normaliser
                    .normalise(record, &mut value)
                    .map_err(|error| SyncError::Encode {
                        source_name: cfg.name.clone(),
                        error,
                    })?;
            let at = match (&normalised, check_skip) {
                (_, true) => early,
                (Outcome::Normalised(n), false) => Some(n.position.clone()),
                _ => cfg.binding.position(record, cfg.timezone, time_format),
            };
            if at > position {
                position = at;
            }
            let canonical = match normalised {
                Outcome::Normalised(c) => c,
                Outcome::Rejected(rejection) => {
                    let raw = cfg.binding.protected_raw(record, protector);
                    let seen = dead_letter_key(&cfg.name, rejection.native_id.as_deref(), &raw);
                    let fingerprint = dead_letter_fingerprint(rejection.reason.code(), &raw);
                    if fingerprints.is_unchanged(&seen, fingerprint) {
                        report.unchanged_dead_letters += 1;
                        continue;
                    }
                    dead += 1;
                    *page_reasons.entry(rejection.reason.code()).or_insert(0) += 1;
                    messages.push(Message {
                        topic: topics.fingerprints(),
                        key: seen.clone(),
                        value: fingerprint.to_be_bytes().to_vec(),
                        schema: FINGERPRINT_SCHEMA_NAME,
                    });
                    staged.push((seen, Some(fingerprint)));
                    messages.push(dead_letter_message(
                        &mut dead_letters,
                        cfg,
                        topics,
                        protector,
                        &rejection,
                        &raw,
                        page.number,
                        page.locations.get(index).map(String::as_str),
                        limits,
                    )?);
                    continue;
                }
            };
            let fingerprint = content_fingerprint(
                records.datum(&value),
                canonical.updated_at.timestamp_millis(),
            );
            if fingerprints.is_unchanged(&canonical.key, fingerprint) {
                report.unchanged += 1;
                continue;
            }
            let record_message = Message {
                topic: topics.records(cfg.family()),
                key: canonical.key.clone(),
                value,
                schema: cfg.family().schema_name(),
            };
            if let Err(over) = limits.check(&record_message) {
                // Publishing it would fail the page's transaction every time: it goes to
                // the dead-letter topic instead, and the rest of the page is published.
                let raw = cfg.binding.protected_raw(record, protector);
                let native_id = canonical.key.strip_prefix(&format!("{}:", cfg.name));
                let seen = dead_letter_key(&cfg.name, native_id, &raw);
                let fingerprint = dead_letter_fingerprint(TOO_LARGE, &raw);
                if fingerprints.is_unchanged(&seen, fingerprint) {
                    report.unchanged_dead_letters += 1;
                    continue;
                }
                dead += 1;
                *page_reasons.entry(TOO_LARGE).or_insert(0) += 1;
                messages.push(Message {
                    topic: topics.fingerprints(),
                    key: seen.clone(),
                    value: fingerprint.to_be_bytes().to_vec(),
                    schema: FINGERPRINT_SCHEMA_NAME,
                });
                staged.push((seen, Some(fingerprint)));
                let oversized = Oversized {
                    key: &canonical.key,
                    native_id,
                    over: &over,
                    protected_raw: &raw,
                };
                messages.push(too_large_message(
                    &mut dead_letters,
                    cfg,
                    topics,
                    &oversized,
                    page.number,
                    limits,
                )?);
                continue;
            }
            published += 1;
            // A record mended upstream: forget its dead letter, so that a relapse is
            // dead-lettered again.
            let mended = format!("{}{DEAD_LETTER_SUFFIX}", canonical.key);
            if fingerprints.contains(&mended) {
                messages.push(Message {
                    topic: topics.fingerprints(),
                    key: mended.clone(),
                    value: Vec::new(),
                    schema: FINGERPRINT_SCHEMA_NAME,
                });
                staged.push((mended, None));
            }
            messages.push(Message {
                topic: topics.fingerprints(),
                key: canonical.key.clone(),
                value: fingerprint.to_be_bytes().to_vec(),
                schema: FINGERPRINT_SCHEMA_NAME,
            });
            staged.push((canonical.key.clone(), Some(fingerprint)));
            messages.push(record_message);
        }
        for input in &page.rejected {
            dead += 1;
            *page_reasons.entry(input.reason).or_insert(0) += 1;
            messages.push(rejected_input_message(
                &mut dead_letters,
                cfg,
                topics,
                protector,
                input,
                page.number,
            )?);
        }
        report.unknown_values.add(&normaliser.unknown);
        // The checkpoint is a topic too: what it says passes the redactor.
        let next_position = position.clone().map(|p| checkpoint_position(p, protector));
        let next_state = source.protect_state(page.state.clone(), protector);
        if messages.is_empty()
            && next_position == committed
            && next_state == self.checkpoint.state
            && page.on_commit.is_empty()
        {
            return Ok(());
        }
        let next = Checkpoint {
            version: 1,
            source: cfg.name.clone(),
            position: next_position,
            published_total: self.checkpoint.published_total + published,
            dead_letters_total: self.checkpoint.dead_letters_total + dead,
            committed_at: Utc::now(),
            state: next_state,
        };
        let checkpoint_message = Message {
            topic: topics.checkpoints(),
            key: cfg.name.clone(),
            value: serde_json::to_vec(&next).map_err(|error| SyncError::Checkpoint {
                source_name: cfg.name.clone(),
                error,
            })?,
            schema: "ruralsync.Checkpoint.json",
        };
        self.commit(&messages, &checkpoint_message, &next, page.number, stop)
            .await?;
        let name = &self.config.name;
        if dead > 0 {
            tracing::warn!(source = %name, page = page.number, dead_letters = dead, topic = %self.topics.dead_letters(), "records failed normalisation and went to the dead-letter topic");
        }
        tracing::debug!(source = %name, page = page.number, published, dead_letters = dead, "page committed");
        self.checkpoint = next;
        for effect in &page.on_commit {
            effect.apply(name, &self.protector);
        }
        for (key, fingerprint) in staged {
            match fingerprint {
                Some(f) => self.fingerprints.insert(&key, f),
                None => self.fingerprints.remove(&key),
            }
        }
        report.pages += 1;
        report.published += published;
        report.dead_letters += dead;
        for (reason, n) in page_reasons {
            *report.dead_letters_by_reason.entry(reason).or_insert(0) += n;
        }
        report.position = position;
        Ok(())
    }

    /// Publish one page's transaction, retrying through Kafka outages with backoff until
    /// it is committed, the producer is fenced, or shutdown interrupts the wait.
    ///
    /// After a failure whose outcome is in doubt, the producer is replaced and the
    /// committed checkpoint read back from Kafka: if it already covers this page, the page
    /// landed and is not published twice.
    async fn commit(
        &mut self,
        messages: &[Message],
        checkpoint: &Message,
        next: &Checkpoint,
        page: u64,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        let mut backoff = Backoff::new(
            self.kafka.retry_backoff_initial,
            self.kafka.retry_backoff_max,
        );
        let mut reconnect = false;
        loop {
            let attempt = async {
                if reconnect {
                    self.producer.reconnect().await?;
                    if self.page_landed(next).await? {
                        return Ok(true);
                    }
                }
                self.producer
                    .publish_transaction(messages, checkpoint)
                    .await
                    .map(|()| false)
            };
            let error = match attempt.await {
                Ok(landed_before) => {
                    if backoff.attempt() > 0 {
                        tracing::info!(source = %self.config.name, page, attempts = backoff.attempt() + 1, landed_before, "Kafka is back; page committed");
                    }
                    return Ok(());
                }
                Err(e) => e,
            };
            match error.recovery() {
                Recovery::Fenced => {
                    return Err(SyncError::Fenced {
                        source_name: self.config.name.clone(),
                        transactional_id: format!(
                            "{}-{}",
                            self.kafka.transactional_id_prefix, self.config.name
                        ),
                    })
                }
                // Publishing the same messages again fails the same way.
                Recovery::TooLarge | Recovery::Stop => return Err(SyncError::Publish(error)),
                Recovery::Reconnect => reconnect = true,
                Recovery::Retry => {}
            }
            let delay = backoff.next_delay();
            tracing::warn!(
                source = %self.config.name,
                page,
                attempt = backoff.attempt(),
                retry_in_ms = delay.as_millis() as u64,
                replace_producer = reconnect,
                error = %error,
                "publishing a page failed; nothing of it is visible, it will be published again"
            );
            tokio::select! {
                () = stop.cancelled() => return Err(SyncError::Interrupted { source_name: self.config.name.clone() }),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// Whether the checkpoint committed in Kafka is the one `next` would write. The
    /// running totals grow with every committed page, and the source's state moves with
    /// pages that publish nothing (a file moved, a full pull's next page), so together
    /// they tell this page's checkpoint from the previous one even when the position did
    /// not move.
    async fn page_landed(&self, next: &Checkpoint) -> Result<bool, PublishError> {
        let mut all = kafka::load_checkpoints(
            &self.kafka,
            &self.topics.checkpoints(),
            self.kafka.transaction_timeout,
        )
        .await?;
        Ok(all.remove(&self.config.name).is_some_and(|c| {
            (
                c.position.as_ref(),
                c.published_total,
                c.dead_letters_total,
                c.state.as_ref(),
            ) == (
                next.position.as_ref(),
                next.published_total,
                next.dead_letters_total,
                next.state.as_ref(),
            )
        }))
    }
}

const DEAD_LETTER_SUFFIX: &str = "#dead_letter";

/// The position as the checkpoint keeps it. A native id holding a person's number (see
/// [`Protector::native_id`]) is not kept, not even as a pseudonym, which would not sort
/// as the upstream sorts: the position keeps its time and an empty id, which sorts
/// before every id of that second. The next pull reads that second again, and the
/// content fingerprints keep what was published from being published twice.
fn checkpoint_position(position: Position, protector: &Protector) -> Position {
    if protector.native_id(&position.native_id) == position.native_id {
        position
    } else {
        Position {
            native_id: String::new(),
            ..position
        }
    }
}

/// The fingerprint-store key remembering a source's dead letter: by native id, or by
/// the raw record's content when it has none.
fn dead_letter_key(source: &str, native_id: Option<&str>, protected_raw: &str) -> String {
    match native_id {
        // The record's own key (`<source>:<native id>`) with a suffix.
        Some(id) => format!("{source}:{id}{DEAD_LETTER_SUFFIX}"),
        None => format!(
            "{source}:#dead_letter:{:016x}",
            dead_letter_fingerprint("", protected_raw)
        ),
    }
}

/// Encodes dead letters: their framing and a datum writer.
struct DeadLetters<'a> {
    framing: &'a Framing,
    writer: &'a mut DatumWriter,
}

impl DeadLetters<'_> {
    fn encode(&mut self, cfg: &SourceConfig, letter: &DeadLetter) -> Result<Vec<u8>, SyncError> {
        let mut message = self.framing.start(512);
        letter
            .encode(self.writer, &mut message)
            .map_err(|error| SyncError::Encode {
                source_name: cfg.name.clone(),
                error,
            })?;
        Ok(message)
    }
}

/// The dead-letter message for a rejected record, found at `location` when the source
/// says more than the page number.
#[allow(clippy::too_many_arguments)]
fn dead_letter_message(
    encoder: &mut DeadLetters<'_>,
    cfg: &SourceConfig,
    topics: &Topics,
    protector: &Protector,
    rejection: &Rejection,
    protected_raw: &str,
    page: u64,
    location: Option<&str>,
    limits: &SizeLimits,
) -> Result<Message, SyncError> {
    // Messages quote values; a value may be personal (a malformed phone, an ID number).
    let message = protector.redact_text(&rejection.message);
    let message = match location {
        Some(location) => format!("{location}: {message}"),
        None => message,
    };
    tracing::debug!(source = %cfg.name, page, native_id = ?rejection.native_id, field = ?rejection.field, reason = rejection.reason.code(), %message, "record rejected");
    let letter = DeadLetter {
        source: cfg.name.clone(),
        family: cfg.family().name().to_owned(),
        native_id: rejection.native_id.clone(),
        field: rejection.field.clone(),
        reason: rejection.reason.code().to_owned(),
        message,
        page: Some(page),
        raw_record: Some(protected_raw.to_owned()),
        observed_at: Utc::now(),
    };
    let key = format!(
        "{}:{}",
        cfg.name,
        rejection.native_id.as_deref().unwrap_or("")
    );
    fitting_dead_letter(encoder, cfg, topics, key, letter, limits)
}

/// A record too large to publish: its key and protected raw form, and the limit.
struct Oversized<'a> {
    key: &'a str,
    native_id: Option<&'a str>,
    over: &'a Oversize,
    protected_raw: &'a str,
}

/// The `too_large` dead letter of a record over its topic's or the producer's limit.
fn too_large_message(
    encoder: &mut DeadLetters<'_>,
    cfg: &SourceConfig,
    topics: &Topics,
    record: &Oversized<'_>,
    page: u64,
    limits: &SizeLimits,
) -> Result<Message, SyncError> {
    let Oversize { bytes, limit, by } = record.over;
    let message = format!(
        "record {} is {bytes} bytes as a Kafka message, over the {limit}-byte limit ({by}); it is not published: raise the limit, or shorten the record upstream",
        record.key
    );
    tracing::warn!(source = %cfg.name, page, key = record.key, bytes, limit, by = %by, "record too large for its topic; published to the dead-letter topic instead");
    let letter = DeadLetter {
        source: cfg.name.clone(),
        family: cfg.family().name().to_owned(),
        native_id: record.native_id.map(str::to_owned),
        field: None,
        reason: TOO_LARGE.to_owned(),
        message,
        page: Some(page),
        raw_record: Some(record.protected_raw.to_owned()),
        observed_at: Utc::now(),
    };
    let key = format!("{}:{}", cfg.name, record.native_id.unwrap_or(""));
    fitting_dead_letter(encoder, cfg, topics, key, letter, limits)
}

/// The dead-letter message of `letter`, its raw record cut short (at a character
/// boundary, saying how much was kept) when the whole would exceed the topic's limit.
fn fitting_dead_letter(
    encoder: &mut DeadLetters<'_>,
    cfg: &SourceConfig,
    topics: &Topics,
    key: String,
    mut letter: DeadLetter,
    limits: &SizeLimits,
) -> Result<Message, SyncError> {
    let mut message = Message {
        topic: topics.dead_letters(),
        key,
        value: encoder.encode(cfg, &letter)?,
        schema: DEAD_LETTER_SCHEMA_NAME,
    };
    let limit = limits.limit(&message.topic);
    let excess = SizeLimits::size(&message).saturating_sub(limit);
    if excess > 0 && letter.cut_raw_record(excess) {
        message.value = encoder.encode(cfg, &letter)?;
    }
    Ok(message)
}

/// The dead-letter message for an input the source refused as a whole. Its origin (a
/// file name) and message (quoting cells) are the upstream's text: both are redacted
/// here, whatever reason the source refused it for.
fn rejected_input_message(
    encoder: &mut DeadLetters<'_>,
    cfg: &SourceConfig,
    topics: &Topics,
    protector: &Protector,
    input: &RejectedInput,
    page: u64,
) -> Result<Message, SyncError> {
    let origin = protector.redact_text(&input.origin);
    let letter = DeadLetter {
        source: cfg.name.clone(),
        family: cfg.family().name().to_owned(),
        native_id: None,
        field: None,
        reason: input.reason.to_owned(),
        message: format!("{origin}: {}", protector.redact_text(&input.message)),
        page: Some(page),
        raw_record: None,
        observed_at: Utc::now(),
    };
    Ok(Message {
        topic: topics.dead_letters(),
        key: format!("{}:{origin}", cfg.name),
        value: encoder.encode(cfg, &letter)?,
        schema: DEAD_LETTER_SCHEMA_NAME,
    })
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
