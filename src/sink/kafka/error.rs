//! Kafka failures, and the one place ([`classify`]) that decides what a failure means
//! for the transaction in flight.

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

/// What a failed transaction left behind, and so what the caller must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The transaction was aborted: none of it is visible. Back off and publish the same
    /// records again on the same producer.
    Retry,
    /// The producer is unusable, or the transaction's outcome is unknown (a commit that
    /// timed out may still complete). Create a new producer — its `init_transactions`
    /// settles the old transaction — then read the committed checkpoint to learn whether
    /// the records landed before publishing them again.
    Reconnect,
    /// Another producer with the same transactional id took over (a second instance for
    /// this source). Stop the source; the other instance carries on from the checkpoint.
    Fenced,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error("source {source_name}: Kafka {op} failed: {error}")]
    Kafka {
        source_name: String,
        op: KafkaOp,
        error: KafkaError,
        recovery: Recovery,
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

impl PublishError {
    /// What the caller should do; errors outside a transaction are retried.
    pub fn recovery(&self) -> Recovery {
        match self {
            PublishError::Kafka { recovery, .. } => *recovery,
            _ => Recovery::Retry,
        }
    }
}

/// Codes by which the broker or librdkafka say another producer owns the transactional id.
const FENCED: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::Fenced,
    RDKafkaErrorCode::ProducerFenced,
    RDKafkaErrorCode::InvalidProducerEpoch,
];

/// Decide what a failure of `op` means. `fatal` is the producer's fatal error, if it has
/// raised one (librdkafka then answers every call with the generic `Fatal` code and keeps
/// the cause there).
pub fn classify(op: KafkaOp, error: &KafkaError, fatal: Option<RDKafkaErrorCode>) -> Recovery {
    let code = error.rdkafka_error_code();
    if code.is_some_and(|c| FENCED.contains(&c)) || fatal.is_some_and(|c| FENCED.contains(&c)) {
        return Recovery::Fenced;
    }
    if fatal.is_some() || code == Some(RDKafkaErrorCode::Fatal) {
        return Recovery::Reconnect;
    }
    match (op, error) {
        (KafkaOp::InitTransactions | KafkaOp::CreateProducer, _) => Recovery::Reconnect,
        // A commit that failed without asking for an abort may still complete at the
        // coordinator: its outcome is in doubt.
        (KafkaOp::CommitTransaction, KafkaError::Transaction(e)) if !e.txn_requires_abort() => {
            Recovery::Reconnect
        }
        (KafkaOp::CommitTransaction, KafkaError::Transaction(_)) => Recovery::Retry,
        (KafkaOp::CommitTransaction | KafkaOp::AbortTransaction, _) => Recovery::Reconnect,
        _ => Recovery::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fencing_is_recognised_directly_and_behind_a_fatal_error() {
        let fenced = KafkaError::Global(RDKafkaErrorCode::ProducerFenced);
        assert_eq!(
            classify(KafkaOp::CommitTransaction, &fenced, None),
            Recovery::Fenced
        );
        let fatal = KafkaError::Global(RDKafkaErrorCode::Fatal);
        assert_eq!(
            classify(KafkaOp::Produce, &fatal, Some(RDKafkaErrorCode::Fenced)),
            Recovery::Fenced
        );
        assert_eq!(
            classify(
                KafkaOp::Produce,
                &fatal,
                Some(RDKafkaErrorCode::OutOfOrderSequenceNumber)
            ),
            Recovery::Reconnect
        );
    }

    #[test]
    fn an_unfinished_commit_is_in_doubt_and_a_failed_send_is_retried() {
        let timeout = KafkaError::Global(RDKafkaErrorCode::OperationTimedOut);
        assert_eq!(
            classify(KafkaOp::CommitTransaction, &timeout, None),
            Recovery::Reconnect
        );
        assert_eq!(
            classify(KafkaOp::AbortTransaction, &timeout, None),
            Recovery::Reconnect
        );
        let full = KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut);
        assert_eq!(classify(KafkaOp::Produce, &full, None), Recovery::Retry);
        assert_eq!(
            classify(KafkaOp::BeginTransaction, &full, None),
            Recovery::Retry
        );
    }
}
