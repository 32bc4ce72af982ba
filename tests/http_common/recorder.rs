//! A second origin for the `http_json` tests: a loopback server on its own port that
//! records every request it receives (method, path and query, headers, body) and, when
//! given a target, forwards it there as it came (its `Host` kept, so a simulator behind
//! it writes next links back to the recorder) and returns the answer.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio_util::sync::CancellationToken;

/// One request as the recorder received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    /// Everything the request carried, as text.
    pub fn text(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!(
            "{} {}\n{}\n\n{}",
            self.method,
            self.path_and_query,
            headers.join("\n"),
            self.body
        )
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    forward_to: Option<String>,
    client: reqwest::Client,
}

/// A running recorder; stops when dropped.
pub struct Recorder {
    /// `http://127.0.0.1:<port>`: its origin.
    pub origin: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: CancellationToken,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Recorder {
    /// Start a recorder that forwards to `forward_to` (an origin such as
    /// `http://127.0.0.1:4000`), or answers 404 to everything.
    pub async fn start(forward_to: Option<&str>) -> Recorder {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            seen: Arc::clone(&seen),
            forward_to: forward_to.map(str::to_owned),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_gzip()
                .build()
                .unwrap(),
        };
        let app = Router::new().fallback(record).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await
        });
        Recorder {
            origin: format!("http://{addr}"),
            seen,
            stop,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Assert that no request carried any of `secrets`, nor an `Authorization` or
    /// `X-API-Key` header.
    pub fn assert_no_credentials(&self, secrets: &[&str]) {
        for seen in self.requests() {
            let text = seen.text();
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{secret:?} reached the recorder:\n{text}"
                );
            }
            for header in ["authorization", "x-api-key"] {
                assert!(
                    seen.header(header).is_none(),
                    "{header} reached the recorder:\n{text}"
                );
            }
        }
    }
}

async fn record(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.to_string());
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    shared.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path_and_query: path_and_query.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let Some(target) = &shared.forward_to else {
        return (StatusCode::NOT_FOUND, "nothing here").into_response();
    };
    let mut forward = shared
        .client
        .request(parts.method, format!("{target}{path_and_query}"))
        .body(body);
    for (name, value) in &parts.headers {
        forward = forward.header(name, value);
    }
    let answer = forward.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != HeaderName::from_static("transfer-encoding") {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}
