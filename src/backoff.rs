//! Exponential backoff with jitter, for retrying what an outage interrupted.

use std::time::Duration;

use rand::Rng;

/// Delays of `initial`, 2×, 4×, … capped at `max`, each shortened by up to a quarter at
/// random so that many sources do not retry in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            next: initial,
            max,
            attempt: 0,
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next.min(self.max);
        self.next = base.saturating_mul(2).min(self.max);
        self.attempt += 1;
        let jitter = rand::rng().random_range(0.0..0.25);
        base.mul_f64(1.0 - jitter)
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
}
