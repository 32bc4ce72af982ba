//! Kafka failures, and the one place ([`classify`]) that decides what a failure means
//! for the transaction in flight: retried, the producer replaced, a message too large
//! for its topic, or stopped because no retry cures it.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// The operation that failed, for messages and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaOp {
    Connect,
    CreateProducer,
    InitTransactions,
    BeginTransaction,
    Produce,
    CommitTransaction,
    AbortTransaction,
    CreateTopics,
    DescribeTopics,
    ReadCheckpoints,
}

impl std::fmt::Display for KafkaOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KafkaOp::Connect => "connect",
            KafkaOp::CreateProducer => "create producer",
            KafkaOp::InitTransactions => "init transactions",
            KafkaOp::BeginTransaction => "begin transaction",
            KafkaOp::Produce => "produce",
            KafkaOp::CommitTransaction => "commit transaction",
            KafkaOp::AbortTransaction => "abort transaction",
            KafkaOp::CreateTopics => "create topics",
            KafkaOp::DescribeTopics => "describe topics",
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
    /// A message is larger than its topic or the producer accepts. The transaction was
    /// aborted; publishing the same messages again fails the same way, so the page is
    /// planned again without the message (a record becomes a `too_large` dead letter).
    TooLarge,
    /// No retry cures it: the topic does not exist, the user may not do this, the
    /// credentials or settings are refused. Stop the source with the error and what to do.
    Stop,
}

/// A message the broker or the producer refused, for the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMessage {
    pub topic: String,
    pub key: String,
    /// Key, value and headers, as [`super::SizeLimits::size`] counts them.
    pub bytes: usize,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error("source {source_name}: Kafka {op} failed{}: {error}{}", on_message(.failed), advice(*.recovery, code_of(.error)))]
    Kafka {
        source_name: String,
        op: KafkaOp,
        error: KafkaError,
        recovery: Recovery,
        /// The message the failure is about, when it is about one (boxed: errors travel
        /// in every `Result` of the publishing path).
        failed: Option<Box<FailedMessage>>,
    },
    #[error("cannot connect to Kafka at {bootstrap}: {reason}{}", advice(*.recovery, *.code))]
    Connect {
        bootstrap: String,
        /// librdkafka's explanation (e.g. `SASL authentication error: …`).
        reason: String,
        code: Option<RDKafkaErrorCode>,
        recovery: Recovery,
    },
    #[error("Kafka {op} failed for topic {topic}: {error}{}", advice(classify(*.op, .error, None), code_of(.error)))]
    Topic {
        op: KafkaOp,
        topic: String,
        error: KafkaError,
    },
    #[error("checkpoint topic {topic}: {message}{}", if *.missing { advice(Recovery::Stop, Some(RDKafkaErrorCode::UnknownTopicOrPartition)) } else { "" })]
    Checkpoint {
        topic: String,
        message: String,
        /// The topic does not exist.
        missing: bool,
    },
    /// The client settings cannot be used: a secret cannot be read, or librdkafka
    /// refuses a property. Names the key or property, never its value.
    #[error("Kafka client settings: {message}")]
    Settings { message: String },
}

impl PublishError {
    /// What the caller should do. Errors outside a transaction are retried unless no
    /// retry cures them.
    pub fn recovery(&self) -> Recovery {
        match self {
            PublishError::Kafka { recovery, .. } | PublishError::Connect { recovery, .. } => {
                *recovery
            }
            PublishError::Topic { op, error, .. } => match classify(*op, error, None) {
                Recovery::Stop => Recovery::Stop,
                _ => Recovery::Retry,
            },
            PublishError::Settings { .. } | PublishError::Checkpoint { missing: true, .. } => {
                Recovery::Stop
            }
            PublishError::Checkpoint { .. } => Recovery::Retry,
        }
    }

    /// The message a [`Recovery::TooLarge`] failure is about.
    pub fn failed_message(&self) -> Option<&FailedMessage> {
        match self {
            PublishError::Kafka { failed, .. } => failed.as_deref(),
            _ => None,
        }
    }
}

