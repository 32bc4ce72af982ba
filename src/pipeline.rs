//! One sync cycle of one source: pull pages after the checkpoint, normalise each record,
//! encode, and publish each page with its checkpoint in one Kafka transaction.
//!
//! The next page is fetched while the current one is published (the source's page task
//! runs ahead by `prefetch_pages`). A page's records that sit at or before the committed
//! position are skipped: the `updated since` parameter is inclusive, and records sharing
//! the cursor's second are told apart by native id.

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::avro::{self, DeadLetter, EncodeError, Encoder};
use crate::config::{SourceConfig, SourceKind};
use crate::normalize::{self, transaction, Position, Rejection};
use crate::sink::kafka::{Checkpoint, Message, PublishError, SourceProducer, Topics};
use crate::source::http_json::{HttpJsonSource, PullError};
use crate::source::Page;

const TRANSACTION_SCHEMA_NAME: &str = "cn.ruralsync.v1.PropertyRightsTransaction";
const DEAD_LETTER_SCHEMA_NAME: &str = "cn.ruralsync.v1.DeadLetter";

/// Why a cycle stopped early. Pages committed before the failure stay committed; the
/// next cycle starts after them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error(transparent)]
    Pull(#[from] PullError),
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
    /// Records at or before the committed position, already published by an earlier cycle.
    pub already_published: u64,
    /// Position after the cycle.
    pub position: Option<Position>,
}

/// A source ready to sync: its puller, producer, encoders and committed checkpoint.
pub struct SourceRunner {
    config: SourceConfig,
    source: HttpJsonSource,
    producer: SourceProducer,
    topics: Topics,
    checkpoint: Checkpoint,
    records: Encoder,
    dead_letters: Encoder,
}

impl SourceRunner {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        config: SourceConfig,
        producer: SourceProducer,
        topics: Topics,
        checkpoint: Checkpoint,
    ) -> Result<SourceRunner, reqwest::Error> {
        let source = match &config.kind {
            SourceKind::HttpJson(http) => HttpJsonSource::new(&config.name, http.clone())?,
        };
        Ok(SourceRunner {
            config,
            source,
            producer,
            topics,
            checkpoint,
            records: Encoder::transactions(),
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
        let http = self.source.config();
        let since = self.checkpoint.position.as_ref().map(|p| {
            p.updated_at
                .with_timezone(&self.config.timezone)
                .format(&http.since_format)
                .to_string()
        });
        tracing::info!(source = %self.config.name, since = since.as_deref().unwrap_or("(start)"), "sync started");
        let page_stop = stop.child_token();
        let (mut pages, task) = self.source.spawn_pages(since, page_stop.clone());
        let mut report = CycleReport {
            position: self.checkpoint.position.clone(),
            ..CycleReport::default()
        };
        let result = async {
            while let Some(page) = pages.recv().await {
                self.publish_page(page?, &mut report).await?;
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
        match &result {
            Ok(()) => tracing::info!(
                source = %self.config.name,
                pages = report.pages,
                fetched = report.fetched,
                published = report.published,
                dead_letters = report.dead_letters,
                already_published = report.already_published,
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
    ) -> Result<(), SyncError> {
        let SourceRunner {
            config: cfg,
            source,
            topics,
            records,
            dead_letters,
            ..
        } = self;
        let time_format = &source.config().since_format;
        let committed = self.checkpoint.position.clone();
        let mut position = committed.clone();
        let mut messages = Vec::with_capacity(page.records.len());
        let (mut published, mut dead) = (0, 0);
        report.fetched += page.records.len() as u64;
        for record in &page.records {
            let at = transaction::position(record, &cfg.fields, cfg.timezone, time_format);
            if let (Some(at), Some(done)) = (&at, &committed) {
                if at <= done {
                    report.already_published += 1;
                    continue;
                }
            }
            let message = match normalize::normalise_transaction(
                &cfg.name,
                record,
                &cfg.fields,
                cfg.timezone,
                time_format,
            ) {
                Ok(t) => {
                    published += 1;
                    Message {
                        topic: topics.records(cfg.family),
                        key: t.key.clone(),
                        value: records
                            .encode(&avro::transaction_value(&t))
                            .map_err(|error| SyncError::Encode {
                                source_name: cfg.name.clone(),
                                error,
                            })?,
                        schema: TRANSACTION_SCHEMA_NAME,
                    }
                }
                Err(rejection) => {
                    dead += 1;
                    dead_letter_message(dead_letters, cfg, topics, &rejection, page.number)?
                }
            };
            messages.push(message);
            if at > position {
                position = at;
            }
        }
        if messages.is_empty() && position == committed {
            return Ok(());
        }
        let next = Checkpoint {
            version: 1,
            source: cfg.name.clone(),
            position: position.clone(),
            published_total: self.checkpoint.published_total + published,
            dead_letters_total: self.checkpoint.dead_letters_total + dead,
            committed_at: Utc::now(),
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
        self.producer
            .publish_transaction(&messages, &checkpoint_message)
            .await?;
        if dead > 0 {
            tracing::warn!(source = %cfg.name, page = page.number, dead_letters = dead, topic = %topics.dead_letters(), "records failed normalisation and went to the dead-letter topic");
        }
        tracing::debug!(source = %cfg.name, page = page.number, published, dead_letters = dead, "page committed");
        self.checkpoint = next;
        report.pages += 1;
        report.published += published;
        report.dead_letters += dead;
        report.position = position;
        Ok(())
    }
}

/// The dead-letter message for a rejected record.
fn dead_letter_message(
    encoder: &mut Encoder,
    cfg: &SourceConfig,
    topics: &Topics,
    rejection: &Rejection,
    page: u64,
) -> Result<Message, SyncError> {
    {
        let value = avro::dead_letter_value(&DeadLetter {
            source: &cfg.name,
            family: cfg.family.config_name(),
            native_id: rejection.native_id.as_deref(),
            field: rejection.field.as_deref(),
            reason: rejection.reason.code(),
            message: &rejection.message,
            page: Some(page),
            observed_at: Utc::now(),
        });
        tracing::debug!(source = %cfg.name, page, native_id = ?rejection.native_id, field = ?rejection.field, reason = rejection.reason.code(), message = %rejection.message, "record rejected");
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
}
