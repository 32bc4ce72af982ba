//! One transactional producer per source.
//!
//! The transactional id is `<transactional_id_prefix>-<source>`: a second process
//! publishing the same source fences the first, and a restarted process aborts whatever
//! transaction its predecessor left open.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use super::{client_config, KafkaOp, PublishError};
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

/// The transactional producer of one source.
#[derive(Clone)]
pub struct SourceProducer {
    source: String,
    producer: Arc<FutureProducer>,
    timeout: Duration,
}

impl SourceProducer {
    /// Create the producer and initialise transactions (fencing any older producer with
    /// the same transactional id and aborting its open transaction).
    ///
    /// # Errors
    /// [`PublishError::Kafka`] when the producer cannot be created or the broker does not
    /// answer within the transaction timeout.
    pub async fn connect(
        config: &KafkaConfig,
        source: &str,
    ) -> Result<SourceProducer, PublishError> {
        let mut c = client_config(config);
        for (k, v) in &config.producer {
            c.set(k, v);
        }
        c.set("acks", "all")
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
            c.set("linger.ms", "20");
        }
        let error = |op| {
            move |error| PublishError::Kafka {
                source_name: source.to_owned(),
                op,
                error,
            }
        };
        let producer: FutureProducer = c.create().map_err(error(KafkaOp::CreateProducer))?;
        let this = SourceProducer {
            source: source.to_owned(),
            producer: Arc::new(producer),
            timeout: config.transaction_timeout,
        };
        this.blocking(KafkaOp::InitTransactions, |p, t| p.init_transactions(t))
            .await?;
        Ok(this)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn error(&self, op: KafkaOp, error: KafkaError) -> PublishError {
        PublishError::Kafka {
            source_name: self.source.clone(),
            op,
            error,
        }
    }

    /// Run one of librdkafka's blocking transaction calls off the async threads.
    async fn blocking(
        &self,
        op: KafkaOp,
        call: impl FnOnce(&FutureProducer, Duration) -> Result<(), KafkaError> + Send + 'static,
    ) -> Result<(), PublishError> {
        let (producer, timeout) = (self.producer.clone(), self.timeout);
        match tokio::task::spawn_blocking(move || call(&producer, timeout)).await {
            Ok(result) => result.map_err(|e| self.error(op, e)),
            // The closure does not panic; a join error means the runtime is shutting down.
            Err(join) => Err(self.error(op, KafkaError::Canceled)).inspect_err(|_| {
                tracing::error!(source = %self.source, %op, error = %join, "Kafka call did not complete");
            }),
        }
    }

    /// Publish `messages` and then `checkpoint` in one transaction.
    ///
    /// # Errors
    /// [`PublishError::Kafka`]; the transaction has then been aborted where possible, so
    /// none of the messages is visible to `read_committed` consumers.
    pub async fn publish_transaction(
        &self,
        messages: &[Message],
        checkpoint: &Message,
    ) -> Result<(), PublishError> {
        self.producer
            .begin_transaction()
            .map_err(|e| self.error(KafkaOp::BeginTransaction, e))?;
        let sent = async {
            for m in messages.iter().chain(std::iter::once(checkpoint)) {
                self.send(m).await?;
            }
            self.blocking(KafkaOp::CommitTransaction, |p, t| p.commit_transaction(t))
                .await
        }
        .await;
        if let Err(e) = sent {
            if let Err(abort) = self
                .blocking(KafkaOp::AbortTransaction, |p, t| p.abort_transaction(t))
                .await
            {
                tracing::warn!(source = %self.source, error = %abort, "aborting the failed transaction also failed");
            }
            return Err(e);
        }
        Ok(())
    }

    /// Enqueue one message, waiting while librdkafka's queue is full. Delivery is
    /// confirmed by the transaction's commit, not message by message.
    async fn send(&self, m: &Message) -> Result<(), PublishError> {
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
                Ok(_delivery) => return Ok(()),
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
