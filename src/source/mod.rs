//! Sources: the upstream systems records are pulled from. One folder per kind; the kind
//! is chosen by the `type` tag of `[sources.<name>]` (see [`crate::config::SourceKind`]).
//!
//! A source yields [`Page`]s of raw upstream records (JSON objects with the platform's
//! field names) in the upstream's change order; normalisation happens downstream.

pub mod http_json;

use serde_json::Value;

/// One page of raw upstream records.
#[derive(Debug, Clone)]
pub struct Page {
    /// 1-based page number within this pull.
    pub number: u64,
    pub records: Vec<Value>,
    /// Whether the source says no page follows this one.
    pub last: bool,
}
