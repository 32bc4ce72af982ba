//! # ruralsync-sim
//!
//! Upstream simulator: a deterministic imitation of Jinzhong's rural property-rights
//! exchange (农村产权交易平台, 晋中市 140700) with its paged JSON API and Chinese field
//! names, and of the villages' asset ledgers as files and database tables. The daemon's
//! integration tests use it in process, the demo and the benchmark as the `ruralsync-sim`
//! binary.
//!
//! ## An independent oracle
//!
//! The tests compare what the daemon makes of these records with what the simulator says
//! they are, so the simulator shares no code with the daemon: it does not depend on the
//! `ruralsync` crate. Its check characters ([`check`]) are written here from the
//! standards, and the division table is shared as data only (the same `data/` CSV, read by
//! its own `divisions` module). Whether the daemon's parsers agree with the simulator is
//! tested on the daemon's side, in `tests/simulator_contract.rs`, where both crates meet.
//!
//! ## Modules
//!
//! - [`config`]: [`SimConfig`] — seed, size, page limit, periodic mutation, [`Profile`].
//! - `divisions`: the simulator's own reader of the bundled division table.
//! - [`geography`]: Jinzhong's counties, towns and village committees from that table.
//! - [`check`]: GB 32100 / GB 11714 / GB 11643 check characters, from the standards.
//! - `record`: one project and its JSON rendering, with the platform's quirks.
//! - `generate`: random but plausible project contents.
//! - [`identity`]: the parties' credit codes, ID numbers and phones, derived, not stored.
//! - [`fault`]: the dirty profile's [`Fault`]s and the outcome each must have.
//! - `dataset`: the sorted dataset, the anchor records (documented there) and mutation.
//! - [`simulator`]: [`Simulator`], the shared handle.
//! - [`server`]: the axum API, [`Simulator::serve`] and [`run`]; its contract with clients
//!   is `docs/upstream-api.md`.
//! - `paging`: the four pagination styles (page number, offset/limit, cursor token, `Link`
//!   header) and the keyset cursor.
//! - [`auth`]: the auth modes ([`Auth`]): bearer, API key, OAuth2, signed requests.
//! - [`http_faults`]: HTTP faults on demand ([`HttpFaults`]), from a seeded RNG.
//! - [`hostile`]: a hostile upstream on demand ([`Hostile`]): links and redirects to other
//!   origins, echoed credentials, oversized and gzip-bomb bodies, hostile error text.
//! - [`stats`]: what the simulator counted ([`SimStats`], `GET /admin/stats`).
//! - [`ledger`]: a village collective's asset ledger with the canonical values each row
//!   must normalise to.
//! - [`export`], [`sql_seed`]: the `export` and `seed-sql` subcommands of `ruralsync-sim`.

pub mod auth;
pub mod check;
pub mod config;
mod dataset;
mod divisions;
pub mod export;
pub mod fault;
pub mod fixtures;
mod generate;
pub mod geography;
pub mod hostile;
pub mod http_faults;
pub mod identity;
pub mod ledger;
mod paging;
mod record;
pub mod server;
pub mod simulator;
pub mod sql_seed;
pub mod stats;
#[cfg(test)]
mod tests;

pub use auth::{Auth, SignDigest};
pub use config::{Profile, SimConfig};
pub use dataset::{Mutation, ANCHOR_COUNT};
pub use fault::{Fault, FaultEntry};
pub use hostile::{ErrorAnswer, Hostile, HostileStats, Padding, Redirect};
pub use http_faults::{FaultRates, HttpFaults, Rate};
pub use server::{run, SimError};
pub use simulator::Simulator;
pub use stats::{FaultCounts, SimStats};

/// The keys of a property-rights transaction record as the simulated exchange serves
/// it, in the order it writes them (the platform's own Chinese field names).
pub const RECORD_KEYS: [&str; 23] = [
    "项目编号",
    "项目名称",
    "交易品种",
    "交易方式",
    "流转方式",
    "项目状态",
    "行政区划代码",
    "坐落",
    "面积",
    "面积单位",
    "流转期限",
    "挂牌价(万元)",
    "成交价(万元)",
    "成交日期",
    "转出方",
    "转出方类型",
    "转出方证件号码",
    "转出方联系电话",
    "受让方",
    "受让方类型",
    "受让方证件号码",
    "受让方联系电话",
    "更新时间",
];
