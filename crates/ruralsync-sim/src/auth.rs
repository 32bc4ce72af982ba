//! Authentication of the data endpoints (docs/upstream-api.md, "Auth modes"): one [`Auth`]
//! mode per simulator, the request signature of Chinese government platforms
//! ([`SignDigest`], [`canonical_string`]) and the state checking needs at run time — the
//! OAuth2 tokens issued and the nonces already used.
//!
//! Checking takes the time as arguments (`tokio` instant for token expiry, Unix
//! milliseconds for signed timestamps and nonces), so unit tests can place a request
//! anywhere in time without sleeping.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use sm3::{Digest, Sm3};
use tokio::time::Instant;

/// `--bearer-token` default.
pub const DEFAULT_BEARER_TOKEN: &str = "sim-bearer-token";
/// `--api-key` default.
pub const DEFAULT_API_KEY: &str = "sim-api-key";
/// `--client-id` default.
pub const DEFAULT_CLIENT_ID: &str = "sim-client";
/// `--client-secret` default.
pub const DEFAULT_CLIENT_SECRET: &str = "sim-client-secret";
/// `--token-ttl-secs` default.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// `--app-key` default.
pub const DEFAULT_APP_KEY: &str = "jz-exchange";
/// `--app-secret` default.
pub const DEFAULT_APP_SECRET: &str = "s3cr3t";

/// A signed request's `timestamp` may be this far from the server clock, either way.
const TIMESTAMP_WINDOW_MS: i64 = 300_000;
/// A nonce may not be used again within this time.
const NONCE_TTL_MS: i64 = 600_000;
/// Expired tokens are remembered this long, to answer 令牌已过期 rather than 令牌无效; after
/// that they are forgotten, so a client fetching a token per request cannot grow the map
/// without bound.
const EXPIRED_TOKEN_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// The query parameters of a signed request, in the order they are checked.
const SIGNED_PARAMS: [&str; 4] = ["appKey", "timestamp", "nonce", "sign"];

/// How clients must authenticate to the data endpoints (`/api/v1`–`/api/v4`). The admin
/// endpoints, `/oauth/token` and `/healthz` are always open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer { token: String },
    /// Header `X-API-Key: <key>`.
    ApiKeyHeader { key: String },
    /// Query parameter `apiKey=<key>`.
    ApiKeyQuery { key: String },
    /// `Authorization: Bearer <access token>` with tokens from `POST /oauth/token`
    /// (client credentials grant) that expire after `token_ttl`.
    OAuth2 {
        client_id: String,
        client_secret: String,
        token_ttl: Duration,
    },
    /// Query parameters `appKey`, `timestamp` (Unix ms), `nonce` and `sign`, the digest of
    /// the other parameters with `app_secret`.
    Signed {
        app_key: String,
        app_secret: String,
        digest: SignDigest,
    },
}

impl Auth {
    /// The mode as `--auth` writes it.
    pub fn mode(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Bearer { .. } => "bearer",
            Auth::ApiKeyHeader { .. } => "api-key-header",
            Auth::ApiKeyQuery { .. } => "api-key-query",
            Auth::OAuth2 { .. } => "oauth2",
            Auth::Signed { .. } => "signed",
        }
    }

    /// [`Auth::Bearer`] with the default token.
    pub fn bearer() -> Auth {
        Auth::Bearer {
            token: DEFAULT_BEARER_TOKEN.to_owned(),
        }
    }

    /// [`Auth::OAuth2`] with the default client and a TTL of `token_ttl`.
    pub fn oauth2(token_ttl: Duration) -> Auth {
        Auth::OAuth2 {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            token_ttl,
        }
    }

    /// [`Auth::Signed`] with the default app key and secret.
    pub fn signed(digest: SignDigest) -> Auth {
        Auth::Signed {
            app_key: DEFAULT_APP_KEY.to_owned(),
            app_secret: DEFAULT_APP_SECRET.to_owned(),
            digest,
        }
    }
}

