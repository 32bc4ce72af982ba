//! `scripts/bench` helper — L_kafka: librdkafka producing pre-encoded messages with the
//! daemon's producer settings, as fast as it goes. The floor under any pipeline that
//! publishes this many messages this way.
//!
//! Settings as `ruralsync` sets them: `acks=all`, idempotence, a transactional id,
//! `transaction.timeout.ms`, `linger.ms=20` and the given compression; one transaction per
//! `--per-transaction` messages plus one small JSON checkpoint message to a compacted
//! one-partition topic, as the daemon commits a page with its checkpoint. Topics are
//! created as the daemon creates them (`<prefix>.property_rights_transaction.v1` with
//! `--partitions`, `<prefix>.dead_letter.v1`, `<prefix>._checkpoints`,
//! `<prefix>._fingerprints`). With `--fingerprints`, each record is preceded by a
//! change-detection fingerprint message (key, 8 bytes) as the daemon sends them.
//!
//! The messages are real ones: `--sample-topic` names a topic the daemon wrote, whose
//! first `--sample-count` committed messages (key, value, schema header) are read before
//! the clock starts and produced in turn, so sizes and partitioning match the daemon's.
//! Without it, values of `--value-size` bytes are made up.
//!
//! Prints one JSON line: messages, transactions, bytes (keys + values + headers of every
//! message, checkpoints included), seconds of producing (after `init_transactions`) and
//! seconds of set-up.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, Message as _, Offset, TopicPartitionList};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9092")]
    bootstrap: String,
    /// Prefix of the topics to create and write (use a fresh `bench-…` one).
    #[arg(long)]
    prefix: String,
    /// Record messages to produce (checkpoint messages come on top).
    #[arg(long)]
    messages: u64,
    /// Record messages per transaction (the daemon's page size).
    #[arg(long, default_value_t = 1000)]
    per_transaction: u64,
    /// Read sample messages from this topic (read_committed) and produce them in turn.
    #[arg(long)]
    sample_topic: Option<String>,
    #[arg(long, default_value_t = 5000)]
    sample_count: usize,
    /// Value size when there is no sample topic.
    #[arg(long, default_value_t = 500)]
    value_size: usize,
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    #[arg(long, default_value = "none")]
    compression: String,
    #[arg(long, default_value_t = 20)]
    linger_ms: u64,
    #[arg(long, default_value_t = 60_000)]
    transaction_timeout_ms: u64,
    /// Before `commit_transaction`, wait for the transaction's deliveries with librdkafka's
    /// own `rd_kafka_flush` (a condition-variable wait). Without it, the rdkafka crate's
    /// commit flushes by polling in 100 ms slices, and a transaction whose messages are
    /// still in flight costs at least 100 ms.
    #[arg(long)]
    native_flush: bool,
    /// Before `commit_transaction`, wait until every delivery report of the transaction
    /// has been handled by the polling thread, as awaiting the `DeliveryFuture`s of a
    /// `FutureProducer` does (ruralsync since it awaits a page's deliveries).
    #[arg(long, conflicts_with = "native_flush")]
    await_deliveries: bool,
    /// Also produce, per record, the daemon's change-detection fingerprint message (key,
    /// 8 bytes) to the compacted one-partition `<prefix>._fingerprints` topic, in the same
    /// transaction, as ruralsync does since it detects unchanged records.
    #[arg(long)]
    fingerprints: bool,
    /// Further librdkafka producer properties, `key=value` (as `[kafka.producer]`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    extra: Vec<String>,
}

/// The producer's context: prints librdkafka's log lines (with `--set debug=eos,…`) to
/// stderr with a timestamp, and counts delivery reports (for `--await-deliveries`).
struct Logging {
    started: Instant,
    delivered: Mutex<u64>,
    delivery: Condvar,
}

