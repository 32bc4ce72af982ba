//! How large a message may be: the smaller of the producer's `message.max.bytes` and
//! the topic's `max.message.bytes`, read once at start through the admin API.
//!
//! Checking before producing keeps a page's transaction from being wasted on a message
//! the broker would refuse (and librdkafka would refuse the whole batch around it). The
//! check counts key, value and headers uncompressed plus the framing of a batch of one,
//! as librdkafka's own `message.max.bytes` check does; a message that would only fit
//! compressed is refused, never sent on a guess.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;

use super::client::{client_config, create};
use super::error::{KafkaOp, PublishError};
use super::Message;
use crate::config::KafkaConfig;

/// librdkafka's default `message.max.bytes` and `batch.size`.
const LIBRDKAFKA_DEFAULT: usize = 1_000_000;

/// Bytes a record batch of one message adds around key, value and headers: the batch
/// header (61) and the record's own framing (length, attributes, deltas, key and value
/// lengths, header count and lengths: at most about 30).
pub const FRAMING_BYTES: usize = 100;

/// The size limits of the producer and of each topic it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeLimits {
    /// The producer's `message.max.bytes`.
    producer: usize,
    /// Each topic's `max.message.bytes`, as the broker reported it.
    topics: HashMap<String, usize>,
}

/// A message over a limit, and which limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversize {
    /// Key, value and headers plus [`FRAMING_BYTES`].
    pub bytes: usize,
    pub limit: usize,
    /// `max.message.bytes of topic <t>` or `message.max.bytes of the producer`.
    pub by: String,
}

impl SizeLimits {
    /// The producer's own limit only (`message.max.bytes` of `[kafka.producer]` or
    /// `[kafka.client]`, else librdkafka's default); topics unknown.
    pub fn for_producer(config: &KafkaConfig) -> SizeLimits {
        let configured = config
            .producer
            .iter()
            .chain(&config.client.properties)
            .find(|(k, _)| k == "message.max.bytes")
            .and_then(|(_, v)| v.parse().ok());
        SizeLimits {
            producer: configured.unwrap_or(LIBRDKAFKA_DEFAULT),
            topics: HashMap::new(),
        }
    }

    /// A producer limit of `producer` bytes and no topic's limit known yet.
    pub fn new(producer: usize) -> SizeLimits {
        SizeLimits {
            producer,
            topics: HashMap::new(),
        }
    }

    /// These limits with `topic`'s `max.message.bytes` set to `bytes`.
    pub fn with_topic(mut self, topic: &str, bytes: usize) -> SizeLimits {
        self.topics.insert(topic.to_owned(), bytes);
        self
    }

    /// [`SizeLimits::for_producer`] with each of `topics`' `max.message.bytes`, read
    /// from the brokers.
    ///
    /// # Errors
    /// [`PublishError::Topic`] when the brokers cannot describe a topic (it must exist).
    pub async fn load(config: &KafkaConfig, topics: &[String]) -> Result<SizeLimits, PublishError> {
        let mut limits = SizeLimits::for_producer(config);
        limits.topics = describe(config, topics).await?;
        Ok(limits)
    }

    /// Read `topic`'s limit again (its configuration may have changed since start).
    ///
    /// # Errors
    /// As [`SizeLimits::load`].
    pub async fn refresh(&mut self, config: &KafkaConfig, topic: &str) -> Result<(), PublishError> {
        let fresh = describe(config, &[topic.to_owned()]).await?;
        self.topics.extend(fresh);
        Ok(())
    }

    /// What `m` counts against the limits: key, value and headers plus framing.
    pub fn size(m: &Message) -> usize {
        m.key.len() + m.value.len() + HEADER_KEY.len() + m.schema.len() + FRAMING_BYTES
    }

    /// The largest message `topic` accepts from this producer.
    pub fn limit(&self, topic: &str) -> usize {
        self.topics
            .get(topic)
            .map_or(self.producer, |t| (*t).min(self.producer))
    }

    /// Whether `m` fits, or which limit it exceeds.
    ///
    /// # Errors
    /// [`Oversize`] naming the limit.
    pub fn check(&self, m: &Message) -> Result<(), Oversize> {
        let bytes = SizeLimits::size(m);
        let topic_limit = self.topics.get(&m.topic).copied();
        let (limit, by) = match topic_limit {
            Some(t) if t < self.producer => (t, format!("max.message.bytes of topic {}", m.topic)),
            _ => (
                self.producer,
                "message.max.bytes of the producer".to_owned(),
            ),
        };
        if bytes <= limit {
            Ok(())
        } else {
            Err(Oversize { bytes, limit, by })
        }
    }

    /// The producer's `batch.size`: no larger than the smallest topic limit, since a
    /// batch is refused whole when it exceeds its topic's `max.message.bytes`, however
    /// small its messages. `configured` is the operator's own setting, if any.
    pub fn batch_size(&self, configured: Option<usize>) -> usize {
        let smallest_topic = self.topics.values().copied().min().unwrap_or(usize::MAX);
        configured
            .unwrap_or(LIBRDKAFKA_DEFAULT)
            .min(smallest_topic)
            .min(self.producer)
    }
}

/// The header every message carries (its value is the schema name).
pub(super) const HEADER_KEY: &str = "ruralsync.schema";

/// Each topic's `max.message.bytes`.
async fn describe(
    config: &KafkaConfig,
    topics: &[String],
) -> Result<HashMap<String, usize>, PublishError> {
    let fail = |topic: &str, error: KafkaError| PublishError::Topic {
        op: KafkaOp::DescribeTopics,
        topic: topic.to_owned(),
        error,
    };
    let admin: AdminClient<DefaultClientContext> =
        create(&client_config(config)?, DefaultClientContext)?;
    let specifiers: Vec<ResourceSpecifier<'_>> =
        topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .describe_configs(&specifiers, &options)
        .await
        .map_err(|e| fail(&topics.join(", "), e))?;
    let mut limits = HashMap::new();
    for (topic, result) in topics.iter().zip(results) {
        let resource = result.map_err(|code| fail(topic, KafkaError::AdminOp(code)))?;
        let limit = resource
            .get("max.message.bytes")
            .and_then(|e| e.value.as_deref())
            .and_then(|v| v.parse::<usize>().ok());
        if let Some(limit) = limit {
            limits.insert(topic.clone(), limit);
        }
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str, value_len: usize) -> Message {
        Message {
            topic: topic.into(),
            key: "s:1".into(),
            value: vec![0; value_len],
            schema: "cn.ruralsync.v1.X",
        }
    }

    #[test]
    fn the_smaller_of_producer_and_topic_limit_applies_and_is_named() {
        let limits = SizeLimits {
            producer: 10_000,
            topics: HashMap::from([("small".to_owned(), 1_000), ("big".to_owned(), 50_000)]),
        };
        assert_eq!(limits.limit("small"), 1_000);
        assert_eq!(limits.limit("big"), 10_000);
        assert_eq!(limits.limit("unknown"), 10_000);
        assert!(limits.check(&message("small", 800)).is_ok());
        let over = limits.check(&message("small", 1_000)).unwrap_err();
        assert_eq!(over.limit, 1_000);
        assert_eq!(over.by, "max.message.bytes of topic small");
        let over = limits.check(&message("big", 20_000)).unwrap_err();
        assert_eq!(over.by, "message.max.bytes of the producer");
        assert_eq!(limits.batch_size(None), 1_000);
        assert_eq!(limits.batch_size(Some(500)), 500);
    }
}
