//! One sync cycle of one source: pull pages after the checkpoint, normalise each record,
//! encode, and publish each page with its checkpoint in one Kafka transaction.
//!
//! The next page is fetched while the current one is published (the source's page task
//! runs ahead by `prefetch_pages`). A page's records that sit at or before the committed
//! position are skipped: the `updated since` parameter is inclusive, and records sharing
//! the cursor's second are told apart by native id.

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::avro::{self, family_schema, DeadLetter, EncodeError, Encoder};
use crate::backoff::Backoff;
use crate::config::{KafkaConfig, SourceConfig};
use crate::fingerprint::{content_fingerprint, dead_letter_fingerprint, Fingerprints};
use crate::normalize::vocab::{Category, LifecycleStatus, TradeMethod, TransferType};
use crate::normalize::{Canonical, Position, Rejection};
use crate::normalize::{Transaction, TransactionValues};
use crate::protect::Protector;
use crate::sink::kafka::{
    self, Checkpoint, Message, PublishError, Recovery, SourceProducer, Topics,
};
use crate::source::{Page, PositionOf, RejectedInput, Resume, Source, SourceError};

const DEAD_LETTER_SCHEMA_NAME: &str = "cn.ruralsync.v1.DeadLetter";
const FINGERPRINT_SCHEMA_NAME: &str = "ruralsync.Fingerprint.u64be";
/// Marker (2 bytes) and schema fingerprint (8 bytes) before a single-object datum.
const SINGLE_OBJECT_HEADER: usize = 10;

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
    pub unknown_values: UnknownValues,
    /// Position after the cycle.
    pub position: Option<Position>,
}

/// Platform words published as `OTHER`, by field, with a few examples for the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownValues {
    pub by_field:
        std::collections::BTreeMap<&'static str, (u64, std::collections::BTreeSet<String>)>,
}

impl UnknownValues {
    const EXAMPLES: usize = 5;

    pub fn total(&self) -> u64 {
        self.by_field.values().map(|(n, _)| n).sum()
    }

    fn note(&mut self, field: &'static str, word: &str) {
        let (n, examples) = self.by_field.entry(field).or_default();
        *n += 1;
        if examples.len() < Self::EXAMPLES {
            examples.insert(word.to_owned());
        }
    }

    /// Note the words of `t` that neither the source's value maps nor the built-in
    /// vocabularies know.
    fn count(&mut self, t: &Transaction, values: &TransactionValues) {
        let unknown =
            |word: &str, mapped: bool, builtin: fn(&str) -> bool| !mapped && !builtin(word);
        if unknown(
            &t.category_raw,
            values.category.contains(&t.category_raw),
            Category::knows,
        ) {
            self.note("category", &t.category_raw);
        }
        if let Some(w) = t
            .method_raw
            .as_deref()
            .filter(|w| unknown(w, values.method.contains(w), TradeMethod::knows))
        {
            self.note("method", w);
        }
        if let Some(w) = t
            .transfer_type_raw
            .as_deref()
            .filter(|w| unknown(w, values.transfer_type.contains(w), TransferType::knows))
        {
            self.note("transfer_type", w);
        }
        if unknown(
            &t.status_raw,
            values.status.contains(&t.status_raw),
            LifecycleStatus::knows,
        ) {
            self.note("status", &t.status_raw);
        }
    }
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
    records: Encoder,
    dead_letters: Encoder,
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
        let family = config.family;
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
            records: Encoder::for_family(family),
            dead_letters: Encoder::dead_letters(),
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
    /// [`SyncError`] for the first pull, encode or publish failure.
    pub async fn sync(&mut self, stop: &CancellationToken) -> Result<CycleReport, SyncError> {
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
            let fields = self.config.fields.clone();
            let tz = self.config.timezone;
            let format = self.source.time_format().to_owned();
            std::sync::Arc::new(move |record| fields.position(record, tz, &format))
        };
        let page_stop = stop.child_token();
        let (mut pages, task) = self
            .source
            .spawn_pages(resume, position_of, page_stop.clone());
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
                self.publish_page(page?, &mut report, stop).await?;
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
        let _ = task.await;
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

