//! Every pagination style and every auth mode of the simulator (docs/upstream-api.md),
//! pulled by `ruralsync once` into real Kafka and read back: each publishes the
//! simulator's records exactly, with their exact content.

mod common;
mod http_common;

use std::time::Duration;

use common::*;
use http_common::*;
use ruralsync_sim::auth::Auth;
use ruralsync_sim::{SignDigest, SimConfig};

const RECORDS: usize = 300;

/// Pull `style` from a fresh simulator with `auth`, and assert every record landed once
/// with its content; a second run publishes nothing. Returns the simulator and the first
/// run's output.
async fn pull_exactly(
    test: &str,
    seed: u64,
    style: Style,
    page_size: u32,
    auth: Auth,
    extra: &str,
    env: &[(&str, &str)],
) -> (RunningSim, std::process::Output) {
    let sim = sim(SimConfig {
        seed,
        records: RECORDS,
        auth,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(test);
    let extra = extra.replace("{origin}", &origin(&sim));
    let config = config(dir.path(), &prefix, &sim, style, page_size, &extra);
    let first = once(&config, env).await;
    assert_ok(&first);
    // The simulator's own listing, over the plain page API (not guarded when auth is
    // none; otherwise read in process).
    let upstream = upstream(&sim).await;
    let (landed, lost, duplicated) =
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await;
    assert_eq!((landed, lost, duplicated), (RECORDS, 0, 0));
    let again = once(&config, env).await;
    assert_ok(&again);
    assert_eq!(
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await,
        (RECORDS, 0, 0),
        "a second run publishes nothing new"
    );
    (sim, first)
}

/// Every record of the simulator in API order, read in process (whatever its auth mode).
async fn upstream(sim: &RunningSim) -> Vec<serde_json::Value> {
    if sim.sim.config().auth == Auth::None {
        return all_upstream(&sim.url).await;
    }
    // A twin without auth serves the same dataset (same seed and size, no mutations).
    let twin = start_sim_with(SimConfig {
        auth: Auth::None,
        ..sim.sim.config().clone()
    })
    .await;
    all_upstream(&twin.url).await
}

#[tokio::test]
async fn page_number_pagination_publishes_every_record_exactly() {
    let (sim, out) = pull_exactly("page", 11, Style::Page, 40, Auth::None, "", &[]).await;
    let counters = pull_counters(&out);
    assert!(counters["requests"] >= 8, "{counters:?}");
    assert!(
        sim.sim.stats().gzip_responses > 0,
        "responses were gzip-compressed: the request said Accept-Encoding: gzip"
    );
}

#[tokio::test]
async fn offset_pagination_publishes_every_record_exactly() {
    pull_exactly("offset", 12, Style::Offset, 40, Auth::None, "", &[]).await;
}

#[tokio::test]
async fn cursor_pagination_publishes_every_record_exactly() {
    pull_exactly("cursor", 13, Style::Cursor, 40, Auth::None, "", &[]).await;
}

#[tokio::test]
async fn link_header_pagination_publishes_every_record_exactly() {
    pull_exactly("link", 14, Style::Link, 40, Auth::None, "", &[]).await;
}

#[tokio::test]
async fn bearer_token_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "sim-bearer-token\n").unwrap();
    let extra = format!(
        "[sources.{SOURCE}.http.auth]\nkind = \"bearer\"\ntoken_file = {:?}\n",
        token.display().to_string()
    );
    pull_exactly("bearer", 21, Style::Page, 100, Auth::bearer(), &extra, &[]).await;
}

#[tokio::test]
async fn api_key_in_a_header_from_the_environment() {
    let extra = format!(
        "[sources.{SOURCE}.http.auth]\nkind = \"api_key\"\nkey_env = \"RS_TEST_API_KEY\"\nheader = \"X-API-Key\"\n"
    );
    let auth = Auth::ApiKeyHeader {
        key: "sim-api-key".into(),
    };
    let env = [("RS_TEST_API_KEY", "sim-api-key")];
    pull_exactly("apikey-header", 22, Style::Offset, 100, auth, &extra, &env).await;
}

#[tokio::test]
async fn api_key_in_the_query_also_on_followed_links() {
    let extra = format!(
        "[sources.{SOURCE}.http.auth]\nkind = \"api_key\"\nkey_env = \"RS_TEST_API_KEY\"\nquery_param = \"apiKey\"\n"
    );
    let auth = Auth::ApiKeyQuery {
        key: "sim-api-key".into(),
    };
    let env = [("RS_TEST_API_KEY", "sim-api-key")];
    let (sim, _) = pull_exactly("apikey-query", 23, Style::Link, 100, auth, &extra, &env).await;
    assert_eq!(sim.sim.stats().auth_failures, 0);
}

/// Tokens live one second; the pull is paced at 8 requests a second over 8+ pages, so it
/// needs several tokens and fetches the next one shortly before the last expires.
#[tokio::test]
async fn oauth2_client_credentials_refresh_the_token_mid_pull() {
    let extra = format!(
        "max_requests_per_second = 8\n[sources.{SOURCE}.http.auth]\nkind = \"oauth2_client_credentials\"\ntoken_url = \"{{origin}}/oauth/token\"\nclient_id = \"sim-client\"\nclient_secret_env = \"RS_TEST_CLIENT_SECRET\"\n"
    );
    let env = [("RS_TEST_CLIENT_SECRET", "sim-client-secret")];
    let auth = Auth::oauth2(Duration::from_secs(1));
    let (sim, _) = pull_exactly("oauth2", 24, Style::Cursor, 20, auth, &extra, &env).await;
    let stats = sim.sim.stats();
    assert!(
        stats.tokens_issued >= 3,
        "a 1 s token lasts a third of the first pull at most: {stats:?}"
    );
}

