//! Deciding what publishing a page means, as plain data: the pure first step of
//! publishing a page (then [`super::commit`], then the runner applies the outcome).
//!
//! [`plan`] takes the page and an immutable view of what it needs ([`PlanInput`]: the
//! source's family binding, the protector, topic names, size limits, the committed
//! checkpoint, a fingerprint lookup and the time) and returns a [`Plan`]: the messages of
//! every topic in transaction order, the fingerprint changes to apply once committed, the
//! page's counts and unknown words, and the next checkpoint — or none, when the page
//! changes nothing and needs no transaction. It reads no clock, writes no log and does no
//! I/O, so it can run on any thread and every rule is unit-tested without a broker.
//!
//! The rules, record by record:
//! - **Skip window.** A record at or before the committed position less the lag window
//!   was published by an earlier cycle (incremental sources): skipped.
//! - **Unchanged.** A record whose content fingerprint is the one last published is not
//!   published again.
//! - **Dead letters.** A record that does not normalise is dead-lettered with its
//!   reason, once: read again exactly as it was, it is not dead-lettered again.
//! - **Too large.** A record over its topic's or the producer's size limit is
//!   dead-lettered (`too_large`) instead of failing the page's transaction.
//! - **Mended.** A published record whose dead letter is remembered forgets it, so a
//!   relapse is dead-lettered again.
//! - **Refused inputs** (a malformed file) are dead-lettered whole.
//! - **Checkpoint.** The next position is the furthest record read (dead letters
//!   included), protected; the source's resume state (a file manifest) rides along.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::avro::{DatumWriter, DeadLetter, EncodeError, Framing, DEAD_LETTER};
use crate::family::{Binding, Context, Normalised, Normaliser, Outcome, UnknownWords};
use crate::fingerprint::{content_fingerprint, dead_letter_fingerprint, FingerprintLookup};
use crate::normalize::{Position, Rejection};
use crate::protect::Protector;
use crate::sink::kafka::{Checkpoint, Message, Oversize, SizeLimits, Topics};
use crate::source::{LagWindow, Page, RejectedInput};

/// Header naming the schema of a fingerprint message's value.
const FINGERPRINT_SCHEMA_NAME: &str = "ruralsync.Fingerprint.u64be";
/// Header naming the checkpoint message's format.
const CHECKPOINT_SCHEMA_NAME: &str = "ruralsync.Checkpoint.json";
/// Dead-letter reason of a record larger than its topic or the producer accepts.
pub const TOO_LARGE: &str = "too_large";
/// Suffix of the fingerprint key remembering a record's dead letter.
const DEAD_LETTER_SUFFIX: &str = "#dead_letter";

/// What planning a page needs, all of it read-only.
pub struct PlanInput<'a> {
    /// The source's configured name.
    pub source: &'a str,
    /// The source's record family and field mapping.
    pub binding: &'a Binding,
    pub timezone: Tz,
    /// The chrono format of the source's update times.
    pub time_format: &'a str,
    /// How far an incremental pull reaches back before the committed position; `None`
    /// when pulls are not incremental (nothing is skipped).
    pub window: Option<LagWindow>,
    pub protector: &'a Protector,
    pub topics: &'a Topics,
    pub limits: &'a SizeLimits,
    /// How record and dead-letter datums are framed as messages.
    pub records: &'a Framing,
    pub dead_letters: &'a Framing,
    /// The source's committed checkpoint.
    pub committed: &'a Checkpoint,
    /// The fingerprints committed with it.
    pub fingerprints: &'a dyn FingerprintLookup,
    /// The source's resume state after this page, as the checkpoint may hold it.
    pub state: Option<Value>,
    /// The time dead letters are observed and the checkpoint committed at.
    pub now: DateTime<Utc>,
}

/// What publishing one page means.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Records, dead letters and fingerprints, in transaction order.
    pub messages: Vec<Message>,
    /// The next checkpoint and its message; `None` when the page changes nothing, so
    /// no transaction is needed.
    pub commit: Option<(Checkpoint, Message)>,
    /// Fingerprint changes to apply once committed: stored, or forgotten (`None`).
    pub staged: Vec<(String, Option<u64>)>,
    pub counts: PageCounts,
    /// Vocabulary words nothing maps, published as OTHER.
    pub unknown: UnknownWords,
    /// The furthest position read, as the upstream writes it (the checkpoint holds it
    /// protected).
    pub position: Option<Position>,
    /// What deserves a line in the log once the plan is made.
    pub notes: Vec<Note>,
}