    async fn publish_page(
        &mut self,
        page: Page,
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
            ..
        } = self;
        let time_format = source.time_format();
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
                .then(|| cfg.fields.position(record, cfg.timezone, time_format))
                .flatten();
            if let (Some(at), Some(done)) = (&early, &skip_through) {
                if at <= done {
                    report.already_published += 1;
                    continue;
                }
            }
            let normalised =
                cfg.fields
                    .normalise(&cfg.name, record, cfg.timezone, time_format, protector);
            let at = match (&normalised, check_skip) {
                (_, true) => early,
                (
                    Ok(Canonical {
                        position: Some(p), ..
                    }),
                    false,
                ) => Some(p.clone()),
                _ => cfg.fields.position(record, cfg.timezone, time_format),
            };
            if at > position {
                position = at;
            }
            let canonical = match normalised {
                Ok(c) => c,
                Err(rejection) => {
                    let raw = cfg.fields.protected_raw(record, protector);
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
                        dead_letters,
                        cfg,
                        topics,
                        protector,
                        &rejection,
                        &raw,
                        page.number,
                        page.locations.get(index).map(String::as_str),
                    )?);
                    continue;
                }
            };
            if let (Some(t), Some(values)) =
                (&canonical.transaction, cfg.fields.transaction_values())
            {
                report.unknown_values.count(t, values);
            }
            let value = records
                .encode(&canonical.value)
                .map_err(|error| SyncError::Encode {
                    source_name: cfg.name.clone(),
                    error,
                })?;
            let fingerprint = content_fingerprint(
                &value[SINGLE_OBJECT_HEADER..],
                canonical.source_updated_at.timestamp_millis(),
            );
            if fingerprints.is_unchanged(&canonical.key, fingerprint) {
                report.unchanged += 1;
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
            messages.push(Message {
                topic: topics.records(cfg.family),
                key: canonical.key,
                value,
                schema: family_schema(cfg.family).1,
            });
        }
        for input in &page.rejected {
            dead += 1;
            *page_reasons.entry(input.reason).or_insert(0) += 1;
            messages.push(rejected_input_message(
                dead_letters,
                cfg,
                topics,
                protector,
                input,
                page.number,
            )?);
        }
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

/// The dead-letter message for a rejected record, found at `location` when the source
/// says more than the page number.
#[allow(clippy::too_many_arguments)]
fn dead_letter_message(
    encoder: &mut Encoder,
    cfg: &SourceConfig,
    topics: &Topics,
    protector: &Protector,
    rejection: &Rejection,
    protected_raw: &str,
    page: u64,
    location: Option<&str>,
) -> Result<Message, SyncError> {
    // Messages quote values; a value may be personal (a malformed phone, an ID number).
    let message = protector.redact_text(&rejection.message);
    let message = match location {
        Some(location) => format!("{location}: {message}"),
        None => message,
    };
    let value = avro::dead_letter_value(&DeadLetter {
        source: &cfg.name,
        family: cfg.family.config_name(),
        native_id: rejection.native_id.as_deref(),
        field: rejection.field.as_deref(),
        reason: rejection.reason.code(),
        message: &message,
        page: Some(page),
        raw_record: Some(protected_raw),
        observed_at: Utc::now(),
    });
    tracing::debug!(source = %cfg.name, page, native_id = ?rejection.native_id, field = ?rejection.field, reason = rejection.reason.code(), %message, "record rejected");
    Ok(Message {
        topic: topics.dead_letters(),
        key: format!(
            "{}:{}",
            cfg.name,
            rejection.native_id.as_deref().unwrap_or("")
        ),
        value: encoder.encode(&value).map_err(|error| SyncError::Encode {
            source_name: cfg.name.clone(),
            error,
        })?,
        schema: DEAD_LETTER_SCHEMA_NAME,
    })
}

/// The dead-letter message for an input the source refused as a whole. Its origin (a
/// file name) and message (quoting cells) are the upstream's text: both are redacted
/// here, whatever reason the source refused it for.
fn rejected_input_message(
    encoder: &mut Encoder,
    cfg: &SourceConfig,
    topics: &Topics,
    protector: &Protector,
    input: &RejectedInput,
    page: u64,
) -> Result<Message, SyncError> {
    let origin = protector.redact_text(&input.origin);
    let value = avro::dead_letter_value(&DeadLetter {
        source: &cfg.name,
        family: cfg.family.config_name(),
        native_id: None,
        field: None,
        reason: input.reason,
        message: &format!("{origin}: {}", protector.redact_text(&input.message)),
        page: Some(page),
        raw_record: None,
        observed_at: Utc::now(),
    });
    Ok(Message {
        topic: topics.dead_letters(),
        key: format!("{}:{origin}", cfg.name),
        value: encoder.encode(&value).map_err(|error| SyncError::Encode {
            source_name: cfg.name.clone(),
            error,
        })?,
        schema: DEAD_LETTER_SCHEMA_NAME,
    })
}
