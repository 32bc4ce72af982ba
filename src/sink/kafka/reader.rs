//! Reading a topic to its end as a `read_committed` consumer sees it: the checkpoint
//! restore, `ruralsync peek` and the tests all need exactly this.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Headers;
use rdkafka::{Message as _, Offset, TopicPartitionList};

use super::client::{client_config, create};
use crate::config::KafkaConfig;

/// Consumer context that does not report reaching a partition's end as an error:
/// `enable.partition.eof` is how these readers know they are done.
struct EndAware;

impl ClientContext for EndAware {
    fn error(&self, error: KafkaError, reason: &str) {
        let end_reached = matches!(error, KafkaError::PartitionEOF(_))
            || error.rdkafka_error_code() == Some(RDKafkaErrorCode::PartitionEOF);
        if !end_reached {
            tracing::error!(%error, reason, "Kafka client error while reading a topic");
        }
    }
}

impl ConsumerContext for EndAware {}

const NO_SUCH_TOPIC: &str = "no such topic (or it has no partitions)";

/// How long a reader waits for a new topic's partitions to have leaders.
const SETTLE: Duration = Duration::from_secs(10);

/// Why the partitions and their ends could not be read (yet).
enum Snapshot {
    /// The topic or a partition has no leader yet, or is not known yet: worth asking again.
    Settling(String),
    Failed(String),
}

/// A partition and its (low, high) watermarks.
type PartitionEnds = (i32, (i64, i64));

/// The topic's partitions and each one's (low, high) watermarks now.
///
/// The end to reach is each partition's high watermark now. A `read_committed` reader is
/// told it reached the end (partition EOF) only when nothing follows at all, which a busy
/// topic — other sources' transactions — may never allow; so a partition is also done
/// once a message at or past the snapshot arrives, which happens as soon as the
/// transactions open at the snapshot complete.
fn end_snapshot(
    consumer: &BaseConsumer<EndAware>,
    topic: &str,
) -> Result<(Vec<i32>, Vec<PartitionEnds>), Snapshot> {
    let settling = |e: &KafkaError| {
        matches!(
            e.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::NotLeaderForPartition
                    | RDKafkaErrorCode::LeaderNotAvailable
                    | RDKafkaErrorCode::UnknownTopicOrPartition
                    | RDKafkaErrorCode::UnknownPartition
                    | RDKafkaErrorCode::UnknownTopic
            )
        )
    };
    let classify = |e: KafkaError| {
        if settling(&e) {
            Snapshot::Settling(e.to_string())
        } else {
            Snapshot::Failed(e.to_string())
        }
    };
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(classify)?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(Snapshot::Settling(NO_SUCH_TOPIC.into()));
    }
    let mut ends = Vec::with_capacity(partitions.len());
    for p in &partitions {
        let watermarks = consumer
            .fetch_watermarks(topic, *p, Duration::from_secs(10))
            .map_err(classify)?;
        ends.push((*p, watermarks));
    }
    Ok((partitions, ends))
}

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
    /// The topic does not exist (a retry will not find it either).
    pub missing: bool,
}

/// Read every committed message of `topic`, all partitions, from the start to the end
/// as of now (messages committed while reading may be included).
///
/// # Errors
/// [`ReadError`] when the topic does not exist or its end is not reached in `timeout`.
pub async fn read_topic(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<Landed>, ReadError> {
    let mut landed = scan_topic(config, topic, timeout, Vec::new(), |all, m| all.push(m)).await?;
    landed.sort_by_key(|l| (l.partition, l.offset));
    Ok(landed)
}

/// Like [`read_topic`], but hands each message to `visit` as it arrives instead of
/// collecting them: for topics too large to hold (fingerprints).
///
/// # Errors
/// As [`read_topic`].
pub async fn scan_topic<S: Send + 'static>(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
    state: S,
    visit: impl FnMut(&mut S, Landed) + Send + 'static,
) -> Result<S, ReadError> {
    let settings = client_config(config).map_err(|e| ReadError {
        topic: topic.to_owned(),
        message: e.to_string(),
        missing: false,
    })?;
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || read_blocking(settings, &topic, timeout, state, visit))
        .await
        .map_err(|e| ReadError {
            topic: "(join)".into(),
            message: e.to_string(),
            missing: false,
        })?
}

fn read_blocking<S>(
    mut settings: rdkafka::ClientConfig,
    topic: &str,
    timeout: Duration,
    mut state: S,
    mut visit: impl FnMut(&mut S, Landed),
) -> Result<S, ReadError> {
    let fail = |message: String| ReadError {
        topic: topic.to_owned(),
        message,
        missing: false,
    };
    settings
        .set("group.id", "ruralsync-inspect")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true");
    let consumer: BaseConsumer<EndAware> =
        create(&settings, EndAware).map_err(|e| fail(e.to_string()))?;
    // A topic created a moment ago may have no leader yet: its metadata and watermarks
    // answer "not leader" or "leader not available" until the election is done.
    let settle_until = Instant::now() + timeout.min(SETTLE);
    let (partitions, ends) = loop {
        match end_snapshot(&consumer, topic) {
            Ok(snapshot) => break snapshot,
            Err(Snapshot::Settling(_)) if Instant::now() < settle_until => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(Snapshot::Settling(message)) if message == NO_SUCH_TOPIC => {
                return Err(ReadError {
                    missing: true,
                    ..fail(message)
                })
            }
            Err(Snapshot::Settling(message) | Snapshot::Failed(message)) => {
                return Err(fail(message))
            }
        }
    };
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment
            .add_partition_offset(topic, *p, Offset::Beginning)
            .map_err(|e| fail(e.to_string()))?;
    }
    consumer
        .assign(&assignment)
        .map_err(|e| fail(e.to_string()))?;
    let mut at_end: HashSet<i32> = ends
        .iter()
        .filter(|(_, (low, high))| high <= low)
        .map(|(p, _)| *p)
        .collect();
    let ends: std::collections::HashMap<i32, i64> =
        ends.into_iter().map(|(p, (_, high))| (p, high)).collect();
    let mut read = 0_usize;
    let deadline = Instant::now() + timeout;
    while at_end.len() < partitions.len() {
        if Instant::now() > deadline {
            return Err(fail(format!(
                "end not reached within {timeout:?} ({} messages read)",
                read
            )));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => return Err(fail(e.to_string())),
            Some(Ok(m)) => {
                if ends
                    .get(&m.partition())
                    .is_some_and(|end| m.offset() + 1 >= *end)
                {
                    at_end.insert(m.partition());
                }
                let schema = m.headers().and_then(|h| {
                    h.iter()
                        .find(|h| h.key == "ruralsync.schema")
                        .and_then(|h| h.value)
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                });
                read += 1;
                visit(
                    &mut state,
                    Landed {
                        partition: m.partition(),
                        offset: m.offset(),
                        key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                        value: m.payload().map(<[u8]>::to_vec),
                        schema,
                    },
                );
            }
        }
    }
    Ok(state)
}
