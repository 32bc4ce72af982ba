//! `<prefix>._schemas`: the writer schemas of a daemon without a schema registry, so a
//! consumer can resolve any single-object fingerprint it meets. Compacted; key the
//! fingerprint as 16 hex digits (the 8 bytes as single-object encoding writes them,
//! little-endian), value the writer schema's JSON.
//!
//! The value is the whole schema — the `.avsc` as shipped, without its white space —
//! not its Parsing Canonical Form: that form drops the logical types (decimals, dates,
//! timestamps) and docs a reader needs. The key is still the fingerprint of the
//! canonical form of that value, which is what the message header carries.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::client::{client_config, create};
use super::reader::read_topic;
use super::{KafkaOp, PublishError};
use crate::avro::{fingerprint, NamedSchema};
use crate::config::KafkaConfig;

/// A writer schema as `_schemas` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterSchema {
    /// The CRC-64-AVRO fingerprint, 16 hex digits (little-endian bytes).
    pub fingerprint: String,
    /// The schema's full name (`cn.ruralsync.v1.DeadLetter`).
    pub full_name: String,
    /// The schema as JSON, compact.
    pub json: String,
}

impl WriterSchema {
    /// A compiled-in schema as `_schemas` keeps it.
    pub fn of(schema: &NamedSchema) -> WriterSchema {
        // The compiled-in texts parse (NamedSchema::parse checked them).
        let compact = serde_json::from_str::<serde_json::Value>(schema.text)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| schema.text.to_owned());
        WriterSchema {
            fingerprint: hex::encode(fingerprint(&schema.schema)),
            full_name: schema.full_name.clone(),
            json: compact,
        }
    }

    /// A schema read back from the topic; `None` when the value is not an Avro schema
    /// whose fingerprint is the key (such a record is no writer schema of ruralsync's).
    pub fn parse(key: &str, json: &str) -> Option<WriterSchema> {
        let schema = apache_avro::Schema::parse_str(json).ok()?;
        let fingerprint = hex::encode(fingerprint(&schema));
        let full_name = match &schema {
            apache_avro::Schema::Record(r) => r.name.fullname(None),
            _ => return None,
        };
        (fingerprint == key).then(|| WriterSchema {
            fingerprint,
            full_name,
            json: json.to_owned(),
        })
    }
}

/// Every writer schema in `topic`, by fingerprint (a compacted topic's later record of a
/// key wins).
///
/// # Errors
/// [`PublishError::Checkpoint`] (the internal-topic error) when the topic cannot be read
/// within `timeout`.
pub async fn read_schemas(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
) -> Result<BTreeMap<String, WriterSchema>, PublishError> {
    let landed =
        read_topic(config, topic, timeout)
            .await
            .map_err(|e| PublishError::Checkpoint {
                topic: topic.to_owned(),
                message: e.message,
                missing: e.missing,
            })?;
    let mut schemas = BTreeMap::new();
    for message in landed {
        let (Some(key), Some(value)) = (message.key, message.value) else {
            continue;
        };
        let parsed = std::str::from_utf8(&value)
            .ok()
            .and_then(|json| WriterSchema::parse(&key, json));
        if let Some(schema) = parsed {
            schemas.insert(key, schema);
        }
    }
    Ok(schemas)
}

/// Write each of `schemas` that `topic` does not hold yet (idempotent: a daemon started
/// again writes nothing). Returns how many were written.
///
/// # Errors
/// [`PublishError`] when the topic cannot be read or a schema not written.
pub async fn publish_schemas(
    config: &KafkaConfig,
    topic: &str,
    schemas: &[&NamedSchema],
    timeout: Duration,
) -> Result<usize, PublishError> {
    let present = read_schemas(config, topic, timeout).await?;
    let missing: Vec<WriterSchema> = schemas
        .iter()
        .map(|s| WriterSchema::of(s))
        .filter(|s| present.get(&s.fingerprint) != Some(s))
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let mut settings = client_config(config)?;
    settings
        .set("enable.idempotence", "true")
        .set("acks", "all");
    let producer: FutureProducer = create(&settings, DefaultClientContext)?;
    for schema in &missing {
        let record = FutureRecord::to(topic)
            .key(&schema.fingerprint)
            .payload(&schema.json);
        producer
            .send(record, timeout)
            .await
            .map_err(|(error, _)| PublishError::Topic {
                op: KafkaOp::Produce,
                topic: topic.to_owned(),
                error,
            })?;
    }
    Ok(missing.len())
}
