//! The simulator's HTTP API (axum). The contract with clients — the four pagination
//! styles, the auth modes, the HTTP faults and the admin endpoints — is written in
//! `docs/upstream-api.md`; keep this module, its tests and that file in step. In short:
//!
//! - `GET /api/v1/transactions` (`pageNo`, `pageSize`), `/api/v2/…` (`offset`, `limit`),
//!   `/api/v3/…` (`size`, `cursor`) and `/api/v4/…` (`per_page`, `after`, `Link` header):
//!   the same projects in (更新时间, 项目编号) order, filtered by `updatedSince`
//!   (`updated_since` on v4), in each style's envelope ([`super::paging`]). Bad parameters
//!   give HTTP 400 with `{"code":400,"msg":"…","data":null}` naming the parameter and what
//!   it accepts. Unknown parameters are ignored, as real platforms do. Every data request
//!   first draws its HTTP fault ([`super::http_faults`]), then passes the simulator's auth
//!   mode ([`super::auth`]).
//! - `POST /oauth/token` — client-credentials grant, in `oauth2` mode.
//! - `POST /admin/mutate?changed=N&new=M` — mutate now; answers `{"changed":[…],"added":[…]}`.
//! - `GET /admin/faults` — the dirty profile's faulted records, sorted by 项目编号:
//!   `[{"项目编号":"JZ…","fault":"ImpossibleDate","expected_reason":"bad_date",
//!   "fields":["成交日期"]}]` (`expected_reason` null when the record must be published;
//!   `[]` in the clean profile).
//! - `GET`/`POST /admin/http-faults` — the HTTP fault settings, read or changed.
//! - `GET /admin/stats` — the counters of [`SimStats`](super::SimStats).
//! - `GET /healthz` — `ok`.
//!
//! Responses are gzip-compressed when the request accepts it (tower-http), and counted.
//! While serving, an optional timer mutates the dataset periodically, racing each tick
//! against shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Uri, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;

use super::auth::{Denied, TokenAnswer};
use super::config::SimConfig;
use super::hostile::{self, Uncompressed};
use super::http_faults::{nginx_page, Drawn, HttpFaultsPatch, HttpFaultsView};
use super::paging::{self, int_param, json_response, BadRequest, Style};
use super::simulator::{error_body, Simulator};

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
            auth = self.config().auth.mode(),
            http_faults = %self.http_faults().rates,
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
        .route("/api/v1/transactions", get(page_number))
        .route("/api/v2/transactions", get(offset_limit))
        .route("/api/v3/transactions", get(cursor))
        .route("/api/v4/transactions", get(link_header))
        .route("/oauth/token", post(oauth_token))
        .route("/admin/mutate", post(admin_mutate))
        .route("/admin/faults", get(admin_faults))
        .route(
            "/admin/http-faults",
            get(admin_http_faults).post(admin_set_http_faults),
        )
        .route("/admin/stats", get(admin_stats))
        .route("/healthz", get(|| async { "ok" }))
        // Outermost, so it sees the Content-Encoding the compression layer chose.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(DefaultPredicate::new().and(compressible)),
        )
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), count_gzip))
        .with_state(sim)
}

type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

async fn page_number(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    uri: Uri,
    params: Params,
) -> Response {
    transactions(&sim, Style::PageNumber, &headers, &uri, params).await
}

async fn offset_limit(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    uri: Uri,
    params: Params,
) -> Response {
    transactions(&sim, Style::OffsetLimit, &headers, &uri, params).await
}

async fn cursor(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    uri: Uri,
    params: Params,
) -> Response {
    transactions(&sim, Style::Cursor, &headers, &uri, params).await
}

async fn link_header(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    uri: Uri,
    params: Params,
) -> Response {
    transactions(&sim, Style::LinkHeader, &headers, &uri, params).await
}

