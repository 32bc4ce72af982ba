"""Read one of ruralsync's topics and print each value decoded, as JSON lines.

Two ways to find the writer schema, as ruralsync publishes:
  --registry URL        the Confluent wire format (magic byte 0, 4-byte schema id):
                        confluent_kafka's AvroDeserializer fetches the schema by id
  --schemas-topic TOPIC Avro single-object encoding (C3 01, 8-byte fingerprint): the
                        writer schema is looked up by fingerprint in <prefix>._schemas,
                        decoded with fastavro

--reader-schema FILE decodes with that schema (Avro schema resolution: fields the writer
lacks take their defaults, fields the reader lacks are skipped); by default the writer's.

Each line: {"partition", "offset", "key", "writer", "value"}; decimals are printed as
exact strings, dates as YYYY-MM-DD, timestamps as RFC 3339 UTC with milliseconds.
Reads committed messages only, from the beginning, until --expect messages were read
(exit 0) or --timeout seconds passed (exit 1).

Usage: python consume.py --bootstrap HOST:PORT --topic TOPIC
           (--registry URL | --schemas-topic TOPIC) [--reader-schema FILE]
           --expect N [--timeout 60]
"""

import argparse
import datetime
import decimal
import io
import json
import sys
import time
import uuid

import fastavro
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def consumer(bootstrap):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"ruralsync-consumer-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })


def load_schema(path):
    # Schemas hold Chinese docs: always read them as UTF-8, whatever the locale.
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def writer_schemas(bootstrap, topic, timeout):
    """Every writer schema in the compacted _schemas topic, by fingerprint (hex)."""
    c = consumer(bootstrap)
    metadata = c.list_topics(topic, timeout=timeout)
    partitions = metadata.topics[topic].partitions
    ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)[1] for p in partitions}
    c.assign([TopicPartition(topic, p, 0) for p in partitions])
    schemas, deadline = {}, time.monotonic() + timeout
    while any(c.position([TopicPartition(topic, p)])[0].offset < end for p, end in ends.items() if end > 0):
        if time.monotonic() > deadline:
            raise SystemExit(f"consume.py: {topic} not read to its end within {timeout}s")
        m = c.poll(1.0)
        if m is None or m.error() or m.value() is None:
            continue
        schemas[m.key().decode()] = fastavro.parse_schema(json.loads(m.value().decode("utf-8")))
    c.close()
    return schemas


def single_object_decoder(schemas, reader):
    """Decode C3 01 <fingerprint> <datum> with the writer schema found by fingerprint."""
    def decode(value):
        if value[:2] != b"\xc3\x01":
            raise ValueError("not an Avro single-object message (no C3 01 marker)")
        # The 8 fingerprint bytes, little-endian, are the topic's key as hex.
        fingerprint = value[2:10].hex()
        writer = schemas.get(fingerprint)
        if writer is None:
            raise ValueError(f"fingerprint {fingerprint} is not in the _schemas topic")
        datum = fastavro.schemaless_reader(io.BytesIO(value[10:]), writer, reader)
        return fingerprint, datum
    return decode


def registry_decoder(url, reader_schema):
    client = SchemaRegistryClient({"url": url})
    schema_str = json.dumps(reader_schema) if reader_schema else None
    deserializer = AvroDeserializer(client, schema_str)

    def decode(value, topic):
        if value[:1] != b"\x00":
            raise ValueError("not the Confluent wire format (no magic byte 0)")
        datum = deserializer(value, SerializationContext(topic, MessageField.VALUE))
        return int.from_bytes(value[1:5], "big"), datum
    return decode


def plain(value):
    """A decoded value as JSON: exact decimals, ISO dates, UTC timestamps in ms."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--registry")
    source.add_argument("--schemas-topic")
    p.add_argument("--reader-schema")
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()

    reader = load_schema(args.reader_schema) if args.reader_schema else None
    if args.registry:
        by_id = registry_decoder(args.registry, reader)
        decode = lambda value: by_id(value, args.topic)  # noqa: E731
    else:
        schemas = writer_schemas(args.bootstrap, args.schemas_topic, args.timeout)
        decode = single_object_decoder(schemas, fastavro.parse_schema(reader) if reader else None)

    c = consumer(args.bootstrap)
    c.subscribe([args.topic])
    read, deadline = 0, time.monotonic() + args.timeout
    while read < args.expect:
        if time.monotonic() > deadline:
            print(f"consume.py: {read} of {args.expect} messages of {args.topic} within {args.timeout}s", file=sys.stderr)
            return 1
        m = c.poll(1.0)
        if m is None or m.error():
            continue
        writer, value = decode(m.value())
        key = m.key().decode("utf-8") if m.key() is not None else None
        print(json.dumps({"partition": m.partition(), "offset": m.offset(), "key": key,
                          "writer": writer, "value": plain(value)}, ensure_ascii=False))
        read += 1
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
