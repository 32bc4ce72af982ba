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
//! - [`server`]: the axum API, [`Simulator::serve`] and [`run`].

pub mod config;
mod dataset;
pub mod export;
pub mod fault;
mod generate;
mod geography;
mod identity;
mod record;
pub mod server;
pub mod simulator;
pub mod sql_seed;
#[cfg(test)]
mod tests;

pub use config::{Profile, SimConfig};
pub use dataset::{Mutation, ANCHOR_COUNT};
pub use fault::{Fault, FaultEntry};
pub use server::{run, SimError};
pub use simulator::Simulator;
