//! Shared helpers of the integration tests: the real broker's address, unique topic
//! prefixes, an in-process simulator, the `ruralsync` binary, and reading topics back.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use apache_avro::types::Value;
use apache_avro::Schema;
use ruralsync::config::KafkaConfig;
use ruralsync::sim::{SimConfig, Simulator};
use tokio_util::sync::CancellationToken;

/// The broker under test: `RURALSYNC_TEST_BOOTSTRAP`, default `127.0.0.1:9092` (what
/// `scripts/kafka start` runs).
pub fn bootstrap() -> String {
    std::env::var("RURALSYNC_TEST_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A topic prefix no other test or run uses.
pub fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("t-{test}-{}-{nanos}", std::process::id())
}

/// A running in-process simulator; stops when dropped.
pub struct RunningSim {
    pub sim: Arc<Simulator>,
    pub url: String,
    stop: CancellationToken,
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn start_sim(seed: u64, records: usize) -> RunningSim {
    let sim = Arc::new(Simulator::new(SimConfig {
        seed,
        records,
        ..SimConfig::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(sim.clone().serve(listener, stop.clone()));
    RunningSim {
        sim,
        url: format!("http://{addr}/api/v1/transactions"),
        stop,
    }
}

/// Write a config with one `http_json` source called `source` to `dir`.
pub fn write_config(dir: &Path, prefix: &str, source: &str, url: &str, page_size: u32) -> PathBuf {
    let path = dir.join("ruralsync.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[kafka]
bootstrap_servers = "{bootstrap}"
topic_prefix = "{prefix}"
transactional_id_prefix = "{prefix}"
topic_partitions = 2

[sources.{source}]
type = "http_json"
family = "property_rights_transaction"
schedule = "*/2 * * * * *"

[sources.{source}.http]
url = "{url}"
page_size = {page_size}
"#,
            bootstrap = bootstrap()
        ),
    )
    .unwrap();
    path
}

/// Run the real `ruralsync` binary with `args`.
pub async fn ruralsync(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(args)
        .env("RUST_LOG", "info")
        .output()
        .await
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn kafka_config(prefix: &str) -> KafkaConfig {
    KafkaConfig {
        bootstrap_servers: bootstrap(),
        topic_prefix: prefix.to_owned(),
        transactional_id_prefix: prefix.to_owned(),
        topic_partitions: 2,
        replication_factor: 1,
        transaction_timeout: Duration::from_secs(60),
        producer: Vec::new(),
    }
}

/// A schema as shipped in `schemas/`, read from the file (not from the library), so the
/// tests check the published contract.
pub fn schema_file(name: &str) -> Schema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    Schema::parse_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One decoded message.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub partition: i32,
    pub offset: i64,
    pub key: String,
    pub fields: BTreeMap<String, Value>,
}

/// Every committed message of `topic`, decoded with `schema` (single-object encoding:
/// 2 marker bytes, 8 fingerprint bytes, then the datum).
pub async fn read_decoded(prefix: &str, topic: &str, schema: &Schema) -> Vec<Decoded> {
    let landed =
        ruralsync::inspect::read_topic(&kafka_config(prefix), topic, Duration::from_secs(60))
            .await
            .unwrap();
    let fingerprint = schema.fingerprint::<apache_avro::rabin::Rabin>().bytes;
    landed
        .into_iter()
        .map(|m| {
            let bytes = m.value.expect("no tombstones in record topics");
            assert_eq!(bytes[..2], [0xC3, 0x01], "single-object marker");
            assert_eq!(
                bytes[2..10],
                fingerprint[..],
                "fingerprint of {topic} message"
            );
            let value = apache_avro::from_avro_datum(schema, &mut &bytes[10..], None).unwrap();
            let Value::Record(fields) = value else {
                panic!("not a record")
            };
            Decoded {
                partition: m.partition,
                offset: m.offset,
                key: m.key.unwrap(),
                fields: fields.into_iter().collect(),
            }
        })
        .collect()
}

/// Field accessors over decoded values.
impl Decoded {
    pub fn get(&self, name: &str) -> &Value {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("no field {name}"))
    }

    /// A string, enum symbol, or `None` for a null union.
    pub fn str(&self, name: &str) -> Option<String> {
        ruralsync::avro::decode::string(self.get(name)).map(str::to_owned)
    }

    /// A scale-2 decimal as text, or `None`.
    pub fn decimal(&self, name: &str) -> Option<String> {
        ruralsync::avro::decode::nullable(self.get(name))
            .map(|v| ruralsync::avro::decode::decimal(v, 2).unwrap().to_string())
    }

    /// An Avro date as `YYYY-MM-DD`, or `None`.
    pub fn date(&self, name: &str) -> Option<String> {
        ruralsync::avro::decode::nullable(self.get(name)).map(|v| {
            let Value::Date(days) = v else {
                panic!("{name} is not a date: {v:?}")
            };
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::Duration::days(i64::from(*days)))
            .to_string()
        })
    }

    pub fn timestamp(&self, name: &str) -> String {
        let Value::TimestampMillis(ms) = self.get(name) else {
            panic!("{name} is not timestamp-millis")
        };
        chrono::DateTime::from_timestamp_millis(*ms)
            .unwrap()
            .to_rfc3339()
    }
}
