//! The simulator as tests and the binary hold it: the dataset behind a lock, mutation on
//! demand, the pages the API serves, its auth mode and HTTP faults, and what it counted.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::http::HeaderMap;
use chrono::NaiveDateTime;
use chrono_tz::Asia::Shanghai;
use tokio::time::Instant;

use super::auth::{Denied, Guard, TokenAnswer};
use super::config::SimConfig;
use super::dataset::{Dataset, Mutation, ANCHOR_COUNT};
use super::fault::{Fault, FaultEntry};
use super::hostile::{HostileCounters, HostileStats};
use super::http_faults::{Drawn, FaultState, HttpFaults};
use super::record::push_escaped;
use super::stats::{add, bump, Counters, SimStats};

/// A simulated rural property-rights exchange (农村产权交易平台) for Jinzhong.
///
/// Share it as `Arc<Simulator>`: [`Simulator::serve`] takes the `Arc`, and tests keep a
/// clone to mutate the data and read records while it serves.
///
/// The auth mode ([`SimConfig::auth`]) is fixed for the simulator's life; HTTP faults start
/// as [`SimConfig::http_faults`] and can change while it serves
/// ([`Simulator::set_http_faults`], [`Simulator::reseed_http_faults`]). What clients did
/// is counted in [`Simulator::stats`]:
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use ruralsync_sim::{Auth, HttpFaults, SignDigest, SimConfig, Simulator};
///
/// let sim = Arc::new(Simulator::new(SimConfig {
///     auth: Auth::signed(SignDigest::Sm3),
///     http_faults: HttpFaults { rates: "5xx=0.1,429=0.05".parse()?, ..HttpFaults::default() },
///     ..SimConfig::default()
/// }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let shutdown = tokio_util::sync::CancellationToken::new();
/// tokio::spawn(Arc::clone(&sim).serve(listener, shutdown.clone()));
/// // … run the client against it, then:
/// assert_eq!(sim.stats().retry_after_violations, 0);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Simulator {
    config: SimConfig,
    dataset: RwLock<Dataset>,
    generated_in: Duration,
    guard: Guard,
    http_faults: Mutex<FaultState>,
    counters: Counters,
    /// Shared with the padding streams of [`super::hostile`].
    hostile: Arc<HostileCounters>,
}

/// Which records a page holds, among those matching `updatedSince`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window<'a> {
    /// Positions `offset..offset + limit`.
    Offset { offset: u64, limit: usize },
    /// The first `limit` records strictly after (更新时间, 项目编号) `after`, or from the
    /// start.
    After {
        after: Option<(NaiveDateTime, &'a str)>,
        limit: usize,
    },
}

/// One page of records.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Records matching `updatedSince`, on every page.
    pub total: usize,
    /// The page's records as JSON objects separated by commas.
    pub records: String,
    /// 更新时间 and 项目编号 of the page's last record.
    pub last: Option<(NaiveDateTime, String)>,
    /// Whether records follow this page.
    pub more: bool,
}

impl Simulator {
    /// Generate the dataset for `config` (deterministic for a seed and size). Takes a few
    /// seconds for a million records. `records` below 5 is raised to the 5 anchors, and
    /// `max_page_size` 0 to 1.
    pub fn new(mut config: SimConfig) -> Simulator {
        config.records = config.records.max(ANCHOR_COUNT);
        config.max_page_size = config.max_page_size.max(1);
        let started = std::time::Instant::now();
        let dataset = Dataset::generate(config.seed, config.records, config.profile);
        Simulator {
            guard: Guard::new(config.auth.clone()),
            http_faults: Mutex::new(FaultState::new(config.seed, config.http_faults)),
            counters: Counters::default(),
            hostile: Arc::default(),
            config,
            dataset: RwLock::new(dataset),
            generated_in: started.elapsed(),
        }
    }

    /// The configuration in effect (after the adjustments of [`Simulator::new`]).
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// How long generating the initial dataset took.
    pub fn generated_in(&self) -> Duration {
        self.generated_in
    }

