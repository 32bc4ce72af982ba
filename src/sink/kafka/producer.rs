//! One transactional producer per source.
//!
//! The transactional id is `<transactional_id_prefix>-<source>`: a second process
//! publishing the same source fences the first, and a restarted process aborts whatever
//! transaction its predecessor left open.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;
use rdkafka::Message as _;

use super::client::{client_config, create};
use super::error::{classify, FailedMessage};
use super::limits::{SizeLimits, HEADER_KEY};
use super::{KafkaOp, PublishError, Recovery};
use crate::config::KafkaConfig;

/// A message ready to send: topic, key, value and a schema header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub key: String,
    pub value: Vec<u8>,
    /// Full name of the value's Avro schema, sent as header `ruralsync.schema`.
    pub schema: &'static str,
}

/// Routes librdkafka's own error reports (broker down, connection refused …) to the log
/// at WARN with the source named. During an outage librdkafka reports every reconnect
/// attempt of every connection; one line per kind of error every
/// [`REPEAT_REPORT_AFTER`], with the number held back, says the same at 3 a.m.
struct SourceContext {
    source: String,
    last_reported: Mutex<HashMap<String, (Instant, u64)>>,
    /// The brokers refused the credentials since the last committed transaction.
    /// librdkafka only reports it here; the transaction calls merely time out, so this
    /// is the cause [`classify`] is given for their failure.
    refused: Refused,
}

/// Shared between a producer's context and the [`SourceProducer`] reading it.
type Refused = Arc<Mutex<Option<RDKafkaErrorCode>>>;

/// Codes of a refusal of the credentials, as the error callback reports them.
const CREDENTIALS_REFUSED: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::Authentication,
    RDKafkaErrorCode::SaslAuthenticationFailed,
];

const REPEAT_REPORT_AFTER: Duration = Duration::from_secs(30);

impl ClientContext for SourceContext {
    fn error(&self, error: KafkaError, reason: &str) {
        if let Some(code) = error
            .rdkafka_error_code()
            .filter(|c| CREDENTIALS_REFUSED.contains(c))
        {
            *lock(&self.refused) = Some(code);
        }
        let kind = format!("{:?}", error.rdkafka_error_code());
        let mut last = lock(&self.last_reported);
        let now = Instant::now();
        match last.get_mut(&kind) {
            Some((at, held_back)) if now.duration_since(*at) < REPEAT_REPORT_AFTER => {
                *held_back += 1
            }
            entry => {
                let held_back = entry.map_or(0, |(_, n)| *n);
                last.insert(kind, (now, 0));
                tracing::warn!(source = %self.source, %error, reason, similar_since_last_report = held_back, "Kafka client reports a problem");
            }
        }
    }
}

/// The transactional producer of one source.
pub struct SourceProducer {
    source: String,
    config: KafkaConfig,
    settings: ClientConfig,
    producer: Arc<FutureProducer<SourceContext>>,
    timeout: Duration,
    limits: SizeLimits,
    /// The credentials refused (see [`SourceContext`]).
    refused: Refused,
}

impl SourceProducer {
    /// Create the producer and initialise transactions (fencing any older producer with
    /// the same transactional id and settling its open transaction). Messages are
    /// checked against the producer's own size limit only; see
    /// [`SourceProducer::connect_with`].
    ///
    /// # Errors
    /// As [`SourceProducer::connect_with`].
    pub async fn connect(
        config: &KafkaConfig,
        source: &str,
    ) -> Result<SourceProducer, PublishError> {
        SourceProducer::connect_with(config, source, SizeLimits::for_producer(config)).await
    }

    /// [`SourceProducer::connect`] with the topics' size limits: messages are checked
    /// against them before a transaction begins, and batches kept within them.
    ///
    /// # Errors
    /// [`PublishError::Settings`] when the settings cannot be used;
    /// [`PublishError::Kafka`] when the broker does not answer within the transaction
    /// timeout.
    pub async fn connect_with(
        config: &KafkaConfig,
        source: &str,
        limits: SizeLimits,
    ) -> Result<SourceProducer, PublishError> {
        let settings = producer_settings(config, source, &limits)?;
        let refused = Refused::default();
        let producer = create(&settings, context(source, &refused))?;
        let this = SourceProducer {
            source: source.to_owned(),
            config: config.clone(),
            settings,
            producer: Arc::new(producer),
            timeout: config.transaction_timeout,
            limits,
            refused,
        };
        this.blocking(KafkaOp::InitTransactions, |p, t| p.init_transactions(t))
            .await?;
        Ok(this)
    }

    /// The size limits messages are checked against.
    pub fn limits(&self) -> &SizeLimits {
        &self.limits
    }

    /// Read `topic`'s size limit again after the broker refused a message that the
    /// limits read at start let through; when the batch size must shrink, the producer
    /// is replaced. Returns whether anything changed (if not, publishing again would
    /// fail the same way).
    ///
    /// # Errors
    /// As [`SizeLimits::refresh`] and [`SourceProducer::reconnect`].
    pub async fn refresh_limits(&mut self, topic: &str) -> Result<bool, PublishError> {
        let before = self.limits.clone();
        self.limits.refresh(&self.config, topic).await?;
        if self.limits == before {
            return Ok(false);
        }
        let settings = producer_settings(&self.config, &self.source, &self.limits)?;
        if settings.get("batch.size") != self.settings.get("batch.size") {
            self.settings = settings;
            self.reconnect().await?;
        }
        Ok(true)
    }