impl ClientContext for Logging {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        eprintln!(
            "{:10.3} {level:?} {fac} {message}",
            self.started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

impl ProducerContext for Logging {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &DeliveryResult<'_>, (): ()) {
        *self
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        self.delivery.notify_all();
    }
}

struct Sample {
    key: Vec<u8>,
    value: Vec<u8>,
    schema: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let setup = Instant::now();
    let samples = match &args.sample_topic {
        Some(topic) => read_sample(&args.bootstrap, topic, args.sample_count)?,
        None => (0..1000)
            .map(|i| Sample {
                key: format!("jinzhong_exchange:JZ14070220230{i:04}").into_bytes(),
                value: (0..args.value_size)
                    .map(|j| (i * 31 + j * 7) as u8)
                    .collect(),
                schema: "cn.ruralsync.v1.PropertyRightsTransaction".into(),
            })
            .collect(),
    };
    if samples.is_empty() {
        bail!("no sample messages");
    }
    let records = format!("{}.property_rights_transaction.v1", args.prefix);
    let checkpoints = format!("{}._checkpoints", args.prefix);
    let fingerprints = format!("{}._fingerprints", args.prefix);
    create_topics(&args, &records, &checkpoints, &fingerprints)?;

    let timeout = Duration::from_millis(args.transaction_timeout_ms);
    let mut settings = ClientConfig::new();
    for kv in &args.extra {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--set {kv}: expected KEY=VALUE"))?;
        settings.set(k, v);
        if k == "debug" {
            settings.set_log_level(RDKafkaLogLevel::Debug);
        }
    }
    let producer: ThreadedProducer<Logging> = settings
        .set("bootstrap.servers", &args.bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set(
            "transactional.id",
            format!("{}-jinzhong_exchange", args.prefix),
        )
        .set(
            "transaction.timeout.ms",
            args.transaction_timeout_ms.to_string(),
        )
        .set("linger.ms", args.linger_ms.to_string())
        .set("compression.type", &args.compression)
        .create_with_context(Logging {
            started: Instant::now(),
            delivered: Mutex::new(0),
            delivery: Condvar::new(),
        })
        .context("creating the producer")?;
    producer
        .init_transactions(timeout)
        .context("init_transactions")?;
    let setup_secs = setup.elapsed().as_secs_f64();

    let started = Instant::now();
    let (mut sent, mut transactions, mut bytes) = (0u64, 0u64, 0u64);
    let (mut enqueue_secs, mut commit_secs) = (0f64, 0f64);
    let mut produced = 0u64; // every message enqueued, for --await-deliveries
    while sent < args.messages {
        let begun = Instant::now();
        producer.begin_transaction()?;
        let batch = args.per_transaction.min(args.messages - sent);
        for i in 0..batch {
            let s = &samples[((sent + i) % samples.len() as u64) as usize];
            if args.fingerprints {
                // The daemon sends the fingerprint just before its record.
                let fingerprint = (sent + i).to_be_bytes();
                let schema = "ruralsync.Fingerprint.u64be";
                bytes += (s.key.len() + 8 + "ruralsync.schema".len() + schema.len()) as u64;
                let headers = OwnedHeaders::new().insert(Header {
                    key: "ruralsync.schema",
                    value: Some(schema),
                });
                send(
                    &producer,
                    BaseRecord::to(&fingerprints)
                        .key(&s.key)
                        .payload(&fingerprint[..])
                        .headers(headers),
                )?;
                produced += 1;
            }
            bytes +=
                (s.key.len() + s.value.len() + "ruralsync.schema".len() + s.schema.len()) as u64;
            let headers = OwnedHeaders::new().insert(Header {
                key: "ruralsync.schema",
                value: Some(&s.schema),
            });
            send(
                &producer,
                BaseRecord::to(&records)
                    .key(&s.key)
                    .payload(&s.value)
                    .headers(headers),
            )?;
            produced += 1;
        }
        sent += batch;
        let checkpoint = format!(
            r#"{{"version":1,"source":"jinzhong_exchange","position":{{"updated_at":"2025-11-27T04:00:00Z","native_id":"JZ140702202500001"}},"published_total":{sent},"dead_letters_total":0,"committed_at":"2026-11-27T04:00:00.000000000Z"}}"#
        );
        let schema = "ruralsync.Checkpoint.json";
        bytes += ("jinzhong_exchange".len()
            + checkpoint.len()
            + "ruralsync.schema".len()
            + schema.len()) as u64;
        let headers = OwnedHeaders::new().insert(Header {
            key: "ruralsync.schema",
            value: Some(schema),
        });
        send(
            &producer,
            BaseRecord::to(&checkpoints)
                .key("jinzhong_exchange")
                .payload(&checkpoint)
                .headers(headers),
        )?;
        produced += 1;
        let enqueued = Instant::now();
        if args.await_deliveries {
            // What awaiting every `DeliveryFuture` amounts to: each delivery report has
            // been handled by the polling thread.
            let context = producer.context();
            let mut delivered = context
                .delivered
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            while *delivered < produced {
                delivered = context
                    .delivery
                    .wait(delivered)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        if args.native_flush {
            native_flush(&producer, timeout)?;
        }
        producer
            .commit_transaction(timeout)
            .context("commit_transaction")?;
        enqueue_secs += (enqueued - begun).as_secs_f64();
        commit_secs += enqueued.elapsed().as_secs_f64();
        transactions += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "messages": sent,
            "transactions": transactions,
            "bytes": bytes,
            "secs": secs,
            "setup_secs": setup_secs,
            "enqueue_secs": enqueue_secs,
            "commit_secs": commit_secs,
            "samples": samples.len(),
        })
    );
    Ok(())
}

/// librdkafka's flush, which in the rdkafka crate's event mode waits on a condition
/// variable until every message is delivered, instead of the crate's 100 ms poll slices.
fn native_flush(producer: &ThreadedProducer<Logging>, timeout: Duration) -> anyhow::Result<()> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: the pointer is the live producer's handle; rd_kafka_flush is thread-safe.
    let code = unsafe { rdkafka::bindings::rd_kafka_flush(producer.client().native_ptr(), ms) };
    match RDKafkaErrorCode::from(code) {
        RDKafkaErrorCode::NoError => Ok(()),
        other => bail!("flush: {other}"),
    }
}

/// Enqueue, waiting while librdkafka's queue is full.
fn send<K, P>(
    producer: &ThreadedProducer<Logging>,
    mut record: BaseRecord<'_, K, P>,
) -> anyhow::Result<()>
where
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(e.into()),
        }
    }
}

