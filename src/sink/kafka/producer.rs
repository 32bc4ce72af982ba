//! One transactional producer per source.
//!
//! The transactional id is `<transactional_id_prefix>-<source>`: a second process
//! publishing the same source fences the first, and a restarted process aborts whatever
//! transaction its predecessor left open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;

use super::error::classify;
use super::{client_config, KafkaOp, PublishError, Recovery};
use crate::config::KafkaConfig;

/// A message ready to send: topic, key, value and a schema header.
#[derive(Debug, Clone)]
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
}

const REPEAT_REPORT_AFTER: Duration = Duration::from_secs(30);

impl ClientContext for SourceContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let kind = format!("{:?}", error.rdkafka_error_code());
        let mut last = self
            .last_reported
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
    settings: ClientConfig,
    producer: Arc<FutureProducer<SourceContext>>,
    timeout: Duration,
}

impl SourceProducer {
    /// Create the producer and initialise transactions (fencing any older producer with
    /// the same transactional id and settling its open transaction).
    ///
    /// # Errors
    /// [`PublishError::Kafka`] when the producer cannot be created or the broker does not
    /// answer within the transaction timeout.
    pub async fn connect(
        config: &KafkaConfig,
        source: &str,
    ) -> Result<SourceProducer, PublishError> {
        let mut settings = client_config(config);
        for (k, v) in &config.producer {
            settings.set(k, v);
        }
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
            );
        if !config.producer.iter().any(|(k, _)| k == "linger.ms") {
            settings.set("linger.ms", "20");
        }
        let producer = create(&settings, source).map_err(|error| PublishError::Kafka {
            source_name: source.to_owned(),
            op: KafkaOp::CreateProducer,
            error,
            recovery: Recovery::Reconnect,
        })?;
        let this = SourceProducer {
            source: source.to_owned(),
            settings,
            producer: Arc::new(producer),
            timeout: config.transaction_timeout,
        };
        this.blocking(KafkaOp::InitTransactions, |p, t| p.init_transactions(t))
            .await?;
        Ok(this)
    }

    /// Replace an unusable producer with a new one and initialise transactions, which
    /// settles (completes or aborts) whatever transaction the old one left.
    ///
    /// # Errors
    /// As [`SourceProducer::connect`].
    pub async fn reconnect(&mut self) -> Result<(), PublishError> {
        let producer = create(&self.settings, &self.source)
            .map_err(|e| self.error(KafkaOp::CreateProducer, e))?;
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
        let fatal = self.producer.client().fatal_error().map(|(code, _)| code);
        PublishError::Kafka {
            source_name: self.source.clone(),
            recovery: classify(op, &error, fatal),
            op,
            error,
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
    /// commit in doubt ([`Recovery::Reconnect`]), or a fenced producer.
    pub async fn publish_transaction(
        &self,
        messages: &[Message],
        checkpoint: &Message,
    ) -> Result<(), PublishError> {
        self.producer
            .begin_transaction()
            .map_err(|e| self.error(KafkaOp::BeginTransaction, e))?;
        let sent = async {
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
                    Ok(Err((e, _))) => return Err(self.error(KafkaOp::Produce, e)),
                    Err(_) => return Err(self.error(KafkaOp::Produce, KafkaError::Canceled)),
                }
            }
            self.blocking(KafkaOp::CommitTransaction, |p, t| p.commit_transaction(t))
                .await
        }
        .await;
        let Err(error) = sent else { return Ok(()) };
        if error.recovery() != Recovery::Retry {
            return Err(error);
        }
        match self
            .blocking(KafkaOp::AbortTransaction, |p, t| p.abort_transaction(t))
            .await
        {
            Ok(()) => Err(error),
            Err(abort) => {
                tracing::warn!(source = %self.source, error = %abort, "aborting the failed transaction also failed; the producer will be replaced");
                Err(abort)
            }
        }
    }

    /// Enqueue one message, waiting while librdkafka's queue is full; the future
    /// resolves when the broker has it.
    async fn send(&self, m: &Message) -> Result<DeliveryFuture, PublishError> {
        let headers = OwnedHeaders::new().insert(Header {
            key: "ruralsync.schema",
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
                Err((e, _)) => return Err(self.error(KafkaOp::Produce, e)),
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

fn create(
    settings: &ClientConfig,
    source: &str,
) -> Result<FutureProducer<SourceContext>, KafkaError> {
    settings.create_with_context(SourceContext {
        source: source.to_owned(),
        last_reported: Mutex::default(),
    })
}
