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
use ruralsync_sim::{SimConfig, Simulator};
use tokio_util::sync::CancellationToken;

/// The pseudonym key every test daemon runs with (set in the environment of the
/// `ruralsync` processes the tests start).
pub const TEST_PII_KEY: &str = "test-key-0123456789abcdef0123456789abcdef";

/// What the transaction topic holds for `raw`, an upstream record of source `source`
/// published in the simulator's time format: its key and decoded value.
pub fn transaction_record(
    source: &str,
    raw: &serde_json::Value,
) -> Result<(String, Value), ruralsync::normalize::Rejection> {
    let protector = protector();
    let cx = ruralsync::family::Context {
        source,
        timezone: chrono_tz::Asia::Shanghai,
        time_format: "%Y-%m-%d %H:%M:%S",
        protector: &protector,
    };
    ruralsync::family::Family::PropertyRightsTransaction
        .with_defaults()
        .decoded(raw, cx)
}

pub fn protector() -> ruralsync::protect::Protector {
    ruralsync::protect::Protector::from_key(
        TEST_PII_KEY.as_bytes(),
        ruralsync::protect::NameMask::KeepFirst,
    )
    .unwrap()
}

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
    start_sim_with(SimConfig {
        seed,
        records,
        ..SimConfig::default()
    })
    .await
}

pub async fn start_sim_with(config: SimConfig) -> RunningSim {
    let sim = Arc::new(Simulator::new(config));
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
    write_config_full(dir, &bootstrap(), prefix, source, url, page_size, "", "")
}

/// Run the real `ruralsync` binary with `args`.
pub async fn ruralsync(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(args)
        .env("RUST_LOG", "info")
        .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
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
        retry_backoff_initial: Duration::from_millis(500),
        retry_backoff_max: Duration::from_secs(30),
        producer: Vec::new(),
        client: Default::default(),
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

/// Every committed message of the topic `<prefix>.<name>.v1`, decoded with the schema
/// file `schemas/<name>.avsc` (a record family or `dead_letter`).
pub async fn read_family(prefix: &str, name: &str) -> Vec<Decoded> {
    read_decoded(
        prefix,
        &format!("{prefix}.{name}.v1"),
        &schema_file(&format!("{name}.avsc")),
    )
    .await
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
    let fingerprint = ruralsync::avro::fingerprint(schema);
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

/// Write a config like [`write_config`] with extra `[kafka]` lines (timeouts, backoff)
/// and a different broker address.
pub fn write_config_with(
    dir: &Path,
    bootstrap: &str,
    prefix: &str,
    source: &str,
    url: &str,
    page_size: u32,
    kafka_extra: &str,
) -> PathBuf {
    write_config_full(
        dir,
        bootstrap,
        prefix,
        source,
        url,
        page_size,
        kafka_extra,
        "",
    )
}

/// [`write_config_with`] plus extra lines in the source's `[http]` table.
#[allow(clippy::too_many_arguments)]
pub fn write_config_full(
    dir: &Path,
    bootstrap: &str,
    prefix: &str,
    source: &str,
    url: &str,
    page_size: u32,
    kafka_extra: &str,
    http_extra: &str,
) -> PathBuf {
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
{kafka_extra}

[sources.{source}]
type = "http_json"
family = "property_rights_transaction"
schedule = "* * * * * *"

[sources.{source}.http]
url = "{url}"
page_size = {page_size}
{http_extra}
"#
        ),
    )
    .unwrap();
    path
}