/// One data request: its HTTP fault first (a gateway in front of the platform fails
/// before the platform looks at credentials, and a failed request does not use up a
/// signed request's nonce), then a hostile redirect if one is set, then auth, then the
/// page (or a hostile error answer).
async fn transactions(
    sim: &Simulator,
    style: Style,
    headers: &HeaderMap,
    uri: &Uri,
    params: Params,
) -> Response {
    let drawn = sim.begin_data_request();
    match drawn {
        Drawn::ServerError(status) => {
            return (
                status,
                [(header::CONTENT_TYPE, "text/html")],
                nginx_page(status),
            )
                .into_response()
        }
        Drawn::TooManyRequests(secs) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    (header::RETRY_AFTER, secs.to_string()),
                    (
                        header::CONTENT_TYPE,
                        "application/json; charset=utf-8".to_owned(),
                    ),
                ],
                r#"{"code":429,"msg":"请求过于频繁"}"#,
            )
                .into_response()
        }
        Drawn::Slow(delay) => tokio::time::sleep(delay).await,
        Drawn::None | Drawn::Truncated => {}
    }
    let hostile = &sim.config().hostile;
    if let Some(redirect) = &hostile.redirect {
        return hostile::redirect_response(redirect, uri);
    }
    let params = match query_pairs(params) {
        Ok(params) => params,
        Err(bad) => return bad.into_response(),
    };
    sim.hostile_counters().observe(uri, &params);
    if let Err(denied) = sim.authorize(headers, &params) {
        return denied_response(denied, style);
    }
    if let Some(answer) = &hostile.error_answer {
        return hostile::error_response(answer);
    }
    // The Link header names the host the client reached; HTTP/1.1 requires the header.
    let link_base = hostile.link_base.clone().unwrap_or_else(|| {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        format!("http://{}", host.unwrap_or("127.0.0.1"))
    });
    let echo = hostile.echo_query_in_links;
    // Rendering a page of 1,000 takes about a millisecond: cheap enough for the runtime.
    let page = match paging::render(sim, style, &params, &link_base, echo) {
        Ok(page) => page,
        Err(bad) => return bad.into_response(),
    };
    if drawn == Drawn::Truncated {
        sim.truncated_page();
        let mut body = page.body.into_bytes();
        body.truncate(body.len() / 2);
        return (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response();
    }
    sim.page_served();
    let mut response = match hostile.padding {
        Some(padding) => {
            let gzip = headers
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("gzip"));
            let counters = Arc::clone(sim.hostile_counters());
            hostile::padded_response(page.body, padding, gzip, counters)
        }
        None => json_response(StatusCode::OK, page.body),
    };
    if let Some(link) = page.link {
        // Built from a validated time, digits and base64url: always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

fn denied_response(denied: Denied, style: Style) -> Response {
    match denied {
        Denied::Unauthorized {
            why,
            bearer,
            expired,
        } => {
            let mut response = json_response(
                StatusCode::UNAUTHORIZED,
                error_body(401, &format!("未授权: {why}")),
            );
            if bearer {
                let challenge = if expired {
                    r#"Bearer error="invalid_token", error_description="token expired""#
                } else {
                    "Bearer"
                };
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            response
        }
        // Government platforms answer signature errors with HTTP 200 and their envelope.
        Denied::Signature { code, msg } => {
            let body = if style == Style::Cursor {
                serde_json::json!({"code": code.to_string(), "message": msg, "result": null})
            } else {
                serde_json::json!({"code": code, "msg": msg})
            };
            json_response(StatusCode::OK, body.to_string())
        }
    }
}

async fn oauth_token(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    if let Some(base) = &sim.config().hostile.token_redirect {
        return hostile::token_redirect_response(base);
    }
    // Without a form body the client may still send its credentials as HTTP Basic; the
    // missing grant_type is then what the answer names.
    let form = form.map(|Form(pairs)| pairs).unwrap_or_default();
    match sim.issue_token(&headers, &form) {
        TokenAnswer::Issued {
            access_token,
            expires_in,
        } => Json(serde_json::json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
        }))
        .into_response(),
        TokenAnswer::InvalidClient => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "invalid_client"})),
        )
            .into_response(),
        TokenAnswer::Invalid { error, description } => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": error, "error_description": description})),
        )
            .into_response(),
        TokenAnswer::NotOAuth2 { mode } => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({
                "error": "not_found",
                "error_description": format!(
                    "the simulator runs with --auth {mode}; tokens are issued only with --auth oauth2"
                ),
            })),
        )
            .into_response(),
    }
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

async fn admin_http_faults(State(sim): State<Arc<Simulator>>) -> Response {
    Json(HttpFaultsView::from(sim.http_faults())).into_response()
}

async fn admin_set_http_faults(
    State(sim): State<Arc<Simulator>>,
    body: Bytes,
) -> Result<Response, BadRequest> {
    let patch: HttpFaultsPatch = serde_json::from_slice(&body).map_err(|e| {
        BadRequest(format!(
            "故障设置无法解析: {e}; 应为 JSON 对象, 键为 5xx, 429, truncated, slow (0 到 1 的概率), \
             retry_after_secs, slow_ms, insert_per_page, seed"
        ))
    })?;
    let next = patch
        .apply(sim.http_faults())
        .map_err(|e| BadRequest(format!("故障设置无效: {e}")))?;
    if next.insert_per_page > MAX_MUTATION {
        return Err(BadRequest(format!(
            "insert_per_page 超出范围: 应为 0 到 {MAX_MUTATION} 之间的整数, 收到 {}",
            next.insert_per_page
        )));
    }
    sim.set_http_faults(next);
    if let Some(seed) = patch.seed {
        sim.reseed_http_faults(seed);
    }
    Ok(Json(HttpFaultsView::from(next)).into_response())
}

async fn admin_stats(State(sim): State<Arc<Simulator>>) -> Response {
    Json(sim.stats()).into_response()
}

/// tower-http's default rules, and not a response marked [`Uncompressed`] (hostile
/// padding sent as it is).
fn compressible(_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions) -> bool {
    extensions.get::<Uncompressed>().is_none()
}

/// Count the responses the compression layer gzipped.
async fn count_gzip(State(sim): State<Arc<Simulator>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let gzipped = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if gzipped {
        sim.gzip_response();
    }
    response
}

fn query_pairs(params: Params) -> Result<Vec<(String, String)>, BadRequest> {
    params
        .map(|Query(pairs)| pairs)
        .map_err(|rejection| BadRequest(format!("查询参数无法解析: {rejection}")))
}
