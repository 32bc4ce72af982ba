//! The simulator as tests and the binary hold it: the dataset behind a lock, mutation on
//! demand, and the pages the API serves.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use chrono_tz::Asia::Shanghai;

use super::config::SimConfig;
use super::dataset::{Dataset, Mutation, ANCHOR_COUNT};
use super::fault::{Fault, FaultEntry};
use super::record::push_escaped;

/// A simulated rural property-rights exchange (农村产权交易平台) for Jinzhong.
///
/// Share it as `Arc<Simulator>`: [`Simulator::serve`] takes the `Arc`, and tests keep a
/// clone to mutate the data and read records while it serves.
#[derive(Debug)]
pub struct Simulator {
    config: SimConfig,
    dataset: RwLock<Dataset>,
    generated_in: Duration,
}

impl Simulator {
    /// Generate the dataset for `config` (deterministic for a seed and size). Takes a few
    /// seconds for a million records. `records` below 5 is raised to the 5 anchors, and
    /// `max_page_size` 0 to 1.
    pub fn new(mut config: SimConfig) -> Simulator {
        config.records = config.records.max(ANCHOR_COUNT);
        config.max_page_size = config.max_page_size.max(1);
        let started = Instant::now();
        let dataset = Dataset::generate(config.seed, config.records, config.profile);
        Simulator {
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

    /// The JSON body of one page of `GET /api/v1/transactions`; the caller has checked the
    /// parameters.
    pub(crate) fn render_page(
        &self,
        since: Option<NaiveDateTime>,
        page_no: u64,
        page_size: usize,
    ) -> String {
        use std::fmt::Write;

        let dataset = self.read();
        let matching = dataset.since(since);
        let offset = (page_no.saturating_sub(1)).saturating_mul(page_size as u64);
        let page = usize::try_from(offset)
            .ok()
            .and_then(|offset| matching.get(offset..))
            .map_or(&[][..], |rest| &rest[..rest.len().min(page_size)]);

        // About 700 bytes per record.
        let mut body = String::with_capacity(128 + page.len() * 800);
        // Writing into a String cannot fail.
        let _ = write!(
            body,
            "{{\"code\":0,\"msg\":\"成功\",\"data\":{{\"total\":{},\"pageNo\":{page_no},\"pageSize\":{page_size},\"list\":[",
            matching.len()
        );
        for (i, record) in page.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            record.render(dataset.geography(), &mut body);
        }
        body.push_str("]}}");
        body
    }

    fn read(&self) -> RwLockReadGuard<'_, Dataset> {
        // A panic while mutating leaves a dataset that is still sorted or merely
        // unsorted in its tail; serving it beats taking the whole simulator down.
        self.dataset.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Dataset> {
        self.dataset.write().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    pub(crate) fn with_dataset<T>(&self, f: impl FnOnce(&Dataset) -> T) -> T {
        f(&self.read())
    }
}

/// The error envelope of the API: `{"code":400,"msg":"…","data":null}`.
pub(crate) fn error_body(code: u16, msg: &str) -> String {
    let mut body = format!("{{\"code\":{code},\"msg\":\"");
    push_escaped(&mut body, msg);
    body.push_str("\",\"data\":null}");
    body
}
