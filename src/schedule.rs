//! Cron schedules and the loop that fires a job on them.
//!
//! A job never overlaps itself: the next fire time is computed only after the previous
//! run has finished, so fires that fall inside a long run are skipped (and said so in the
//! log), not queued. The loop races its sleep against shutdown, so a daemon stops at once
//! between runs.
//!
//! Wall-clock time comes from a [`Clock`], so tests drive the loop with tokio's paused
//! clock ([`TokioClock`]) instead of sleeping.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio_util::sync::CancellationToken;

/// A cron expression evaluated in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: cron::Schedule,
    timezone: Tz,
}

impl Schedule {
    /// Parse a cron expression with seconds (`sec min hour dom month dow [year]`) or the
    /// classic five fields (seconds are then 0).
    ///
    /// # Errors
    /// A message saying what is wrong and what the valid forms are.
    pub fn parse(expression: &str, timezone: Tz) -> Result<Schedule, String> {
        let fields = expression.split_whitespace().count();
        let normalised = match fields {
            5 => format!("0 {expression}"),
            6 | 7 => expression.to_owned(),
            n => {
                return Err(format!(
                    "{expression:?} has {n} fields; expected 5 (min hour day month weekday), \
                     6 (with seconds first) or 7 (with a year last), e.g. \"0 */5 * * * *\""
                ))
            }
        };
        let cron = cron::Schedule::from_str(&normalised)
            .map_err(|e| format!("{expression:?} is not a valid cron expression: {e}"))?;
        if cron.upcoming(timezone).next().is_none() {
            return Err(format!(
                "{expression:?} never fires (no future time matches)"
            ));
        }
        Ok(Schedule {
            expression: expression.to_owned(),
            cron,
            timezone,
        })
    }

    /// The expression as configured.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// First fire time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .after(&t.with_timezone(&self.timezone))
            .next()
            .map(|next| next.with_timezone(&Utc))
    }
}

/// Source of wall-clock time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall-clock time that advances with tokio's clock from a fixed origin: under
/// `tokio::time::pause` it jumps with the auto-advanced time, so schedules can be tested
/// without sleeping.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    wall_origin: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(wall_origin: DateTime<Utc>) -> TokioClock {
        TokioClock {
            wall_origin,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.origin;
        // An elapsed time beyond chrono's range (~292 billion years) cannot happen.
        self.wall_origin + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}

/// Yields the fire times of a schedule, one run at a time:
///
/// ```ignore
/// let mut ticker = Ticker::new("source", &schedule, &SystemClock);
/// while let Some(fire_at) = ticker.tick(&shutdown).await {
///     run_job(fire_at).await; // the next tick is computed after the job returns
/// }
/// ```
pub struct Ticker<'a> {
    name: &'a str,
    schedule: &'a Schedule,
    clock: &'a dyn Clock,
    last_fire: Option<DateTime<Utc>>,
}

impl<'a> Ticker<'a> {
    pub fn new(name: &'a str, schedule: &'a Schedule, clock: &'a dyn Clock) -> Ticker<'a> {
        Ticker {
            name,
            schedule,
            clock,
            last_fire: None,
        }
    }

    /// Wait for the next fire time after now and return it; `None` once `shutdown` is
    /// cancelled (at once, even mid-wait) or the schedule has no future time.
    pub async fn tick(&mut self, shutdown: &CancellationToken) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        if let Some(last) = self.last_fire {
            let skipped = count_fires_between(self.schedule, last, now);
            if skipped > 0 {
                tracing::warn!(
                    source = self.name,
                    skipped,
                    started = %last,
                    finished = %now,
                    "run took longer than the schedule's interval; the fires inside it were skipped, not queued"
                );
            }
        }
        let Some(fire_at) = self.schedule.next_after(now) else {
            tracing::warn!(
                source = self.name,
                schedule = self.schedule.expression(),
                "schedule has no future fire time; stopping it"
            );
            return None;
        };
        let wait = (fire_at - now).to_std().unwrap_or_default();
        tracing::debug!(source = self.name, next_fire = %fire_at, "waiting for the next scheduled run");
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(wait) => {}
        }
        self.last_fire = Some(fire_at);
        Some(fire_at)
    }
}

