//! The consumers in `consumers/` (Python: fastavro; Java: kafka-clients + Avro) decode
//! what the daemon publishes without a registry — Avro single-object encoding, the writer
//! schema found by fingerprint in `<prefix>._schemas` — field by field as the library
//! decodes it; and a fingerprint of an older writer resolves through `_schemas`.

mod common;
#[path = "tools/fixture.rs"]
mod fixture;
mod tools;

use std::time::Duration;

use common::{kafka_config, ruralsync, schema_file, text};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use ruralsync::avro::NamedSchema;
use serde_json::Value;

/// The consumers' arguments for one topic, single-object.
fn args<'a>(bootstrap: &'a str, topic: &'a str, schemas: &'a str, expect: &'a str) -> Vec<&'a str> {
    vec![
        "--bootstrap",
        bootstrap,
        "--topic",
        topic,
        "--schemas-topic",
        schemas,
        "--expect",
        expect,
    ]
}

/// Run both consumers over `topic`; `None` when the tools are unavailable (skipped).
fn consume_both(args: &[&str]) -> Option<[(&'static str, std::process::Output); 2]> {
    let python = tools::python_script("consume.py", args)?;
    let java = tools::java("cn.ruralsync.consumer.Consume", args)?;
    for out in [&python, &java] {
        assert!(out.status.success(), "{}", tools::printed(out));
    }
    Some([("python", python), ("java", java)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_java_consumers_decode_every_family_through_the_schemas_topic() {
    if tools::python().is_none() || tools::java_classpath().is_none() {
        return;
    }
    let run = fixture::configure("consumers-so", "").await;
    fixture::publish(&run).await;
    let kafka = kafka_config(&run.prefix);
    let (bootstrap, schemas) = (common::bootstrap(), format!("{}._schemas", run.prefix));
    let mut compared = 0;
    for (name, count) in fixture::TOPICS {
        let topic = run.topic(name);
        let schema = schema_file(&format!("{name}.avsc"));
        let published = tools::published(&kafka, &topic, &schema, 10).await;
        assert_eq!(published.len(), *count, "{topic}");
        let header = [&[0xC3, 0x01][..], &ruralsync::avro::fingerprint(&schema)].concat();
        assert!(
            published.values().all(|(_, _, h)| *h == header),
            "{topic}: single-object headers"
        );
        let expect = count.to_string();
        let Some(outputs) = consume_both(&args(&bootstrap, &topic, &schemas, &expect)) else {
            return;
        };
        for (consumer, out) in &outputs {
            compared += tools::assert_same(consumer, &topic, &published, &tools::consumed(out));
        }
    }
    // 12 transactions of 27 fields, 1 contract (30), 1 asset, 1 organisation, 1 dead letter.
    assert!(compared > 2 * 12 * 27, "{compared} fields compared");
}

/// The dead letter as an older release wrote it: without its optional `page` field.
fn older_dead_letter() -> &'static NamedSchema {
    let mut json: Value =
        serde_json::from_str(include_str!("../schemas/dead_letter.avsc")).unwrap();
    json["fields"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["name"] != "page");
    let text: &'static str = Box::leak(json.to_string().into_boxed_str());
    Box::leak(Box::new(NamedSchema::parse(text)))
}

/// A dead letter written with `schema` (its fields but `page`), framed single-object.
fn older_message(schema: &NamedSchema) -> Vec<u8> {
    use apache_avro::types::Value as A;
    let some = |s: &str| A::Union(1, Box::new(A::String(s.into())));
    let datum = apache_avro::to_avro_datum(
        &schema.schema,
        A::Record(vec![
            ("source".into(), A::String("older".into())),
            ("family".into(), A::String("collective_asset".into())),
            ("native_id".into(), some("ZC-1")),
            ("field".into(), some("面积")),
            ("reason".into(), A::String("bad_area".into())),
            (
                "message".into(),
                A::String("面积 \"很大\" is not a number".into()),
            ),
            ("raw_record".into(), A::Union(0, Box::new(A::Null))),
            ("observed_at".into(), A::TimestampMillis(1_700_000_000_123)),
        ]),
    )
    .unwrap();
    let mut message = ruralsync::avro::Framing::single_object(&schema.schema).start(datum.len());
    message.extend(datum);
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schemas_topic_is_written_once_and_resolves_an_older_writers_fingerprint() {
    let run = fixture::configure("schemas-topic", "").await;
    fixture::publish(&run).await;
    let config = run.config.to_str().unwrap();
    let again = ruralsync(&["once", "--config", config]).await;
    assert!(again.status.success(), "{}", text(&again.stderr));
    let kafka = kafka_config(&run.prefix);
    let schemas_topic = format!("{}._schemas", run.prefix);
    let landed = ruralsync::inspect::read_topic(&kafka, &schemas_topic, Duration::from_secs(60))
        .await
        .unwrap();
    let mut keys: Vec<String> = landed.iter().map(|m| m.key.clone().unwrap()).collect();
    keys.sort();
    let mut compiled: Vec<String> = ruralsync::family::all_schemas()
        .iter()
        .map(|s| hex::encode(ruralsync::avro::fingerprint(&s.schema)))
        .collect();
    compiled.sort();
    assert_eq!(
        keys, compiled,
        "each writer schema once, though the daemon started twice"
    );

    // An older daemon wrote its dead-letter schema there, then a dead letter with it.
    let older = older_dead_letter();
    let written = ruralsync::sink::kafka::publish_schemas(
        &kafka,
        &schemas_topic,
        &[older],
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(written, 1);
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", common::bootstrap())
        .create()
        .unwrap();
    let topic = run.topic("dead_letter");
    producer
        .send(
            FutureRecord::to(&topic)
                .key("older:ZC-1")
                .payload(&older_message(older)),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let fingerprint = hex::encode(ruralsync::avro::fingerprint(&older.schema));

    let list = ruralsync(&["schemas", "list", "--config", config]).await;
    let listed = text(&list.stdout);
    assert!(
        listed.contains(&format!(
            "{fingerprint}  cn.ruralsync.v1.DeadLetter  topic\n"
        )),
        "{listed}"
    );
    assert_eq!(listed.matches("compiled-in, topic").count(), 5, "{listed}");
    let show = ruralsync(&["schemas", "show", "--config", config, &fingerprint]).await;
    assert!(show.status.success(), "{}", text(&show.stderr));
    let shown: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown, serde_json::from_str::<Value>(older.text).unwrap());

    // Consumers resolve both writers and read them with today's schema.
    let bootstrap = common::bootstrap();
    let reader = tools::root().join("schemas/dead_letter.avsc");
    let mut a = args(&bootstrap, &topic, &schemas_topic, "2");
    a.extend(["--reader-schema", reader.to_str().unwrap()]);
    let Some(outputs) = consume_both(&a) else {
        return;
    };
    for (consumer, out) in &outputs {
        let lines = tools::consumed(out);
        let older_line = lines
            .values()
            .find(|l| l["key"] == "older:ZC-1")
            .unwrap_or_else(|| panic!("{consumer}: {lines:?}"));
        assert_eq!(older_line["writer"], fingerprint.as_str(), "{consumer}");
        let v = &older_line["value"];
        assert_eq!(
            v["page"],
            Value::Null,
            "{consumer}: a field the writer lacked takes its default"
        );
        assert_eq!(v["message"], "面积 \"很大\" is not a number", "{consumer}");
        assert_eq!(v["observed_at"], "2023-11-14T22:13:20.123Z", "{consumer}");
        let current = lines.values().find(|l| l["key"] != "older:ZC-1").unwrap();
        assert_ne!(current["writer"], fingerprint.as_str(), "{consumer}");
        assert_eq!(
            current["value"]["reason"], "inconsistent_values",
            "{consumer}"
        );
    }
}
