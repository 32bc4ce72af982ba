//! Sinks: where canonical records go. Today one kind, Kafka.

pub mod kafka;