/// How `sign` is computed from the canonical string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignDigest {
    /// `UPPER_HEX(HMAC-SHA256(key = secret, canonical))`.
    #[default]
    HmacSha256,
    /// `UPPER_HEX(MD5(canonical + "&secret=" + secret))`.
    Md5,
    /// `UPPER_HEX(SM3(canonical + "&secret=" + secret))` — SM3, the Chinese national hash
    /// (国密 GB/T 32905), required of government platforms that must use 国密 algorithms.
    Sm3,
}

impl SignDigest {
    /// `hmac-sha256`, `md5` or `sm3`, as `--sign-digest` writes it.
    pub fn name(self) -> &'static str {
        match self {
            SignDigest::HmacSha256 => "hmac-sha256",
            SignDigest::Md5 => "md5",
            SignDigest::Sm3 => "sm3",
        }
    }

    /// The `sign` of `canonical` (see [`canonical_string`]) with `secret`.
    pub fn sign(self, secret: &str, canonical: &str) -> String {
        let salted = || format!("{canonical}&secret={secret}");
        match self {
            SignDigest::HmacSha256 => {
                // HMAC accepts keys of any length.
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                    .expect("HMAC takes a key of any length");
                mac.update(canonical.as_bytes());
                hex::encode_upper(mac.finalize().into_bytes())
            }
            SignDigest::Md5 => hex::encode_upper(md5::Md5::digest(salted().as_bytes())),
            SignDigest::Sm3 => hex::encode_upper(Sm3::digest(salted().as_bytes())),
        }
    }
}

/// The string a signed request signs: every parameter except `sign`, sorted by name in
/// byte order (then by value, for repeated names), written `name=value` with the values
/// decoded, joined with `&`.
pub fn canonical_string<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(n, _)| *n != "sign").collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Why a data request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Denied {
    /// HTTP 401 `{"code":401,"msg":"未授权: <why>","data":null}`. `bearer` adds
    /// `WWW-Authenticate: Bearer` (RFC 6750), `expired` its `error="invalid_token"`.
    Unauthorized {
        why: &'static str,
        bearer: bool,
        expired: bool,
    },
    /// HTTP 200 with the platform's envelope and code 40001–40005.
    Signature { code: u32, msg: String },
}

impl Denied {
    fn unauthorized(why: &'static str) -> Denied {
        Denied::Unauthorized {
            why,
            bearer: false,
            expired: false,
        }
    }

    fn bearer(why: &'static str) -> Denied {
        Denied::Unauthorized {
            why,
            bearer: true,
            expired: false,
        }
    }

    fn signature(code: u32, msg: impl Into<String>) -> Denied {
        Denied::Signature {
            code,
            msg: msg.into(),
        }
    }
}

/// What `POST /oauth/token` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenAnswer {
    /// HTTP 200 `{"access_token","token_type":"Bearer","expires_in"}`.
    Issued {
        access_token: String,
        expires_in: u64,
    },
    /// HTTP 401 `{"error":"invalid_client"}`.
    InvalidClient,
    /// HTTP 400 `{"error":<error>,"error_description":<description>}`.
    Invalid {
        error: &'static str,
        description: String,
    },
    /// HTTP 404: the simulator does not run in `oauth2` mode.
    NotOAuth2 { mode: &'static str },
}

/// An [`Auth`] mode with its run-time state.
#[derive(Debug)]
pub(crate) struct Guard {
    auth: Auth,
    /// Access token → when it expires.
    tokens: Mutex<HashMap<String, Instant>>,
    nonces: Mutex<Nonces>,
}

/// Nonces seen in the last [`NONCE_TTL_MS`], with the Unix ms they were first used.
#[derive(Debug, Default)]
struct Nonces {
    seen: HashMap<String, i64>,
    order: VecDeque<(i64, String)>,
}

