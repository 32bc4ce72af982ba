//! The `http_json` source against a hostile or careless upstream (issue 10, points 4, 5, 6
//! and the HTTP part of 12), driven through `ruralsync once` into real Kafka, with the
//! simulator's hostile settings and a second loopback origin that records everything it
//! receives:
//!
//! - credentials go only to the configured origin: next links and redirects elsewhere are
//!   refused naming both origins, or followed without credentials when allowed;
//! - URLs are stored and logged without credentials, and a key is never sent twice;
//! - bodies are bounded after decompression;
//! - upstream text cannot forge log lines; credentials over plain HTTP need permission;
//!   a private CA can be trusted with `ca_file`.

mod common;
mod http_common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::*;
use http_common::recorder::Recorder;
use http_common::*;
use ruralsync_sim::auth::Auth;
use ruralsync_sim::{ErrorAnswer, Hostile, HttpFaults, Padding, Redirect, SignDigest, SimConfig};

const RECORDS: usize = 300;

/// Every secret the simulator's auth modes use by default.
const SECRETS: [&str; 4] = [
    "sim-bearer-token",
    "sim-api-key",
    "s3cr3t",
    "sim-client-secret",
];

/// The environment naming those secrets, as the auth tables below read them.
const ENV: [(&str, &str); 4] = [
    ("RS_TEST_TOKEN", "sim-bearer-token"),
    ("RS_TEST_API_KEY", "sim-api-key"),
    ("RS_TEST_APP_SECRET", "s3cr3t"),
    ("RS_TEST_CLIENT_SECRET", "sim-client-secret"),
];

/// The `[auth]` table matching a simulator auth mode (`origin`: the simulator's, for the
/// token endpoint).
fn auth_table(auth: &Auth, origin: &str) -> String {
    let body = match auth {
        Auth::Bearer { .. } => "kind = \"bearer\"\ntoken_env = \"RS_TEST_TOKEN\"".to_owned(),
        Auth::ApiKeyHeader { .. } => {
            "kind = \"api_key\"\nkey_env = \"RS_TEST_API_KEY\"\nheader = \"X-API-Key\"".to_owned()
        }
        Auth::ApiKeyQuery { .. } => {
            "kind = \"api_key\"\nkey_env = \"RS_TEST_API_KEY\"\nquery_param = \"apiKey\"".to_owned()
        }
        Auth::Signed { digest, .. } => format!(
            "kind = \"signed\"\napp_key = \"jz-exchange\"\napp_secret_env = \"RS_TEST_APP_SECRET\"\ndigest = \"{}\"",
            digest.name()
        ),
        Auth::OAuth2 { .. } => format!(
            "kind = \"oauth2_client_credentials\"\ntoken_url = \"{origin}/oauth/token\"\nclient_id = \"sim-client\"\nclient_secret_env = \"RS_TEST_CLIENT_SECRET\""
        ),
        _ => return String::new(),
    };
    format!("[sources.{SOURCE}.http.auth]\n{body}\n")
}

fn api_key_query() -> Auth {
    Auth::ApiKeyQuery {
        key: "sim-api-key".into(),
    }
}

fn api_key_header() -> Auth {
    Auth::ApiKeyHeader {
        key: "sim-api-key".into(),
    }
}

/// A simulator of `RECORDS` records with `auth` and `hostile` settings.
async fn hostile_sim(seed: u64, auth: Auth, hostile: Hostile) -> common::RunningSim {
    sim(SimConfig {
        seed,
        records: RECORDS,
        auth,
        hostile,
        ..SimConfig::default()
    })
    .await
}

/// The same dataset without auth, as a second origin behind a recorder would serve it.
async fn twin(seed: u64, auth: Auth) -> common::RunningSim {
    hostile_sim(seed, auth, Hostile::default()).await
}

/// The `<source>: FAILED: …` line of a run that failed.
fn failed_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", output_text(out));
    common::text(&out.stdout)
        .lines()
        .find(|l| l.starts_with(&format!("{SOURCE}: FAILED:")))
        .unwrap_or_else(|| panic!("no FAILED line:\n{}", output_text(out)))
        .to_owned()
}

fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

/// No secret in anything the run printed.
fn assert_no_secret_printed(out: &Output) {
    let text = output_text(out);
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }
}

// --- point 4: credentials only to the configured origin --------------------------------

