//! Tests of the contract of docs/upstream-api.md over real HTTP: the pagination styles,
//! the auth modes, HTTP faults, gzip and the admin endpoints.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_ENCODING, LINK, RETRY_AFTER};
use serde_json::{json, Value};

use super::{local, parsed, s, Running};
use crate::auth::{canonical_string, Auth, SignDigest};
use crate::{FaultRates, HttpFaults, Mutation, SimConfig, SimStats};

fn config(seed: u64, records: usize) -> SimConfig {
    SimConfig {
        seed,
        records,
        ..SimConfig::default()
    }
}

/// A client that neither asks for nor decodes gzip, so bodies arrive as sent.
fn plain() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().build().unwrap()
}

/// A raw response: status, headers, body text.
async fn fetch(client: &reqwest::Client, url: &str) -> (u16, HeaderMap, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn nos(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| s(r, "项目编号").to_owned())
        .collect()
}

impl Running {
    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    async fn stats_over_http(&self) -> Value {
        self.get("/admin/stats").await.1
    }
}

// --- pagination styles ------------------------------------------------------------

#[tokio::test]
async fn offset_limit_pages_cover_every_record_once_in_order() {
    let running = Running::start(config(4, 1234)).await;
    let all = parsed(&running.sim);
    let mut rows = Vec::new();
    for offset in (0..1234).step_by(100) {
        let (status, body) = running
            .get(&format!("/api/v2/transactions?offset={offset}&limit=100"))
            .await;
        assert_eq!(status, 200);
        assert_eq!((&body["code"], &body["msg"]), (&json!(0), &json!("成功")));
        let data = &body["data"];
        assert_eq!(data["total"], 1234);
        assert_eq!(data["offset"], offset);
        assert_eq!(data["limit"], 100);
        rows.extend(data["rows"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(rows, all);

    // Any offset, not only multiples of the limit; past the end is empty.
    let (_, body) = running.get("/api/v2/transactions?offset=7&limit=3").await;
    assert_eq!(body["data"]["rows"].as_array().unwrap()[..], all[7..10]);
    let (_, body) = running.get("/api/v2/transactions?offset=1234").await;
    assert_eq!(body["data"]["rows"], json!([]));
    let (_, body) = running
        .get("/api/v2/transactions?updatedSince=2023-01-05%2009:00:01&limit=1")
        .await;
    assert_eq!(body["data"]["total"], 1232);
    assert_eq!(body["data"]["rows"][0]["项目编号"], "JZ140781202300003");

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
        ("updatedSince=yesterday", "updatedSince"),
    ] {
        let (status, body) = running.get(&format!("/api/v2/transactions?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["code"], 400);
        assert!(body["data"].is_null());
        assert!(body["msg"].as_str().unwrap().contains(param), "{body}");
    }
    running.stop().await;
}

/// Page through `/api/v3` with `size`, calling `between` after every page.
async fn cursor_pages(
    running: &Running,
    query: &str,
    mut between: impl FnMut(),
) -> (Vec<Value>, usize) {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            None => format!("/api/v3/transactions?{query}"),
            Some(c) => format!("/api/v3/transactions?{query}&cursor={c}"),
        };
        let (status, body) = running.get(&url).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (&body["code"], &body["message"]),
            (&json!("0000"), &json!("ok"))
        );
        let result = &body["result"];
        records.extend(result["records"].as_array().unwrap().iter().cloned());
        pages += 1;
        between();
        match result["nextCursor"].as_str() {
            Some(next) => {
                assert_eq!(result["hasMore"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(result["hasMore"], false);
                assert!(result["nextCursor"].is_null());
                return (records, pages);
            }
        }
    }
}

#[tokio::test]
async fn cursor_pages_cover_every_record_once_in_order() {
    let running = Running::start(config(5, 1001)).await;
    let all = parsed(&running.sim);
    let (records, pages) = cursor_pages(&running, "size=100", || {}).await;
    assert_eq!(pages, 11);
    assert_eq!(records, all);

    // With updatedSince, the cursor carries the filter: later requests need not repeat it.
    let since = "2023-01-05%2009:00:01";
    let (_, first) = running
        .get(&format!("/api/v3/transactions?size=2&updatedSince={since}"))
        .await;
    assert_eq!(
        nos(first["result"]["records"].as_array().unwrap()),
        ["JZ140781202300003", "JZ140727202300005"]
    );
    let next = first["result"]["nextCursor"].as_str().unwrap();
    let (_, second) = running
        .get(&format!("/api/v3/transactions?size=2&cursor={next}"))
        .await;
    assert_eq!(
        second["result"]["records"][0]["项目编号"],
        "JZ140728202300004"
    );

    for (query, param) in [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=e30", "cursor"),
        ("size=0", "size"),
        ("size=1001", "size"),
    ] {
        let (status, body) = running.get(&format!("/api/v3/transactions?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["code"], 400);
        assert!(body["msg"].as_str().unwrap().contains(param), "{body}");
    }
    running.stop().await;
}

/// The point of keyset pagination: projects updated while a client pages are served
/// later, never skipped, whereas positions shift under a page-number client.
///
/// Each mutation here has a second of its own. Two mutations within one second can skip
/// a record: the second one may move a project to (that second, a 项目编号 below the
/// cursor's), which sorts before a cursor already in that second (docs/upstream-api.md,
/// "Pagination styles").
#[tokio::test]
async fn cursor_never_skips_records_updated_while_paging_but_offsets_do() {
    let running = Running::start(config(8, 2000)).await;
    let sim = std::sync::Arc::clone(&running.sim);
    let mut last_mutation = Mutation::default();
    let mut second = local("2025-01-01 00:00:00");
    let (served, pages) = cursor_pages(&running, "size=100", || {
        second += chrono::Duration::seconds(1);
        last_mutation = sim.mutate_at(5, 2, second);
    })
    .await;
    let mut latest: HashMap<String, Value> = HashMap::new();
    for record in served {
        latest.insert(s(&record, "项目编号").to_owned(), record);
    }
    // Every project is served in its current state, except those of the mutation after
    // the last page.
    let after_last_page: HashSet<&String> = last_mutation
        .changed
        .iter()
        .chain(&last_mutation.added)
        .collect();
    for record in parsed(&running.sim) {
        let no = s(&record, "项目编号").to_owned();
        if !after_last_page.contains(&no) {
            assert_eq!(latest.get(&no), Some(&record), "{no} skipped or stale");
        }
    }
    assert!(pages > 20, "{pages} pages");
    assert_eq!(running.sim.stats().changed, 5 * pages as u64);

    // The same mutations between offset pages make a client miss records.
    let running_offsets = Running::start(config(8, 2000)).await;
    let mut seen = HashSet::new();
    let mut offset = 0;
    loop {
        let (_, body) = running_offsets
            .get(&format!("/api/v2/transactions?offset={offset}&limit=100"))
            .await;
        let rows = body["data"]["rows"].as_array().unwrap().clone();
        if rows.is_empty() {
            break;
        }
        seen.extend(nos(&rows));
        offset += 100;
        running_offsets.sim.mutate(5, 2);
    }
    let missed = parsed(&running_offsets.sim)
        .iter()
        .filter(|r| !seen.contains(s(r, "项目编号")))
        .count();
    assert!(missed > 0, "offset paging missed nothing");
    running_offsets.stop().await;
    running.stop().await;
}

#[tokio::test]
async fn link_header_pages_follow_next_until_it_is_gone() {
    let running = Running::start(config(9, 950)).await;
    let all = parsed(&running.sim);
    let client = plain();
    let mut url = running.url("/api/v4/transactions?per_page=100");
    let mut records = Vec::new();
    let mut pages = 0;
    loop {
        let (status, headers, body) = fetch(&client, &url).await;
        assert_eq!(status, 200);
        let page = json(&body);
        records.extend(page.as_array().expect("a bare array").iter().cloned());
        pages += 1;
        let Some(link) = headers.get(LINK) else { break };
        let link = link.to_str().unwrap();
        let next = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("{link}"));
        assert!(
            next.starts_with(&format!(
                "{}/api/v4/transactions?per_page=100&updated_since=&after=",
                running.base
            )),
            "{next}"
        );
        url = next.to_owned();
    }
    assert_eq!(pages, 10);
    assert_eq!(records, all);

    // The filter travels in the link, encoded.
    let (_, headers, body) = fetch(
        &client,
        &running.url("/api/v4/transactions?per_page=1&updated_since=2023-01-05%2009:00:01"),
    )
    .await;
    assert_eq!(json(&body)[0]["项目编号"], "JZ140781202300003");
    let link = headers[LINK].to_str().unwrap().to_owned();
    assert!(
        link.contains("per_page=1&updated_since=2023-01-05%2009:00:01&after="),
        "{link}"
    );
    let next = &link[1..link.find('>').unwrap()];
    let (_, _, body) = fetch(&client, next).await;
    assert_eq!(json(&body)[0]["项目编号"], "JZ140727202300005");

    let (status, _, body) = fetch(&client, &running.url("/api/v4/transactions?after=%25%25")).await;
    assert_eq!(status, 400);
    assert!(json(&body)["msg"].as_str().unwrap().contains("after"));
    let (status, _, _) = fetch(&client, &running.url("/api/v4/transactions?per_page=0")).await;
    assert_eq!(status, 400);
    running.stop().await;
}

// --- auth -------------------------------------------------------------------------

async fn expect_401(running: &Running, request: reqwest::RequestBuilder, why: &str) {
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401, "{why}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 401);
    assert!(body["data"].is_null());
    let msg = body["msg"].as_str().unwrap();
    assert!(msg.starts_with("未授权: ") && msg.contains(why), "{msg}");
    let _ = running;
}

#[tokio::test]
async fn bearer_and_api_key_modes_check_credentials_on_every_style() {
    let running = Running::start(SimConfig {
        auth: Auth::bearer(),
        ..config(1, 50)
    })
    .await;
    let client = plain();
    for path in [
        "/api/v1/transactions",
        "/api/v2/transactions",
        "/api/v3/transactions",
        "/api/v4/transactions",
    ] {
        let url = running.url(path);
        expect_401(&running, client.get(&url), "Bearer").await;
        expect_401(&running, client.get(&url).bearer_auth("wrong"), "令牌无效").await;
        let ok = client
            .get(&url)
            .bearer_auth("sim-bearer-token")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status().as_u16(), 200, "{path}");
    }
    // Admin endpoints stay open.
    assert_eq!(running.get("/admin/stats").await.0, 200);
    assert_eq!(running.sim.stats().auth_failures, 8);
    running.stop().await;

    let running = Running::start(SimConfig {
        auth: Auth::ApiKeyHeader { key: "k1".into() },
        ..config(1, 50)
    })
    .await;
    let url = running.url("/api/v1/transactions");
    expect_401(&running, client.get(&url), "X-API-Key").await;
    expect_401(
        &running,
        client.get(&url).header("X-API-Key", "k2"),
        "API key",
    )
    .await;
    let ok = client
        .get(&url)
        .header("X-API-Key", "k1")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    running.stop().await;

    let running = Running::start(SimConfig {
        auth: Auth::ApiKeyQuery { key: "k1".into() },
        ..config(1, 50)
    })
    .await;
    expect_401(
        &running,
        client.get(running.url("/api/v2/transactions")),
        "apiKey",
    )
    .await;
    expect_401(
        &running,
        client.get(running.url("/api/v2/transactions?apiKey=k2")),
        "API key",
    )
    .await;
    let (status, body) = running.get("/api/v2/transactions?apiKey=k1&limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["rows"].as_array().unwrap().len(), 5);
    running.stop().await;
}

#[tokio::test]
async fn oauth2_tokens_are_issued_used_and_expire() {
    let running = Running::start(SimConfig {
        auth: Auth::oauth2(Duration::from_secs(3600)),
        ..config(1, 50)
    })
    .await;
    let client = plain();
    let token_url = running.url("/oauth/token");
    let grant = [
        ("grant_type", "client_credentials"),
        ("client_id", "sim-client"),
        ("client_secret", "sim-client-secret"),
    ];
    let response = client.post(&token_url).form(&grant).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    let access = token["access_token"].as_str().unwrap();
    let url = running.url("/api/v3/transactions?size=3");
    let ok = client.get(&url).bearer_auth(access).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    expect_401(
        &running,
        client.get(&url).bearer_auth("sim-at-forged"),
        "令牌无效",
    )
    .await;
    expect_401(&running, client.get(&url), "/oauth/token").await;

    // HTTP Basic works too; wrong credentials get invalid_client.
    let basic = client
        .post(&token_url)
        .basic_auth("sim-client", Some("sim-client-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);
    let wrong = client
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sim-client"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client"})
    );
    let stats = running.sim.stats();
    assert_eq!((stats.tokens_issued, stats.auth_failures), (2, 3));
    running.stop().await;

    // A TTL of zero gives tokens that are expired on arrival.
    let running = Running::start(SimConfig {
        auth: Auth::oauth2(Duration::ZERO),
        ..config(1, 50)
    })
    .await;
    let token: Value = client
        .post(running.url("/oauth/token"))
        .form(&grant)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expired = client
        .get(running.url("/api/v1/transactions"))
        .bearer_auth(token["access_token"].as_str().unwrap());
    let response = expired.try_clone().unwrap().send().await.unwrap();
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    expect_401(&running, expired, "令牌已过期").await;
    running.stop().await;
}

/// The query of a signed request for `params`, signed now with the default credentials.
fn signed_query(digest: SignDigest, params: &[(&str, &str)], nonce: &str) -> Vec<(String, String)> {
    let timestamp = chrono::Utc::now().timestamp_millis().to_string();
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    all.push(("appKey".into(), "jz-exchange".into()));
    all.push(("timestamp".into(), timestamp));
    all.push(("nonce".into(), nonce.to_owned()));
    let canonical = canonical_string(all.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    all.push(("sign".into(), digest.sign("s3cr3t", &canonical)));
    all
}

#[tokio::test]
async fn signed_requests_pass_once_and_failures_use_the_platform_envelope() {
    for digest in [SignDigest::HmacSha256, SignDigest::Md5, SignDigest::Sm3] {
        let running = Running::start(SimConfig {
            auth: Auth::signed(digest),
            ..config(1, 50)
        })
        .await;
        let client = plain();
        let params = [
            ("pageNo", "1"),
            ("pageSize", "10"),
            ("updatedSince", "2023-01-05 09:00:00"),
        ];
        let query = signed_query(digest, &params, "n-1");
        let url = running.url("/api/v1/transactions");
        let body: Value = client
            .get(&url)
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["code"], 0, "{digest:?}: {body}");
        assert_eq!(body["data"]["list"].as_array().unwrap().len(), 10);

        // Replayed: refused with HTTP 200 and the envelope.
        let replay = client.get(&url).query(&query).send().await.unwrap();
        assert_eq!(replay.status().as_u16(), 200);
        let body: Value = replay.json().await.unwrap();
        assert_eq!(body["code"], 40003, "{body}");
        assert!(body.get("data").is_none_or(Value::is_null));

        // Tampered, on /api/v3: the string-coded envelope.
        let mut tampered = signed_query(digest, &[("size", "5")], "n-2");
        tampered[0].1 = "6".into();
        let body: Value = client
            .get(running.url("/api/v3/transactions"))
            .query(&tampered)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body,
            json!({"code": "40004", "message": "签名错误", "result": null})
        );

        // Missing sign, stale timestamp, unknown appKey.
        let unsigned: Vec<_> = signed_query(digest, &[], "n-3")
            .into_iter()
            .filter(|(n, _)| n != "sign")
            .collect();
        let body: Value = client
            .get(&url)
            .query(&unsigned)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["code"], 40001);
        assert_eq!(body["msg"], "缺少签名参数 sign");
        let mut stale = vec![
            ("appKey".to_owned(), "jz-exchange".to_owned()),
            (
                "timestamp".to_owned(),
                (chrono::Utc::now().timestamp_millis() - 301_000).to_string(),
            ),
            ("nonce".to_owned(), "n-4".to_owned()),
        ];
        let canonical = canonical_string(stale.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        stale.push(("sign".into(), digest.sign("s3cr3t", &canonical)));
        let body: Value = client
            .get(&url)
            .query(&stale)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["code"], 40002);
        let mut unknown = signed_query(digest, &[], "n-5");
        unknown.retain(|(n, _)| n != "appKey");
        unknown.push(("appKey".into(), "other".into()));
        let body: Value = client
            .get(&url)
            .query(&unknown)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["code"], 40005);
        assert_eq!(running.sim.stats().auth_failures, 5);
        running.stop().await;
    }
}

