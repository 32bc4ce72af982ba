//! `[schema_registry]` against the real local registry (Apicurio 3.3.3's
//! Confluent-compatible API, `scripts/registry start`, URL in `RURALSYNC_TEST_REGISTRY`):
//! register → produce → consume with the Python and Java consumers; an incompatible
//! subject refuses the start naming subject, field and rule; a compatible change (a new
//! optional field) is read by the old reader and the new; a registry that does not
//! answer at start is waited for.

mod common;
#[path = "tools/fixture.rs"]
mod fixture;
mod tools;

use std::time::Duration;

use common::{kafka_config, ruralsync, schema_file, text};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// Register `schema` under `subject` as another writer would; the registry's answer.
async fn register(registry: &str, subject: &str, schema: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{registry}/subjects/{subject}/versions"))
        .header("Content-Type", CONTENT_TYPE)
        .body(json!({ "schema": schema.to_string() }).to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn registry_table(url: &str) -> String {
    format!("[schema_registry]\nurl = \"{url}\"\n")
}

fn dead_letter_with(field: Value) -> Value {
    let mut schema: Value =
        serde_json::from_str(include_str!("../schemas/dead_letter.avsc")).unwrap();
    schema["fields"].as_array_mut().unwrap().push(field);
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_schemas_frame_every_value_and_python_and_java_decode_them() {
    let Some(registry) = tools::registry() else {
        return;
    };
    if tools::python().is_none() || tools::java_classpath().is_none() {
        return;
    }
    let run = fixture::configure("registry", &registry_table(&registry)).await;
    let log = fixture::publish(&run).await;
    assert_eq!(log.matches("writer schema registered").count(), 5, "{log}");
    let kafka = kafka_config(&run.prefix);
    let bootstrap = common::bootstrap();
    for (name, count) in fixture::TOPICS {
        let topic = run.topic(name);
        let subject = format!("{topic}-value");
        let latest = get(&format!("{registry}/subjects/{subject}/versions/latest")).await;
        let id = u32::try_from(latest["id"].as_u64().unwrap()).unwrap();
        let level = get(&format!("{registry}/config/{subject}")).await;
        assert_eq!(level["compatibilityLevel"], "FULL_TRANSITIVE", "{subject}");
        let published =
            tools::published(&kafka, &topic, &schema_file(&format!("{name}.avsc")), 5).await;
        assert_eq!(published.len(), *count, "{topic}");
        let header = [&[0][..], &id.to_be_bytes()].concat();
        assert!(
            published.values().all(|(_, _, h)| *h == header),
            "{topic}: Confluent headers with id {id}"
        );
        let expect = count.to_string();
        let args = [
            "--bootstrap",
            &bootstrap,
            "--topic",
            &topic,
            "--registry",
            &registry,
            "--expect",
            &expect,
        ];
        let Some(python) = tools::python_script("consume.py", &args) else {
            return;
        };
        let Some(java) = tools::java("cn.ruralsync.consumer.Consume", &args) else {
            return;
        };
        for (consumer, out) in [("python", python), ("java", java)] {
            assert!(out.status.success(), "{consumer}: {}", tools::printed(&out));
            let consumed = tools::consumed(&out);
            assert!(
                consumed.values().all(|l| l["writer"] == id),
                "{consumer}: {consumed:?}"
            );
            tools::assert_same(consumer, &topic, &published, &consumed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_schema_refuses_the_start_naming_subject_field_and_rule() {
    let Some(registry) = tools::registry() else {
        return;
    };
    let run = fixture::configure("registry-refused", &registry_table(&registry)).await;
    // Another writer's dead letter with a field ours lacks and has no default for:
    // a reader of that version could not read ours (not FORWARD compatible).
    let subject = format!("{}-value", run.topic("dead_letter"));
    let theirs = dead_letter_with(json!({"name": "severity", "type": "int", "doc": "d"}));
    let (status, answer) = register(&registry, &subject, &theirs).await;
    assert_eq!(status, 200, "{answer}");
    let out = ruralsync(&["once", "--config", run.config.to_str().unwrap()]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for want in [
        format!("subject {subject}"),
        "schema cn.ruralsync.v1.DeadLetter".into(),
        "FULL_TRANSITIVE rule".into(),
        "at field severity at /fields/9".into(),
    ] {
        assert!(stderr.contains(&want), "{want}\n{stderr}");
    }
    let records = ruralsync::inspect::read_topic(
        &kafka_config(&run.prefix),
        &run.topic("property_rights_transaction"),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert!(
        records.is_empty(),
        "nothing is published by a refused start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_optional_field_is_read_by_the_old_reader_and_the_new() {
    let Some(registry) = tools::registry() else {
        return;
    };
    let run = fixture::configure("registry-evolve", &registry_table(&registry)).await;
    fixture::publish(&run).await;
    // A newer writer adds an optional field: the subject's FULL_TRANSITIVE rule accepts it.
    let topic = run.topic("dead_letter");
    let newer = dead_letter_with(
        json!({"name": "severity", "type": ["null", "int"], "default": null, "doc": "How bad."}),
    );
    let (status, answer) = register(&registry, &format!("{topic}-value"), &newer).await;
    assert_eq!(status, 200, "{answer}");
    let newer_id = u32::try_from(answer["id"].as_u64().unwrap()).unwrap();
    let schema = apache_avro::Schema::parse_str(&newer.to_string()).unwrap();
    let old_fields = schema_file("dead_letter.avsc");
    let apache_avro::Schema::Record(old) = old_fields else {
        unreachable!()
    };
    // Its message: a dead letter with every field of today's, and severity 3.
    let mut value = apache_avro::types::Record::new(&schema).unwrap();
    for field in &old.fields {
        let v = match field.name.as_str() {
            "source" | "family" | "reason" | "message" => {
                apache_avro::types::Value::String("newer".into())
            }
            "observed_at" => apache_avro::types::Value::TimestampMillis(1_700_000_000_000),
            _ => apache_avro::types::Value::Union(0, Box::new(apache_avro::types::Value::Null)),
        };
        value.put(&field.name, v);
    }
    value.put(
        "severity",
        apache_avro::types::Value::Union(1, Box::new(apache_avro::types::Value::Int(3))),
    );
    let datum = apache_avro::to_avro_datum(&schema, value).unwrap();
    let mut message = ruralsync::avro::Framing::confluent(newer_id).start(datum.len());
    message.extend(datum);
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", common::bootstrap())
        .create()
        .unwrap();
    producer
        .send(
            FutureRecord::to(&topic).key("newer:1").payload(&message),
            Duration::from_secs(30),
        )
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let newer_file = dir.path().join("dead_letter.newer.avsc");
    std::fs::write(&newer_file, newer.to_string()).unwrap();
    let old_file = tools::root().join("schemas/dead_letter.avsc");
    let bootstrap = common::bootstrap();
    for (reader, file) in [("old", &old_file), ("new", &newer_file)] {
        let args = [
            "--bootstrap",
            &bootstrap,
            "--topic",
            &topic,
            "--registry",
            &registry,
            "--reader-schema",
            file.to_str().unwrap(),
            "--expect",
            "2",
        ];
        let (Some(python), Some(java)) = (
            tools::python_script("consume.py", &args),
            tools::java("cn.ruralsync.consumer.Consume", &args),
        ) else {
            return;
        };
        for (consumer, out) in [("python", python), ("java", java)] {
            assert!(
                out.status.success(),
                "{consumer}, {reader} reader: {}",
                tools::printed(&out)
            );
            let lines = tools::consumed(&out);
            let by_key = |key: &str| {
                lines
                    .values()
                    .find(|l| l["key"].as_str().is_some_and(|k| k.starts_with(key)))
                    .unwrap_or_else(|| panic!("{consumer}: {lines:?}"))["value"]
                    .clone()
            };
            let (ours, theirs) = (by_key("contracts:"), by_key("newer:"));
            assert_eq!(ours["reason"], "inconsistent_values", "{consumer}");
            assert_eq!(theirs["reason"], "newer", "{consumer}");
            match reader {
                "old" => {
                    assert!(theirs.get("severity").is_none(), "{consumer}: {theirs}");
                    assert!(ours.get("severity").is_none(), "{consumer}: {ours}");
                }
                _ => {
                    assert_eq!(theirs["severity"], 3, "{consumer}: {theirs}");
                    assert_eq!(ours["severity"], Value::Null, "{consumer}: the default");
                }
            }
        }
    }
}

/// A registry that does not answer at start is waited for, each wait logged, and the
/// start fails only once `start_timeout_secs` has passed, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_away_at_start_is_waited_for_then_the_start_fails_naming_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let away = format!("http://{}/apis/ccompat/v7", listener.local_addr().unwrap());
    drop(listener);
    let table = format!("{}start_timeout_secs = 3\n", registry_table(&away));
    let run = fixture::configure("registry-away", &table).await;
    let started = std::time::Instant::now();
    let out = ruralsync(&["once", "--config", run.config.to_str().unwrap()]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(2), "{stderr}");
    assert!(
        stderr.contains("schema registry unreachable; waiting for it"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "schema registry at {away} did not answer within 3s"
        )),
        "{stderr}"
    );
}

/// The registry appears 3 s after the daemon started (a forwarder to the real one opens
/// its port late): the start waits for it, then publishes through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_comes_up_during_the_start_is_waited_for_and_used() {
    let Some(registry) = tools::registry() else {
        return;
    };
    let target = url::Url::parse(&registry).unwrap();
    let target = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let late = listener.local_addr().unwrap();
    drop(listener);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let listener = tokio::net::TcpListener::bind(late).await.unwrap();
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            let target = target.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    let path = url::Url::parse(&registry).unwrap().path().to_owned();
    let run = fixture::configure(
        "registry-late",
        &registry_table(&format!("http://{late}{path}")),
    )
    .await;
    let log = fixture::publish(&run).await;
    assert!(
        log.contains("schema registry unreachable; waiting for it"),
        "{log}"
    );
    assert_eq!(log.matches("writer schema registered").count(), 5, "{log}");
}

/// Basic auth from `password_file`: every request to the registry carries it (seen by a
/// forwarder that records what passes on its way to the real registry), and neither the
/// password nor its encoding reaches the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_from_a_file_goes_with_every_request_and_never_to_the_log() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(registry) = tools::registry() else {
        return;
    };
    let target = url::Url::parse(&registry).unwrap();
    let target = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let forwarder = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let (inbound, _) = listener.accept().await.unwrap();
            let outbound = tokio::net::TcpStream::connect(target.clone())
                .await
                .unwrap();
            let (mut in_read, mut in_write) = inbound.into_split();
            let (mut out_read, mut out_write) = outbound.into_split();
            tokio::spawn(async move { tokio::io::copy(&mut out_read, &mut in_write).await });
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                while let Ok(n) = in_read.read(&mut buf).await {
                    if n == 0 || out_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("registry.pass");
    std::fs::write(&password, "s3cret-registry-pass\n").unwrap();
    let path = url::Url::parse(&registry).unwrap().path().to_owned();
    let table = format!(
        "{}username = \"ruralsync\"\npassword_file = \"{}\"\n",
        registry_table(&format!("http://{forwarder}{path}")),
        password.display()
    );
    let run = fixture::configure("registry-auth", &table).await;
    let log = fixture::publish(&run).await;
    // base64("ruralsync:s3cret-registry-pass")
    let credential = "cnVyYWxzeW5jOnMzY3JldC1yZWdpc3RyeS1wYXNz";
    let seen = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    let requests = seen.matches(" HTTP/1.1\r\n").count();
    assert!(
        requests >= 10,
        "a level and a lookup or registration per schema: {seen}"
    );
    assert_eq!(
        seen.matches(&format!("authorization: Basic {credential}\r\n"))
            .count(),
        requests,
        "{seen}"
    );
    assert!(
        !log.contains("s3cret") && !log.contains(credential),
        "{log}"
    );
}