/// What one page did, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageCounts {
    /// Records received from the source.
    pub fetched: u64,
    /// Records published to the family's topic.
    pub published: u64,
    /// Records and refused inputs published to the dead-letter topic.
    pub dead_letters: u64,
    /// The same, by reason code.
    pub dead_letters_by_reason: BTreeMap<&'static str, u64>,
    /// Records at or before the committed position, published by an earlier cycle.
    pub already_published: u64,
    /// Records read again whose content had not changed: not republished.
    pub unchanged: u64,
    /// Bad records read again exactly as they were dead-lettered: not again.
    pub unchanged_dead_letters: u64,
}

/// A planned event for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A record was rejected (its message already redacted).
    Rejected {
        native_id: Option<String>,
        field: Option<String>,
        reason: &'static str,
        message: String,
    },
    /// A record was too large to publish.
    TooLarge { key: String, over: Oversize },
}

/// Why a page could not be planned: a defect, never bad input.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("checkpoint cannot be serialised: {0}")]
    Checkpoint(#[from] serde_json::Error),
}

/// Plan the publishing of `page`.
///
/// # Errors
/// [`PlanError`] when a datum does not fit its schema or the checkpoint cannot be
/// serialised (defects).
pub fn plan(page: &Page, input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    let mut planner = Planner::new(input, page);
    for (index, raw) in page.records.iter().enumerate() {
        let location = page.locations.get(index).map(String::as_str);
        planner.record(raw, location)?;
    }
    for refused in &page.rejected {
        planner.refused(refused)?;
    }
    planner.finish(page)
}

/// A plan in the making.
struct Planner<'a> {
    input: &'a PlanInput<'a>,
    page: u64,
    /// Records at or before this were published by an earlier cycle.
    skip_through: Option<Position>,
    normaliser: Normaliser<'a>,
    dead_letter_writer: DatumWriter,
    position: Option<Position>,
    plan: Plan,
}

