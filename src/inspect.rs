//! Reading back what landed: consume a topic as a `read_committed` client would and
//! decode its Avro messages to JSON. Used by `ruralsync peek`, the demo and the tests.

use std::time::{Duration, Instant};

use apache_avro::schema::{RecordSchema, Schema, UnionSchema};
use apache_avro::types::Value;
use chrono::{DateTime, NaiveDate};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Headers;
use rdkafka::{Message as _, Offset, TopicPartitionList};
use serde_json::json;

use crate::avro;
use crate::config::KafkaConfig;

/// One message as it sits in the topic.
#[derive(Debug, Clone)]
pub struct Landed {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: Option<Vec<u8>>,
    /// The `ruralsync.schema` header.
    pub schema: Option<String>,
}

/// Why a topic could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading topic {topic}: {message}")]
pub struct ReadError {
    pub topic: String,
    pub message: String,
}

/// Read every committed message of `topic`, all partitions, from the start to the end
/// as of now.
///
/// # Errors
/// [`ReadError`] when the topic does not exist or its end is not reached in `timeout`.
pub async fn read_topic(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<Landed>, ReadError> {
    let (bootstrap, topic) = (config.bootstrap_servers.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || read_blocking(&bootstrap, &topic, timeout))
        .await
        .map_err(|e| ReadError {
            topic: "(join)".into(),
            message: e.to_string(),
        })?
}

fn read_blocking(
    bootstrap: &str,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<Landed>, ReadError> {
    let fail = |message: String| ReadError {
        topic: topic.to_owned(),
        message,
    };
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "ruralsync-inspect")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .map_err(|e| fail(e.to_string()))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| fail(e.to_string()))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(fail("no such topic (or it has no partitions)".into()));
    }
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment
            .add_partition_offset(topic, *p, Offset::Beginning)
            .map_err(|e| fail(e.to_string()))?;
    }
    consumer
        .assign(&assignment)
        .map_err(|e| fail(e.to_string()))?;
    let mut at_end = std::collections::HashSet::new();
    let mut landed = Vec::new();
    let deadline = Instant::now() + timeout;
    while at_end.len() < partitions.len() {
        if Instant::now() > deadline {
            return Err(fail(format!(
                "end not reached within {timeout:?} ({} messages read)",
                landed.len()
            )));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => return Err(fail(e.to_string())),
            Some(Ok(m)) => {
                let schema = m.headers().and_then(|h| {
                    h.iter()
                        .find(|h| h.key == "ruralsync.schema")
                        .and_then(|h| h.value)
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                });
                landed.push(Landed {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    value: m.payload().map(<[u8]>::to_vec),
                    schema,
                });
            }
        }
    }
    landed.sort_by_key(|l| (l.partition, l.offset));
    Ok(landed)
}

/// Decode a message of one of ruralsync's Avro schemas (chosen by its fingerprint), or a
/// JSON checkpoint, into JSON: decimals as exact strings, dates as `YYYY-MM-DD`, timestamps as RFC 3339 UTC.
///
/// # Errors
/// A message when the bytes are not a single-object message of a known schema.
pub fn decode_to_json(message: &[u8]) -> Result<serde_json::Value, String> {
    for schema in [&*avro::TRANSACTION, &*avro::DEAD_LETTER] {
        match avro::decode::single_object(schema, message) {
            Ok(value) => return Ok(to_json(&value, schema)),
            Err(e) if e.contains("fingerprint") => continue,
            Err(e) => return Err(e),
        }
    }
    // Checkpoints are JSON, for operators' eyes.
    serde_json::from_slice(message)
        .map_err(|_| "schema fingerprint matches none of ruralsync's schemas".into())
}

fn to_json(value: &Value, schema: &Schema) -> serde_json::Value {
    match (value, schema) {
        (
            Value::Record(fields),
            Schema::Record(RecordSchema {
                fields: schemas, ..
            }),
        ) => {
            let mut map = serde_json::Map::new();
            for ((name, v), field) in fields.iter().zip(schemas) {
                map.insert(name.clone(), to_json(v, &field.schema));
            }
            serde_json::Value::Object(map)
        }
        (Value::Union(i, inner), Schema::Union(union)) => {
            let variant = UnionSchema::variants(union)
                .get(*i as usize)
                .unwrap_or(&Schema::Null);
            to_json(inner, variant)
        }
        (Value::Decimal(_), Schema::Decimal(d)) => avro::decode::decimal(value, d.scale as u32)
            .map_or(serde_json::Value::Null, |d| json!(d.to_string())),
        (Value::Date(days), _) => json!(NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(*days))))
            .map(|d| d.to_string())),
        (Value::TimestampMillis(ms), _) => {
            json!(DateTime::from_timestamp_millis(*ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        }
        (Value::Null, _) => serde_json::Value::Null,
        (Value::String(s), _) | (Value::Enum(_, s), _) => json!(s),
        (Value::Long(n), _) => json!(n),
        (Value::Int(n), _) => json!(n),
        (Value::Boolean(b), _) => json!(b),
        (other, _) => json!(format!("{other:?}")),
    }
}
