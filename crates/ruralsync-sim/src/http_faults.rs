//! HTTP faults on demand (docs/upstream-api.md, "Faults on demand"): server errors, 429 with
//! `Retry-After`, truncated bodies and slow responses, drawn per data request from a seeded
//! RNG so that a seed reproduces the same fault sequence, plus projects inserted and moved
//! after every page to disturb clients that page by position.
//!
//! Probabilities are kept as parts per million ([`Rate`]) rather than `f64`, so that the
//! settings compare exactly (`SimConfig` is `Eq`) and a draw is an integer comparison that
//! cannot differ between platforms.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use axum::http::StatusCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

/// RNG stream of HTTP faults. The dataset uses streams 0 (generation), 1 (mutation) and 2
/// (data faults) of the same seed; a stream of its own keeps the fault sequence independent
/// of how many records were generated or mutated.
const HTTP_FAULT_STREAM: u64 = 3;
/// Parts per million: the resolution of a [`Rate`].
const PER_MILLION: u32 = 1_000_000;
/// The statuses a 5xx fault picks from, uniformly.
const SERVER_ERRORS: [StatusCode; 3] = [
    StatusCode::INTERNAL_SERVER_ERROR,
    StatusCode::BAD_GATEWAY,
    StatusCode::SERVICE_UNAVAILABLE,
];
/// The names of the kinds in `--http-faults` and in `POST /admin/http-faults`.
const KINDS: &str = "5xx, 429, truncated, slow";

/// Why fault settings were rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpFaultsError {
    #[error("fault probability {value} is not a number between 0 and 1")]
    Probability { value: String },
    #[error("unknown fault kind \"{kind}\": valid kinds are {KINDS}")]
    UnknownKind { kind: String },
    #[error("\"{item}\" is not kind=probability (for example 5xx=0.10)")]
    Syntax { item: String },
    #[error(
        "fault probabilities add up to {sum}: a request gets at most one fault, so their sum \
         must be at most 1"
    )]
    SumAboveOne { sum: f64 },
}

/// A probability in parts per million (0 to 1,000,000).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u32);

impl Rate {
    /// Never.
    pub const ZERO: Rate = Rate(0);
    /// Every time.
    pub const ALWAYS: Rate = Rate(PER_MILLION);

    /// The probability `p`, rounded to parts per million.
    ///
    /// # Errors
    ///
    /// [`HttpFaultsError::Probability`] unless `0 <= p <= 1`.
    pub fn new(p: f64) -> Result<Rate, HttpFaultsError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(HttpFaultsError::Probability {
                value: p.to_string(),
            });
        }
        // In 0..=1_000_000 after the check above.
        Ok(Rate((p * f64::from(PER_MILLION)).round() as u32))
    }

    /// The probability as a fraction of 1.
    pub fn get(self) -> f64 {
        f64::from(self.0) / f64::from(PER_MILLION)
    }
}

impl FromStr for Rate {
    type Err = HttpFaultsError;

    fn from_str(text: &str) -> Result<Rate, HttpFaultsError> {
        let p = text
            .trim()
            .parse::<f64>()
            .map_err(|_| HttpFaultsError::Probability {
                value: text.to_owned(),
            })?;
        Rate::new(p)
    }
}

/// The probability of each fault per data request, as `--http-faults` writes them:
/// `5xx=0.10,429=0.02,truncated=0.01,slow=0.01` (kinds left out are 0).
///
/// A request gets at most one fault, decided by one draw: 5xx takes the first band of
/// probability, then 429, truncated and slow. Parsing rejects sums above 1; if fields set
/// directly add up to more, the later kinds get only what is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultRates {
    /// `5xx`: HTTP 500, 502 or 503 with nginx's HTML error page.
    pub server_error: Rate,
    /// `429`: HTTP 429 with `Retry-After`.
    pub too_many_requests: Rate,
    /// `truncated`: HTTP 200 whose JSON body stops half-way.
    pub truncated: Rate,
    /// `slow`: the response waits [`HttpFaults::slow_delay`] before it starts.
    pub slow: Rate,
}

