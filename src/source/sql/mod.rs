//! `sql`: a query against PostgreSQL or MySQL/MariaDB, keyset-incremental, its rows
//! streamed into pages.
//!
//! - `config`: [`RawSql`] (the operator reference) and its validation into [`SqlConfig`].
//! - `connect`: the connection URL, read by reference (`url_env`, `url_file`) and only
//!   ever shown with its password masked.
//! - `pull`: [`SqlSource`]: the wrapped query, rows streamed into pages whose order is
//!   the pipeline's position order, the bounded channel to the pipeline.
//! - `postgres`, `mysql`: one module per driver (sqlx's `Any` driver has neither exact
//!   decimals nor timestamps): connecting, the query's dialect, column types.
//! - `statement`: the operator's query as one wrappable statement (its `;` and trailing
//!   comments, quotes and comments told apart).
//! - `value`: column values to JSON, exactly.

mod config;
mod connect;
mod mysql;
mod postgres;
mod pull;
mod statement;
mod value;

pub use config::{RawSql, SqlConfig, UrlSource};
pub use pull::{SqlError, SqlSource};