fn create_topics(
    args: &Args,
    records: &str,
    checkpoints: &str,
    fingerprints: &str,
) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        .create()?;
    let dead_letters = format!("{}.dead_letter.v1", args.prefix);
    let topics = [
        NewTopic::new(records, args.partitions, TopicReplication::Fixed(1)),
        NewTopic::new(&dead_letters, args.partitions, TopicReplication::Fixed(1)),
        NewTopic::new(checkpoints, 1, TopicReplication::Fixed(1))
            .set("cleanup.policy", "compact")
            .set("min.compaction.lag.ms", "0"),
        NewTopic::new(fingerprints, 1, TopicReplication::Fixed(1))
            .set("cleanup.policy", "compact")
            .set("min.compaction.lag.ms", "0"),
    ];
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for result in runtime.block_on(admin.create_topics(&topics, &options))? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// The first `count` committed messages of `topic` (all partitions, from the start).
fn read_sample(bootstrap: &str, topic: &str, count: usize) -> anyhow::Result<Vec<Sample>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "bench-sample")
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
        bail!("sample topic {topic} does not exist");
    }
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment.add_partition_offset(topic, *p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let (mut samples, mut at_end) = (Vec::with_capacity(count), HashSet::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    while samples.len() < count && at_end.len() < partitions.len() && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(m)) => {
                let schema = m
                    .headers()
                    .and_then(|h| {
                        h.iter()
                            .find(|h| h.key == "ruralsync.schema")
                            .and_then(|h| h.value)
                    })
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default();
                samples.push(Sample {
                    key: m.key().unwrap_or_default().to_vec(),
                    value: m.payload().unwrap_or_default().to_vec(),
                    schema,
                });
            }
        }
    }
    Ok(samples)
}
