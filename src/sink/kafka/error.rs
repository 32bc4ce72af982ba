//! Kafka failures, and the one place that decides which ones a retry can cure.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// The operation that failed, for messages and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaOp {
    CreateProducer,
    InitTransactions,
    BeginTransaction,
    Produce,
    CommitTransaction,
    AbortTransaction,
    CreateTopics,
    ReadCheckpoints,
}

impl std::fmt::Display for KafkaOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KafkaOp::CreateProducer => "create producer",
            KafkaOp::InitTransactions => "init transactions",
            KafkaOp::BeginTransaction => "begin transaction",
            KafkaOp::Produce => "produce",
            KafkaOp::CommitTransaction => "commit transaction",
            KafkaOp::AbortTransaction => "abort transaction",
            KafkaOp::CreateTopics => "create topics",
            KafkaOp::ReadCheckpoints => "read checkpoints",
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error("source {source_name}: Kafka {op} failed: {error}")]
    Kafka {
        source_name: String,
        op: KafkaOp,
        error: KafkaError,
    },
    #[error("Kafka {op} failed for topic {topic}: {message}")]
    Topic {
        op: KafkaOp,
        topic: String,
        message: String,
    },
    #[error("checkpoint topic {topic}: {message}")]
    Checkpoint { topic: String, message: String },
}

/// What the caller should do about a Kafka error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Try the same operation again after a backoff.
    Retry,
    /// Abort the transaction and publish its records again from the last checkpoint.
    Abort,
    /// The producer is unusable (fenced, or a fatal librdkafka error); stop the source.
    Fatal,
}

impl PublishError {
    /// Classify by librdkafka's own flags where it sets them, else by error code.
    pub fn recovery(&self) -> Recovery {
        let PublishError::Kafka { error, .. } = self else {
            return Recovery::Retry;
        };
        if let KafkaError::Transaction(e) = error {
            return if e.is_fatal() {
                Recovery::Fatal
            } else if e.txn_requires_abort() {
                Recovery::Abort
            } else if e.is_retriable() {
                Recovery::Retry
            } else {
                Recovery::Abort
            };
        }
        match error.rdkafka_error_code() {
            Some(
                RDKafkaErrorCode::Fatal
                | RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch,
            ) => Recovery::Fatal,
            _ => Recovery::Abort,
        }
    }
}
