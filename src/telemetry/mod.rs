//! What the daemon tells operators about itself, as plain data and as metrics.
//!
//! - [`state`]: the registry of every source's state (idle, running, failing, paused,
//!   stopped), last cycle report, last success, next fire time and committed checkpoint,
//!   which the daemon's source tasks update and the admin API reads;
//! - [`metrics`]: every Prometheus metric, defined in one place (OpenMetrics text by the
//!   `prometheus-client` crate), with bounded label values only: source names come from
//!   the config, reasons from the fixed reason codes, outcomes and status classes from
//!   fixed enums;
//! - [`events`]: one named type per thing that happens (a page committed, a transaction
//!   attempt ended, a cycle finished), each updating its metrics in one place.
//!
//! [`Telemetry`] holds the two and is what the pipeline's
//! [`Observer`](crate::pipeline::Observer) hook reports to: the pipeline hands over plain
//! counts and knows nothing of Prometheus or HTTP.

pub mod events;
pub mod metrics;
pub mod state;

use std::sync::Arc;

pub use events::{CycleFinished, Outcome};
pub use metrics::Metrics;
pub use state::{SourceState, SourceStates, Status};

use crate::pipeline::{Observer, PageCounts};
use crate::sink::kafka::Recovery;

/// The daemon's metrics and source states, shared by the source tasks, the pipeline's
/// hook and the admin server.
#[derive(Debug)]
pub struct Telemetry {
    pub metrics: Metrics,
    pub states: SourceStates,
}

impl Telemetry {
    /// For the given sources: `(name, family, schedule expression)`.
    pub fn new<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'static str, &'a str)>,
    ) -> Arc<Self> {
        let states = SourceStates::new(sources);
        let metrics = Metrics::new();
        for s in states.snapshot() {
            metrics.register_source(&s.name, s.family);
        }
        Arc::new(Telemetry { metrics, states })
    }

    /// The metrics text for a scrape, freshness and states brought up to `now` first.
    pub fn scrape(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        self.metrics.refresh(&self.states.snapshot(), now);
        self.metrics.encode()
    }
}

impl Observer for Telemetry {
    fn page_committed(&self, source: &str, counts: &PageCounts) {
        let family = self.states.family_of(source).unwrap_or("unknown");
        events::PageCommitted {
            source,
            family,
            counts,
        }
        .emit(&self.metrics);
    }

    fn transaction(&self, source: &str, failure: Option<Recovery>) {
        events::TransactionEnded { source, failure }.emit(&self.metrics);
    }
}
