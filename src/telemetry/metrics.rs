//! Every metric the daemon exposes, defined in one place. Names follow Prometheus
//! conventions: the `ruralsync_` prefix, units in the name, `_total` on counters (added
//! by the encoder). Label values are bounded: source names and families from the config,
//! dead-letter reasons from the fixed reason codes, outcomes and status classes from the
//! fixed sets below.

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

use super::state::{SourceState, Status};

/// HTTP status classes of upstream answers; `error` when no answer came (timeout,
/// connection refused, TLS).
pub const STATUS_CLASSES: [&str; 5] = ["2xx", "3xx", "4xx", "5xx", "error"];

/// Labels of one source.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
}

/// Labels of one source and its record family.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FamilyLabels {
    pub source: String,
    pub family: &'static str,
}

/// A source, its family and a dead-letter reason code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub source: String,
    pub family: &'static str,
    pub reason: &'static str,
}

/// A source and one value of a fixed set (an outcome, a status class, a state).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub source: String,
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusClassLabels {
    pub source: String,
    pub status_class: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub source: String,
    pub state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type HistogramFamily = Family<SourceLabels, Histogram, fn() -> Histogram>;

fn cycle_histogram() -> Histogram {
    // 0.1 s to about 3.6 h: a cycle is a page or a whole table.
    Histogram::new(exponential_buckets(0.1, 2.0, 18))
}

/// The daemon's metrics and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub records_fetched: Family<FamilyLabels, Counter>,
    pub records_published: Family<FamilyLabels, Counter>,
    pub records_dead_lettered: Family<ReasonLabels, Counter>,
    pub records_unchanged: Family<FamilyLabels, Counter>,
    pub cycles: Family<OutcomeLabels, Counter>,
    pub cycle_duration: HistogramFamily,
    pub last_success: Family<SourceLabels, FloatGauge>,
    pub freshness: Family<SourceLabels, FloatGauge>,
    pub source_state: Family<StateLabels, Gauge>,
    pub schedule_interval: Family<SourceLabels, FloatGauge>,
    pub upstream_requests: Family<StatusClassLabels, Counter>,
    pub upstream_retries: Family<SourceLabels, Counter>,
    pub upstream_throttled_waits: Family<SourceLabels, Counter>,
    pub upstream_wait: Family<SourceLabels, Counter<f64, AtomicU64>>,
    pub kafka_transactions: Family<OutcomeLabels, Counter>,
    pub kafka_produce_errors: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("ruralsync"),
            records_fetched: Family::default(),
            records_published: Family::default(),
            records_dead_lettered: Family::default(),
            records_unchanged: Family::default(),
            cycles: Family::default(),
            cycle_duration: Family::new_with_constructor(cycle_histogram),
            last_success: Family::default(),
            freshness: Family::default(),
            source_state: Family::default(),
            schedule_interval: Family::default(),
            upstream_requests: Family::default(),
            upstream_retries: Family::default(),
            upstream_throttled_waits: Family::default(),
            upstream_wait: Family::default(),
            kafka_transactions: Family::default(),
            kafka_produce_errors: Family::default(),
        };
        m.register();
        m
    }

    fn register(&mut self) {
        let r = &mut self.registry;
        r.register(
            "records_fetched",
            "Records received from the source",
            self.records_fetched.clone(),
        );
        r.register(
            "records_published",
            "Records published to the family's topic (committed)",
            self.records_published.clone(),
        );
        r.register(
            "records_dead_lettered",
            "Records and refused inputs published to the dead-letter topic, by reason code",
            self.records_dead_lettered.clone(),
        );
        r.register(
            "records_unchanged",
            "Records read again whose content had not changed: not republished",
            self.records_unchanged.clone(),
        );
        r.register(
            "cycles",
            "Sync cycles by outcome: success, failure, interrupted, panicked",
            self.cycles.clone(),
        );
        r.register_with_unit(
            "cycle_duration",
            "Duration of sync cycles",
            Unit::Seconds,
            self.cycle_duration.clone(),
        );
        r.register_with_unit(
            "last_success_timestamp",
            "Unix time the last successful cycle finished",
            Unit::Seconds,
            self.last_success.clone(),
        );
        r.register_with_unit(
            "freshness",
            "Now minus the update time of the committed position (the newest record published)",
            Unit::Seconds,
            self.freshness.clone(),
        );
        r.register(
            "source_state",
            "1 for the source's current state: idle, running, failing, paused, stopped",
            self.source_state.clone(),
        );
        r.register_with_unit(
            "schedule_interval",
            "Time between the source's next two fire times",
            Unit::Seconds,
            self.schedule_interval.clone(),
        );
        r.register(
            "upstream_requests",
            "Upstream HTTP requests by status class (error: no answer)",
            self.upstream_requests.clone(),
        );
        r.register(
            "upstream_retries",
            "Upstream requests repeated after a retriable failure",
            self.upstream_retries.clone(),
        );
        r.register(
            "upstream_throttled_waits",
            "429 answers whose Retry-After was waited out",
            self.upstream_throttled_waits.clone(),
        );
        r.register_with_unit(
            "upstream_retry_wait",
            "Time waited before upstream retries",
            Unit::Seconds,
            self.upstream_wait.clone(),
        );
        r.register(
            "kafka_transactions",
            "Kafka transactions by outcome: committed, aborted",
            self.kafka_transactions.clone(),
        );
        r.register("kafka_produce_errors", "Failed Kafka transaction attempts by what was done: retry, reconnect, fenced, too_large, stop", self.kafka_produce_errors.clone());
        r.register(
            "build",
            "The running build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
    }

    /// Create every per-source series at zero, so rates and alerts see a source before
    /// its first cycle.
    pub fn register_source(&self, source: &str, family: &'static str) {
        let s = SourceLabels {
            source: source.to_owned(),
        };
        let f = FamilyLabels {
            source: source.to_owned(),
            family,
        };
        for counters in [
            &self.records_fetched,
            &self.records_published,
            &self.records_unchanged,
        ] {
            let _ = counters.get_or_create(&f);
        }
        for outcome in super::events::Outcome::ALL {
            let _ = self
                .cycles
                .get_or_create(&outcome_labels(source, outcome.as_str()));
        }
        for outcome in ["committed", "aborted"] {
            let _ = self
                .kafka_transactions
                .get_or_create(&outcome_labels(source, outcome));
        }
        for what in super::events::PRODUCE_ERRORS {
            let _ = self
                .kafka_produce_errors
                .get_or_create(&outcome_labels(source, what));
        }
        for class in STATUS_CLASSES {
            let _ = self.upstream_requests.get_or_create(&StatusClassLabels {
                source: source.to_owned(),
                status_class: class,
            });
        }
        let _ = self.upstream_retries.get_or_create(&s);
        let _ = self.upstream_throttled_waits.get_or_create(&s);
        let _ = self.upstream_wait.get_or_create(&s);
        let _ = self.cycle_duration.get_or_create(&s);
    }

    /// Bring the gauges computed from the states up to `now`: freshness, last success,
    /// the state, the schedule's interval.
    pub fn refresh(&self, states: &[SourceState], now: DateTime<Utc>) {
        for s in states {
            let labels = SourceLabels {
                source: s.name.clone(),
            };
            let position = s.checkpoint.as_ref().and_then(|c| c.position.as_ref());
            if let Some(p) = position {
                let age = (now - p.updated_at).num_milliseconds().max(0) as f64 / 1000.0;
                self.freshness.get_or_create(&labels).set(age);
            }
            if let Some(t) = s.last_success_at {
                self.last_success
                    .get_or_create(&labels)
                    .set(t.timestamp_millis() as f64 / 1000.0);
            }
            for state in Status::ALL {
                let value = i64::from(state == s.status);
                self.source_state
                    .get_or_create(&StateLabels {
                        source: s.name.clone(),
                        state: state.as_str(),
                    })
                    .set(value);
            }
        }
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would be a bug in a metric
        // type, and an empty scrape says so louder than a panic in the server.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "encoding the metrics failed; this is a bug");
        }
        text
    }
}

pub(super) fn outcome_labels(source: &str, outcome: &'static str) -> OutcomeLabels {
    OutcomeLabels {
        source: source.to_owned(),
        outcome,
    }
}