fn count_fires_between(schedule: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> usize {
    let mut n = 0;
    let mut t = from;
    while let Some(next) = schedule.next_after(t) {
        if next > to || n >= 10_000 {
            break;
        }
        n += 1;
        t = next;
    }
    n
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    fn shanghai(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(2026, 11, 27, h, m, s)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn five_field_expressions_fire_on_the_minute_in_the_configured_zone() {
        let s = Schedule::parse("30 2 * * *", chrono_tz::Asia::Shanghai).unwrap();
        // 02:30 Shanghai is 18:30 UTC the day before.
        assert_eq!(s.next_after(shanghai(1, 0, 0)), Some(shanghai(2, 30, 0)));
        assert_eq!(
            s.next_after(shanghai(1, 0, 0)).unwrap().to_rfc3339(),
            "2026-11-26T18:30:00+00:00"
        );
    }

    #[test]
    fn bad_expressions_say_what_is_valid() {
        let err = Schedule::parse("every 5 minutes", chrono_tz::Asia::Shanghai).unwrap_err();
        assert!(err.contains("has 3 fields; expected 5"), "{err}");
        let err = Schedule::parse("0 61 * * * *", chrono_tz::Asia::Shanghai).unwrap_err();
        assert!(err.contains("not a valid cron expression"), "{err}");
    }

    /// Under a paused clock, a job that takes 25 s on a 10 s schedule runs at 10, 40, 70,
    /// 100 s: fires inside a run are skipped, never overlapped or queued.
    #[tokio::test(start_paused = true)]
    async fn a_long_run_is_never_overlapped_and_the_next_fire_waits() {
        let origin = shanghai(8, 0, 0);
        let clock = TokioClock::starting_at(origin);
        let schedule = Schedule::parse("*/10 * * * * *", chrono_tz::Asia::Shanghai).unwrap();
        let shutdown = CancellationToken::new();
        let runs: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
        let running = Arc::new(std::sync::atomic::AtomicBool::new(false));

        let task = {
            let (runs, running, shutdown) = (runs.clone(), running.clone(), shutdown.clone());
            tokio::spawn(async move {
                let mut ticker = Ticker::new("test", &schedule, &clock);
                while let Some(fire_at) = ticker.tick(&shutdown).await {
                    let (runs, running) = (runs.clone(), running.clone());
                    // Spawned, so that an overlapping run would be observable.
                    tokio::spawn(async move {
                        assert!(
                            !running.swap(true, std::sync::atomic::Ordering::SeqCst),
                            "overlap"
                        );
                        let started = (clock.now() - origin).num_seconds();
                        assert_eq!(started, (fire_at - origin).num_seconds());
                        tokio::time::sleep(Duration::from_secs(25)).await;
                        let ended = (clock.now() - origin).num_seconds();
                        runs.lock().unwrap().push((started, ended));
                        running.store(false, std::sync::atomic::Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
                }
            })
        };
        tokio::time::sleep(Duration::from_secs(101)).await;
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            *runs.lock().unwrap(),
            [(10, 35), (40, 65), (70, 95), (100, 125)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_interrupts_the_wait_between_runs() {
        let clock = TokioClock::starting_at(shanghai(8, 0, 0));
        let schedule = Schedule::parse("0 0 3 * * *", chrono_tz::Asia::Shanghai).unwrap();
        let shutdown = CancellationToken::new();
        let fired = Arc::new(Mutex::new(0));
        let task = {
            let (shutdown, fired) = (shutdown.clone(), fired.clone());
            tokio::spawn(async move {
                let mut ticker = Ticker::new("test", &schedule, &clock);
                while ticker.tick(&shutdown).await.is_some() {
                    *fired.lock().unwrap() += 1;
                }
            })
        };
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let before = tokio::time::Instant::now();
        shutdown.cancel();
        task.await.unwrap();
        assert_eq!(
            tokio::time::Instant::now(),
            before,
            "stopped without waiting for 03:00"
        );
        assert_eq!(*fired.lock().unwrap(), 0);
    }
}