impl FaultRates {
    /// Set the probability of the kind named as in `--http-faults`.
    ///
    /// # Errors
    ///
    /// [`HttpFaultsError::UnknownKind`] for a name other than `5xx`, `429`, `truncated`,
    /// `slow`.
    pub fn set(&mut self, kind: &str, rate: Rate) -> Result<(), HttpFaultsError> {
        let slot = match kind {
            "5xx" => &mut self.server_error,
            "429" => &mut self.too_many_requests,
            "truncated" => &mut self.truncated,
            "slow" => &mut self.slow,
            _ => {
                return Err(HttpFaultsError::UnknownKind {
                    kind: kind.to_owned(),
                })
            }
        };
        *slot = rate;
        Ok(())
    }

    /// Sum of the four probabilities.
    pub fn sum(&self) -> f64 {
        self.server_error.get()
            + self.too_many_requests.get()
            + self.truncated.get()
            + self.slow.get()
    }

    /// # Errors
    ///
    /// [`HttpFaultsError::SumAboveOne`] if the probabilities add up to more than 1.
    pub fn validate(&self) -> Result<(), HttpFaultsError> {
        let ppm = [
            self.server_error,
            self.too_many_requests,
            self.truncated,
            self.slow,
        ]
        .iter()
        .map(|r| u64::from(r.0))
        .sum::<u64>();
        if ppm > u64::from(PER_MILLION) {
            return Err(HttpFaultsError::SumAboveOne { sum: self.sum() });
        }
        Ok(())
    }
}

impl FromStr for FaultRates {
    type Err = HttpFaultsError;

    /// `kind=probability` pairs separated by commas; an empty string means no faults.
    fn from_str(text: &str) -> Result<FaultRates, HttpFaultsError> {
        let mut rates = FaultRates::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (kind, value) = item
                .split_once('=')
                .ok_or_else(|| HttpFaultsError::Syntax {
                    item: item.to_owned(),
                })?;
            rates.set(kind.trim(), value.parse()?)?;
        }
        rates.validate()?;
        Ok(rates)
    }
}

impl fmt::Display for FaultRates {
    /// The `--http-faults` form, every kind written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "5xx={},429={},truncated={},slow={}",
            self.server_error.get(),
            self.too_many_requests.get(),
            self.truncated.get(),
            self.slow.get()
        )
    }
}

/// Which HTTP faults the simulator injects into data requests, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpFaults {
    /// Probability of each fault per data request.
    pub rates: FaultRates,
    /// `Retry-After` of a 429, in whole seconds (rounded up; default 1 s).
    pub retry_after: Duration,
    /// How long a slow response waits before it starts (default 3 s).
    pub slow_delay: Duration,
    /// After each complete page, this many projects change and this many new ones are
    /// listed (default 0).
    pub insert_per_page: usize,
}

impl Default for HttpFaults {
    fn default() -> HttpFaults {
        HttpFaults {
            rates: FaultRates::default(),
            retry_after: Duration::from_secs(1),
            slow_delay: Duration::from_millis(3000),
            insert_per_page: 0,
        }
    }
}

impl HttpFaults {
    /// `Retry-After` in whole seconds, rounded up so a client that waits it out is never
    /// counted as too early.
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }
}

/// `POST /admin/http-faults`: the keys of `--http-faults` and of the fault flags; keys left
/// out keep their current value. `seed` restarts the fault sequence from that seed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpFaultsPatch {
    #[serde(rename = "5xx")]
    server_error: Option<f64>,
    #[serde(rename = "429")]
    too_many_requests: Option<f64>,
    truncated: Option<f64>,
    slow: Option<f64>,
    retry_after_secs: Option<u64>,
    slow_ms: Option<u64>,
    insert_per_page: Option<usize>,
    pub seed: Option<u64>,
}

impl HttpFaultsPatch {
    /// `current` with the keys of this patch applied.
    ///
    /// # Errors
    ///
    /// A probability outside 0..=1, or probabilities adding up to more than 1.
    pub fn apply(&self, current: HttpFaults) -> Result<HttpFaults, HttpFaultsError> {
        let mut next = current;
        let rates = [
            ("5xx", self.server_error),
            ("429", self.too_many_requests),
            ("truncated", self.truncated),
            ("slow", self.slow),
        ];
        for (kind, p) in rates {
            if let Some(p) = p {
                next.rates.set(kind, Rate::new(p)?)?;
            }
        }
        next.rates.validate()?;
        if let Some(secs) = self.retry_after_secs {
            next.retry_after = Duration::from_secs(secs);
        }
        if let Some(ms) = self.slow_ms {
            next.slow_delay = Duration::from_millis(ms);
        }
        if let Some(n) = self.insert_per_page {
            next.insert_per_page = n;
        }
        Ok(next)
    }
}

