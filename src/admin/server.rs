//! The admin server's routes. Answers are JSON except `/metrics`; every error body says
//! what was wrong: `{"error": "…"}`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::auth::Token;
use super::control::{Command, Controls, SendError};
use crate::telemetry::{Status, Telemetry};

/// The content type of OpenMetrics text, which Prometheus asks for and understands.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the routes read and drive.
#[derive(Debug, Clone)]
pub struct AdminState {
    pub telemetry: Arc<Telemetry>,
    pub controls: Arc<Controls>,
    /// `None`: mutating endpoints are refused (no token configured).
    pub token: Option<Token>,
    pub ready_failing_grace: Duration,
}

/// The routes.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/sources", get(sources))
        .route("/api/v1/sources/{name}", get(source))
        .route("/api/v1/sources/{name}/run", post(run))
        .route("/api/v1/sources/{name}/pause", post(pause))
        .route("/api/v1/sources/{name}/resume", post(resume))
        .with_state(state)
}

/// Serve on `listener` until `stop`.
///
/// # Errors
/// When the server fails while serving.
pub async fn serve(
    listener: TcpListener,
    state: AdminState,
    stop: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(state): State<AdminState>) -> Response {
    let failed = state
        .telemetry
        .states
        .failed_checks(Utc::now(), state.ready_failing_grace);
    if failed.is_empty() {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        let body = json!({ "status": "not_ready", "failed": failed });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

async fn metrics(State(state): State<AdminState>) -> Response {
    let text = state.telemetry.scrape(Utc::now());
    ([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response()
}

async fn sources(State(state): State<AdminState>) -> Response {
    Json(json!({ "sources": state.telemetry.states.snapshot() })).into_response()
}

async fn source(State(state): State<AdminState>, Path(name): Path<String>) -> Response {
    match state.telemetry.states.get(&name) {
        Some(s) => Json(s).into_response(),
        None => unknown(&state, &name),
    }
}

fn unknown(state: &AdminState, name: &str) -> Response {
    let known: Vec<String> = state
        .telemetry
        .states
        .snapshot()
        .into_iter()
        .map(|s| s.name)
        .collect();
    let name = crate::protect::logging::protect_event(name);
    error(
        StatusCode::NOT_FOUND,
        format!(
            "no source {name:?} runs here; running: {}",
            known.join(", ")
        ),
    )
}

async fn run(state: State<AdminState>, name: Path<String>, headers: HeaderMap) -> Response {
    command(state, name, &headers, Command::RunNow)
}

async fn pause(state: State<AdminState>, name: Path<String>, headers: HeaderMap) -> Response {
    command(state, name, &headers, Command::Pause)
}

async fn resume(state: State<AdminState>, name: Path<String>, headers: HeaderMap) -> Response {
    command(state, name, &headers, Command::Resume)
}

/// Check the token, the source and its state, then queue the command.
fn command(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    headers: &HeaderMap,
    command: Command,
) -> Response {
    if let Some(refused) = refusal(&state, headers) {
        return refused;
    }
    let Some(current) = state.telemetry.states.get(&name) else {
        return unknown(&state, &name);
    };
    if command == Command::RunNow {
        if current.status == Status::Running {
            return error(StatusCode::CONFLICT, format!("source {name} is running a cycle; run now is refused rather than queued behind it"));
        }
        if current.paused || current.status == Status::Stopped {
            return error(
                StatusCode::CONFLICT,
                format!(
                    "source {name} is {}; resume it first",
                    current.status.as_str()
                ),
            );
        }
    }
    match state.controls.send(&name, command) {
        Ok(()) => {
            let what = match command {
                Command::RunNow => "run",
                Command::Pause => "pause",
                Command::Resume => "resume",
            };
            tracing::info!(source = %name, command = what, "admin command accepted");
            let body = json!({ "accepted": what, "source": name });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(SendError::UnknownSource) => unknown(&state, &name),
        Err(SendError::Busy) => error(
            StatusCode::TOO_MANY_REQUESTS,
            format!("source {name} has commands waiting already; try again after its cycle"),
        ),
    }
}

/// The answer refusing the request, unless it carries the configured token.
fn refusal(state: &AdminState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &state.token else {
        return Some(error(
            StatusCode::FORBIDDEN,
            "commands are disabled: no admin token is configured (set admin.token_env or admin.token_file)",
        ));
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if token.accepts(offered) {
        return None;
    }
    tracing::warn!("admin command refused: missing or wrong bearer token");
    let mut refused = error(
        StatusCode::UNAUTHORIZED,
        "missing or wrong token; send Authorization: Bearer <token>",
    );
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    Some(refused)
}