// --- HTTP faults, gzip and stats --------------------------------------------------

fn faults(rates: &str) -> HttpFaults {
    HttpFaults {
        rates: rates.parse::<FaultRates>().unwrap(),
        slow_delay: Duration::from_millis(200),
        ..HttpFaults::default()
    }
}

/// What a client saw of one request: its status, or "truncated" for a 200 that is not JSON.
async fn outcome(client: &reqwest::Client, url: &str) -> String {
    let (status, _, body) = fetch(client, url).await;
    if status == 200 && serde_json::from_str::<Value>(&body).is_err() {
        "truncated".to_owned()
    } else {
        status.to_string()
    }
}

#[tokio::test]
async fn a_seed_reproduces_the_same_fault_sequence() {
    let rates = "5xx=0.2,429=0.1,truncated=0.1";
    let mut sequences = Vec::new();
    for seed in [11, 11, 12] {
        let running = Running::start(SimConfig {
            http_faults: HttpFaults {
                retry_after: Duration::ZERO,
                ..faults(rates)
            },
            ..config(seed, 50)
        })
        .await;
        let client = plain();
        let mut sequence = Vec::new();
        for _ in 0..60 {
            sequence.push(outcome(&client, &running.url("/api/v2/transactions?limit=20")).await);
        }
        let stats = running.sim.stats();
        let count = |what: &str| sequence.iter().filter(|o| *o == what).count() as u64;
        assert_eq!(stats.requests, 60);
        assert_eq!(
            stats.faults.server_error,
            count("500") + count("502") + count("503")
        );
        assert_eq!(stats.faults.too_many_requests, count("429"));
        assert_eq!(stats.faults.truncated, count("truncated"));
        assert_eq!(stats.pages_served, count("200"));
        assert_eq!(
            stats.retry_after_violations, 0,
            "Retry-After 0 cannot be violated"
        );
        for kind in ["200", "429", "truncated"] {
            assert!(count(kind) > 0, "seed {seed}: no {kind} in {sequence:?}");
        }
        // Reseeding over HTTP restarts the sequence.
        let response = client
            .post(running.url("/admin/http-faults"))
            .json(&json!({"seed": seed}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let mut again = Vec::new();
        for _ in 0..60 {
            again.push(outcome(&client, &running.url("/api/v2/transactions?limit=20")).await);
        }
        assert_eq!(again, sequence);
        sequences.push(sequence);
        running.stop().await;
    }
    assert_eq!(sequences[0], sequences[1]);
    assert_ne!(sequences[0], sequences[2]);
}

#[tokio::test]
async fn server_errors_look_like_nginx_and_429_says_when_to_retry() {
    let running = Running::start(SimConfig {
        http_faults: faults("5xx=1"),
        ..config(1, 20)
    })
    .await;
    let client = plain();
    let (status, headers, body) = fetch(&client, &running.url("/api/v1/transactions")).await;
    assert!([500, 502, 503].contains(&status), "{status}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        body.contains("<center>nginx</center>") && body.contains(&status.to_string()),
        "{body}"
    );

    running.sim.set_http_faults(faults("429=1"));
    let (status, headers, body) = fetch(&client, &running.url("/api/v3/transactions")).await;
    assert_eq!(status, 429);
    assert_eq!(headers[RETRY_AFTER], "1");
    assert_eq!(json(&body), json!({"code": 429, "msg": "请求过于频繁"}));
    running.stop().await;
}

#[tokio::test]
async fn requests_before_retry_after_has_passed_are_counted() {
    let running = Running::start(SimConfig {
        http_faults: faults("429=1"),
        ..config(1, 20)
    })
    .await;
    let client = plain();
    let url = running.url("/api/v1/transactions?pageSize=5");
    assert_eq!(outcome(&client, &url).await, "429");
    running.sim.set_http_faults(HttpFaults::default());
    // Straight away: a violation, though the request is served.
    assert_eq!(outcome(&client, &url).await, "200");
    assert_eq!(outcome(&client, &url).await, "200");
    assert_eq!(running.sim.stats().retry_after_violations, 2);
    // After waiting Retry-After out: none.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(outcome(&client, &url).await, "200");
    let stats = running.stats_over_http().await;
    assert_eq!(stats["retry_after_violations"], 2);
    assert_eq!(stats["faults"]["429"], 1);
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["pages_served"], 3);
    running.stop().await;
}

#[tokio::test]
async fn truncated_and_slow_responses() {
    let running = Running::start(SimConfig {
        http_faults: faults("truncated=1"),
        ..config(1, 30)
    })
    .await;
    let client = plain();
    let (status, _, body) = fetch(&client, &running.url("/api/v1/transactions?pageSize=30")).await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert!(body.starts_with("{\"code\":0,\"msg\":\"成功\""));
    let full = running.sim.stats();
    assert_eq!((full.faults.truncated, full.pages_served), (1, 0));

    running.sim.set_http_faults(faults("slow=1"));
    let started = Instant::now();
    assert_eq!(
        outcome(&client, &running.url("/api/v4/transactions")).await,
        "200"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(running.sim.stats().faults.slow, 1);
    running.stop().await;
}

#[tokio::test]
async fn insert_per_page_lists_and_moves_projects_after_each_page() {
    let running = Running::start(SimConfig {
        http_faults: HttpFaults {
            insert_per_page: 3,
            ..HttpFaults::default()
        },
        ..config(1, 100)
    })
    .await;
    for _ in 0..2 {
        assert_eq!(running.get("/api/v1/transactions?pageSize=10").await.0, 200);
    }
    let stats = running.sim.stats();
    assert_eq!(
        (stats.inserted, stats.changed, stats.pages_served),
        (6, 6, 2)
    );
    assert_eq!(running.sim.len(), 106);
    running.stop().await;
}

#[tokio::test]
async fn admin_http_faults_changes_settings_at_run_time() {
    let running = Running::start(config(1, 20)).await;
    let client = plain();
    let post = |body: Value| {
        client
            .post(running.url("/admin/http-faults"))
            .json(&body)
            .send()
    };

    let response = post(json!({"5xx": 1, "retry_after_secs": 4}))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"5xx": 1.0, "429": 0.0, "truncated": 0.0, "slow": 0.0,
               "retry_after_secs": 4, "slow_ms": 3000, "insert_per_page": 0})
    );
    assert!(outcome(&client, &running.url("/api/v2/transactions"))
        .await
        .starts_with('5'));
    assert_eq!(
        running.sim.http_faults().retry_after,
        Duration::from_secs(4)
    );

    for (bad, hint) in [
        (json!({"404": 0.5}), "5xx, 429, truncated, slow"),
        (json!({"5xx": 1.5}), "between 0 and 1"),
        (json!({"429": 0.5}), "at most 1"),
    ] {
        let response = post(bad.clone()).await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["msg"].as_str().unwrap().contains(hint),
            "{bad}: {body}"
        );
    }
    // Rejected settings changed nothing.
    assert_eq!(running.get("/admin/http-faults").await.1["5xx"], 1.0);
    post(json!({"5xx": 0})).await.unwrap();
    assert_eq!(
        outcome(&client, &running.url("/api/v2/transactions")).await,
        "200"
    );
    running.stop().await;
}

#[tokio::test]
async fn gzip_when_asked_and_counted() {
    let running = Running::start(config(1, 200)).await;
    let url = running.url("/api/v1/transactions?pageSize=200");

    let (_, headers, _) = fetch(&plain(), &url).await;
    assert!(headers.get(CONTENT_ENCODING).is_none());
    assert_eq!(running.sim.stats().gzip_responses, 0);

    let response = plain()
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    let compressed = response.bytes().await.unwrap();
    assert_eq!(&compressed[..2], [0x1f, 0x8b], "gzip magic");

    // reqwest's own gzip support asks for it and decodes it.
    let body: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(body["data"]["list"].as_array().unwrap().len(), 200);
    let stats: SimStats = running.sim.stats();
    assert_eq!(stats.gzip_responses, 2);
    assert_eq!(stats.pages_served, 3);
    running.stop().await;
}