    /// Move `changed` projects one step along their lifecycle and list `new` projects,
    /// stamped with the current Asia/Shanghai time (or the latest 更新时间 already in the
    /// dataset, if that is later). Returns the 项目编号 of both. Anchors 1–3 never change.
    pub fn mutate(&self, changed: usize, new: usize) -> Mutation {
        let now = chrono::Utc::now().with_timezone(&Shanghai).naive_local();
        self.mutate_at(changed, new, now)
    }

    /// [`Simulator::mutate`] with an explicit Asia/Shanghai local time, for tests that need
    /// a known 更新时间.
    pub fn mutate_at(&self, changed: usize, new: usize, now: NaiveDateTime) -> Mutation {
        let mutation = self.write().mutate(changed, new, now);
        add(&self.counters.changed, mutation.changed.len() as u64);
        add(&self.counters.inserted, mutation.added.len() as u64);
        tracing::info!(
            changed = mutation.changed.len(),
            added = mutation.added.len(),
            total = self.len(),
            "simulator mutated its dataset"
        );
        mutation
    }

    /// The record with this 项目编号 exactly as the API serves it.
    pub fn record(&self, project_no: &str) -> Option<serde_json::Value> {
        let dataset = self.read();
        let record = dataset.find(project_no)?;
        let mut json = String::new();
        record.render(dataset.geography(), &mut json);
        // `render` writes valid JSON (every record of a generated dataset is parsed back
        // in the tests), so parsing it cannot fail.
        Some(serde_json::from_str(&json).expect("rendered record is valid JSON"))
    }

    /// Every record as the API serves it (JSON text), in API order (更新时间, 项目编号):
    /// what a client paging through the whole dataset receives, without the server.
    pub fn rendered(&self) -> Vec<String> {
        let dataset = self.read();
        dataset
            .records()
            .iter()
            .map(|record| {
                let mut json = String::new();
                record.render(dataset.geography(), &mut json);
                json
            })
            .collect()
    }

    /// The faulted records of the dirty profile (none in the clean profile): 项目编号 and
    /// fault, sorted by 项目编号. Faults never change while the simulator runs: mutations
    /// skip faulted records and newly listed projects are clean.
    pub fn faults(&self) -> Vec<(String, Fault)> {
        self.fault_entries()
            .into_iter()
            .map(|e| (e.project_no, e.fault))
            .collect()
    }

    /// [`Simulator::faults`] with each fault's expected dead-letter reason and the
    /// field(s) it changed, as `GET /admin/faults` serves them.
    pub fn fault_entries(&self) -> Vec<FaultEntry> {
        self.read().faults()
    }

    /// Number of projects on the platform.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Always false: the anchors are always there.
    pub fn is_empty(&self) -> bool {
        self.read().len() == 0
    }

    /// A window onto the records updated at or after `since`, in API order, rendered as
    /// JSON objects separated by commas; the caller has checked the parameters.
    pub(crate) fn page(&self, since: Option<NaiveDateTime>, window: Window<'_>) -> Page {
        let dataset = self.read();
        let matching = dataset.since(since);
        let (start, limit) = match window {
            Window::Offset { offset, limit } => {
                let start =
                    usize::try_from(offset).map_or(matching.len(), |o| o.min(matching.len()));
                (start, limit)
            }
            Window::After { after, limit } => {
                let start = after.map_or(0, |(t, id)| {
                    matching.partition_point(|r| (r.updated, &r.no[..]) <= (t, id.as_bytes()))
                });
                (start, limit)
            }
        };
        let rest = &matching[start..];
        let page = &rest[..rest.len().min(limit)];

        // About 700 bytes per record.
        let mut records = String::with_capacity(page.len() * 800);
        for (i, record) in page.iter().enumerate() {
            if i > 0 {
                records.push(',');
            }
            record.render(dataset.geography(), &mut records);
        }
        Page {
            total: matching.len(),
            records,
            last: page.last().map(|r| (r.updated, r.no_str().to_owned())),
            more: rest.len() > page.len(),
        }
    }

    /// What the simulator counted since it started (also `GET /admin/stats`).
    pub fn stats(&self) -> SimStats {
        self.counters.snapshot()
    }

