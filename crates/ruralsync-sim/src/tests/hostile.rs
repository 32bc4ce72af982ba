//! The hostile settings (`crate::hostile`) over real HTTP: each does what it says, and
//! the counters see what clients sent and read.

use reqwest::header::{CONTENT_ENCODING, LINK, LOCATION};
use serde_json::Value;

use super::Running;
use crate::auth::Auth;
use crate::{ErrorAnswer, Hostile, Padding, Redirect, SimConfig};

fn config(hostile: Hostile) -> SimConfig {
    SimConfig {
        seed: 5,
        records: 50,
        hostile,
        ..SimConfig::default()
    }
}

fn at(running: &Running, path_and_query: &str) -> String {
    format!("{}{path_and_query}", running.base)
}

/// A client that follows no redirect and neither asks for nor decodes gzip.
fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .build()
        .unwrap()
}

#[tokio::test]
async fn next_links_can_point_elsewhere_and_echo_the_request() {
    let running = Running::start(SimConfig {
        auth: Auth::ApiKeyQuery { key: "K".into() },
        ..config(Hostile {
            link_base: Some("http://127.0.0.1:9".into()),
            echo_query_in_links: true,
            ..Hostile::default()
        })
    })
    .await;
    let url = at(&running, "/api/v4/transactions?per_page=2&apiKey=K&x=a%20b");
    let response = raw().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let link = response.headers()[LINK].to_str().unwrap().to_owned();
    assert!(
        link.starts_with("<http://127.0.0.1:9/api/v4/transactions?apiKey=K&x=a+b&per_page=2&updated_since=&after="),
        "{link}"
    );
    // Following the echoed link repeats nothing the client did not repeat.
    let stats = running.sim.hostile_stats();
    assert_eq!(stats.requests_with_repeated_params, 0);
    let twice = at(&running, "/api/v4/transactions?apiKey=K&apiKey=K");
    raw().get(twice).send().await.unwrap();
    let stats = running.sim.hostile_stats();
    assert_eq!(stats.requests_with_repeated_params, 1);
    assert_eq!(
        stats.longest_query,
        "per_page=2&apiKey=K&x=a%20b".len() as u64
    );
    running.stop().await;
}

#[tokio::test]
async fn data_and_token_requests_can_be_redirected() {
    let running = Running::start(config(Hostile {
        redirect: Some(Redirect {
            status: 302,
            to: "http://127.0.0.1:9/".into(),
        }),
        token_redirect: Some("http://127.0.0.1:8".into()),
        ..Hostile::default()
    }))
    .await;
    let response = raw()
        .get(at(&running, "/api/v1/transactions?pageNo=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()[LOCATION],
        "http://127.0.0.1:9/api/v1/transactions?pageNo=2"
    );
    let response = raw()
        .post(at(&running, "/oauth/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()[LOCATION],
        "http://127.0.0.1:8/oauth/token"
    );
    running.stop().await;
}

#[tokio::test]
async fn padding_is_valid_json_counted_as_sent_and_compressed_only_if_asked() {
    for compress in [false, true] {
        let bytes = (3 << 20) + 5;
        let running = Running::start(config(Hostile {
            padding: Some(Padding { bytes, compress }),
            ..Hostile::default()
        }))
        .await;
        let client = reqwest::Client::builder().gzip(true).build().unwrap();
        let url = at(&running, "/api/v1/transactions?pageSize=5");
        // Raw, to see the encoding on the wire.
        let wire = raw()
            .get(&url)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(wire.headers().contains_key(CONTENT_ENCODING), compress);
        let on_wire = wire.bytes().await.unwrap().len();
        assert!(
            compress == (on_wire < 50_000),
            "compress {compress}: {on_wire} bytes on the wire"
        );
        let body = client.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(body.len() as u64 > bytes);
        let page: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(page["data"]["list"].as_array().unwrap().len(), 5);
        assert_eq!(running.sim.hostile_stats().padding_bytes_sent, 2 * bytes);
        running.stop().await;
    }
}

#[tokio::test]
async fn an_error_answer_replaces_the_page_after_auth() {
    let hostile = "bad\n2026-01-01T00:00:00Z ERROR forged\u{1b}[2J";
    let running = Running::start(SimConfig {
        auth: Auth::bearer(),
        ..config(Hostile {
            error_answer: Some(ErrorAnswer {
                status: 400,
                body: hostile.into(),
            }),
            ..Hostile::default()
        })
    })
    .await;
    let url = at(&running, "/api/v1/transactions");
    let denied = raw().get(&url).send().await.unwrap();
    assert_eq!(denied.status(), 401, "auth first");
    let answered = raw()
        .get(&url)
        .bearer_auth("sim-bearer-token")
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 400);
    assert_eq!(answered.text().await.unwrap(), hostile);
    running.stop().await;
}