/// The settings as `GET`/`POST /admin/http-faults` answer them (the keys of the patch).
#[derive(Debug, serde::Serialize)]
pub(crate) struct HttpFaultsView {
    #[serde(rename = "5xx")]
    server_error: f64,
    #[serde(rename = "429")]
    too_many_requests: f64,
    truncated: f64,
    slow: f64,
    retry_after_secs: u64,
    slow_ms: u64,
    insert_per_page: usize,
}

impl From<HttpFaults> for HttpFaultsView {
    fn from(f: HttpFaults) -> HttpFaultsView {
        HttpFaultsView {
            server_error: f.rates.server_error.get(),
            too_many_requests: f.rates.too_many_requests.get(),
            truncated: f.rates.truncated.get(),
            slow: f.rates.slow.get(),
            retry_after_secs: f.retry_after_secs(),
            slow_ms: u64::try_from(f.slow_delay.as_millis()).unwrap_or(u64::MAX),
            insert_per_page: f.insert_per_page,
        }
    }
}

/// The fault drawn for one data request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drawn {
    None,
    ServerError(StatusCode),
    /// With the `Retry-After` seconds to announce.
    TooManyRequests(u64),
    Truncated,
    Slow(Duration),
}

/// The settings in effect, the RNG and the `Retry-After` deadline last announced.
#[derive(Debug)]
pub(crate) struct FaultState {
    settings: HttpFaults,
    rng: ChaCha8Rng,
    /// Data requests arriving before this instant violate a `Retry-After`.
    retry_until: Option<Instant>,
}

impl FaultState {
    pub fn new(seed: u64, settings: HttpFaults) -> FaultState {
        FaultState {
            settings,
            rng: rng(seed),
            retry_until: None,
        }
    }

    pub fn settings(&self) -> HttpFaults {
        self.settings
    }

    pub fn set(&mut self, settings: HttpFaults) {
        self.settings = settings;
    }

    /// Restart the fault sequence as a fresh simulator with this seed would draw it.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = rng(seed);
        self.retry_until = None;
    }

    /// Whether a data request arriving at `now` comes before the last `Retry-After` ran out.
    pub fn violates_retry_after(&self, now: Instant) -> bool {
        self.retry_until.is_some_and(|until| now < until)
    }

    /// Draw the fault of the next data request arriving at `now`. Every request takes
    /// the same two draws whatever the outcome, so the n-th request of a seed always gets
    /// the same fault, whatever the settings were before it.
    pub fn draw(&mut self, now: Instant) -> Drawn {
        let x = self.rng.random_range(0..PER_MILLION);
        let status = SERVER_ERRORS[self.rng.random_range(0..SERVER_ERRORS.len())];
        let rates = self.settings.rates;
        let mut band = 0;
        let mut within = |rate: Rate| {
            band += rate.0;
            x < band
        };
        if within(rates.server_error) {
            Drawn::ServerError(status)
        } else if within(rates.too_many_requests) {
            let secs = self.settings.retry_after_secs();
            let until = now + Duration::from_secs(secs);
            self.retry_until = Some(self.retry_until.map_or(until, |u| u.max(until)));
            Drawn::TooManyRequests(secs)
        } else if within(rates.truncated) {
            Drawn::Truncated
        } else if within(rates.slow) {
            Drawn::Slow(self.settings.slow_delay)
        } else {
            Drawn::None
        }
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(HTTP_FAULT_STREAM);
    rng
}

