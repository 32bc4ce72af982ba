//! Pacing of requests: `Retry-After` of a 429, the per-source request rate limit, and the
//! counters a pull reports (requests, retries, 429s honoured, time waited).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The wait a `Retry-After` value asks for at `now`: delay-seconds or an HTTP date
/// (RFC 9110 §10.2.3). A date in the past asks for no wait; anything else is not a
/// `Retry-After` (`None`: fall back to backoff).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than u64 holds: as good as forever, and capped by the caller.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// At most one request per `interval`, shared by every request of a source.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn new(interval: Duration) -> RateLimiter {
        RateLimiter {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Wait for the next free slot; returns how long that took.
    pub async fn acquire(&self) -> Duration {
        let now = Instant::now();
        let at = {
            let mut next = self.next.lock().await;
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at).await;
        at - now
    }
}

/// What one pull did on the wire, as [`PullStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    waited_ms: AtomicU64,
    rate_limited_ms: AtomicU64,
    /// Answers by status class: 2xx, 3xx, 4xx, 5xx, and no answer (error).
    by_status_class: [AtomicU64; 5],
}

impl Counters {
    pub fn reset(&self) {
        for c in [
            &self.requests,
            &self.retries,
            &self.throttled,
            &self.waited_ms,
            &self.rate_limited_ms,
        ]
        .into_iter()
        .chain(&self.by_status_class)
        {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// An answer with this HTTP status, or none (`None`: timeout, connection or TLS
    /// error), counted by class.
    pub fn answered(&self, status: Option<u16>) {
        let class = match status {
            Some(200..=299) => 0,
            Some(300..=399) => 1,
            Some(400..=499) => 2,
            Some(_) => 3,
            None => 4,
        };
        self.by_status_class[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A retry after waiting `wait`; `throttled` when the wait was a 429's `Retry-After`.
    pub fn retry(&self, wait: Duration, throttled: bool) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        if throttled {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        self.waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn rate_limited(&self, wait: Duration) {
        self.rate_limited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> PullStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PullStats {
            requests: get(&self.requests),
            retries: get(&self.retries),
            throttled: get(&self.throttled),
            waited: Duration::from_millis(get(&self.waited_ms)),
            rate_limited: Duration::from_millis(get(&self.rate_limited_ms)),
            by_status_class: self.by_status_class.each_ref().map(get),
        }
    }
}

/// Counters of the latest pull of an `http_json` source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullStats {
    /// HTTP requests for data, retries included (token requests not).
    pub requests: u64,
    /// Requests repeated after a retriable failure (5xx, 429, timeout, connection error,
    /// truncated body, or a 401 cured by a new OAuth2 token).
    pub retries: u64,
    /// 429s whose `Retry-After` was waited out.
    pub throttled: u64,
    /// Time spent waiting before retries (backoff and `Retry-After`).
    pub waited: Duration,
    /// Time spent waiting for the source's request rate limit.
    pub rate_limited: Duration,
    /// Answers by status class: 2xx, 3xx, 4xx, 5xx, and no answer (timeout, connection
    /// or TLS error), for the metrics.
    pub by_status_class: [u64; 5],
}

impl fmt::Display for PullStats {
    /// `requests=12 retries=2 throttled=1 waited_ms=1350 rate_limited_ms=0`, for the
    /// `sync finished` log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "requests={} retries={} throttled={} waited_ms={} rate_limited_ms={}",
            self.requests,
            self.retries,
            self.throttled,
            self.waited.as_millis(),
            self.rate_limited.as_millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past: no wait"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_spaces_requests_by_its_interval() {
        let limiter = RateLimiter::new(Duration::from_millis(400)); // 2.5 per second
        let start = Instant::now();
        let mut waits = Vec::new();
        for _ in 0..4 {
            waits.push(limiter.acquire().await);
        }
        assert_eq!(start.elapsed(), Duration::from_millis(1200));
        assert_eq!(waits[0], Duration::ZERO);
        assert_eq!(waits[1], Duration::from_millis(400));
        // After an idle spell the next request goes at once.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(limiter.acquire().await, Duration::ZERO);
    }
}