/// A `Link: rel="next"` to another origin: the pull stops at page 2 naming both origins,
/// and the other origin receives nothing — no bearer token, API key or signature.
#[tokio::test]
async fn regression_a_next_link_to_another_origin_receives_no_credentials() {
    let modes = [
        Auth::bearer(),
        api_key_query(),
        Auth::signed(SignDigest::HmacSha256),
    ];
    for (i, auth) in modes.into_iter().enumerate() {
        let recorder = Recorder::start(None).await;
        let hostile = Hostile {
            link_base: Some(recorder.origin.clone()),
            ..Hostile::default()
        };
        let upstream = hostile_sim(60 + i as u64, auth.clone(), hostile).await;
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix(&format!("foreign-link-{}", auth.mode()));
        let extra = auth_table(&auth, &origin(&upstream));
        let config = config(dir.path(), &prefix, &upstream, Style::Link, 100, &extra);
        let out = once(&config, &ENV).await;
        let failed = failed_line(&out);
        eprintln!("{}: {failed}", auth.mode());
        assert_contains(
            &failed,
            &[
                "source jinzhong: page 2",
                &format!("the next link leads to {}", recorder.origin),
                &format!("another origin than {}", origin(&upstream)),
                "allowed_origins",
                "credential_origins",
            ],
        );
        assert!(recorder.requests().is_empty(), "{:?}", recorder.requests());
        assert_eq!(upstream.sim.stats().requests, 1);
        assert_no_secret_printed(&out);
        // Page 1 came from the configured origin and was published.
        assert_eq!(
            read_family(&prefix, "property_rights_transaction")
                .await
                .len(),
            100
        );
    }
}

/// An origin in `allowed_origins` is followed without credentials; one in
/// `credential_origins` receives them. Both pulls publish every record exactly once.
#[tokio::test]
async fn next_links_to_listed_origins_are_followed_with_only_what_the_list_allows() {
    // A CDN: the other origin serves the same dataset without auth.
    let cdn = twin(70, Auth::None).await;
    let recorder = Recorder::start(Some(&origin(&cdn))).await;
    let hostile = Hostile {
        link_base: Some(recorder.origin.clone()),
        ..Hostile::default()
    };
    let upstream = hostile_sim(70, Auth::bearer(), hostile).await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("allowed-origin");
    let extra = format!(
        "allowed_origins = [\"{}\"]\n{}",
        recorder.origin,
        auth_table(&Auth::bearer(), "")
    );
    let path = config(dir.path(), &prefix, &upstream, Style::Link, 100, &extra);
    let out = once(&path, &ENV).await;
    assert_ok(&out);
    assert_eq!(
        assert_exactly_once(
            &kafka_config(&prefix),
            SOURCE,
            &all_upstream(&cdn.url).await
        )
        .await,
        (RECORDS, 0, 0)
    );
    assert_eq!(recorder.requests().len(), 2, "pages 2 and 3");
    recorder.assert_no_credentials(&SECRETS);

    // The platform's second host: it checks the token, and receives it.
    let second = twin(71, Auth::bearer()).await;
    let recorder = Recorder::start(Some(&origin(&second))).await;
    let hostile = Hostile {
        link_base: Some(recorder.origin.clone()),
        ..Hostile::default()
    };
    let upstream = hostile_sim(71, Auth::bearer(), hostile).await;
    let prefix = unique_prefix("credential-origin");
    let extra = format!(
        "credential_origins = [\"{}\"]\n{}",
        recorder.origin,
        auth_table(&Auth::bearer(), "")
    );
    let path = config(dir.path(), &prefix, &upstream, Style::Link, 100, &extra);
    assert_ok(&once(&path, &ENV).await);
    let seen = recorder.requests();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer sim-bearer-token")
        );
    }
    assert_eq!(second.sim.stats().auth_failures, 0);
}