/// The signed styles of the three digests, each on another pagination style.
#[tokio::test]
async fn signed_requests_with_hmac_sha256() {
    signed(31, Style::Page, SignDigest::HmacSha256, "hmac-sha256").await;
}

#[tokio::test]
async fn signed_requests_with_md5_on_followed_links() {
    signed(32, Style::Link, SignDigest::Md5, "md5").await;
}

#[tokio::test]
async fn signed_requests_with_sm3_on_cursor_pages() {
    signed(33, Style::Cursor, SignDigest::Sm3, "sm3").await;
}

async fn signed(seed: u64, style: Style, digest: SignDigest, name: &str) {
    let extra = format!(
        "[sources.{SOURCE}.http.auth]\nkind = \"signed\"\napp_key = \"jz-exchange\"\napp_secret_env = \"RS_TEST_APP_SECRET\"\ndigest = \"{name}\"\n"
    );
    let env = [("RS_TEST_APP_SECRET", "s3cr3t")];
    let (sim, _) = pull_exactly(
        &format!("signed-{name}"),
        seed,
        style,
        100,
        Auth::signed(digest),
        &extra,
        &env,
    )
    .await;
    assert_eq!(sim.sim.stats().auth_failures, 0);
}

/// A wrong app secret: the run fails at once (no retries), says what the platform said
/// and what to check, never shows the secret, and publishes nothing. The right secret
/// then publishes everything.
#[tokio::test]
async fn a_wrong_app_secret_fails_clearly_and_the_right_one_passes() {
    let sim = sim(SimConfig {
        seed: 34,
        records: RECORDS,
        auth: Auth::signed(SignDigest::HmacSha256),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("signed-wrong");
    let extra = format!(
        "[sources.{SOURCE}.http.auth]\nkind = \"signed\"\napp_key = \"jz-exchange\"\napp_secret_env = \"RS_TEST_APP_SECRET\"\n"
    );
    let config = config(dir.path(), &prefix, &sim, Style::Page, 100, &extra);
    let wrong = "not-the-s3cr3t";
    let out = once(&config, &[("RS_TEST_APP_SECRET", wrong)]).await;
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stdout = common::text(&out.stdout);
    let failed = stdout
        .lines()
        .find(|l| l.starts_with(&format!("{SOURCE}: FAILED:")))
        .unwrap_or_else(|| panic!("no FAILED line:\n{text}"));
    eprintln!("{failed}");
    for needle in [
        "source jinzhong",
        "page 1",
        "40004",
        "签名错误",
        "check the app secret",
        "RS_TEST_APP_SECRET",
    ] {
        assert!(failed.contains(needle), "{needle:?} not in {failed:?}");
    }
    assert!(
        !text.contains(wrong),
        "the secret leaked into the output:\n{text}"
    );
    assert!(
        !text.contains("retrying"),
        "a signature error is not retried:\n{text}"
    );
    assert_eq!(sim.sim.stats().requests, 1);
    assert!(read_family(&prefix, "property_rights_transaction")
        .await
        .is_empty());

    let out = once(&config, &[("RS_TEST_APP_SECRET", "s3cr3t")]).await;
    assert_ok(&out);
    let upstream = upstream(&sim).await;
    assert_eq!(
        assert_exactly_once(&kafka_config(&prefix), SOURCE, &upstream).await,
        (RECORDS, 0, 0)
    );
}

/// A token the platform refuses as expired: the source fetches a new one once and
/// retries; refused again, the run fails naming the platform's answer (the simulator's
/// tokens here expire as they are issued).
#[tokio::test]
async fn an_oauth2_token_refused_as_expired_is_fetched_again_once_then_the_run_fails_clearly() {
    let sim = sim(SimConfig {
        seed: 25,
        records: 100,
        auth: Auth::oauth2(Duration::ZERO),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("oauth2-expired");
    let extra = format!(
        "[sources.{SOURCE}.http.auth]\nkind = \"oauth2_client_credentials\"\ntoken_url = \"{}/oauth/token\"\nclient_id = \"sim-client\"\nclient_secret_env = \"RS_TEST_CLIENT_SECRET\"\n",
        origin(&sim)
    );
    let path = config(dir.path(), &prefix, &sim, Style::Page, 50, &extra);
    let out = once(&path, &[("RS_TEST_CLIENT_SECRET", "sim-client-secret")]).await;
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let stats = sim.sim.stats();
    assert_eq!(
        stats.tokens_issued, 2,
        "the first token and one fetched after the 401: {stats:?}"
    );
    assert_eq!(stats.auth_failures, 2, "{stats:?}");
    let text = output_text(&out);
    assert!(
        text.contains("401") && text.contains("令牌已过期"),
        "{text}"
    );
    assert!(read_family(&prefix, "property_rights_transaction")
        .await
        .is_empty());
}