    /// Replace an unusable producer with a new one and initialise transactions, which
    /// settles (completes or aborts) whatever transaction the old one left.
    ///
    /// # Errors
    /// As [`SourceProducer::connect`].
    pub async fn reconnect(&mut self) -> Result<(), PublishError> {
        *lock(&self.refused) = None;
        let producer = create(&self.settings, context(&self.source, &self.refused))?;
        // The old producer's queue holds only the failed transaction's messages: purging
        // them on drop is what we want.
        self.producer = Arc::new(producer);
        self.blocking(KafkaOp::InitTransactions, |p, t| p.init_transactions(t))
            .await
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn error(&self, op: KafkaOp, error: KafkaError) -> PublishError {
        self.error_on(op, error, None)
    }

    /// An error about one message (refused, too large, its topic gone).
    fn error_on(
        &self,
        op: KafkaOp,
        error: KafkaError,
        failed: Option<FailedMessage>,
    ) -> PublishError {
        let fatal = self.producer.client().fatal_error().map(|(code, _)| code);
        let fatal = fatal.or(*lock(&self.refused));
        PublishError::Kafka {
            source_name: self.source.clone(),
            recovery: classify(op, &error, fatal),
            op,
            error,
            failed: failed.map(Box::new),
        }
    }

    /// Run one of librdkafka's blocking transaction calls off the async threads.
    async fn blocking(
        &self,
        op: KafkaOp,
        call: impl FnOnce(&FutureProducer<SourceContext>, Duration) -> Result<(), KafkaError>
            + Send
            + 'static,
    ) -> Result<(), PublishError> {
        let (producer, timeout) = (self.producer.clone(), self.timeout);
        match tokio::task::spawn_blocking(move || call(&producer, timeout)).await {
            Ok(result) => result.map_err(|e| self.error(op, e)),
            // The closure does not panic; a join error means the runtime is shutting down.
            Err(_) => Err(self.error(op, KafkaError::Canceled)),
        }
    }

    /// Publish `messages` and then `checkpoint` in one transaction.
    ///
    /// # Errors
    /// [`PublishError::Kafka`], whose [`PublishError::recovery`] says what the failure
    /// left: an aborted transaction ([`Recovery::Retry`]), an unusable producer or a
    /// commit in doubt ([`Recovery::Reconnect`]), a fenced producer, a message too large
    /// ([`Recovery::TooLarge`], checked before the transaction begins when the limits
    /// know it), or an error no retry cures ([`Recovery::Stop`]: a topic that no longer
    /// exists is recognised here, since librdkafka reports it only as a purged or
    /// timed-out message).
    pub async fn publish_transaction(
        &self,
        messages: &[Message],
        checkpoint: &Message,
    ) -> Result<(), PublishError> {
        let all = || messages.iter().chain(std::iter::once(checkpoint));
        if let Some(error) = all().find_map(|m| self.oversize(m)) {
            return Err(error);
        }
        let error = match self.transaction(messages, checkpoint).await {
            Ok(()) => {
                *lock(&self.refused) = None;
                return Ok(());
            }
            Err(error) => error,
        };
        let error = match error.recovery() {
            Recovery::Retry | Recovery::Reconnect => {
                self.missing_topic(all()).await.unwrap_or(error)
            }
            _ => error,
        };
        if matches!(error.recovery(), Recovery::Reconnect | Recovery::Fenced) {
            return Err(error);
        }
        match self
            .blocking(KafkaOp::AbortTransaction, |p, t| p.abort_transaction(t))
            .await
        {
            Ok(()) => Err(error),
            // The error no retry cures is what the operator needs to read.
            Err(_) if error.recovery() != Recovery::Retry => Err(error),
            Err(abort) => {
                tracing::warn!(source = %self.source, error = %abort, "aborting the failed transaction also failed; the producer will be replaced");
                Err(abort)
            }
        }
    }

    /// Begin, send everything, await the deliveries, commit.
    async fn transaction(
        &self,
        messages: &[Message],
        checkpoint: &Message,
    ) -> Result<(), PublishError> {
        self.producer
            .begin_transaction()
            .map_err(|e| self.error(KafkaOp::BeginTransaction, e))?;
        let mut deliveries = Vec::with_capacity(messages.len() + 1);
        for m in messages.iter().chain(std::iter::once(checkpoint)) {
            deliveries.push(self.send(m).await?);
        }
        // Await the deliveries before committing: the rdkafka crate's
        // `commit_transaction` flushes by polling in 100 ms slices, which would cost
        // every page a slice while its last batch is still lingering.
        for delivery in deliveries {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, message))) => {
                    let failed = FailedMessage {
                        topic: message.topic().to_owned(),
                        key: String::from_utf8_lossy(message.key().unwrap_or_default())
                            .into_owned(),
                        bytes: message.key().map_or(0, <[u8]>::len)
                            + message.payload().map_or(0, <[u8]>::len)
                            + HEADER_KEY.len()
                            + super::limits::FRAMING_BYTES,
                    };
                    return Err(self.error_on(KafkaOp::Produce, e, Some(failed)));
                }
                Err(_) => return Err(self.error(KafkaOp::Produce, KafkaError::Canceled)),
            }
        }
        self.blocking(KafkaOp::CommitTransaction, |p, t| p.commit_transaction(t))
            .await
    }

    /// The error for a message over the known limits, before anything is sent.
    fn oversize(&self, m: &Message) -> Option<PublishError> {
        let over = self.limits.check(m).err()?;
        tracing::debug!(source = %self.source, topic = %m.topic, bytes = over.bytes, limit = over.limit, by = %over.by, "message over the size limit");
        Some(self.error_on(
            KafkaOp::Produce,
            KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge),
            Some(failed(m, over.bytes)),
        ))
    }

    /// After a failure librdkafka explains only as a purged or timed-out message: the
    /// error for the first topic of the transaction the brokers say does not exist.
    /// `None` when every topic exists or the brokers cannot say (they are away).
    async fn missing_topic<'a>(
        &self,
        messages: impl Iterator<Item = &'a Message>,
    ) -> Option<PublishError> {
        let topics: BTreeSet<String> = messages.map(|m| m.topic.clone()).collect();
        let producer = self.producer.clone();
        let missing = tokio::task::spawn_blocking(move || {
            for topic in topics {
                // No answer: the brokers are away, and cannot say; stop asking.
                let metadata = producer
                    .client()
                    .fetch_metadata(Some(&topic), Duration::from_secs(2))
                    .ok()?;
                let unknown = metadata.topics().iter().any(|t| {
                    t.name() == topic
                        && t.error().map(RDKafkaErrorCode::from)
                            == Some(RDKafkaErrorCode::UnknownTopicOrPartition)
                });
                if unknown {
                    return Some(topic);
                }
            }
            None
        })
        .await
        .ok()??;
        Some(self.error_on(
            KafkaOp::Produce,
            KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopicOrPartition),
            Some(FailedMessage {
                topic: missing,
                key: String::new(),
                bytes: 0,
            }),
        ))
    }

    /// Enqueue one message, waiting while librdkafka's queue is full; the future
    /// resolves when the broker has it.
    async fn send(&self, m: &Message) -> Result<DeliveryFuture, PublishError> {
        let headers = OwnedHeaders::new().insert(Header {
            key: HEADER_KEY,
            value: Some(m.schema),
        });
        let mut record = FutureRecord::to(&m.topic)
            .key(&m.key)
            .payload(&m.value)
            .headers(headers);
        loop {
            match self.producer.send_result(record) {
                Ok(delivery) => return Ok(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => {
                    let bytes = SizeLimits::size(m);
                    return Err(self.error_on(KafkaOp::Produce, e, Some(failed(m, bytes))));
                }
            }
        }
    }

    /// Flush what is queued (nothing is, between transactions) before the producer is
    /// dropped: dropping purges the queue.
    pub async fn close(self) {
        let producer = self.producer.clone();
        let _ = tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(10))).await;
    }
}

