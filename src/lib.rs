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
//!  schedule ──fires──▶ pipeline::SourceRunner::sync
//!                        │
//!   source::http_json ───┤ pages of raw JSON (Chinese field names), fetched ahead
//!                        ▼
//!   normalize ──────────▶ canonical record (exact decimals, dates, 12-digit region)
//!                        │                 or Rejection ─▶ dead letter
//!                        ▼
//!   avro ───────────────▶ single-object encoded message (schemas/*.avsc)
//!                        ▼
//!   sink::kafka ────────▶ one transaction per page: records + dead letters + checkpoint
//! ```
//!
//! ## Modules
//! - [`config`]: the TOML file, parsed then validated into runtime types.
//! - [`schedule`]: cron schedules and the non-overlapping fire loop.
//! - [`source`]: upstream kinds (`http_json`).
//! - [`normalize`]: exact parsers, vocabularies, record families.
//! - [`region`]: the bundled division table (Shanxi, 2023).
//! - [`avro`]: the schema contract and encoders.
//! - [`fingerprint`]: change detection by content fingerprint.
//! - [`sink`]: Kafka topics, transactional producers, checkpoints.
//! - [`pipeline`]: one sync cycle of one source.
//! - [`backoff`]: exponential backoff for retries after failures.
//! - [`protect`]: personal data protection (keyed pseudonyms, masked names, the redactor
//!   of free text, native ids and file names, and the log writer that masks every line).
//! - [`daemon`]: `run` (scheduled) and `once`.
//! - [`inspect`]: read topics back and decode them (`ruralsync peek`).
//!
//! The upstream simulator the tests, the demo and the benchmark run against is its own
//! crate, `crates/ruralsync-sim`: an independent oracle that shares the division table
//! (`data/`) as data and no code with this one.

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
pub mod schedule;
pub mod settings;
pub mod sink;
pub mod source;
