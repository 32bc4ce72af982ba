//! Commands to a running source (run now, pause, resume) and the loop of a source's task
//! that obeys them.
//!
//! The loop waits on three things at once — its schedule's next fire time, a command, and
//! shutdown — and runs a cycle to its end before it waits again. Commands are read only
//! between cycles, so a "run now" can never overlap a running cycle: it waits for it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::pipeline::{CycleReport, SourceRunner, SyncError};
use crate::protect::logging::protect_event;
use crate::schedule::{Clock, Schedule, Ticker};
use crate::source::http_json::PullStats;
use crate::telemetry::state::{CheckpointSummary, CycleSummary};
use crate::telemetry::{CycleFinished, Outcome, Status, Telemetry};

/// Commands waiting for a source's task; more are refused (the API answers 429).
const QUEUE: usize = 4;

/// What an operator asks of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Run a cycle now (after the running one, if any).
    RunNow,
    /// Skip fire times until resumed; a running cycle finishes.
    Pause,
    Resume,
}

/// The sending ends of every source's command channel.
#[derive(Debug, Default)]
pub struct Controls {
    senders: BTreeMap<String, mpsc::Sender<Command>>,
}

/// Why a command was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    UnknownSource,
    /// The source's queue is full (or its task ended).
    Busy,
}

impl Controls {
    /// A channel for `source`: the receiver goes to its task.
    pub fn add(&mut self, source: &str) -> mpsc::Receiver<Command> {
        let (tx, rx) = mpsc::channel(QUEUE);
        self.senders.insert(source.to_owned(), tx);
        rx
    }

    /// Queue `command` for `source`'s task.
    ///
    /// # Errors
    /// [`SendError`] when no such source runs here or its queue is full.
    pub fn send(&self, source: &str, command: Command) -> Result<(), SendError> {
        let sender = self.senders.get(source).ok_or(SendError::UnknownSource)?;
        sender.try_send(command).map_err(|_| SendError::Busy)
    }
}

/// A source as its task loop drives it: [`SourceRunner`] in the daemon.
pub trait Cycle: Send {
    /// Run one cycle; stop after the page in flight when `stop` is cancelled.
    fn cycle(
        &mut self,
        stop: &CancellationToken,
    ) -> impl Future<Output = Result<CycleReport, SyncError>> + Send;
    /// The committed checkpoint.
    fn committed(&self) -> CheckpointSummary;
    /// What the latest pull did on the wire, for kinds that count it.
    fn transport(&self) -> Option<PullStats>;
}

impl Cycle for SourceRunner {
    fn cycle(
        &mut self,
        stop: &CancellationToken,
    ) -> impl Future<Output = Result<CycleReport, SyncError>> + Send {
        self.sync(stop)
    }

    fn committed(&self) -> CheckpointSummary {
        let c = self.checkpoint();
        CheckpointSummary {
            position: c.position.clone(),
            published_total: c.published_total,
            dead_letters_total: c.dead_letters_total,
            committed_at: c.committed_at,
        }
    }

    fn transport(&self) -> Option<PullStats> {
        self.transport_stats()
    }
}

/// What drives one source's task.
pub struct Driver<'a> {
    pub name: &'a str,
    pub schedule: &'a Schedule,
    pub clock: &'a dyn Clock,
    pub telemetry: Arc<Telemetry>,
    pub stop: CancellationToken,
}

/// Run `source` on its schedule and on command until shutdown, or until it must stop
/// (fenced, or an error no retry cures); returns it for closing.
pub async fn source_loop<C: Cycle>(
    driver: Driver<'_>,
    mut source: C,
    mut commands: mpsc::Receiver<Command>,
) -> C {
    let name = driver.name;
    let states = &driver.telemetry.states;
    let mut ticker = Ticker::new(name, driver.schedule, driver.clock);
    let mut paused = false;
    let committed = source.committed();
    states.update(name, |s| s.checkpoint = Some(committed));
    loop {
        let next = driver.schedule.next_after(driver.clock.now());
        states.update(name, |s| s.next_fire_at = next.filter(|_| !paused));
        let trigger = tokio::select! {
            biased;
            () = driver.stop.cancelled() => break,
            Some(command) = commands.recv() => match command {
                Command::RunNow if paused => {
                    tracing::info!(source = name, "run now ignored: the source is paused");
                    continue;
                }
                Command::RunNow => "manual",
                Command::Pause | Command::Resume => {
                    paused = command == Command::Pause;
                    set_paused(&driver, paused);
                    continue;
                }
            },
            fire = ticker.tick(&driver.stop) => match fire {
                None => break,
                Some(_) if paused => continue,
                Some(_) => "schedule",
            },
        };
        if run_cycle(&driver, &mut source, trigger, paused).await == Next::Stop {
            break;
        }
    }
    source
}