/// A 302 carrying an `X-API-Key` header, and a 307 whose `Location` echoes an API key in
/// the query, to another origin: refused naming both origins, nothing reaches it. Allowed,
/// the redirect is followed without the key.
#[tokio::test]
async fn regression_a_redirect_to_another_origin_does_not_carry_the_api_key() {
    for (i, (auth, status)) in [(api_key_header(), 302), (api_key_query(), 307)]
        .into_iter()
        .enumerate()
    {
        let seed = 80 + i as u64;
        let recorder = Recorder::start(None).await;
        let redirect = |to: &str| Hostile {
            redirect: Some(Redirect {
                status,
                to: to.to_owned(),
            }),
            ..Hostile::default()
        };
        let upstream = hostile_sim(seed, auth.clone(), redirect(&recorder.origin)).await;
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix(&format!("redirect-{status}"));
        let table = auth_table(&auth, "");
        let path = config(dir.path(), &prefix, &upstream, Style::Page, 100, &table);
        let out = once(&path, &ENV).await;
        let failed = failed_line(&out);
        eprintln!("{status}: {failed}");
        assert_contains(
            &failed,
            &[
                "source jinzhong: page 1",
                &format!("a redirect leads to {}", recorder.origin),
                &format!("another origin than {}", origin(&upstream)),
                "not followed, so no credential reaches it",
            ],
        );
        assert!(recorder.requests().is_empty(), "{:?}", recorder.requests());
        assert_eq!(upstream.sim.stats().requests, 1, "not retried");
        assert_no_secret_printed(&out);

        // Allowed: followed to a CDN without credentials.
        let cdn = twin(seed, Auth::None).await;
        let recorder = Recorder::start(Some(&origin(&cdn))).await;
        let upstream = hostile_sim(seed, auth.clone(), redirect(&recorder.origin)).await;
        let prefix = unique_prefix(&format!("redirect-{status}-allowed"));
        let extra = format!("allowed_origins = [\"{}\"]\n{table}", recorder.origin);
        let path = config(dir.path(), &prefix, &upstream, Style::Page, 100, &extra);
        assert_ok(&once(&path, &ENV).await);
        assert_eq!(
            assert_exactly_once(
                &kafka_config(&prefix),
                SOURCE,
                &all_upstream(&cdn.url).await
            )
            .await,
            (RECORDS, 0, 0)
        );
        assert_eq!(
            recorder.requests().len(),
            upstream.sim.stats().requests as usize
        );
        recorder.assert_no_credentials(&SECRETS);
    }
}

/// A 307 from the OAuth2 token endpoint to another origin would repeat the form body —
/// the client secret — there. Refused, even when that origin is listed.
#[tokio::test]
async fn regression_a_307_from_the_token_endpoint_does_not_deliver_the_client_secret() {
    let recorder = Recorder::start(None).await;
    let hostile = Hostile {
        token_redirect: Some(recorder.origin.clone()),
        ..Hostile::default()
    };
    let auth = Auth::oauth2(Duration::from_secs(3600));
    let upstream = hostile_sim(90, auth.clone(), hostile).await;
    let dir = tempfile::tempdir().unwrap();
    for listed in ["", "allowed_origins", "credential_origins"] {
        let prefix = unique_prefix("token-redirect");
        let list = if listed.is_empty() {
            String::new()
        } else {
            format!("{listed} = [\"{}\"]\n", recorder.origin)
        };
        let extra = format!("{list}{}", auth_table(&auth, &origin(&upstream)));
        let path = config(dir.path(), &prefix, &upstream, Style::Page, 100, &extra);
        let out = once(&path, &ENV).await;
        let failed = failed_line(&out);
        eprintln!("{listed}: {failed}");
        assert_contains(
            &failed,
            &[
                "source jinzhong: page 1",
                &format!(
                    "the OAuth2 token endpoint {} redirects to {}",
                    origin(&upstream),
                    recorder.origin
                ),
                "the client secret does not reach it",
                "sources.jinzhong.http.auth.token_url",
            ],
        );
        assert!(recorder.requests().is_empty(), "{:?}", recorder.requests());
        assert_no_secret_printed(&out);
    }
    assert_eq!(
        upstream.sim.stats().requests,
        0,
        "no data request without a token"
    );
}

// --- point 5: no credential in checkpoints, logs or output; none repeated ---------------

