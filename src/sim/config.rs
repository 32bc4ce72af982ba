//! Configuration of the simulated exchange.

use std::time::Duration;

/// How the simulator generates its data and how it changes while serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Seed of every random draw: the same seed and size give the same dataset.
    pub seed: u64,
    /// Total number of projects including the five anchors (at least 5).
    pub records: usize,
    /// Largest `pageSize` the API accepts (at least 1; default 1000).
    pub max_page_size: usize,
    /// When set, `serve` mutates the dataset at this period.
    pub mutate_every: Option<Duration>,
    /// Projects moved along their lifecycle by each periodic mutation.
    pub mutate_changed: usize,
    /// Projects newly listed by each periodic mutation.
    pub mutate_new: usize,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            seed: 42,
            records: 5000,
            max_page_size: 1000,
            mutate_every: None,
            mutate_changed: 10,
            mutate_new: 5,
        }
    }
}
