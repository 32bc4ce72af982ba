//! One type per thing that happens, each updating its metrics (and, where the pipeline
//! does not log it already, writing its log line) in one place.

use std::time::Duration;

use super::metrics::{
    outcome_labels, FamilyLabels, Metrics, ReasonLabels, SourceLabels, StatusClassLabels,
    STATUS_CLASSES,
};
use crate::pipeline::{CycleReport, PageCounts, SyncError};
use crate::sink::kafka::Recovery;
use crate::source::http_json::PullStats;

/// What was done after a failed transaction attempt: the `outcome` label of
/// `ruralsync_kafka_produce_errors_total`.
pub const PRODUCE_ERRORS: [&str; 5] = ["retry", "reconnect", "fenced", "too_large", "stop"];

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Stopped by shutdown before the page in flight was committed.
    Interrupted,
    /// The source's code panicked (a bug).
    Panicked,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Interrupted,
        Outcome::Panicked,
    ];

    pub fn of(result: &Result<CycleReport, SyncError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Success,
            Err(SyncError::Interrupted { .. }) => Outcome::Interrupted,
            Err(SyncError::Panicked { .. }) => Outcome::Panicked,
            Err(_) => Outcome::Failure,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Interrupted => "interrupted",
            Outcome::Panicked => "panicked",
        }
    }
}

/// A page's transaction committed (or the page needed none): its counts.
pub struct PageCommitted<'a> {
    pub source: &'a str,
    pub family: &'static str,
    pub counts: &'a PageCounts,
}

impl PageCommitted<'_> {
    pub fn emit(&self, m: &Metrics) {
        let f = FamilyLabels {
            source: self.source.to_owned(),
            family: self.family,
        };
        let c = self.counts;
        m.records_fetched.get_or_create(&f).inc_by(c.fetched);
        m.records_published.get_or_create(&f).inc_by(c.published);
        m.records_unchanged
            .get_or_create(&f)
            .inc_by(c.unchanged + c.unchanged_dead_letters);
        for (reason, n) in &c.dead_letters_by_reason {
            m.records_dead_lettered
                .get_or_create(&ReasonLabels {
                    source: self.source.to_owned(),
                    family: self.family,
                    reason,
                })
                .inc_by(*n);
        }
    }
}

/// One attempt at a page's transaction ended: committed (`failure` none) or failed, and
/// what the pipeline does about it.
pub struct TransactionEnded<'a> {
    pub source: &'a str,
    pub failure: Option<Recovery>,
}

impl TransactionEnded<'_> {
    pub fn emit(&self, m: &Metrics) {
        let Some(recovery) = self.failure else {
            m.kafka_transactions
                .get_or_create(&outcome_labels(self.source, "committed"))
                .inc();
            return;
        };
        m.kafka_transactions
            .get_or_create(&outcome_labels(self.source, "aborted"))
            .inc();
        let what = PRODUCE_ERRORS[match recovery {
            Recovery::Retry => 0,
            Recovery::Reconnect => 1,
            Recovery::Fenced => 2,
            Recovery::TooLarge => 3,
            Recovery::Stop => 4,
        }];
        m.kafka_produce_errors
            .get_or_create(&outcome_labels(self.source, what))
            .inc();
    }
}

/// A cycle finished.
pub struct CycleFinished<'a> {
    pub source: &'a str,
    pub outcome: Outcome,
    pub duration: Duration,
    /// What the pull did on the wire, for kinds that count it.
    pub transport: Option<PullStats>,
}

impl CycleFinished<'_> {
    pub fn emit(&self, m: &Metrics) {
        let s = SourceLabels {
            source: self.source.to_owned(),
        };
        m.cycles
            .get_or_create(&outcome_labels(self.source, self.outcome.as_str()))
            .inc();
        m.cycle_duration
            .get_or_create(&s)
            .observe(self.duration.as_secs_f64());
        let Some(t) = self.transport else { return };
        for (class, n) in STATUS_CLASSES.iter().zip(t.by_status_class) {
            m.upstream_requests
                .get_or_create(&StatusClassLabels {
                    source: self.source.to_owned(),
                    status_class: class,
                })
                .inc_by(n);
        }
        m.upstream_retries.get_or_create(&s).inc_by(t.retries);
        m.upstream_throttled_waits
            .get_or_create(&s)
            .inc_by(t.throttled);
        m.upstream_wait
            .get_or_create(&s)
            .inc_by(t.waited.as_secs_f64());
    }
}
