//! The Kafka sink: topic names, topic creation, one transactional producer per source,
//! and the checkpoint topic that carries each source's cursor.
//!
//! Every page of a source is published in one Kafka transaction together with the
//! checkpoint that says how far the source has been read, so a `read_committed`
//! consumer sees records and cursor move together.

mod checkpoint;
mod error;
mod producer;
mod reader;
mod topics;

pub use checkpoint::{load_checkpoints, load_fingerprints, Checkpoint};
pub use error::{classify, KafkaOp, PublishError, Recovery};
pub use producer::{Message, SourceProducer};
pub use reader::{read_topic, scan_topic, Landed, ReadError};
pub use topics::{ensure_topics, Topics};

use rdkafka::ClientConfig;

use crate::config::KafkaConfig;

/// Client settings shared by producers, consumers and the admin client.
fn client_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.bootstrap_servers);
    c
}
