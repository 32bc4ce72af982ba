//! The source loop under tokio's paused clock: a cycle takes 25 s on a 10 s schedule,
//! and operators' commands arrive while it runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::schedule::TokioClock;

/// A cycle that takes 25 s and records when it ran; it fails the test if two overlap.
struct Slow {
    origin: DateTime<Utc>,
    clock: TokioClock,
    running: Arc<AtomicBool>,
    runs: Arc<Mutex<Vec<(i64, i64)>>>,
}

impl Cycle for Slow {
    async fn cycle(&mut self, _stop: &CancellationToken) -> Result<CycleReport, SyncError> {
        assert!(
            !self.running.swap(true, Ordering::SeqCst),
            "two cycles overlap"
        );
        let started = (self.clock.now() - self.origin).num_seconds();
        tokio::time::sleep(Duration::from_secs(25)).await;
        let ended = (self.clock.now() - self.origin).num_seconds();
        self.runs.lock().unwrap().push((started, ended));
        self.running.store(false, Ordering::SeqCst);
        Ok(CycleReport {
            fetched: 1,
            ..CycleReport::default()
        })
    }

    fn committed(&self) -> CheckpointSummary {
        CheckpointSummary {
            position: None,
            published_total: 0,
            dead_letters_total: 0,
            committed_at: DateTime::UNIX_EPOCH,
        }
    }

    fn transport(&self) -> Option<PullStats> {
        None
    }
}

#[tokio::test(start_paused = true)]
async fn run_now_waits_for_the_running_cycle_and_pause_skips_fire_times() {
    let origin = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 11, 27, 8, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let clock = TokioClock::starting_at(origin);
    let schedule = Schedule::parse("*/10 * * * * *", chrono_tz::Asia::Shanghai).unwrap();
    let telemetry = Telemetry::new([("s", "collective_asset", "*/10 * * * * *")]);
    let mut controls = Controls::default();
    let commands = controls.add("s");
    let stop = CancellationToken::new();
    let runs: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    let slow = Slow {
        origin,
        clock,
        running: Arc::default(),
        runs: runs.clone(),
    };
    let task = {
        let (telemetry, stop) = (telemetry.clone(), stop.clone());
        tokio::spawn(async move {
            let driver = Driver {
                name: "s",
                schedule: &schedule,
                clock: &clock,
                telemetry,
                stop,
            };
            source_loop(driver, slow, commands).await;
        })
    };
    let at = |secs: u64| {
        tokio::time::sleep_until(tokio::time::Instant::now() + Duration::from_secs(secs))
    };
    at(12).await; // t = 12: the 10 s fire is running
    assert_eq!(telemetry.states.get("s").unwrap().status, Status::Running);
    controls.send("s", Command::RunNow).unwrap();
    at(84).await; // t = 96
    controls.send("s", Command::Pause).unwrap();
    at(1).await; // t = 97
    assert_eq!(telemetry.states.get("s").unwrap().status, Status::Paused);
    assert_eq!(telemetry.states.get("s").unwrap().next_fire_at, None);
    controls.send("s", Command::RunNow).unwrap(); // ignored while paused
    at(28).await; // t = 125
    controls.send("s", Command::Resume).unwrap();
    at(16).await; // t = 141, the 130 s fire running
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        *runs.lock().unwrap(),
        [(10, 35), (35, 60), (70, 95), (130, 155)],
        "the manual run starts when the scheduled one ends; fires at 100-120 s are skipped while paused"
    );
    let state = telemetry.states.get("s").unwrap();
    assert_eq!(state.last_cycle.unwrap().outcome, "success");
    assert!(state.last_success_at.is_some());
    assert_eq!(
        controls.send("t", Command::RunNow),
        Err(SendError::UnknownSource)
    );
}
