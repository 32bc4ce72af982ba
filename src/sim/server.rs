//! The simulator's HTTP API (axum):
//!
//! - `GET /api/v1/transactions?pageNo=1&pageSize=100&updatedSince=2023-03-31%2008:00:00` —
//!   one page of projects in (更新时间, 项目编号) order, wrapped in the platform's envelope
//!   `{"code":0,"msg":"成功","data":{"total","pageNo","pageSize","list"}}`. Bad parameters
//!   give HTTP 400 with `{"code":400,"msg":"…","data":null}` naming the parameter and what
//!   it accepts. Unknown parameters are ignored, as real platforms do.
//! - `POST /admin/mutate?changed=N&new=M` — mutate now; answers `{"changed":[…],"added":[…]}`.
//! - `GET /admin/faults` — the dirty profile's faulted records, sorted by 项目编号:
//!   `[{"项目编号":"JZ…","fault":"ImpossibleDate","expected_reason":"bad_date",
//!   "fields":["成交日期"]}]` (`expected_reason` null when the record must be published;
//!   `[]` in the clean profile).
//! - `GET /healthz` — `ok`.
//!
//! While serving, an optional timer mutates the dataset periodically, racing each tick
//! against shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use tokio::net::TcpListener;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::config::SimConfig;
use super::record::UPDATED_FORMAT;
use super::simulator::{error_body, Simulator};

/// Default `pageSize` when the request names none (capped by `max_page_size`).
const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest `pageNo`: platforms behind this API are Java services with `int` paging.
const MAX_PAGE_NO: u64 = i32::MAX as u64;
/// Largest `changed` or `new` one admin call may ask for, so a typo cannot exhaust memory.
const MAX_MUTATION: usize = 1_000_000;

/// Why the simulator could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("serving the simulator API failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Generate the dataset, listen on `listen` and serve until `shutdown` is cancelled.
///
/// # Errors
///
/// [`SimError::Bind`] if the address cannot be bound, [`SimError::Serve`] if serving fails.
pub async fn run(
    config: SimConfig,
    listen: SocketAddr,
    shutdown: CancellationToken,
) -> Result<(), SimError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: listen,
            source,
        })?;
    let sim = Arc::new(Simulator::new(config));
    sim.serve(listener, shutdown).await.map_err(SimError::Serve)
}

impl Simulator {
    /// Serve the API on `listener` until `shutdown` is cancelled, then finish the requests
    /// in flight and return. If the configuration sets `mutate_every`, mutate the dataset
    /// at that period meanwhile (a zero period disables it).
    ///
    /// # Errors
    ///
    /// The I/O error that stopped the server.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let address = listener.local_addr()?;
        tracing::info!(
            %address,
            records = self.len(),
            seed = self.config().seed,
            profile = self.config().profile.name(),
            generated_ms = self.generated_in().as_millis() as u64,
            "simulator serving"
        );

        // The timer stops with the server, also when the server fails on its own.
        let stop_timer = shutdown.child_token();
        let server = {
            let app = router(Arc::clone(&self));
            let stop_timer = stop_timer.clone();
            async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown.cancelled_owned())
                    .await;
                stop_timer.cancel();
                served
            }
        };
        let timer = async {
            if let Some(every) = self.config().mutate_every.filter(|d| !d.is_zero()) {
                mutate_periodically(&self, every, stop_timer).await;
            }
        };
        let (served, ()) = tokio::join!(server, timer);
        served
    }
}

async fn mutate_periodically(sim: &Simulator, every: Duration, stop: CancellationToken) {
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    // After a stall, carry on at the period rather than mutating in a burst.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {
                let config = sim.config();
                sim.mutate(config.mutate_changed, config.mutate_new);
            }
        }
    }
}

fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/api/v1/transactions", get(transactions))
        .route("/admin/mutate", post(admin_mutate))
        .route("/admin/faults", get(admin_faults))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(sim)
}

type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A rejected request: HTTP 400 with the error envelope.
#[derive(Debug)]
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        json_response(StatusCode::BAD_REQUEST, error_body(400, &self.0))
    }
}

async fn transactions(
    State(sim): State<Arc<Simulator>>,
    params: Params,
) -> Result<Response, BadRequest> {
    let params = query_pairs(params)?;
    let max_page_size = sim.config().max_page_size;
    let page_no = int_param(&params, "pageNo", 1, 1, MAX_PAGE_NO)?;
    let default_size = DEFAULT_PAGE_SIZE.min(max_page_size) as u64;
    // Bounded by max_page_size, which is a usize.
    let page_size = int_param(&params, "pageSize", default_size, 1, max_page_size as u64)? as usize;
    let since = match param(&params, "updatedSince").filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => Some(parse_updated_since(text).ok_or_else(|| {
            BadRequest(format!(
                "updatedSince 格式错误: 应为 yyyy-MM-dd HH:mm:ss (Asia/Shanghai 时间), 收到 \"{text}\""
            ))
        })?),
    };
    // Rendering a page of 1,000 takes about a millisecond: cheap enough for the runtime.
    Ok(json_response(
        StatusCode::OK,
        sim.render_page(since, page_no, page_size),
    ))
}

async fn admin_mutate(
    State(sim): State<Arc<Simulator>>,
    params: Params,
) -> Result<Response, BadRequest> {
    let params = query_pairs(params)?;
    let config = sim.config();
    let max = MAX_MUTATION as u64;
    // Both bounded by MAX_MUTATION, a usize.
    let changed = int_param(&params, "changed", config.mutate_changed as u64, 0, max)? as usize;
    let new = int_param(&params, "new", config.mutate_new as u64, 0, max)? as usize;
    Ok(Json(sim.mutate(changed, new)).into_response())
}

async fn admin_faults(State(sim): State<Arc<Simulator>>) -> Response {
    Json(sim.fault_entries()).into_response()
}

fn query_pairs(params: Params) -> Result<Vec<(String, String)>, BadRequest> {
    params
        .map(|Query(pairs)| pairs)
        .map_err(|rejection| BadRequest(format!("查询参数无法解析: {rejection}")))
}

/// The first value of a query parameter.
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// An integer parameter in `min..=max`, `default` when absent.
fn int_param(
    params: &[(String, String)],
    name: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, BadRequest> {
    let Some(text) = param(params, name) else {
        return Ok(default);
    };
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(BadRequest(format!(
            "{name} 超出范围: 应为 {min} 到 {max} 之间的整数, 收到 \"{text}\""
        ))),
    }
}

/// `yyyy-MM-dd HH:mm:ss`, exactly 19 characters (chrono alone would accept "2023-3-1 8:0:0").
fn parse_updated_since(text: &str) -> Option<NaiveDateTime> {
    if text.len() != 19 {
        return None;
    }
    NaiveDateTime::parse_from_str(text, UPDATED_FORMAT).ok()
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updated_since_must_be_zero_padded() {
        assert!(parse_updated_since("2023-03-31 08:00:00").is_some());
        assert!(parse_updated_since("2023-3-31 8:00:00").is_none());
        assert!(parse_updated_since("2023-03-31T08:00:00").is_none());
        assert!(parse_updated_since("2023-02-30 08:00:00").is_none());
    }
}
