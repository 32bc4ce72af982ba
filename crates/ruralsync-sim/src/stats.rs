//! What the simulator counted since it started ([`SimStats`], `GET /admin/stats`), so tests
//! can check how a client behaved — whether it waited out `Retry-After`, asked for gzip,
//! fetched tokens — without reading its logs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters since the simulator started, as `GET /admin/stats` serves them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SimStats {
    /// Data requests received (`GET /api/v1`–`/api/v4/transactions`), whatever their outcome.
    pub requests: u64,
    /// Complete pages answered with HTTP 200 (not counting truncated ones).
    pub pages_served: u64,
    /// HTTP faults injected.
    pub faults: FaultCounts,
    /// Data requests that arrived before the `Retry-After` of the last 429 had passed.
    pub retry_after_violations: u64,
    /// Requests refused for their credentials: HTTP 401, signature errors (40001–40005)
    /// and `invalid_client` from `POST /oauth/token`.
    pub auth_failures: u64,
    /// Access tokens issued by `POST /oauth/token`.
    pub tokens_issued: u64,
    /// Responses sent gzip-compressed (any endpoint).
    pub gzip_responses: u64,
    /// Projects newly listed by any mutation (per page, periodic or `POST /admin/mutate`).
    pub inserted: u64,
    /// Projects moved along their lifecycle by any mutation.
    pub changed: u64,
}

/// HTTP faults injected, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FaultCounts {
    /// HTTP 500, 502 or 503.
    #[serde(rename = "5xx")]
    pub server_error: u64,
    /// HTTP 429.
    #[serde(rename = "429")]
    pub too_many_requests: u64,
    /// Bodies cut off half-way.
    pub truncated: u64,
    /// Responses delayed.
    pub slow: u64,
}

/// The live counters behind [`SimStats`]. Relaxed atomics: each counter is exact, and a
/// snapshot taken while requests run may mix counts from either side of one request.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub pages_served: AtomicU64,
    pub server_error: AtomicU64,
    pub too_many_requests: AtomicU64,
    pub truncated: AtomicU64,
    pub slow: AtomicU64,
    pub retry_after_violations: AtomicU64,
    pub auth_failures: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub gzip_responses: AtomicU64,
    pub inserted: AtomicU64,
    pub changed: AtomicU64,
}

/// Add one to `counter`.
pub(crate) fn bump(counter: &AtomicU64) {
    add(counter, 1);
}

/// Add `n` to `counter`.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    pub fn snapshot(&self) -> SimStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SimStats {
            requests: get(&self.requests),
            pages_served: get(&self.pages_served),
            faults: FaultCounts {
                server_error: get(&self.server_error),
                too_many_requests: get(&self.too_many_requests),
                truncated: get(&self.truncated),
                slow: get(&self.slow),
            },
            retry_after_violations: get(&self.retry_after_violations),
            auth_failures: get(&self.auth_failures),
            tokens_issued: get(&self.tokens_issued),
            gzip_responses: get(&self.gzip_responses),
            inserted: get(&self.inserted),
            changed: get(&self.changed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_serialise_with_the_documented_keys() {
        let counters = Counters::default();
        bump(&counters.server_error);
        add(&counters.inserted, 3);
        let json = serde_json::to_value(counters.snapshot()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "requests": 0, "pages_served": 0,
                "faults": {"5xx": 1, "429": 0, "truncated": 0, "slow": 0},
                "retry_after_violations": 0, "auth_failures": 0, "tokens_issued": 0,
                "gzip_responses": 0, "inserted": 3, "changed": 0
            })
        );
    }
}
