//! Topic names by convention, and their creation.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

use rdkafka::error::KafkaError;

use super::client::{client_config, create};
use super::{KafkaOp, PublishError};
use crate::config::KafkaConfig;
use crate::family::Family;

/// Topic names derived from the configured prefix.
#[derive(Debug, Clone)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    pub fn new(prefix: &str) -> Topics {
        Topics {
            prefix: prefix.to_owned(),
        }
    }

    /// `<prefix>.<family>.v1`, e.g. `ruralsync.property_rights_transaction.v1`.
    pub fn records(&self, family: Family) -> String {
        format!("{}.{}.v1", self.prefix, family.name())
    }

    /// `<prefix>.dead_letter.v1`: records that failed normalisation, with why.
    pub fn dead_letters(&self) -> String {
        format!("{}.dead_letter.v1", self.prefix)
    }

    /// `<prefix>._fingerprints`: compacted, one key per published record, internal.
    pub fn fingerprints(&self) -> String {
        format!("{}._fingerprints", self.prefix)
    }

    /// `<prefix>._checkpoints`: compacted, one key per source, internal.
    pub fn checkpoints(&self) -> String {
        format!("{}._checkpoints", self.prefix)
    }

    /// `<prefix>._schemas`: compacted, one key per writer schema's fingerprint (see
    /// [`super::schemas`]); for consumers of single-object messages.
    pub fn schemas(&self) -> String {
        format!("{}._schemas", self.prefix)
    }

    /// The record topics of `families`, each once, in first-seen order. Admin requests
    /// must not name a topic twice: librdkafka crashes on a CreateTopics request that
    /// does (a segmentation fault, not an error) and the broker refuses a DescribeConfigs
    /// one.
    pub fn records_of(&self, families: &[Family]) -> Vec<String> {
        let mut names: Vec<String> = Vec::with_capacity(families.len());
        for name in families.iter().map(|f| self.records(*f)) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Every topic the sources of `families` write, each once, record topics first.
    pub fn all(&self, families: &[Family]) -> Vec<String> {
        let mut all = self.records_of(families);
        all.extend([self.dead_letters(), self.fingerprints(), self.checkpoints()]);
        all
    }
}

/// Create the topics ruralsync writes to, if missing: record topics with the configured
/// partitions, the checkpoint, fingerprint and schema topics compacted with one
/// partition.
///
/// # Errors
/// [`PublishError::Topic`] when a topic cannot be created for a reason other than
/// already existing.
pub async fn ensure_topics(
    config: &KafkaConfig,
    topics: &Topics,
    families: &[Family],
) -> Result<(), PublishError> {
    let admin: AdminClient<DefaultClientContext> =
        create(&client_config(config)?, DefaultClientContext)?;
    let replication = || TopicReplication::Fixed(config.replication_factor);
    let mut names = topics.records_of(families);
    names.push(topics.dead_letters());
    let checkpoints = topics.checkpoints();
    let fingerprints = topics.fingerprints();
    let schemas = topics.schemas();
    let mut new_topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|n| NewTopic::new(n, config.topic_partitions, replication()))
        .collect();
    new_topics.push(
        NewTopic::new(&checkpoints, 1, replication())
            .set("cleanup.policy", "compact")
            .set("min.compaction.lag.ms", "0"),
    );
    for compacted in [&fingerprints, &schemas] {
        new_topics.push(
            NewTopic::new(compacted, 1, replication())
                .set("cleanup.policy", "compact")
                .set("min.compaction.lag.ms", "0"),
        );
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(|error| PublishError::Topic {
            op: KafkaOp::CreateTopics,
            topic: names.join(", "),
            error,
        })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(PublishError::Topic {
                    op: KafkaOp::CreateTopics,
                    topic,
                    error: KafkaError::AdminOp(code),
                })
            }
        }
    }
    Ok(())
}
