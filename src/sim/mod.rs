//! Upstream simulator (`ruralsync-sim`): a deterministic imitation of Jinzhong's rural
//! property-rights exchange (农村产权交易平台, 晋中市 140700) with its paged JSON API and
//! Chinese field names, for integration tests (in process) and the demo (as a binary).
//!
//! - [`config`]: [`SimConfig`] — seed, size, page limit, periodic mutation, [`Profile`].
//! - `geography`: Jinzhong's village committees from [`crate::region`].
//! - `record`: one project and its JSON rendering, with the platform's quirks.
//! - `generate`: random but plausible project contents.
//! - `identity`: the parties' credit codes, ID numbers and phones, derived, not stored.
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
//! - `export`, `sql_seed`: the `export` and `seed-sql` subcommands of `ruralsync-sim`.

pub mod auth;
pub mod config;
mod dataset;
pub mod export;
pub mod fault;
mod generate;
mod geography;
pub mod hostile;
pub mod http_faults;
mod identity;
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
