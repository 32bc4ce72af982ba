//! `http_json`: a paged JSON API as exchange platforms publish them — page number,
//! offset, cursor token or `Link` header pagination, an incremental `updated since`
//! parameter, a status envelope, credentials (bearer, API key, OAuth2 client credentials,
//! signed requests), retries with backoff and `Retry-After`, and a request rate limit.
//!
//! - `config`: [`RawHttpJson`] (the operator reference) and [`HttpJsonConfig`].
//! - `auth`: [`RawAuth`] (chosen by `kind`), [`AuthConfig`], [`Secret`], request signing.
//! - `paging`: what to ask for next; re-anchoring of incremental page/offset pulls; the
//!   loop guard; resume state.
//! - `throttle`: `Retry-After`, the rate limit, and the [`PullStats`] of a pull.
//! - `origin`: where requests may go and what they carry there ([`Origins`]); URLs
//!   cleaned of credentials before they are stored or logged; the redirect policies.
//! - `client`: the data and token HTTP clients (redirect policy, `ca_file`).
//! - `body`: bounded reading of response bodies; upstream text quoted safely.
//! - `pull`: [`HttpJsonSource`], the requests and the retry policy.

mod auth;
mod body;
mod client;
mod config;
mod origin;
mod paging;
mod pull;
mod throttle;

pub use auth::{AuthConfig, KeyPlacement, RawAuth, Secret, SecretFrom, SecretRef, SignDigest};
pub use client::ClientError;
pub use config::{HttpJsonConfig, Pagination, RawHttpJson, RetryConfig, Userinfo};
pub use origin::Origins;
pub use paging::LoopError;
pub use pull::{HttpJsonSource, PullError, Via};
pub use throttle::{parse_retry_after, PullStats};
