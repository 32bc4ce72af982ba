//! # ruralsync
//!
//! Pulls records about village collective property — rural property-rights exchange
//! projects (农村产权交易) today, the "three assets" ledgers (三资) next — from county
//! and city platforms on cron schedules, normalises them into exact canonical records,
//! and publishes them as Avro to Kafka for the city big-data exchange center.
//!
//! ## How data flows
//!
//! ```text
//!  schedule ──fires──▶ daemon ──▶ pipeline::SourceRunner::sync (one cycle of one source)
//!                                   │
//!   source::{http_json, sql, file_drop} ─ pages of raw records (the platform's field
//!                                   │     names), fetched ahead on their own task
//!                                   ▼
//!   pipeline::plan (pure) ── family::Binding normalises each record (family/<name>/,
//!                                   │   built from normalize's parsers and vocabularies)
//!                                   │   and writes its Avro datum; a bad one becomes an
//!                                   │   avro::DeadLetter; fingerprint tells unchanged
//!                                   ▼   records; protect redacts every text
//!   plan: messages of every topic, staged fingerprints, counts, next checkpoint
//!                                   ▼
//!   pipeline::commit ── sink::kafka: one transaction per page (records, dead letters,
//!                                   │  fingerprints, checkpoint), retried, in-doubt settled
//!                                   ▼
//!   pipeline apply ─── checkpoint and fingerprints installed, files moved
//! ```
//!
//! ## Modules, and what each imports
//! Imports flow one way (`tests/import_graph.rs` fails on a circle): the generic pieces
//! at the bottom import no family, kind or assembly above them.
//!
//! - [`daemon`]: `run` (scheduled) and `once`; assembles everything below.
//! - [`admin`]: the admin HTTP server (health, readiness, metrics, the sources API) and
//!   the source task's loop that obeys its commands (run now, pause, resume).
//! - [`telemetry`]: the source state registry and every metric, fed plain data by the
//!   pipeline's `Observer` hook and the source loop.
//! - [`pipeline`]: one sync cycle of one source: `plan` (pure), `commit` (I/O), apply.
//! - [`inspect`]: read topics back and decode them (`ruralsync peek`).
//! - [`config`]: the TOML file, parsed then validated into runtime types; assembles
//!   the tables of [`source`] kinds and [`family`] families, which know nothing of it.
//! - [`sink`]: Kafka topics, transactional producers, size limits, checkpoints and the
//!   fingerprint topic's reader.
//! - [`source`]: upstream kinds (`http_json`, `sql`, `file_drop`), chosen by `type`,
//!   with the settings every kind shares (`PullSettings`, `LagWindow`).
//! - [`family`]: the record families, one folder each behind one trait and one list
//!   (`family::Family`), with the reading kit they share (`family::read`).
//! - [`schedule`]: cron schedules and the non-overlapping fire loop.
//! - [`fingerprint`]: change detection by content fingerprint.
//! - [`registry`]: `[schema_registry]` and the start-up registration of writer schemas
//!   (Confluent wire format); without it, the `_schemas` topic of [`sink`].
//! - [`avro`]: generic Avro helpers: canonical form, fingerprints, single-object
//!   framing, value helpers, the dead letter, decoding.
//! - [`protect`]: personal data protection (keyed pseudonyms, masked names, the redactor
//!   of free text, native ids and file names, and the log writer that masks every line).
//! - [`settings`]: what every table's validation shares (`Invalid`, tagged tables, time
//!   format and lag checks).
//! - [`normalize`]: exact parsers, vocabularies, `Rejection`, `Position`.
//! - [`region`]: the bundled division table.
//! - [`backoff`]: exponential backoff for retries after failures.
//!
//! The upstream simulator the tests, the demo and the benchmark run against is its own
//! crate, `crates/ruralsync-sim`: an independent oracle that shares the division table
//! (`data/`) as data and no code with this one.

pub mod admin;
pub mod avro;
pub mod backoff;
pub mod config;
pub mod daemon;
pub mod family;
pub mod fingerprint;
pub mod inspect;
pub mod normalize;
pub mod pipeline;
pub mod protect;
pub mod region;
pub mod registry;
pub mod schedule;
pub mod settings;
pub mod sink;
pub mod source;
pub mod telemetry;