impl<'a> Planner<'a> {
    fn new(input: &'a PlanInput<'a>, page: &Page) -> Planner<'a> {
        let committed = input.committed.position.clone();
        Planner {
            page: page.number,
            skip_through: input
                .window
                .zip(committed.clone())
                .map(|(w, p)| w.reach_back(p)),
            normaliser: input.binding.normaliser(Context {
                source: input.source,
                timezone: input.timezone,
                time_format: input.time_format,
                protector: input.protector,
            }),
            dead_letter_writer: DatumWriter::new(&DEAD_LETTER),
            position: committed,
            plan: Plan {
                messages: Vec::with_capacity(page.records.len() * 2),
                commit: None,
                staged: Vec::with_capacity(page.records.len()),
                counts: PageCounts {
                    fetched: page.records.len() as u64,
                    ..PageCounts::default()
                },
                unknown: UnknownWords::default(),
                position: None,
                notes: Vec::new(),
            },
            input,
        }
    }

    fn position_of(&self, raw: &Value) -> Option<Position> {
        let i = self.input;
        i.binding.position(raw, i.timezone, i.time_format)
    }

    /// One upstream record: skipped, dead-lettered, unchanged or published.
    fn record(&mut self, raw: &Value, location: Option<&str>) -> Result<(), PlanError> {
        // The skip check needs the position before normalising; otherwise take it from
        // the normalised record rather than parse the update time twice.
        let early = (self.skip_through.as_ref()).and_then(|_| self.position_of(raw));
        if let (Some(at), Some(done)) = (&early, &self.skip_through) {
            if at <= done {
                self.plan.counts.already_published += 1;
                return Ok(());
            }
        }
        let mut message = self.input.records.start(512);
        let outcome = self.normaliser.normalise(raw, &mut message)?;
        let at = match (&outcome, self.skip_through.is_some()) {
            (_, true) => early,
            (Outcome::Normalised(n), false) => Some(n.position.clone()),
            _ => self.position_of(raw),
        };
        if at > self.position {
            self.position = at;
        }
        match outcome {
            Outcome::Normalised(n) => self.normalised(raw, n, message),
            Outcome::Rejected(rejection) => self.rejected(raw, &rejection, location),
        }
    }

    /// A normalised record: unchanged, too large, or published with its fingerprint.
    fn normalised(&mut self, raw: &Value, n: Normalised, value: Vec<u8>) -> Result<(), PlanError> {
        let i = self.input;
        let datum = i.records.datum(&value);
        let fingerprint = content_fingerprint(datum, n.updated_at.timestamp_millis());
        if i.fingerprints.is_unchanged(&n.key, fingerprint) {
            self.plan.counts.unchanged += 1;
            return Ok(());
        }
        let family = i.binding.family();
        let message = Message {
            topic: i.topics.records(family),
            key: n.key.clone(),
            value,
            schema: family.schema_name(),
        };
        if let Err(over) = i.limits.check(&message) {
            // Publishing it would fail the page's transaction every time: it goes to the
            // dead-letter topic instead, and the rest of the page is published.
            return self.too_large(raw, &n.key, over);
        }
        self.plan.counts.published += 1;
        // A record mended upstream: forget its dead letter, so that a relapse is
        // dead-lettered again.
        let mended = format!("{}{DEAD_LETTER_SUFFIX}", n.key);
        if i.fingerprints.contains(&mended) {
            self.stage(mended, None);
        }
        self.stage(n.key, Some(fingerprint));
        self.plan.messages.push(message);
        Ok(())
    }

    /// A record that did not normalise: dead-lettered, unless it was already, as it is.
    fn rejected(
        &mut self,
        raw: &Value,
        rejection: &Rejection,
        location: Option<&str>,
    ) -> Result<(), PlanError> {
        let i = self.input;
        let protected_raw = i.binding.protected_raw(raw, i.protector);
        let reason = rejection.reason.code();
        if !self.remember_dead_letter(rejection.native_id.as_deref(), reason, &protected_raw) {
            return Ok(());
        }
        // Messages quote values; a value may be personal (a malformed phone, an ID number).
        let message = i.protector.redact_text(&rejection.message);
        let message = match location {
            Some(location) => format!("{location}: {message}"),
            None => message,
        };
        self.plan.notes.push(Note::Rejected {
            native_id: rejection.native_id.clone(),
            field: rejection.field.clone(),
            reason,
            message: message.clone(),
        });
        let letter = DeadLetter {
            field: rejection.field.clone(),
            raw_record: Some(protected_raw),
            ..self.dead_letter(rejection.native_id.clone(), reason, message)
        };
        self.push_dead_letter(letter)
    }

    /// A record too large for its topic: dead-lettered (`too_large`), once.
    fn too_large(&mut self, raw: &Value, key: &str, over: Oversize) -> Result<(), PlanError> {
        let i = self.input;
        let protected_raw = i.binding.protected_raw(raw, i.protector);
        let native_id = key.strip_prefix(&format!("{}:", i.source));
        if !self.remember_dead_letter(native_id, TOO_LARGE, &protected_raw) {
            return Ok(());
        }
        let Oversize { bytes, limit, by } = &over;
        let message = format!(
            "record {key} is {bytes} bytes as a Kafka message, over the {limit}-byte limit ({by}); it is not published: raise the limit, or shorten the record upstream"
        );
        let letter = DeadLetter {
            raw_record: Some(protected_raw),
            ..self.dead_letter(native_id.map(str::to_owned), TOO_LARGE, message)
        };
        self.plan.notes.push(Note::TooLarge {
            key: key.to_owned(),
            over,
        });
        self.push_dead_letter(letter)
    }

    /// An input the source refused whole. Its origin (a file name) and message (quoting
    /// cells) are the upstream's text: both are redacted here, whatever the reason.
    fn refused(&mut self, input: &RejectedInput) -> Result<(), PlanError> {
        let protector = self.input.protector;
        let origin = protector.redact_text(&input.origin);
        let message = format!("{origin}: {}", protector.redact_text(&input.message));
        let letter = self.dead_letter(None, input.reason, message);
        self.count_dead_letter(input.reason);
        let value = self.encode_dead_letter(&letter)?;
        self.plan.messages.push(Message {
            topic: self.input.topics.dead_letters(),
            key: format!("{}:{origin}", self.input.source),
            value,
            schema: &DEAD_LETTER.full_name,
        });
        Ok(())
    }

    /// Stage the fingerprint of a dead letter about to be published; `false` when the
    /// same dead letter was published already (then nothing is).
    fn remember_dead_letter(
        &mut self,
        native_id: Option<&str>,
        reason: &'static str,
        protected_raw: &str,
    ) -> bool {
        let seen = dead_letter_key(self.input.source, native_id, protected_raw);
        let fingerprint = dead_letter_fingerprint(reason, protected_raw);
        if self.input.fingerprints.is_unchanged(&seen, fingerprint) {
            self.plan.counts.unchanged_dead_letters += 1;
            return false;
        }
        self.count_dead_letter(reason);
        self.stage(seen, Some(fingerprint));
        true
    }

    fn count_dead_letter(&mut self, reason: &'static str) {
        let counts = &mut self.plan.counts;
        counts.dead_letters += 1;
        *counts.dead_letters_by_reason.entry(reason).or_insert(0) += 1;
    }

    /// A fingerprint change, staged and written to the fingerprint topic (an empty value
    /// forgets the key).
    fn stage(&mut self, key: String, fingerprint: Option<u64>) {
        self.plan.messages.push(Message {
            topic: self.input.topics.fingerprints(),
            key: key.clone(),
            value: fingerprint.map_or_else(Vec::new, |f| f.to_be_bytes().to_vec()),
            schema: FINGERPRINT_SCHEMA_NAME,
        });
        self.plan.staged.push((key, fingerprint));
    }

    /// A dead letter of this page, without field or raw record.
    fn dead_letter(&self, native_id: Option<String>, reason: &str, message: String) -> DeadLetter {
        DeadLetter {
            source: self.input.source.to_owned(),
            family: self.input.binding.family().name().to_owned(),
            native_id,
            field: None,
            reason: reason.to_owned(),
            message,
            page: Some(self.page),
            raw_record: None,
            observed_at: self.input.now,
        }
    }

    fn encode_dead_letter(&mut self, letter: &DeadLetter) -> Result<Vec<u8>, PlanError> {
        let mut value = self.input.dead_letters.start(512);
        letter.encode(&mut self.dead_letter_writer, &mut value)?;
        Ok(value)
    }

    /// Publish a record's dead letter, its raw record cut short (at a character boundary,
    /// saying how much was kept) when the whole would exceed the topic's limit.
    fn push_dead_letter(&mut self, mut letter: DeadLetter) -> Result<(), PlanError> {
        let i = self.input;
        let key = format!("{}:{}", i.source, letter.native_id.as_deref().unwrap_or(""));
        let mut message = Message {
            topic: i.topics.dead_letters(),
            key,
            value: self.encode_dead_letter(&letter)?,
            schema: &DEAD_LETTER.full_name,
        };
        let excess = SizeLimits::size(&message).saturating_sub(i.limits.limit(&message.topic));
        if excess > 0 && letter.cut_raw_record(excess) {
            message.value = self.encode_dead_letter(&letter)?;
        }
        self.plan.messages.push(message);
        Ok(())
    }

    /// The plan, with the next checkpoint unless the page changes nothing.
    fn finish(mut self, page: &Page) -> Result<Plan, PlanError> {
        let i = self.input;
        let committed = i.committed;
        // The checkpoint is a topic too: what it says passes the redactor.
        let next_position = (self.position.clone()).map(|p| checkpoint_position(p, i.protector));
        let changes_nothing = self.plan.messages.is_empty()
            && next_position == committed.position
            && i.state == committed.state
            && page.on_commit.is_empty();
        self.plan.unknown = std::mem::take(&mut self.normaliser.unknown);
        self.plan.position = self.position;
        if changes_nothing {
            return Ok(self.plan);
        }
        let counts = &self.plan.counts;
        let next = Checkpoint {
            version: 1,
            source: i.source.to_owned(),
            position: next_position,
            published_total: committed.published_total + counts.published,
            dead_letters_total: committed.dead_letters_total + counts.dead_letters,
            committed_at: i.now,
            state: i.state.clone(),
        };
        let message = Message {
            topic: i.topics.checkpoints(),
            key: i.source.to_owned(),
            value: serde_json::to_vec(&next)?,
            schema: CHECKPOINT_SCHEMA_NAME,
        };
        self.plan.commit = Some((next, message));
        Ok(self.plan)
    }
}

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

#[cfg(test)]
mod tests;
