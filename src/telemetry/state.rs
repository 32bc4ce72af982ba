//! The registry of source states: what each source is doing, what its last cycle did,
//! where its checkpoint stands. The daemon's source tasks write it, the admin API and
//! the metrics read it. A plain mutex: nothing holds it across an await.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::normalize::Position;

/// What a source is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its next fire time (or for Kafka, before the daemon is ready).
    Idle,
    /// A cycle is running.
    Running,
    /// Its last cycle failed; it runs again at its next fire time.
    Failing,
    /// Paused by an operator: fire times are skipped until resumed.
    Paused,
    /// Stopped for good in this process (fenced by another instance, or an error no
    /// retry cures).
    Stopped,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Idle,
        Status::Running,
        Status::Failing,
        Status::Paused,
        Status::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Running => "running",
            Status::Failing => "failing",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// What the last finished cycle did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleSummary {
    /// `success`, `failure`, `interrupted` or `panicked`.
    pub outcome: &'static str,
    /// `schedule` or `manual`.
    pub trigger: &'static str,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub pages: u64,
    pub fetched: u64,
    pub published: u64,
    pub dead_letters: u64,
    pub dead_letters_by_reason: BTreeMap<&'static str, u64>,
    pub unchanged: u64,
    pub already_published: u64,
    /// The error, when the cycle failed (redacted like every text leaving the process).
    pub error: Option<String>,
}

/// The committed checkpoint, as far as operators need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointSummary {
    /// The committed position: update time and native id of the last record (the id is
    /// as the checkpoint holds it: protected).
    pub position: Option<Position>,
    pub published_total: u64,
    pub dead_letters_total: u64,
    pub committed_at: DateTime<Utc>,
}

/// One source's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceState {
    pub name: String,
    pub family: &'static str,
    pub schedule: String,
    pub status: Status,
    /// Paused by an operator (the status says `paused` unless a cycle is running).
    pub paused: bool,
    pub last_cycle: Option<CycleSummary>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// When the source began failing (its first failed cycle since the last success).
    pub failing_since: Option<DateTime<Utc>>,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub checkpoint: Option<CheckpointSummary>,
    /// Reserved for several instances sharing the sources (issue 16): which instance
    /// owns this source, the group generation it owns it in, and when it last moved.
    pub owner_instance: Option<String>,
    pub group_generation: Option<u64>,
    pub last_rebalance_at: Option<DateTime<Utc>>,
}

/// Every source's state, and whether Kafka answered.
#[derive(Debug)]
pub struct SourceStates {
    sources: Mutex<BTreeMap<String, SourceState>>,
    kafka_ready: AtomicBool,
}

/// A readiness check that failed, for `/readyz`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedCheck {
    pub check: String,
    pub message: String,
}

impl SourceStates {
    /// For the given sources: `(name, family, schedule expression)`.
    pub fn new<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'static str, &'a str)>,
    ) -> SourceStates {
        let sources = sources
            .into_iter()
            .map(|(name, family, schedule)| {
                let state = SourceState {
                    name: name.to_owned(),
                    family,
                    schedule: schedule.to_owned(),
                    status: Status::Idle,
                    paused: false,
                    last_cycle: None,
                    last_success_at: None,
                    failing_since: None,
                    next_fire_at: None,
                    checkpoint: None,
                    owner_instance: None,
                    group_generation: None,
                    last_rebalance_at: None,
                };
                (name.to_owned(), state)
            })
            .collect();
        SourceStates {
            sources: Mutex::new(sources),
            kafka_ready: AtomicBool::new(false),
        }
    }

    /// Change one source's state; unknown names are ignored (the registry is built from
    /// the same config as the tasks).
    pub fn update(&self, name: &str, change: impl FnOnce(&mut SourceState)) {
        // A poisoned lock means a panic while updating plain data: the data is still
        // usable, so go on with it.
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(state) = sources.get_mut(name) {
            change(state);
        }
    }

    pub fn get(&self, name: &str) -> Option<SourceState> {
        let sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources.get(name).cloned()
    }

    /// Every source's state, in name order.
    pub fn snapshot(&self) -> Vec<SourceState> {
        let sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources.values().cloned().collect()
    }

    pub fn family_of(&self, name: &str) -> Option<&'static str> {
        let sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources.get(name).map(|s| s.family)
    }

    /// Kafka answered: topics exist, producers are initialised, checkpoints are read.
    pub fn set_kafka_ready(&self) {
        self.kafka_ready.store(true, Ordering::SeqCst);
    }

    pub fn kafka_ready(&self) -> bool {
        self.kafka_ready.load(Ordering::SeqCst)
    }

    /// The readiness checks that fail at `now`: Kafka not answered yet, or an unpaused
    /// source failing (or stopped) for longer than `grace`. Empty when ready.
    pub fn failed_checks(&self, now: DateTime<Utc>, grace: Duration) -> Vec<FailedCheck> {
        let mut failed = Vec::new();
        if !self.kafka_ready() {
            failed.push(FailedCheck {
                check: "kafka".into(),
                message:
                    "Kafka has not answered yet: topics, producers or checkpoints are not ready"
                        .into(),
            });
        }
        let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        for s in self.snapshot() {
            let Some(since) = s.failing_since.filter(|_| !s.paused) else {
                continue;
            };
            if now - since > grace {
                let error = s.last_cycle.and_then(|c| c.error).unwrap_or_default();
                failed.push(FailedCheck {
                    check: format!("source:{}", s.name),
                    message: format!(
                        "{} since {} (longer than admin.ready_failing_grace_secs = {}): {error}",
                        s.status.as_str(),
                        since.to_rfc3339(),
                        grace.num_seconds()
                    ),
                });
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_once_kafka_answered_and_no_source_fails_past_the_grace() {
        let states = SourceStates::new([
            ("a", "collective_asset", "* * * * *"),
            ("b", "x", "* * * * *"),
        ]);
        let now = Utc::now();
        let grace = Duration::from_secs(600);
        let checks = states.failed_checks(now, grace);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].check, "kafka");
        states.set_kafka_ready();
        assert!(states.failed_checks(now, grace).is_empty());
        states.update("b", |s| {
            s.status = Status::Failing;
            s.failing_since = Some(now - chrono::Duration::seconds(599));
        });
        assert!(
            states.failed_checks(now, grace).is_empty(),
            "within the grace"
        );
        let later = now + chrono::Duration::seconds(2);
        let checks = states.failed_checks(later, grace);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].check, "source:b");
        states.update("b", |s| s.paused = true);
        assert!(
            states.failed_checks(later, grace).is_empty(),
            "a paused source does not count"
        );
    }
}
