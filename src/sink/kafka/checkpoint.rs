//! Checkpoints: how far each source has been read, kept in a compacted topic keyed by
//! source name and written in the same transaction as the records they cover.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{read_topic, scan_topic, PublishError};
use crate::config::KafkaConfig;
use crate::fingerprint::Fingerprints;
use crate::normalize::Position;

/// A source's committed progress. Stored as JSON (internal topic, readable by operators
/// with any console consumer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version of this record.
    pub version: u32,
    pub source: String,
    /// Last upstream position published; the next pull starts after it.
    pub position: Option<Position>,
    /// Records and dead letters published under this checkpoint's source, in total.
    pub published_total: u64,
    pub dead_letters_total: u64,
    pub committed_at: DateTime<Utc>,
    /// The source's own resume state (a cursor token, the next page of a full pull, the
    /// manifest of ingested files), as its kind defines it. Absent when the position
    /// alone says where to resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
}

impl Checkpoint {
    pub fn empty(source: &str) -> Checkpoint {
        Checkpoint {
            version: 1,
            source: source.to_owned(),
            position: None,
            published_total: 0,
            dead_letters_total: 0,
            committed_at: DateTime::UNIX_EPOCH,
            state: None,
        }
    }
}

/// Read the checkpoint topic from the start to its end as `read_committed` sees it, the
/// last value per source winning.
///
/// Call after the sources' producers have initialised transactions: that aborts their
/// predecessors' open transactions, which would otherwise hold back the end a
/// `read_committed` reader can reach.
///
/// # Errors
/// [`PublishError::Checkpoint`] when the topic cannot be read within `timeout` or holds a
/// record that is not a checkpoint.
pub async fn load_checkpoints(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
) -> Result<HashMap<String, Checkpoint>, PublishError> {
    let fail = |message: String, missing: bool| PublishError::Checkpoint {
        topic: topic.to_owned(),
        message,
        missing,
    };
    let landed = read_topic(config, topic, timeout)
        .await
        .map_err(|e| fail(e.message, e.missing))?;
    let mut checkpoints = HashMap::new();
    for m in landed {
        let Some(payload) = m.value else { continue };
        let checkpoint: Checkpoint = serde_json::from_slice(&payload).map_err(|e| {
            fail(
                format!("offset {}: not a checkpoint record: {e}", m.offset),
                false,
            )
        })?;
        checkpoints.insert(checkpoint.source.clone(), checkpoint);
    }
    Ok(checkpoints)
}

/// Read the fingerprint topic (see [`crate::fingerprint`]) into one store per source,
/// for the sources named; keys of other sources are skipped.
///
/// # Errors
/// [`PublishError::Checkpoint`] when the topic cannot be read within `timeout`.
pub async fn load_fingerprints(
    config: &KafkaConfig,
    topic: &str,
    timeout: Duration,
    sources: &[String],
) -> Result<HashMap<String, Fingerprints>, PublishError> {
    let stores: HashMap<String, Fingerprints> = sources
        .iter()
        .map(|s| (s.clone(), Fingerprints::default()))
        .collect();
    scan_topic(config, topic, timeout, stores, |stores, m| {
        let Some(key) = m.key else { return };
        let source = key.split(':').next().unwrap_or_default();
        if let Some(store) = stores.get_mut(source) {
            store.insert_stored(&key, m.value.as_deref());
        }
    })
    .await
    .map_err(|e| PublishError::Checkpoint {
        topic: topic.to_owned(),
        message: e.message,
        missing: e.missing,
    })
}