/// A platform whose next links echo the request's query (API key or signature included):
/// the key is not stored in `_checkpoints`, not logged, not printed, and sent once per
/// request however many pages follow. A pull stopped part-way resumes from the cleaned
/// link, with the key added again.
#[tokio::test]
async fn regression_an_echoed_credential_is_not_stored_logged_or_repeated() {
    let modes = [api_key_query(), Auth::signed(SignDigest::Md5)];
    for (i, auth) in modes.into_iter().enumerate() {
        let upstream = sim(SimConfig {
            seed: 100 + i as u64,
            records: RECORDS,
            auth: auth.clone(),
            hostile: Hostile {
                echo_query_in_links: true,
                ..Hostile::default()
            },
            // Retries write WARN lines describing the next link.
            http_faults: HttpFaults {
                rates: "5xx=0.3".parse().unwrap(),
                ..HttpFaults::default()
            },
            ..SimConfig::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix(&format!("echo-{}", auth.mode()));
        let settings = format!(
            "retry_initial_ms = 10\nretry_max_ms = 50\nmax_attempts = 20\n{}",
            auth_table(&auth, "")
        );
        let stopped = format!("max_pages = 2\n{settings}");
        let path = config(dir.path(), &prefix, &upstream, Style::Link, 40, &stopped);
        let first = once_logged(&path).await;
        assert_contains(&failed_line(&first), &["max_pages = 2"]);
        let state = checkpoint_state(&prefix).await;
        let next = state["next"]
            .as_str()
            .expect("a link to resume at")
            .to_owned();
        assert!(next.contains("after="), "{next}");
        let path = config(dir.path(), &prefix, &upstream, Style::Link, 40, &settings);
        let second = once_logged(&path).await;
        assert_ok(&second);

        let raw = raw_checkpoints(&prefix).await;
        for needle in SECRETS
            .iter()
            .chain(&["apiKey=", "sign=", "nonce=", "timestamp="])
        {
            assert!(!raw.contains(needle), "{needle} in _checkpoints:\n{raw}");
            assert!(!next.contains(needle), "{needle} in the resume link {next}");
        }
        for out in [&first, &second] {
            assert_no_secret_printed(out);
        }
        let logged = format!(
            "{}{}",
            common::text(&first.stderr),
            common::text(&second.stderr)
        );
        assert!(
            logged
                .lines()
                .any(|l| l.contains("request failed; retrying") && l.contains("request=next link")),
            "no retry of a next link was logged:\n{logged}"
        );
        let seen = upstream.sim.hostile_stats();
        assert_eq!(seen.requests_with_repeated_params, 0, "{seen:?}");
        assert!(seen.longest_query < 400, "the URL grew: {seen:?}");
        assert_eq!(upstream.sim.stats().auth_failures, 0);
        let twin = twin(100 + i as u64, Auth::None).await;
        assert_eq!(
            assert_exactly_once(
                &kafka_config(&prefix),
                SOURCE,
                &all_upstream(&twin.url).await
            )
            .await,
            (RECORDS, 0, 0)
        );
    }
}

/// `ruralsync once` with the secrets in the environment and every log line on.
async fn once_logged(config: &std::path::Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(["once", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "debug,rdkafka=info")
        .env("RURALSYNC_PII_KEY", common::TEST_PII_KEY)
        .envs(ENV)
        .output()
        .await
        .unwrap()
}

/// Every message of the `_checkpoints` topic, as text.
async fn raw_checkpoints(prefix: &str) -> String {
    let landed = ruralsync::inspect::read_topic(
        &kafka_config(prefix),
        &format!("{prefix}._checkpoints"),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert!(!landed.is_empty());
    landed
        .iter()
        .filter_map(|m| m.value.as_deref())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn checkpoint_state(prefix: &str) -> serde_json::Value {
    let mut all = ruralsync::sink::kafka::load_checkpoints(
        &kafka_config(prefix),
        &format!("{prefix}._checkpoints"),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    all.remove(SOURCE)
        .and_then(|c| c.state)
        .expect("a resume state")
}

// --- point 6: bodies are bounded after decompression ------------------------------------

/// A page of 1 GiB, sent plain and as a gzip bomb (about 1 MB on the wire, under the
/// limit: the limit counts decompressed bytes): the pull fails at once naming the page and
/// the key to raise, is not retried, stops reading at the limit (plain: the simulator
/// produced a few MiB of the padding at most) and the process stays small (its peak RSS
/// from `wait4`; before the limit a 1.5 GB body took 1.58 GB).
#[tokio::test]
async fn regression_an_oversized_body_stops_at_max_body_bytes() {
    const GIB: u64 = 1 << 30;
    for compress in [false, true] {
        let upstream = hostile_sim(
            110,
            Auth::None,
            Hostile {
                padding: Some(Padding {
                    bytes: GIB,
                    compress,
                }),
                ..Hostile::default()
            },
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix("body-limit");
        let extra = "max_body_bytes = 1048576\nmax_attempts = 5\nretry_initial_ms = 10\n";
        let path = config(dir.path(), &prefix, &upstream, Style::Page, 50, extra);
        let started = Instant::now();
        let (out, max_rss_kib) = once_measured(&path).await;
        let took = started.elapsed();
        let failed = failed_line(&out);
        let sent = upstream.sim.hostile_stats().padding_bytes_sent;
        eprintln!(
            "gzip {compress}: {took:?}, max RSS {} MiB, padding produced {} MiB: {failed}",
            max_rss_kib / 1024,
            sent >> 20
        );
        assert_contains(
            &failed,
            &[
                "source jinzhong: page 1 (page number 1)",
                "larger than max_body_bytes = 1048576 bytes (counted after decompression)",
                "Not retried",
                "sources.jinzhong.http.max_body_bytes",
            ],
        );
        assert_eq!(upstream.sim.stats().requests, 1, "not retried");
        if !compress {
            // Produced as read: a client that went on reading would have taken 1 GiB.
            // (Compressed, the whole bomb fits in the sockets' buffers; the process's
            // peak memory below says it was not expanded.)
            assert!(
                sent < 64 << 20,
                "reading went on: {} MiB produced",
                sent >> 20
            );
        }
        assert!(max_rss_kib < 200 * 1024, "max RSS {max_rss_kib} KiB");
        assert!(took < Duration::from_secs(60), "{took:?}");
        assert!(read_family(&prefix, "property_rights_transaction")
            .await
            .is_empty());
    }
}

/// `ruralsync once`, and the peak resident memory of that process (KiB, from `wait4`).
async fn once_measured(config: &std::path::Path) -> (Output, i64) {
    let dir = tempfile::tempdir().unwrap();
    let (stdout, stderr) = (dir.path().join("out"), dir.path().join("err"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ruralsync"))
        .args(["once", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env("RURALSYNC_PII_KEY", common::TEST_PII_KEY)
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let (status, rss) = tokio::task::spawn_blocking(move || {
        let mut status = 0;
        // SAFETY: wait4 on our own child, with valid pointers to locals; the `Child`
        // is not waited on elsewhere.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(waited, pid);
        (status, usage.ru_maxrss)
    })
    .await
    .unwrap();
    drop(child);
    let output = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: std::fs::read(stdout).unwrap(),
        stderr: std::fs::read(stderr).unwrap(),
    };
    (output, rss)
}

// --- point 12: hostile text, plain HTTP, private CAs ------------------------------------

/// Upstream text with newlines and terminal escape codes, in a 400 body, a 500 body
/// (retried, so quoted in WARN lines) and an envelope message: quoted escaped on one
/// line; no forged log line, no escape code reaches the output.
#[tokio::test]
async fn regression_upstream_error_text_cannot_forge_log_lines() {
    let forged = "2019-01-01T00:00:00.000000Z ERROR ruralsync::daemon: all records deleted";
    let text = format!("bad request\n{forged}\r\n\u{1b}[2J\u{1b}[31mred");
    let envelope = serde_json::json!({"code": 1, "msg": text}).to_string();
    for (status, body) in [(400, text.clone()), (500, text.clone()), (200, envelope)] {
        let upstream = hostile_sim(
            120,
            Auth::None,
            Hostile {
                error_answer: Some(ErrorAnswer { status, body }),
                ..Hostile::default()
            },
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let prefix = unique_prefix("forged-log");
        let extra = "max_attempts = 2\nretry_initial_ms = 10\n";
        let path = config(dir.path(), &prefix, &upstream, Style::Page, 50, extra);
        let out = once(&path, &[]).await;
        let failed = failed_line(&out);
        eprintln!("{status}: {failed}");
        assert_contains(
            &failed,
            &[
                "source jinzhong: page 1",
                "bad request\\n2019-01-01T00:00:00",
            ],
        );
        let all = output_text(&out);
        assert!(
            !all.contains('\u{1b}'),
            "an escape code got through:\n{all:?}"
        );
        assert!(
            !all.lines().any(|l| l.starts_with("2019-01-01T00:00:00")),
            "a forged line:\n{all}"
        );
        if status == 500 {
            let stderr = common::text(&out.stderr);
            assert!(stderr.contains("request failed; retrying"), "{stderr}");
        }
    }
}

/// Credentials over plain `http://` to another machine: `check` refuses the file naming
/// the key; with `allow_insecure_http = true` it passes with a warning, and every start
/// logs one.
#[tokio::test]
async fn credentials_over_plain_http_are_refused_unless_allowed_and_then_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("insecure-http");
    // TEST-NET-1: nothing answers; the pull fails fast, after start-up.
    let url = "http://192.0.2.1:9/api/v1/transactions";
    let write = |extra: &str| {
        common::write_config_full(
            dir.path(),
            &common::bootstrap(),
            &prefix,
            SOURCE,
            url,
            50,
            "",
            &format!(
                "timeout_ms = 300\nmax_attempts = 1\n{extra}{}",
                auth_table(&Auth::bearer(), "")
            ),
        )
    };
    let refused = write("");
    let out = common::ruralsync(&["check", "--config", refused.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert_contains(
        &common::text(&out.stderr),
        &[
            "key `sources.jinzhong.http.url`",
            "http://192.0.2.1:9 would receive credentials (auth kind = \"bearer\") in clear over http://",
            "allow_insecure_http = true",
        ],
    );

    let allowed = write("allow_insecure_http = true\n");
    let out = common::ruralsync(&["check", "--config", allowed.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", output_text(&out));
    assert_contains(
        &common::text(&out.stderr),
        &[
            "warning:",
            "key `sources.jinzhong.http.url`",
            "in clear over http://",
        ],
    );

    let out = once(&allowed, &ENV).await;
    failed_line(&out);
    let stderr = common::text(&out.stderr);
    let warning = stderr
        .lines()
        .find(|l| l.contains("WARN") && l.contains("insecure"))
        .unwrap_or_else(|| panic!("no start-up warning:\n{stderr}"));
    assert_contains(warning, &["jinzhong", "in clear over http://"]);
    assert_no_secret_printed(&out);
}

/// A platform whose certificate is issued by a private CA: refused (not retried) with a
/// hint naming `ca_file`; trusted with `ca_file`, for the pages and for the OAuth2 token
/// endpoint behind the same TLS server. The CA and the server certificate are made here.
#[tokio::test]
async fn a_private_ca_is_trusted_with_ca_file_for_pages_and_the_token_endpoint() {
    let auth = Auth::oauth2(Duration::from_secs(3600));
    let upstream = twin(130, auth.clone()).await;
    let pki = tls::Pki::new();
    let https = tls::proxy(&pki, &origin(&upstream)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let url = format!("{https}{}", Style::Cursor.path());
    let write = |prefix: &str, extra: &str| {
        common::write_config_full(
            dir.path(),
            &common::bootstrap(),
            prefix,
            SOURCE,
            &url,
            100,
            "",
            &format!(
                "{}{extra}{}",
                Style::Cursor.settings(),
                auth_table(&auth, &https)
            ),
        )
    };

    let prefix = unique_prefix("private-ca-untrusted");
    let out = once(&write(&prefix, "max_attempts = 5\n"), &ENV).await;
    let failed = failed_line(&out);
    eprintln!("{failed}");
    assert_contains(
        &failed,
        &[
            "source jinzhong: page 1",
            "TLS certificate is not trusted",
            "sources.jinzhong.http.ca_file",
            "not retried",
        ],
    );
    assert_eq!(upstream.sim.stats().tokens_issued, 0);

    let prefix = unique_prefix("private-ca");
    let extra = format!("ca_file = {:?}\n", ca.display().to_string());
    let out = once(&write(&prefix, &extra), &ENV).await;
    assert_ok(&out);
    assert!(upstream.sim.stats().tokens_issued >= 1);
    let plain = twin(130, Auth::None).await;
    assert_eq!(
        assert_exactly_once(
            &kafka_config(&prefix),
            SOURCE,
            &all_upstream(&plain.url).await
        )
        .await,
        (RECORDS, 0, 0)
    );
}

/// A CA and a TLS server of its issue on loopback, forwarding to a plain HTTP origin.
mod tls {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType,
    };
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::TlsAcceptor;

    pub struct Pki {
        pub ca_pem: String,
        cert: CertificateDer<'static>,
        key: Vec<u8>,
    }

    impl Pki {
        /// A CA, and a certificate for 127.0.0.1 it signed.
        pub fn new() -> Pki {
            let ca_key = KeyPair::generate().unwrap();
            let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ca.distinguished_name
                .push(DnType::CommonName, "ruralsync test private CA");
            ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let ca_cert = ca.self_signed(&ca_key).unwrap();
            let key = KeyPair::generate().unwrap();
            let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
            leaf.subject_alt_names
                .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
            let cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
            Pki {
                ca_pem: ca_cert.pem(),
                cert: cert.der().clone(),
                key: key.serialize_der(),
            }
        }
    }

    /// An HTTPS server on loopback with the certificate of `pki`, passing every
    /// connection through to `target` (`http://host:port`). Returns its origin.
    pub async fn proxy(pki: &Pki, target: &str) -> String {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone()));
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![pki.cert.clone()], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = target.trim_start_matches("http://").to_owned();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, target) = (acceptor.clone(), target.clone());
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        format!("https://{addr}")
    }
}