fn context(source: &str, refused: &Refused) -> SourceContext {
    SourceContext {
        source: source.to_owned(),
        last_reported: Mutex::default(),
        refused: refused.clone(),
    }
}

/// A lock that survives a panic of another holder (the data are plain values).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn failed(m: &Message, bytes: usize) -> FailedMessage {
    FailedMessage {
        topic: m.topic.clone(),
        key: m.key.clone(),
        bytes,
    }
}

/// The producer's settings: the shared client settings, `[kafka.producer]`, then what
/// ruralsync's guarantees rest on.
fn producer_settings(
    config: &KafkaConfig,
    source: &str,
    limits: &SizeLimits,
) -> Result<ClientConfig, PublishError> {
    let mut settings = client_config(config)?;
    for (k, v) in &config.producer {
        settings.set(k, v);
    }
    let configured = |key: &str| {
        config
            .producer
            .iter()
            .chain(&config.client.properties)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    settings
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set(
            "transactional.id",
            format!("{}-{source}", config.transactional_id_prefix),
        )
        .set(
            "transaction.timeout.ms",
            config.transaction_timeout.as_millis().to_string(),
        )
        .set(
            "batch.size",
            limits
                .batch_size(configured("batch.size").and_then(|v| v.parse().ok()))
                .to_string(),
        );
    if configured("linger.ms").is_none() {
        settings.set("linger.ms", "20");
    }
    // ruralsync creates its topics, compacted where they must be, at start. A topic
    // deleted while running must stop the source, not come back silently with the
    // broker's defaults (a checkpoint topic that is not compacted, no checkpoints).
    if configured("allow.auto.create.topics").is_none() {
        settings.set("allow.auto.create.topics", "false");
    }
    Ok(settings)
}
