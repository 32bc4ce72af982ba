//! The Kafka sink: topic names, topic creation, one transactional producer per source,
//! and the checkpoint topic that carries each source's cursor. Every client is built
//! from the same `[kafka]` settings ([`client`]), so a secured cluster serves them all.
//!
//! Every page of a source is published in one Kafka transaction together with the
//! checkpoint that says how far the source has been read, so a `read_committed`
//! consumer sees records and cursor move together.

mod checkpoint;
mod client;
mod error;
mod limits;
mod producer;
mod reader;
pub mod schemas;
mod topics;

pub use checkpoint::{load_checkpoints, load_fingerprints, Checkpoint};
pub use client::check_connection;
pub use error::{classify, FailedMessage, KafkaOp, PublishError, Recovery};
pub use limits::{Oversize, SizeLimits};
pub use producer::{Message, SourceProducer};
pub use reader::{read_topic, scan_topic, Landed, ReadError};
pub use schemas::{publish_schemas, read_schemas, WriterSchema};
pub use topics::{ensure_topics, Topics};