fn set_paused(driver: &Driver<'_>, paused: bool) {
    tracing::info!(
        source = driver.name,
        paused,
        "{}",
        if paused {
            "source paused by an operator"
        } else {
            "source resumed by an operator"
        }
    );
    driver.telemetry.states.update(driver.name, |s| {
        s.paused = paused;
        s.status = match (paused, s.failing_since) {
            (true, _) => Status::Paused,
            (false, Some(_)) => Status::Failing,
            (false, None) => Status::Idle,
        };
    });
}

#[derive(Debug, PartialEq, Eq)]
enum Next {
    Continue,
    Stop,
}

/// One cycle, with the states and metrics it moves.
async fn run_cycle<C: Cycle>(
    driver: &Driver<'_>,
    source: &mut C,
    trigger: &'static str,
    paused: bool,
) -> Next {
    let (name, telemetry) = (driver.name, &driver.telemetry);
    let started_at = Utc::now();
    let clock = Instant::now();
    telemetry
        .states
        .update(name, |s| s.status = Status::Running);
    let result = source.cycle(&driver.stop).await;
    let outcome = Outcome::of(&result);
    let duration = clock.elapsed();
    CycleFinished {
        source: name,
        outcome,
        duration,
        transport: source.transport(),
    }
    .emit(&telemetry.metrics);
    let finished_at = Utc::now();
    let summary = summarise(&result, outcome, trigger, started_at, finished_at, duration);
    let stops = result.as_ref().err().is_some_and(SyncError::stops_source);
    let committed = source.committed();
    telemetry.states.update(name, |s| {
        s.last_cycle = Some(summary);
        s.checkpoint = Some(committed);
        match outcome {
            Outcome::Success => {
                s.last_success_at = Some(finished_at);
                s.failing_since = None;
            }
            Outcome::Failure | Outcome::Panicked => {
                s.failing_since.get_or_insert(finished_at);
            }
            Outcome::Interrupted => {}
        }
        s.status = match (stops, paused, s.failing_since) {
            (true, _, _) => Status::Stopped,
            (false, true, _) => Status::Paused,
            (false, false, Some(_)) => Status::Failing,
            (false, false, None) => Status::Idle,
        };
    });
    if let Err(e) = &result {
        if stops {
            let advice = if matches!(e, SyncError::Fenced { .. }) {
                "source stopped: another instance took it over; stop one of the two instances"
            } else {
                "source stopped: retrying will not help; fix the cause and restart ruralsync"
            };
            tracing::error!(source = name, error = %e, "{advice}");
            return Next::Stop;
        }
    }
    Next::Continue
}

fn summarise(
    result: &Result<CycleReport, SyncError>,
    outcome: Outcome,
    trigger: &'static str,
    started_at: chrono::DateTime<Utc>,
    finished_at: chrono::DateTime<Utc>,
    duration: std::time::Duration,
) -> CycleSummary {
    let empty = CycleReport::default();
    let report = result.as_ref().unwrap_or(&empty);
    CycleSummary {
        outcome: outcome.as_str(),
        trigger,
        started_at,
        finished_at,
        duration_ms: duration.as_millis() as u64,
        pages: report.pages,
        fetched: report.fetched,
        published: report.published,
        dead_letters: report.dead_letters,
        dead_letters_by_reason: report.dead_letters_by_reason.clone(),
        unchanged: report.unchanged,
        already_published: report.already_published,
        error: result.as_ref().err().map(|e| protect_event(&e.to_string())),
    }
}

#[cfg(test)]
mod tests;
