//! `scripts/bench` helper: what landed in topics, as a `read_committed` consumer sees it —
//! the message count, the bytes of keys, values and headers, and an order-independent
//! digest of the (key, value) pairs, so that two pipelines that should publish the same
//! records can be shown to have published byte-identical ones.
//!
//! Prints one JSON object per topic on one line: `{"<topic>": {count, key_bytes,
//! value_bytes, header_bytes, digest}, …}`.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message as _, Offset, TopicPartitionList};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9092")]
    bootstrap: String,
    /// Topics to read (each to its end).
    #[arg(long = "topic", required = true)]
    topics: Vec<String>,
}

#[derive(Debug, Default, serde::Serialize)]
struct Stats {
    exists: bool,
    count: u64,
    key_bytes: u64,
    value_bytes: u64,
    header_bytes: u64,
    /// Wrapping sum of SipHash-1-3 (zero keys) of key ‖ 0xff ‖ value, in hex.
    digest: String,
    secs: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut all = BTreeMap::new();
    for topic in &args.topics {
        all.insert(topic.clone(), read(&args.bootstrap, topic)?);
    }
    println!("{}", serde_json::to_string(&all)?);
    Ok(())
}

fn read(bootstrap: &str, topic: &str) -> anyhow::Result<Stats> {
    let started = Instant::now();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "bench-topic")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        // A topic this version of the daemon does not write: say so, do not fail.
        return Ok(Stats {
            exists: false,
            ..Stats::default()
        });
    }
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment.add_partition_offset(topic, *p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let mut stats = Stats {
        exists: true,
        ..Stats::default()
    };
    let mut digest = 0u64;
    let mut at_end = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while at_end.len() < partitions.len() {
        if Instant::now() > deadline {
            bail!(
                "{topic}: end not reached in 300 s ({} messages read)",
                stats.count
            );
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(m)) => {
                let (key, value) = (m.key().unwrap_or_default(), m.payload().unwrap_or_default());
                stats.count += 1;
                stats.key_bytes += key.len() as u64;
                stats.value_bytes += value.len() as u64;
                if let Some(headers) = m.headers() {
                    for h in headers.iter() {
                        stats.header_bytes += (h.key.len() + h.value.map_or(0, <[u8]>::len)) as u64;
                    }
                }
                let mut hasher = DefaultHasher::new();
                hasher.write(key);
                hasher.write_u8(0xff);
                value.hash(&mut hasher);
                digest = digest.wrapping_add(hasher.finish());
            }
        }
    }
    stats.digest = format!("{digest:016x}");
    stats.secs = started.elapsed().as_secs_f64();
    Ok(stats)
}