impl Nonces {
    /// Record `nonce` at `now_ms`; false if it was already used within the TTL.
    fn insert(&mut self, nonce: &str, now_ms: i64) -> bool {
        while let Some((at, _)) = self.order.front() {
            if now_ms - at < NONCE_TTL_MS {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        if self.seen.contains_key(nonce) {
            return false;
        }
        self.seen.insert(nonce.to_owned(), now_ms);
        self.order.push_back((now_ms, nonce.to_owned()));
        true
    }
}

impl Guard {
    pub fn new(auth: Auth) -> Guard {
        Guard {
            auth,
            tokens: Mutex::default(),
            nonces: Mutex::default(),
        }
    }

    /// Check a data request's credentials at `now` (token expiry) and `now_ms` (Unix ms,
    /// the clock signed timestamps are compared with).
    pub fn check(
        &self,
        headers: &HeaderMap,
        params: &[(String, String)],
        now: Instant,
        now_ms: i64,
    ) -> Result<(), Denied> {
        match &self.auth {
            Auth::None => Ok(()),
            Auth::Bearer { token } => match bearer_token(headers) {
                None => Err(Denied::bearer("缺少 Authorization: Bearer 令牌")),
                Some(sent) if sent == token => Ok(()),
                Some(_) => Err(Denied::bearer("令牌无效")),
            },
            Auth::ApiKeyHeader { key } => match headers.get("x-api-key").map(|v| v.to_str()) {
                None => Err(Denied::unauthorized("缺少请求头 X-API-Key")),
                Some(Ok(sent)) if sent == key => Ok(()),
                Some(_) => Err(Denied::unauthorized("API key 无效")),
            },
            Auth::ApiKeyQuery { key } => match param(params, "apiKey") {
                None => Err(Denied::unauthorized("缺少查询参数 apiKey")),
                Some(sent) if sent == key => Ok(()),
                Some(_) => Err(Denied::unauthorized("API key 无效")),
            },
            Auth::OAuth2 { .. } => {
                let Some(sent) = bearer_token(headers) else {
                    return Err(Denied::bearer(
                        "缺少 Authorization: Bearer 令牌 (从 POST /oauth/token 获取)",
                    ));
                };
                let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
                match tokens.get(sent) {
                    None => Err(Denied::bearer("令牌无效")),
                    Some(&expires) if now >= expires => Err(Denied::Unauthorized {
                        why: "令牌已过期",
                        bearer: true,
                        expired: true,
                    }),
                    Some(_) => Ok(()),
                }
            }
            Auth::Signed {
                app_key,
                app_secret,
                digest,
            } => self.check_signed(params, app_key, app_secret, *digest, now_ms),
        }
    }

    fn check_signed(
        &self,
        params: &[(String, String)],
        app_key: &str,
        app_secret: &str,
        digest: SignDigest,
        now_ms: i64,
    ) -> Result<(), Denied> {
        for name in SIGNED_PARAMS {
            if param(params, name).is_none_or(str::is_empty) {
                return Err(Denied::signature(40001, format!("缺少签名参数 {name}")));
            }
        }
        // All four are present (checked above).
        let get = |name| param(params, name).unwrap_or_default();
        if get("appKey") != app_key {
            return Err(Denied::signature(40005, "appKey 不存在"));
        }
        let in_window = get("timestamp")
            .parse::<i64>()
            .is_ok_and(|ts| (ts - now_ms).abs() <= TIMESTAMP_WINDOW_MS);
        if !in_window {
            return Err(Denied::signature(
                40002,
                "timestamp 无效或与服务器时间相差超过 300 秒 (应为 Unix 毫秒)",
            ));
        }
        let canonical = canonical_string(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        // Upper-case hex exactly, as the platforms compare it.
        if get("sign") != digest.sign(app_secret, &canonical) {
            return Err(Denied::signature(40004, "签名错误"));
        }
        // Only a correctly signed request uses up its nonce: a forged one must not block
        // the client's genuine retry.
        let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        if !nonces.insert(get("nonce"), now_ms) {
            return Err(Denied::signature(40003, "nonce 已使用 (10 分钟内不可重复)"));
        }
        Ok(())
    }

    /// Answer `POST /oauth/token` with the form fields `form` and the request `headers`
    /// (client id and secret either in the form or as HTTP Basic auth).
    pub fn issue_token(
        &self,
        headers: &HeaderMap,
        form: &[(String, String)],
        now: Instant,
    ) -> TokenAnswer {
        let Auth::OAuth2 {
            client_id,
            client_secret,
            token_ttl,
        } = &self.auth
        else {
            return TokenAnswer::NotOAuth2 {
                mode: self.auth.mode(),
            };
        };
        match param(form, "grant_type") {
            Some("client_credentials") => {}
            None => {
                return TokenAnswer::Invalid {
                    error: "invalid_request",
                    description: "grant_type is missing: send the form body \
                                  grant_type=client_credentials (Content-Type \
                                  application/x-www-form-urlencoded)"
                        .to_owned(),
                }
            }
            Some(other) => {
                return TokenAnswer::Invalid {
                    error: "unsupported_grant_type",
                    description: format!(
                        "grant_type \"{other}\" is not supported: only client_credentials is"
                    ),
                }
            }
        }
        let sent = match (param(form, "client_id"), param(form, "client_secret")) {
            (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
            _ => basic_credentials(headers),
        };
        if sent.as_ref().map(|(i, s)| (i.as_str(), s.as_str()))
            != Some((client_id.as_str(), client_secret.as_str()))
        {
            return TokenAnswer::InvalidClient;
        }
        let access_token = format!("sim-at-{}", hex::encode(rand::rng().random::<[u8; 16]>()));
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, expires| *expires + EXPIRED_TOKEN_MEMORY > now);
        tokens.insert(access_token.clone(), now + *token_ttl);
        TokenAnswer::Issued {
            access_token,
            expires_in: token_ttl.as_secs(),
        }
    }
}

/// The first value of a parameter.
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `Authorization: Basic base64(id:secret)`. The id and secret are taken as they are,
/// without the form-decoding RFC 6749 asks for: the simulator's defaults need none.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// The spec's test vector (docs/upstream-api.md, "Signed requests").
    const CANONICAL: &str = "appKey=jz-exchange&nonce=abc123&pageNo=1&pageSize=100\
                             &timestamp=1700000000000&updatedSince=2023-03-31 08:00:00";
    const NOW_MS: i64 = 1_700_000_000_000;

    fn vector_params() -> Vec<(String, String)> {
        [
            ("pageSize", "100"),
            ("updatedSince", "2023-03-31 08:00:00"),
            ("appKey", "jz-exchange"),
            ("timestamp", "1700000000000"),
            ("pageNo", "1"),
            ("nonce", "abc123"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
    }

    fn with(params: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
        let mut out: Vec<_> = params.iter().filter(|(n, _)| n != name).cloned().collect();
        out.push((name.to_owned(), value.to_owned()));
        out
    }

    fn signed(digest: SignDigest) -> Vec<(String, String)> {
        let params = vector_params();
        let sign = digest.sign(
            "s3cr3t",
            &canonical_string(params.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        );
        with(&params, "sign", &sign)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn code(result: Result<(), Denied>) -> u32 {
        match result {
            Err(Denied::Signature { code, .. }) => code,
            other => panic!("expected a signature error, got {other:?}"),
        }
    }

    #[test]
    fn canonical_string_matches_the_spec() {
        let mut params = signed(SignDigest::HmacSha256);
        params.reverse();
        assert_eq!(
            canonical_string(params.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
            CANONICAL
        );
    }

    #[test]
    fn digests_match_the_spec_vectors() {
        assert_eq!(
            SignDigest::HmacSha256.sign("s3cr3t", CANONICAL),
            "15C457592174C0D121359D3FAC8792E721F42512D5881203D1C34B94EF12E868"
        );
        assert_eq!(
            SignDigest::Md5.sign("s3cr3t", CANONICAL),
            "CBA8B79C549EEC935063F664133ECB7F"
        );
        assert_eq!(
            SignDigest::Sm3.sign("s3cr3t", CANONICAL),
            "45F460C80548B118F16985C7923539489565A4A24D730CE7B2A84F880E87C027"
        );
    }

    #[test]
    fn signed_requests_with_each_digest_pass_once() {
        let now = Instant::now();
        for digest in [SignDigest::HmacSha256, SignDigest::Md5, SignDigest::Sm3] {
            let guard = Guard::new(Auth::signed(digest));
            let params = signed(digest);
            assert_eq!(
                guard.check(&HeaderMap::new(), &params, now, NOW_MS),
                Ok(()),
                "{digest:?}"
            );
            assert_eq!(
                code(guard.check(&HeaderMap::new(), &params, now, NOW_MS + 1)),
                40003
            );
            // Lower-case hex is not the platform's signature.
            let guard = Guard::new(Auth::signed(digest));
            let sign = param(&params, "sign").unwrap().to_ascii_lowercase();
            let lower = with(&params, "sign", &sign);
            assert_eq!(
                code(guard.check(&HeaderMap::new(), &lower, now, NOW_MS)),
                40004
            );
            // Signed with another digest: mismatch.
            let other = if digest == SignDigest::Md5 {
                SignDigest::Sm3
            } else {
                SignDigest::Md5
            };
            let guard = Guard::new(Auth::signed(digest));
            assert_eq!(
                code(guard.check(&HeaderMap::new(), &signed(other), now, NOW_MS)),
                40004
            );
        }
    }

    #[test]
    fn signature_failures_have_their_codes() {
        let now = Instant::now();
        let guard = Guard::new(Auth::signed(SignDigest::HmacSha256));
        let good = signed(SignDigest::HmacSha256);
        let none = HeaderMap::new();
        for name in SIGNED_PARAMS {
            let missing: Vec<_> = good.iter().filter(|(n, _)| n != name).cloned().collect();
            match guard.check(&none, &missing, now, NOW_MS) {
                Err(Denied::Signature { code: 40001, msg }) => assert!(msg.contains(name), "{msg}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        // Stale and future timestamps, just outside the window; just inside passes.
        assert_eq!(
            code(guard.check(&none, &good, now, NOW_MS + 300_001)),
            40002
        );
        assert_eq!(
            code(guard.check(&none, &good, now, NOW_MS - 300_001)),
            40002
        );
        let not_ms = with(&good, "timestamp", "2023-11-14 22:13:20");
        assert_eq!(code(guard.check(&none, &not_ms, now, NOW_MS)), 40002);
        // A changed parameter breaks the signature, and does not use up the nonce.
        let tampered = with(&good, "pageNo", "2");
        assert_eq!(code(guard.check(&none, &tampered, now, NOW_MS)), 40004);
        let wrong_secret = with(
            &good,
            "sign",
            &SignDigest::HmacSha256.sign("other", CANONICAL),
        );
        assert_eq!(code(guard.check(&none, &wrong_secret, now, NOW_MS)), 40004);
        assert_eq!(
            code(guard.check(&none, &with(&good, "appKey", "other"), now, NOW_MS)),
            40005
        );
        assert_eq!(guard.check(&none, &good, now, NOW_MS + 300_000), Ok(()));
        // Replayed nonce: refused for 10 minutes after its first use.
        assert_eq!(
            code(guard.check(&none, &good, now, NOW_MS + 300_000)),
            40003
        );
    }

    #[test]
    fn nonces_are_forgotten_after_ten_minutes() {
        let mut nonces = Nonces::default();
        assert!(nonces.insert("a", 0));
        assert!(nonces.insert("b", 1_000));
        assert!(!nonces.insert("a", NONCE_TTL_MS - 1));
        assert!(nonces.insert("a", NONCE_TTL_MS));
        assert!(!nonces.insert("b", NONCE_TTL_MS));
        assert_eq!(nonces.seen.len(), 2);
    }

    #[test]
    fn bearer_and_api_keys_check_the_credential() {
        let now = Instant::now();
        let unauthorized = |r: Result<(), Denied>| matches!(r, Err(Denied::Unauthorized { .. }));

        let guard = Guard::new(Auth::bearer());
        assert_eq!(
            guard.check(
                &headers(&[("authorization", "Bearer sim-bearer-token")]),
                &[],
                now,
                0
            ),
            Ok(())
        );
        assert_eq!(
            guard.check(
                &headers(&[("authorization", "bearer sim-bearer-token")]),
                &[],
                now,
                0
            ),
            Ok(())
        );
        assert!(unauthorized(guard.check(
            &headers(&[("authorization", "Bearer nope")]),
            &[],
            now,
            0
        )));
        assert!(unauthorized(guard.check(
            &headers(&[("authorization", "Basic c2ltOng=")]),
            &[],
            now,
            0
        )));
        assert!(unauthorized(guard.check(&HeaderMap::new(), &[], now, 0)));

        let guard = Guard::new(Auth::ApiKeyHeader {
            key: DEFAULT_API_KEY.into(),
        });
        assert_eq!(
            guard.check(&headers(&[("x-api-key", "sim-api-key")]), &[], now, 0),
            Ok(())
        );
        assert!(unauthorized(guard.check(
            &headers(&[("x-api-key", "sim")]),
            &[],
            now,
            0
        )));
        let in_query = [("apiKey".to_owned(), "sim-api-key".to_owned())];
        assert!(unauthorized(guard.check(
            &HeaderMap::new(),
            &in_query,
            now,
            0
        )));

        let guard = Guard::new(Auth::ApiKeyQuery {
            key: DEFAULT_API_KEY.into(),
        });
        assert_eq!(guard.check(&HeaderMap::new(), &in_query, now, 0), Ok(()));
        let wrong = [("apiKey".to_owned(), "x".to_owned())];
        assert!(unauthorized(guard.check(&HeaderMap::new(), &wrong, now, 0)));
        assert!(unauthorized(guard.check(
            &headers(&[("x-api-key", "sim-api-key")]),
            &[],
            now,
            0
        )));
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn oauth2_tokens_are_issued_for_the_right_client_and_expire() {
        let guard = Guard::new(Auth::oauth2(Duration::from_secs(60)));
        let now = Instant::now();
        let grant = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sim-client"),
            ("client_secret", "sim-client-secret"),
        ]);
        let TokenAnswer::Issued {
            access_token,
            expires_in,
        } = guard.issue_token(&HeaderMap::new(), &grant, now)
        else {
            panic!("no token");
        };
        assert_eq!(expires_in, 60);
        let bearer = headers(&[("authorization", &format!("Bearer {access_token}"))]);
        assert_eq!(
            guard.check(&bearer, &[], now + Duration::from_secs(59), 0),
            Ok(())
        );
        assert_eq!(
            guard.check(&bearer, &[], now + Duration::from_secs(60), 0),
            Err(Denied::Unauthorized {
                why: "令牌已过期",
                bearer: true,
                expired: true
            })
        );
        let forged = headers(&[("authorization", "Bearer sim-at-0000")]);
        assert_eq!(
            guard.check(&forged, &[], now, 0),
            Err(Denied::Unauthorized {
                why: "令牌无效",
                bearer: true,
                expired: false
            })
        );

        // HTTP Basic instead of form fields: base64("sim-client:sim-client-secret").
        let basic = headers(&[(
            "authorization",
            "Basic c2ltLWNsaWVudDpzaW0tY2xpZW50LXNlY3JldA==",
        )]);
        let only_grant = form(&[("grant_type", "client_credentials")]);
        assert!(matches!(
            guard.issue_token(&basic, &only_grant, now),
            TokenAnswer::Issued { .. }
        ));

        let wrong = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sim-client"),
            ("client_secret", "guess"),
        ]);
        assert_eq!(
            guard.issue_token(&HeaderMap::new(), &wrong, now),
            TokenAnswer::InvalidClient
        );
        assert_eq!(
            guard.issue_token(&HeaderMap::new(), &only_grant, now),
            TokenAnswer::InvalidClient
        );
        let password = form(&[("grant_type", "password")]);
        assert!(matches!(
            guard.issue_token(&HeaderMap::new(), &password, now),
            TokenAnswer::Invalid {
                error: "unsupported_grant_type",
                ..
            }
        ));
        assert!(matches!(
            Guard::new(Auth::None).issue_token(&HeaderMap::new(), &grant, now),
            TokenAnswer::NotOAuth2 { mode: "none" }
        ));
    }
}