    /// What the [`Hostile`](super::Hostile) settings observed of the clients: padding
    /// bytes produced, queries repeating a parameter, the longest query.
    pub fn hostile_stats(&self) -> HostileStats {
        self.hostile.snapshot()
    }

    pub(crate) fn hostile_counters(&self) -> &Arc<HostileCounters> {
        &self.hostile
    }

    /// The HTTP fault settings in effect: those of the configuration until
    /// [`Simulator::set_http_faults`] or `POST /admin/http-faults` changes them.
    pub fn http_faults(&self) -> HttpFaults {
        self.fault_state().settings()
    }

    /// Change the HTTP fault settings from the next data request on. The fault sequence
    /// goes on where it was; [`Simulator::reseed_http_faults`] restarts it.
    pub fn set_http_faults(&self, settings: HttpFaults) {
        tracing::info!(
            rates = %settings.rates,
            retry_after_secs = settings.retry_after_secs(),
            slow_ms = settings.slow_delay.as_millis() as u64,
            insert_per_page = settings.insert_per_page,
            "simulator HTTP faults set"
        );
        self.fault_state().set(settings);
    }

    /// Restart the fault sequence as a new simulator with this seed would draw it, and
    /// forget the last `Retry-After`.
    pub fn reseed_http_faults(&self, seed: u64) {
        self.fault_state().reseed(seed);
    }

    /// Count a data request arriving now, and draw its HTTP fault.
    pub(crate) fn begin_data_request(&self) -> Drawn {
        let now = Instant::now();
        bump(&self.counters.requests);
        let mut faults = self.fault_state();
        if faults.violates_retry_after(now) {
            bump(&self.counters.retry_after_violations);
        }
        let drawn = faults.draw(now);
        drop(faults);
        match drawn {
            Drawn::None | Drawn::Truncated => {}
            Drawn::ServerError(_) => bump(&self.counters.server_error),
            Drawn::TooManyRequests(_) => bump(&self.counters.too_many_requests),
            Drawn::Slow(_) => bump(&self.counters.slow),
        }
        drawn
    }

    /// Check a data request's credentials now.
    pub(crate) fn authorize(
        &self,
        headers: &HeaderMap,
        params: &[(String, String)],
    ) -> Result<(), Denied> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let checked = self.guard.check(headers, params, Instant::now(), now_ms);
        if checked.is_err() {
            bump(&self.counters.auth_failures);
        }
        checked
    }

    /// Answer `POST /oauth/token`.
    pub(crate) fn issue_token(
        &self,
        headers: &HeaderMap,
        form: &[(String, String)],
    ) -> TokenAnswer {
        let answer = self.guard.issue_token(headers, form, Instant::now());
        match answer {
            TokenAnswer::Issued { .. } => bump(&self.counters.tokens_issued),
            TokenAnswer::InvalidClient => bump(&self.counters.auth_failures),
            TokenAnswer::Invalid { .. } | TokenAnswer::NotOAuth2 { .. } => {}
        }
        answer
    }

    /// A page went out truncated.
    pub(crate) fn truncated_page(&self) {
        bump(&self.counters.truncated);
    }

    /// A complete page went out: count it, and insert and move projects if configured.
    pub(crate) fn page_served(&self) {
        bump(&self.counters.pages_served);
        let n = self.http_faults().insert_per_page;
        if n > 0 {
            self.mutate(n, n);
        }
    }

    /// A response left gzip-compressed.
    pub(crate) fn gzip_response(&self) {
        bump(&self.counters.gzip_responses);
    }

    fn fault_state(&self) -> MutexGuard<'_, FaultState> {
        // The fault state is consistent between statements: serve it after a panic.
        self.http_faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> RwLockReadGuard<'_, Dataset> {
        // A panic while mutating leaves a dataset that is still sorted or merely
        // unsorted in its tail; serving it beats taking the whole simulator down.
        self.dataset.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Dataset> {
        self.dataset.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The error envelope of the API: `{"code":400,"msg":"…","data":null}`.
pub(crate) fn error_body(code: u16, msg: &str) -> String {
    let mut body = format!("{{\"code\":{code},\"msg\":\"");
    push_escaped(&mut body, msg);
    body.push_str("\",\"data\":null}");
    body
}