/// Codes by which the broker or librdkafka say another producer owns the transactional id.
const FENCED: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::Fenced,
    RDKafkaErrorCode::ProducerFenced,
    RDKafkaErrorCode::InvalidProducerEpoch,
];

/// Codes by which a message is refused for its size.
const TOO_LARGE: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::MessageSizeTooLarge,
    RDKafkaErrorCode::MessageBatchTooLarge,
];

/// Codes no retry cures: what is missing, forbidden or refused stays so until an
/// operator acts.
const STOP: &[RDKafkaErrorCode] = &[
    // The topic is gone (deleted while running) or never existed.
    RDKafkaErrorCode::UnknownTopicOrPartition,
    RDKafkaErrorCode::UnknownTopic,
    RDKafkaErrorCode::UnknownPartition,
    RDKafkaErrorCode::UnknownTopicId,
    RDKafkaErrorCode::InvalidTopic,
    // The user may not do this.
    RDKafkaErrorCode::TopicAuthorizationFailed,
    RDKafkaErrorCode::GroupAuthorizationFailed,
    RDKafkaErrorCode::ClusterAuthorizationFailed,
    RDKafkaErrorCode::TransactionalIdAuthorizationFailed,
    // Credentials and transport security.
    RDKafkaErrorCode::Authentication,
    RDKafkaErrorCode::SaslAuthenticationFailed,
    RDKafkaErrorCode::UnsupportedSASLMechanism,
    RDKafkaErrorCode::IllegalSASLState,
    RDKafkaErrorCode::SSL,
    RDKafkaErrorCode::SecurityDisabled,
    // The cluster refuses the settings or the requests themselves.
    RDKafkaErrorCode::InvalidTransactionTimeout,
    RDKafkaErrorCode::InvalidRequiredAcks,
    RDKafkaErrorCode::InvalidConfig,
    RDKafkaErrorCode::InvalidReplicationFactor,
    RDKafkaErrorCode::InvalidPartitions,
    RDKafkaErrorCode::PolicyViolation,
    RDKafkaErrorCode::UnsupportedVersion,
    RDKafkaErrorCode::UnsupportedForMessageFormat,
    RDKafkaErrorCode::UnsupportedCompressionType,
    RDKafkaErrorCode::InvalidRecord,
    RDKafkaErrorCode::TopicDeletionDisabled,
];

/// The librdkafka or broker code of `error`, admin results included.
pub fn code_of(error: &KafkaError) -> Option<RDKafkaErrorCode> {
    match error {
        KafkaError::AdminOp(code) => Some(*code),
        other => other.rdkafka_error_code(),
    }
}

