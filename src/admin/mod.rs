//! The admin HTTP server (axum) and what it drives: `GET /healthz`, `GET /readyz`,
//! `GET /metrics` (OpenMetrics text), `GET /api/v1/sources[/{name}]`, and
//! `POST /api/v1/sources/{name}/run|pause|resume` behind the admin token.
//!
//! - [`server`]: the routes and their answers;
//! - [`auth`]: the bearer token, compared in constant time;
//! - [`status`]: `ruralsync status`, the sources API of a running daemon as a table;
//! - [`control`]: commands into each source's task, and the task's loop (schedule,
//!   commands, shutdown), which guarantees a "run now" never overlaps a running cycle.
//!
//! It reads [`crate::telemetry`]; configured by `[admin]` ([`crate::config::AdminConfig`]).

pub mod auth;
pub mod control;
pub mod server;
pub mod status;

pub use auth::Token;
pub use control::{source_loop, Command, Controls, Cycle, Driver};
pub use server::{serve, AdminState};
