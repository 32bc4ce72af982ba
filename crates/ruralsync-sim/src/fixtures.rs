//! Short helpers for tests that read the simulator's records: a simulator of either
//! profile, its records parsed, a field as text, an update time. Shared by the
//! simulator's own tests and the daemon's `tests/simulator_contract.rs`.

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::record::UPDATED_FORMAT;
use crate::{Profile, SimConfig, Simulator};

/// A simulator of the clean profile.
pub fn sim(seed: u64, records: usize) -> Simulator {
    Simulator::new(SimConfig {
        seed,
        records,
        ..SimConfig::default()
    })
}

/// A simulator of the dirty profile.
pub fn dirty(seed: u64, records: usize) -> Simulator {
    Simulator::new(SimConfig {
        seed,
        records,
        profile: Profile::Dirty,
        ..SimConfig::default()
    })
}

/// Every record rendered, in API order.
pub fn rendered(sim: &Simulator) -> Vec<String> {
    sim.rendered()
}

/// Every record parsed, in API order.
///
/// # Panics
/// When the simulator renders a record that is not JSON (a test failure).
pub fn parsed(sim: &Simulator) -> Vec<Value> {
    rendered(sim)
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect()
}

/// The text of `key` in `record`.
///
/// # Panics
/// When the field is not a string (a test failure naming the record).
pub fn s<'a>(record: &'a Value, key: &str) -> &'a str {
    record[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {record}"))
}

/// A `更新时间` as the simulator writes it.
///
/// # Panics
/// When `text` is not in the simulator's format (a test failure).
pub fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, UPDATED_FORMAT).unwrap()
}
