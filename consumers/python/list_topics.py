"""Proves the Python consumer toolchain (scripts/pyenv consumers): lists the broker's
topics and, when a registry URL is given, each subject's latest schema resolved by id
through confluent_kafka's SchemaRegistryClient and parsed by fastavro. The real
consumers come with issue 14.

Usage: python list_topics.py <bootstrap> [<registry base URL, .../apis/ccompat/v7>]
Prints `topics: N`, one topic per line, then `subject: <s> id=<id> schema=<full name>`
per subject; exits 1 with a message naming what failed.
"""

import json
import sys

import fastavro
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

TIMEOUT_S = 10


def list_topics(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        metadata = admin.list_topics(timeout=TIMEOUT_S)
    except Exception as e:  # KafkaException: the broker did not answer in time
        raise SystemExit(f"list_topics: listing the topics of {bootstrap} failed within {TIMEOUT_S}s: {e}")
    print(f"topics: {len(metadata.topics)}")
    for name in sorted(metadata.topics):
        print(name)


def list_subjects(registry: str) -> None:
    client = SchemaRegistryClient({"url": registry, "timeout": TIMEOUT_S})
    try:
        for subject in client.get_subjects():
            latest = client.get_latest_version(subject)
            text = client.get_schema(latest.schema_id).schema_str
            schema = fastavro.parse_schema(json.loads(text))
            print(f"subject: {subject} id={latest.schema_id} schema={schema['name']}")
    except Exception as e:  # SchemaRegistryError, connection errors
        raise SystemExit(f"list_topics: reading the registry at {registry} failed: {e}")


def main(argv: list) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit("usage: list_topics.py <bootstrap> [<registry base URL>]")
    list_topics(argv[1])
    if len(argv) == 3:
        list_subjects(argv[2])


if __name__ == "__main__":
    main(sys.argv)