/// Decide what a failure of `op` means. `fatal` is the producer's fatal error, if it has
/// raised one (librdkafka then answers every call with the generic `Fatal` code and keeps
/// the cause there).
pub fn classify(op: KafkaOp, error: &KafkaError, fatal: Option<RDKafkaErrorCode>) -> Recovery {
    let code = code_of(error);
    let any = |set: &[RDKafkaErrorCode]| {
        code.is_some_and(|c| set.contains(&c)) || fatal.is_some_and(|c| set.contains(&c))
    };
    if any(FENCED) {
        return Recovery::Fenced;
    }
    if any(STOP) {
        return Recovery::Stop;
    }
    if op == KafkaOp::Produce && code.is_some_and(|c| TOO_LARGE.contains(&c)) {
        return Recovery::TooLarge;
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

fn on_message(failed: &Option<Box<FailedMessage>>) -> String {
    failed.as_ref().map_or_else(String::new, |m| match m.bytes {
        0 => format!(" on topic {}", m.topic),
        bytes => format!(" on topic {} (key {}, {bytes} bytes)", m.topic, m.key),
    })
}

/// What an operator should do about an error no retry cures; empty for the others.
fn advice(recovery: Recovery, code: Option<RDKafkaErrorCode>) -> &'static str {
    use RDKafkaErrorCode as C;
    if !matches!(recovery, Recovery::Stop | Recovery::TooLarge) {
        return "";
    }
    match code {
        Some(C::UnknownTopicOrPartition | C::UnknownTopic | C::UnknownPartition | C::UnknownTopicId) => {
            "; the topic does not exist (deleted while ruralsync was running?): restart ruralsync, which creates its topics at start, or create the topic; check kafka.topic_prefix"
        }
        Some(C::InvalidTopic) => "; the topic name is not valid: check kafka.topic_prefix",
        Some(
            C::TopicAuthorizationFailed
            | C::GroupAuthorizationFailed
            | C::ClusterAuthorizationFailed
            | C::TransactionalIdAuthorizationFailed,
        ) => {
            "; the Kafka user is not authorised: grant it Describe, DescribeConfigs, Create, Write and Read on the <topic_prefix>.* topics, Write and Describe on the transactional ids <transactional_id_prefix>-*, and IdempotentWrite on the cluster"
        }
        Some(
            C::Authentication
            | C::SaslAuthenticationFailed
            | C::UnsupportedSASLMechanism
            | C::IllegalSASLState
            | C::SecurityDisabled,
        ) => {
            "; authentication failed: check security.protocol, sasl.mechanism and sasl.username in [kafka.client] and the password (kafka.sasl_password_env or kafka.sasl_password_file)"
        }
        Some(C::SSL) => {
            "; TLS failed: check the broker address and port, ssl.ca.location (the CA that signed the broker's certificate) and the client certificate settings in [kafka.client]"
        }
        Some(C::InvalidTransactionTimeout) => {
            "; kafka.transaction_timeout_ms exceeds the broker's transaction.max.timeout.ms: lower it"
        }
        Some(C::MessageSizeTooLarge | C::MessageBatchTooLarge) => {
            "; the message exceeds the topic's max.message.bytes or the producer's message.max.bytes: raise the limit, or make the message smaller"
        }
        _ => "; retrying will not help: the cluster refuses the request or the settings; fix the cause and restart",
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

    #[test]
    fn errors_no_retry_cures_stop_and_say_what_to_do() {
        let gone = KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopicOrPartition);
        assert_eq!(classify(KafkaOp::Produce, &gone, None), Recovery::Stop);
        let denied = KafkaError::AdminOp(RDKafkaErrorCode::TopicAuthorizationFailed);
        assert_eq!(
            classify(KafkaOp::CreateTopics, &denied, None),
            Recovery::Stop
        );
        let auth = KafkaError::Global(RDKafkaErrorCode::Authentication);
        assert_eq!(classify(KafkaOp::Connect, &auth, None), Recovery::Stop);
        let fatal = KafkaError::Global(RDKafkaErrorCode::Fatal);
        assert_eq!(
            classify(
                KafkaOp::Produce,
                &fatal,
                Some(RDKafkaErrorCode::TransactionalIdAuthorizationFailed)
            ),
            Recovery::Stop
        );
        let error = PublishError::Topic {
            op: KafkaOp::CreateTopics,
            topic: "t".into(),
            error: denied,
        };
        assert_eq!(error.recovery(), Recovery::Stop);
        assert!(error.to_string().contains("not authorised"), "{error}");
    }

    #[test]
    fn a_message_too_large_is_told_apart_from_a_failed_send() {
        let large = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        assert_eq!(classify(KafkaOp::Produce, &large, None), Recovery::TooLarge);
        let error = PublishError::Kafka {
            source_name: "s".into(),
            op: KafkaOp::Produce,
            error: large,
            recovery: Recovery::TooLarge,
            failed: Some(Box::new(FailedMessage {
                topic: "p._checkpoints".into(),
                key: "s".into(),
                bytes: 2_000_000,
            })),
        };
        let text = error.to_string();
        assert!(
            text.contains("on topic p._checkpoints (key s, 2000000 bytes)")
                && text.contains("max.message.bytes"),
            "{text}"
        );
    }
}