/// Every record the simulator serves, in its order, fetched page by page over HTTP.
pub async fn all_upstream(url: &str) -> Vec<serde_json::Value> {
    let client = reqwest::Client::new();
    let mut all = Vec::new();
    for page in 1.. {
        let body: serde_json::Value = client
            .get(format!("{url}?pageNo={page}&pageSize=1000"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let list = body["data"]["list"].as_array().unwrap().clone();
        let done = list.len() < 1000;
        all.extend(list);
        if done {
            break;
        }
    }
    all
}

/// Assert that `topic` holds every upstream record exactly once, each with exactly the
/// content the upstream record normalises to, and that the source's committed
/// checkpoint is the upstream's last change. Returns (records, lost, duplicated).
pub async fn assert_exactly_once(
    kafka: &KafkaConfig,
    source: &str,
    upstream: &[serde_json::Value],
) -> (usize, usize, usize) {
    use std::collections::HashMap;
    let prefix = &kafka.topic_prefix;
    let topic = format!("{prefix}.property_rights_transaction.v1");
    let schema = schema_file("property_rights_transaction.avsc");
    let landed = ruralsync::inspect::read_topic(kafka, &topic, Duration::from_secs(120))
        .await
        .unwrap();
    let mut expected: HashMap<String, Value> = HashMap::new();
    for raw in upstream {
        let (key, value) = transaction_record(source, raw).unwrap();
        expected.insert(key, value);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &landed {
        let key = m.key.clone().unwrap();
        let bytes = m.value.as_ref().unwrap();
        let value = apache_avro::from_avro_datum(&schema, &mut &bytes[10..], None).unwrap();
        let want = expected
            .get(&key)
            .unwrap_or_else(|| panic!("{key} is not an upstream record"));
        assert_eq!(&value, want, "content of {key}");
        *seen.entry(key).or_default() += 1;
    }
    let lost = expected.keys().filter(|k| !seen.contains_key(*k)).count();
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    let checkpoints = ruralsync::sink::kafka::load_checkpoints(
        kafka,
        &format!("{prefix}._checkpoints"),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    let last = upstream.last().unwrap();
    let position = checkpoints[source].position.clone().unwrap();
    assert_eq!(
        position.native_id,
        last["项目编号"].as_str().unwrap(),
        "cursor = upstream's last change"
    );
    assert_eq!(
        position.updated_at,
        ruralsync::normalize::parse::local_timestamp(
            last["更新时间"].as_str().unwrap(),
            "%Y-%m-%d %H:%M:%S",
            chrono_tz::Asia::Shanghai
        )
        .unwrap()
    );
    (landed.len(), lost, duplicated)
}

/// A daemon process whose stderr goes to a file, for assertions on its log.
pub struct Daemon {
    pub child: tokio::process::Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn spawn(args: &[&str], log: PathBuf) -> Daemon {
        let file = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
            .args(args)
            .env("RUST_LOG", "info,ruralsync=debug")
            .env("RURALSYNC_PII_KEY", TEST_PII_KEY)
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Daemon { child, log }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until the log contains `needle` (panics after `timeout`).
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.log_text().contains(needle) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {needle:?} in log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn signal(&self, signal: i32) {
        let pid = self.child.id().expect("running") as i32;
        // SAFETY: kill(2) with a pid we own and a valid signal number.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }
}

/// One message as the broker stores it: every byte of its key, value and headers.
#[derive(Debug, Clone)]
pub struct Stored {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Every message of every topic named `<prefix>.…`, by topic, as a `read_uncommitted`
/// consumer sees them: messages of aborted transactions are stored too, so they count.
pub async fn read_every_topic(prefix: &str) -> BTreeMap<String, Vec<Stored>> {
    let (bootstrap, prefix) = (bootstrap(), format!("{prefix}."));
    tokio::task::spawn_blocking(move || read_every_topic_blocking(&bootstrap, &prefix))
        .await
        .unwrap()
}

fn read_every_topic_blocking(bootstrap: &str, prefix: &str) -> BTreeMap<String, Vec<Stored>> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::error::KafkaError;
    use rdkafka::message::{Headers, Message};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "ruralsync-test-pii-scan")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_uncommitted")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    let mut all = BTreeMap::new();
    for topic in metadata
        .topics()
        .iter()
        .filter(|t| t.name().starts_with(prefix))
    {
        let mut assignment = rdkafka::TopicPartitionList::new();
        let mut open = std::collections::HashSet::new();
        for p in topic.partitions() {
            let (low, high) = consumer
                .fetch_watermarks(topic.name(), p.id(), Duration::from_secs(10))
                .unwrap();
            if high > low {
                open.insert(p.id());
            }
            assignment
                .add_partition_offset(topic.name(), p.id(), rdkafka::Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&assignment).unwrap();
        let mut messages = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !open.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: end not reached",
                topic.name()
            );
            match consumer.poll(Duration::from_millis(200)) {
                None => {}
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    open.remove(&p);
                }
                Some(Err(e)) => panic!("{}: {e}", topic.name()),
                Some(Ok(m)) => messages.push(Stored {
                    topic: m.topic().to_owned(),
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers: m
                        .headers()
                        .map(|h| {
                            h.iter()
                                .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
            }
        }
        all.insert(topic.name().to_owned(), messages);
    }
    all
}

/// Scan every topic of `prefix` — keys, values as raw bytes and decoded (Avro or JSON),
/// header names and values — and panic on any valid resident ID number or mobile number
/// in clear ([`clear_personal_numbers`]). At least `min_topics` topics and one message
/// must be there (a scan of nothing proves nothing). Returns the messages scanned.
pub async fn assert_no_personal_data(prefix: &str, min_topics: usize) -> usize {
    let topics = read_every_topic(prefix).await;
    assert!(
        topics.len() >= min_topics,
        "{} topics of {prefix}: {:?}",
        topics.len(),
        topics.keys()
    );
    let mut scanned = 0;
    for (topic, messages) in &topics {
        for m in messages {
            let lossy = |b: &Option<Vec<u8>>| {
                String::from_utf8_lossy(b.as_deref().unwrap_or_default()).into_owned()
            };
            let decoded = m
                .value
                .as_deref()
                .and_then(|v| ruralsync::inspect::decode_to_json(v).ok())
                .map(|v| v.to_string())
                .unwrap_or_default();
            let mut texts = vec![
                ("key", lossy(&m.key)),
                ("value", lossy(&m.value)),
                ("decoded value", decoded),
            ];
            for (name, value) in &m.headers {
                texts.push((
                    "header",
                    format!("{name}={}", String::from_utf8_lossy(value)),
                ));
            }
            for (what, text) in texts {
                let found = clear_personal_numbers(&text);
                assert!(
                    found.is_empty(),
                    "{topic} {}@{} {what} carries {found:?} in clear: {text}",
                    m.partition,
                    m.offset
                );
            }
            scanned += 1;
        }
    }
    assert!(scanned > 0, "no message under {prefix}");
    scanned
}

/// Valid resident ID numbers (GB 11643: province, birth date and check character) and
/// mainland mobile numbers written in `text`: digits in full or half width, whole or
/// in groups joined by single spaces or dashes, after `+86`/`86` for mobiles. A number
/// is a maximal run of digits (an ID inside a longer run of digits is not one); letters
/// around it do not matter. Hex digests (16 or 64 lowercase hex digits: pseudonyms,
/// checksums) are not clear text. Written apart from the library's redactor on purpose:
/// it is the test's own idea of "in clear".
pub fn clear_personal_numbers(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    // A space written as an escape (`{:?}` writes the ideographic space as `\u{3000}`)
    // still separates the groups of a number.
    let text = ["\\u{3000}", "\\u{a0}", "\\u{2002}", "\\u{2003}"]
        .iter()
        .fold(text.to_owned(), |t, escape| t.replace(escape, " "));
    let text: String = text.nfkc().collect();
    let chars: Vec<char> = blank_hex_digests(&text);
    // Runs of digits (an X may close one of up to 17), joined into sequences by single
    // separators.
    let mut groups: Vec<String> = Vec::new();
    let mut sequences: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let mut group: String = chars[start..i].iter().collect();
        if i - start <= 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            group.push('X');
            i += 1;
        }
        let joined = i + 1 < chars.len()
            && matches!(chars[i], ' ' | '-')
            && chars[i + 1].is_ascii_digit()
            && !group.ends_with('X');
        groups.push(group);
        if !joined {
            sequences.push(std::mem::take(&mut groups));
        }
    }
    let mut found = Vec::new();
    for sequence in sequences {
        for start in 0..sequence.len() {
            let mut number = String::new();
            for group in &sequence[start..] {
                number.push_str(group);
                if number.len() > 20 {
                    break;
                }
                let mobile = |d: &str| {
                    let b = d.as_bytes();
                    b.len() == 11
                        && b[0] == b'1'
                        && (b'3'..=b'9').contains(&b[1])
                        && !d.contains('X')
                };
                let personal = valid_resident_id(&number)
                    || mobile(&number)
                    || number.strip_prefix("86").is_some_and(mobile)
                    || number.strip_prefix("0086").is_some_and(mobile);
                if personal {
                    found.push(number.clone());
                }
            }
        }
    }
    found
}

/// Lowercase hex tokens of 16 or 64 characters blanked out.
fn blank_hex_digests(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let token = &chars[start..i];
        let hex = token
            .iter()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(c));
        if hex && matches!(token.len(), 16 | 64) {
            chars[start..i].iter_mut().for_each(|c| *c = ' ');
        }
    }
    chars
}

/// GB 11643: 17 digits and a check character, a province code, a real birth date.
pub fn valid_resident_id(number: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let b = number.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let province: u32 = number[..2].parse().unwrap();
    let provinces = [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51,
        52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
    ];
    let born = chrono::NaiveDate::parse_from_str(&number[6..14], "%Y%m%d")
        .is_ok_and(|d| (1900..=2100).contains(&chrono::Datelike::year(&d)));
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    provinces.contains(&province) && born && b[17] == b"10X98765432"[(sum % 11) as usize]
}
