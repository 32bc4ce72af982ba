//! `http_json`: a paged JSON API (page-number pagination, incremental `updated since`
//! parameter, a status envelope), as exchange platforms publish them.

mod config;
mod pull;

pub use config::{HttpJsonConfig, RawHttpJson};
pub use pull::{HttpJsonSource, PullError};