/// nginx's error page for `status`, as a gateway in front of the platform serves it.
pub(crate) fn nginx_page(status: StatusCode) -> String {
    let title = match status.as_u16() {
        503 => "503 Service Temporarily Unavailable".to_owned(),
        code => format!("{code} {}", status.canonical_reason().unwrap_or("Error")),
    };
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_the_flag_writes_them() {
        let rates: FaultRates = "5xx=0.10,429=0.02,truncated=0.01,slow=0.01"
            .parse()
            .unwrap();
        assert_eq!(rates.server_error, Rate(100_000));
        assert_eq!(rates.too_many_requests, Rate(20_000));
        assert_eq!(rates.truncated, Rate(10_000));
        assert_eq!(rates.slow, Rate(10_000));
        assert_eq!(
            rates.to_string(),
            "5xx=0.1,429=0.02,truncated=0.01,slow=0.01"
        );
        assert_eq!("".parse::<FaultRates>().unwrap(), FaultRates::default());
        assert_eq!(
            " 429 = 1 ".parse::<FaultRates>().unwrap().too_many_requests,
            Rate::ALWAYS
        );
    }

    #[test]
    fn bad_rates_name_the_problem_and_what_is_valid() {
        let err = |text: &str| text.parse::<FaultRates>().unwrap_err().to_string();
        assert!(err("404=0.1").contains("5xx, 429, truncated, slow"));
        assert!(err("5xx").contains("kind=probability"));
        assert!(err("5xx=1.5").contains("between 0 and 1"));
        assert!(err("5xx=abc").contains("between 0 and 1"));
        assert!(err("5xx=NaN").contains("between 0 and 1"));
        assert!(err("5xx=0.6,429=0.6").contains("at most 1"));
    }

    #[test]
    fn a_seed_gives_the_same_fault_sequence() {
        let settings = HttpFaults {
            rates: "5xx=0.2,429=0.2,truncated=0.2,slow=0.2".parse().unwrap(),
            ..HttpFaults::default()
        };
        let now = Instant::now();
        let sequence = |seed| {
            let mut state = FaultState::new(seed, settings);
            (0..200).map(|_| state.draw(now)).collect::<Vec<_>>()
        };
        let a = sequence(7);
        assert_eq!(a, sequence(7));
        assert_ne!(a, sequence(8));
        for kind in [
            Drawn::None,
            Drawn::Truncated,
            Drawn::Slow(Duration::from_secs(3)),
            Drawn::TooManyRequests(1),
        ] {
            assert!(a.contains(&kind), "{kind:?} never drawn");
        }
        for status in SERVER_ERRORS {
            assert!(
                a.contains(&Drawn::ServerError(status)),
                "{status} never drawn"
            );
        }
        // Reseeding restarts the sequence.
        let mut state = FaultState::new(7, settings);
        state.draw(now);
        state.reseed(7);
        assert_eq!((0..200).map(|_| state.draw(now)).collect::<Vec<_>>(), a);
    }

    #[test]
    fn retry_after_deadline_follows_the_last_429() {
        let settings = HttpFaults {
            rates: "429=1".parse().unwrap(),
            retry_after: Duration::from_millis(1500),
            ..HttpFaults::default()
        };
        let mut state = FaultState::new(1, settings);
        let now = Instant::now();
        assert!(!state.violates_retry_after(now));
        assert_eq!(state.draw(now), Drawn::TooManyRequests(2));
        assert!(state.violates_retry_after(now + Duration::from_millis(1999)));
        assert!(!state.violates_retry_after(now + Duration::from_secs(2)));
    }

    #[test]
    fn patch_changes_only_the_keys_it_names() {
        let current = HttpFaults {
            rates: "5xx=0.1".parse().unwrap(),
            insert_per_page: 3,
            ..HttpFaults::default()
        };
        let patch: HttpFaultsPatch =
            serde_json::from_str(r#"{"429":0.5,"slow_ms":10,"seed":9}"#).unwrap();
        let next = patch.apply(current).unwrap();
        assert_eq!(next.rates.server_error, Rate(100_000));
        assert_eq!(next.rates.too_many_requests, Rate(500_000));
        assert_eq!(next.slow_delay, Duration::from_millis(10));
        assert_eq!(next.insert_per_page, 3);
        assert_eq!(patch.seed, Some(9));
        let too_much: HttpFaultsPatch = serde_json::from_str(r#"{"truncated":0.95}"#).unwrap();
        assert!(too_much.apply(current).is_err());
        assert!(serde_json::from_str::<HttpFaultsPatch>(r#"{"404":0.1}"#).is_err());
    }
}
