//! Exponential backoff with jitter, for retrying what an outage interrupted.
//!
//! Two kinds of jitter: [`Backoff::new`] takes up to a quarter off each delay (Kafka
//! outages: retry soon, but not in lockstep); [`Backoff::full_jitter`] draws each delay
//! anywhere between zero and its exponential bound (HTTP retries against a shared,
//! overloaded upstream, where spreading clients out matters more than retrying soon).

use std::time::Duration;

use rand::Rng;

/// Delays of `initial`, 2×, 4×, … capped at `max`, each shortened by up to a quarter at
/// random so that many sources do not retry in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    attempt: u32,
    jitter: Jitter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jitter {
    /// Up to a quarter off.
    Quarter,
    /// Anywhere from zero to the bound.
    Full,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            next: initial,
            max,
            attempt: 0,
            jitter: Jitter::Quarter,
        }
    }

    /// Bounds of `initial`, 2×, 4×, … capped at `max`; each delay is drawn uniformly
    /// between zero and its bound ("full jitter").
    pub fn full_jitter(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            jitter: Jitter::Full,
            ..Backoff::new(initial, max)
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next.min(self.max);
        self.next = base.saturating_mul(2).min(self.max);
        self.attempt += 1;
        let off = match self.jitter {
            Jitter::Quarter => rand::rng().random_range(0.0..0.25),
            Jitter::Full => rand::rng().random_range(0.0..=1.0),
        };
        base.mul_f64(1.0 - off)
    }

    /// Attempts made so far (delays handed out).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_at_most_a_quarter_off() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let bases = [500, 1000, 2000, 4000, 4000, 4000];
        for base in bases {
            let d = b.next_delay().as_millis() as u64;
            assert!(d <= base && d >= base * 3 / 4, "{d} vs {base}");
        }
        assert_eq!(b.attempt(), 6);
    }

    #[test]
    fn full_jitter_draws_below_the_doubling_bound() {
        let mut b = Backoff::full_jitter(Duration::from_millis(100), Duration::from_millis(800));
        let bounds = [100, 200, 400, 800, 800];
        let mut total = 0;
        for bound in bounds {
            let d = b.next_delay().as_millis() as u64;
            assert!(d <= bound, "{d} vs {bound}");
            total += d;
        }
        assert!(total < bounds.iter().sum::<u64>());
    }
}
