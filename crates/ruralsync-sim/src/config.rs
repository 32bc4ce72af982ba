//! Configuration of the simulated exchange.

use std::time::Duration;

use super::auth::Auth;
use super::hostile::Hostile;
use super::http_faults::HttpFaults;

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
    /// Clean data, or about 15% of generated records with one deliberate fault each.
    pub profile: Profile,
    /// How clients authenticate to the data endpoints (default [`Auth::None`]).
    pub auth: Auth,
    /// HTTP faults injected into data requests, drawn from `seed` (default: none). Change
    /// them while serving with `Simulator::set_http_faults`.
    pub http_faults: HttpFaults,
    /// A hostile upstream's misbehaviour: links and redirects to other origins, echoed
    /// credentials, oversized bodies, hostile error text (default: none).
    pub hostile: Hostile,
}

/// Which data the simulator generates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// Every record is valid (with the platform's ordinary quirks).
    #[default]
    Clean,
    /// As clean, but about 15% of the generated records (never the anchors) carry one
    /// [`Fault`](super::Fault) each; see `Simulator::faults`.
    Dirty,
}

impl Profile {
    /// `clean` or `dirty`, as the command line writes it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Clean => "clean",
            Profile::Dirty => "dirty",
        }
    }
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
            profile: Profile::Clean,
            auth: Auth::None,
            http_faults: HttpFaults::default(),
            hostile: Hostile::default(),
        }
    }
}
