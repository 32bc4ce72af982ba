//! Credentials of an `http_json` source (`[sources.<name>.http.auth]`): bearer token, API
//! key (header or query parameter), OAuth2 client credentials with a cached token, and
//! the signed requests of Chinese government platforms (appKey + timestamp + nonce +
//! sign, see docs/upstream-api.md "Signed requests").
//!
//! Secrets are named by reference only (`*_env`, `*_file`) and read when the source is
//! built, never during validation. Once read they live in a [`Secret`], which prints as
//! `***`, so no log line or error message can carry one.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use sm3::{Digest, Sm3};
use tokio::time::Instant;
use url::Url;

use crate::settings::{tagged, Invalid, Tagged};

/// A credential read from the environment or a file. Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret is read from, and the config key that said so (for errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// e.g. `sources.x.http.auth.token_env`.
    pub key: String,
    pub from: SecretFrom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretFrom {
    /// An environment variable's name.
    Env(String),
    /// A file holding the secret (surrounding whitespace and the final newline are
    /// trimmed).
    File(PathBuf),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            SecretFrom::Env(var) => write!(f, "{} = {var:?}", self.key),
            SecretFrom::File(path) => write!(f, "{} = {:?}", self.key, path.display()),
        }
    }
}

impl SecretRef {
    /// Read the secret.
    ///
    /// # Errors
    /// Why it cannot be read (variable unset, file unreadable, value empty); the message
    /// names the reference, never a value.
    pub fn read(&self) -> Result<Secret, String> {
        let value = match &self.from {
            SecretFrom::Env(var) => std::env::var(var)
                .map_err(|_| format!("environment variable {var} is not set (from {self})"))?,
            SecretFrom::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {} (from {self}): {e}", path.display()))?,
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("the secret named by {self} is empty"));
        }
        Ok(Secret::new(value))
    }
}

/// How `sign` is computed from the canonical string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignDigest {
    /// `UPPER_HEX(HMAC-SHA256(key = secret, canonical))`.
    HmacSha256,
    /// `UPPER_HEX(MD5(canonical + "&secret=" + secret))`.
    Md5,
    /// `UPPER_HEX(SM3(canonical + "&secret=" + secret))` — 国密 SM3 (GB/T 32905).
    Sm3,
}

impl SignDigest {
    pub fn name(self) -> &'static str {
        match self {
            SignDigest::HmacSha256 => "hmac-sha256",
            SignDigest::Md5 => "md5",
            SignDigest::Sm3 => "sm3",
        }
    }

    /// The `sign` of `canonical` (see [`canonical_string`]) with `secret`.
    pub fn sign(self, secret: &Secret, canonical: &str) -> String {
        let salted = || format!("{canonical}&secret={}", secret.expose());
        match self {
            SignDigest::HmacSha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
                    .expect("HMAC takes a key of any length");
                mac.update(canonical.as_bytes());
                hex::encode_upper(mac.finalize().into_bytes())
            }
            SignDigest::Md5 => hex::encode_upper(md5::Md5::digest(salted().as_bytes())),
            SignDigest::Sm3 => hex::encode_upper(Sm3::digest(salted().as_bytes())),
        }
    }
}

/// The string a signed request signs: every parameter except `sign_param`, sorted by name
/// in byte order (then by value), written `name=value` with values decoded, joined by `&`.
pub fn canonical_string<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    sign_param: &str,
) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(n, _)| *n != sign_param)
        .collect();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Where an API key goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlacement {
    Header(String),
    Query(String),
}

/// Query parameter names of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignParams {
    pub app_key: String,
    pub timestamp: String,
    pub nonce: String,
    pub sign: String,
}

/// `[sources.<name>.http.auth]`, validated. Holds references to secrets, not secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthConfig {
    Bearer {
        token: SecretRef,
    },
    ApiKey {
        key: SecretRef,
        placement: KeyPlacement,
    },
    OAuth2 {
        token_url: Url,
        client_id: String,
        client_secret: SecretRef,
        scope: Option<String>,
    },
    Signed {
        app_key: String,
        app_secret: SecretRef,
        digest: SignDigest,
        params: SignParams,
        /// Envelope codes meaning the platform refused the signature (not retried).
        error_codes: Vec<i64>,
    },
}

/// `[sources.<name>.http.auth]`, chosen by its `kind` key. Secrets are given by
/// reference only: `<secret>_env` names an environment variable, `<secret>_file` a file
/// holding the value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RawAuth {
    /// `kind = "bearer"`: `Authorization: Bearer <token>`.
    #[serde(rename = "bearer")]
    Bearer(RawBearer),
    /// `kind = "api_key"`: a key in a header or a query parameter.
    #[serde(rename = "api_key")]
    ApiKey(RawApiKey),
    /// `kind = "oauth2_client_credentials"`: a token fetched from a token endpoint.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2(RawOAuth2),
    /// `kind = "signed"`: appKey + timestamp + nonce + sign query parameters.
    #[serde(rename = "signed")]
    Signed(RawSigned),
}

/// `kind = "bearer"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBearer {
    /// The token (`Authorization: Bearer <token>`).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
}

/// `kind = "api_key"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiKey {
    /// The key.
    pub key_env: Option<String>,
    pub key_file: Option<PathBuf>,
    /// Send the key in this request header. Default `X-API-Key` unless `query_param` is
    /// set.
    pub header: Option<String>,
    /// Send the key in this query parameter instead, e.g. `apiKey`.
    pub query_param: Option<String>,
}

/// `kind = "oauth2_client_credentials"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOAuth2 {
    /// The token endpoint (`POST`, form body
    /// `grant_type=client_credentials&client_id=…&client_secret=…[&scope=…]`). The token
    /// is cached until shortly before its `expires_in`; a 401 fetches a new one once.
    pub token_url: Option<String>,
    /// The client id (not a secret).
    pub client_id: Option<String>,
    /// The client secret.
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    /// Optional `scope`.
    pub scope: Option<String>,
}

/// `kind = "signed"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigned {
    /// The app key (appKey, not a secret).
    pub app_key: Option<String>,
    /// The app secret the signature is keyed with.
    pub app_secret_env: Option<String>,
    pub app_secret_file: Option<PathBuf>,
    /// `hmac-sha256` (default), `md5` or `sm3`.
    pub digest: Option<String>,
    /// Query parameter names. Defaults `appKey`, `timestamp` (Unix ms), `nonce`, `sign`.
    pub app_key_param: Option<String>,
    pub timestamp_param: Option<String>,
    pub nonce_param: Option<String>,
    pub sign_param: Option<String>,
    /// Envelope status codes that mean the platform refused the signature; the pull
    /// stops without retrying and says to check the app secret. Default 40001–40005.
    pub signature_error_codes: Option<Vec<i64>>,
}

/// Each kind and the settings it takes (a secret `x` is written `x_env` or `x_file`).
const KINDS: [(&str, &[&str]); 4] = [
    ("bearer", &["token"]),
    ("api_key", &["key", "header", "query_param"]),
    (
        "oauth2_client_credentials",
        &["token_url", "client_id", "client_secret", "scope"],
    ),
    (
        "signed",
        &[
            "app_key",
            "app_secret",
            "digest",
            "app_key_param",
            "timestamp_param",
            "nonce_param",
            "sign_param",
            "signature_error_codes",
        ],
    ),
];

/// Settings given by reference, as `<name>_env` or `<name>_file`.
const SECRETS: [&str; 4] = ["token", "key", "client_secret", "app_secret"];

impl Tagged for RawAuth {
    const TAG: &'static str = "kind";
    const WHAT: &'static str = "auth kind";

    fn values() -> Vec<&'static str> {
        KINDS.iter().map(|(kind, _)| *kind).collect()
    }

    /// Keys of other kinds are mistakes worth naming with what this kind takes.
    fn check(tag: &str, table: &toml::Table, key: &str) -> Result<(), Invalid> {
        let used = KINDS
            .iter()
            .find(|(k, _)| *k == tag)
            .map_or(&[][..], |k| k.1);
        for written in table.keys() {
            let setting = (written.strip_suffix("_env"))
                .or_else(|| written.strip_suffix("_file"))
                .filter(|stem| SECRETS.contains(stem))
                .unwrap_or(written);
            if !used.contains(&setting) {
                return Err(Invalid::new(
                    format!("{key}.{written}"),
                    format!(
                        "is not used by kind = {tag:?}; it takes: {}",
                        used.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Reading one kind's settings: the table's key and the kind, for messages.
struct At<'a> {
    key: &'a str,
    kind: &'static str,
}

impl At<'_> {
    fn k(&self, name: &str) -> String {
        format!("{}.{name}", self.key)
    }

    /// The secret `name`, from `<name>_env` or `<name>_file` (exactly one).
    fn secret(
        &self,
        name: &str,
        env: &Option<String>,
        file: &Option<PathBuf>,
    ) -> Result<SecretRef, Invalid> {
        match (env, file) {
            (Some(var), None) if !var.is_empty() => Ok(SecretRef {
                key: self.k(&format!("{name}_env")),
                from: SecretFrom::Env(var.clone()),
            }),
            (None, Some(path)) if !path.as_os_str().is_empty() => Ok(SecretRef {
                key: self.k(&format!("{name}_file")),
                from: SecretFrom::File(path.clone()),
            }),
            (Some(_), Some(_)) => Err(Invalid::new(
                self.k(&format!("{name}_env")),
                format!("both {name}_env and {name}_file are set; give one"),
            )),
            _ => Err(Invalid::new(
                self.k(&format!("{name}_env")),
                format!(
                    "kind = {:?} needs {name}_env (an environment variable's name) or {name}_file (a file holding it); secrets are never written in the config",
                    self.kind
                ),
            )),
        }
    }

    fn required(&self, name: &str, value: &Option<String>) -> Result<String, Invalid> {
        value.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
            Invalid::new(
                self.k(name),
                format!("is required with kind = {:?}", self.kind),
            )
        })
    }

    /// A query parameter's name, `default` when not set.
    fn param(&self, name: &str, value: &Option<String>, default: &str) -> Result<String, Invalid> {
        match value.as_deref() {
            None => Ok(default.to_owned()),
            Some("") => Err(Invalid::new(
                self.k(name),
                format!("is empty; expected a parameter name (default {default:?})"),
            )),
            Some(v) => Ok(v.to_owned()),
        }
    }
}

impl AuthConfig {
    /// The kind as the config writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            AuthConfig::Bearer { .. } => "bearer",
            AuthConfig::ApiKey { .. } => "api_key",
            AuthConfig::OAuth2 { .. } => "oauth2_client_credentials",
            AuthConfig::Signed { .. } => "signed",
        }
    }

    /// Read and validate `[sources.<name>.http.auth]`, the table at `key`.
    ///
    /// # Errors
    /// [`Invalid`] naming the key under `key` (`sources.x.http.auth`).
    pub fn from_table(table: toml::Table, key: &str) -> Result<AuthConfig, Invalid> {
        AuthConfig::validate(&tagged::<RawAuth>(table, key)?, key)
    }

    /// # Errors
    /// [`Invalid`] naming the key under `key` (`sources.x.http.auth`).
    pub fn validate(raw: &RawAuth, key: &str) -> Result<AuthConfig, Invalid> {
        match raw {
            RawAuth::Bearer(r) => {
                let at = At {
                    key,
                    kind: "bearer",
                };
                Ok(AuthConfig::Bearer {
                    token: at.secret("token", &r.token_env, &r.token_file)?,
                })
            }
            RawAuth::ApiKey(r) => r.validate(&At {
                key,
                kind: "api_key",
            }),
            RawAuth::OAuth2(r) => r.validate(&At {
                key,
                kind: "oauth2_client_credentials",
            }),
            RawAuth::Signed(r) => r.validate(&At {
                key,
                kind: "signed",
            }),
        }
    }
}

impl RawApiKey {
    fn validate(&self, at: &At<'_>) -> Result<AuthConfig, Invalid> {
        let placement = match (&self.header, &self.query_param) {
            (Some(_), Some(_)) => {
                return Err(Invalid::new(
                    at.k("query_param"),
                    "both header and query_param are set; the key goes in one of them",
                ))
            }
            (_, Some(q)) if !q.is_empty() => KeyPlacement::Query(q.clone()),
            (_, Some(_)) => {
                return Err(Invalid::new(
                    at.k("query_param"),
                    "is empty; expected a parameter name such as \"apiKey\"",
                ))
            }
            (header, None) => {
                let name = header.clone().unwrap_or_else(|| "X-API-Key".to_owned());
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(Invalid::new(
                        at.k("header"),
                        format!("{name:?} is not an HTTP header name; expected e.g. \"X-API-Key\""),
                    ));
                }
                KeyPlacement::Header(name)
            }
        };
        Ok(AuthConfig::ApiKey {
            key: at.secret("key", &self.key_env, &self.key_file)?,
            placement,
        })
    }
}

impl RawOAuth2 {
    fn validate(&self, at: &At<'_>) -> Result<AuthConfig, Invalid> {
        let text = at.required("token_url", &self.token_url)?;
        let token_url = Url::parse(&text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                Invalid::new(
                    at.k("token_url"),
                    format!("{text:?} is not an http(s) URL; expected e.g. \"https://host/oauth/token\""),
                )
            })?;
        Ok(AuthConfig::OAuth2 {
            token_url,
            client_id: at.required("client_id", &self.client_id)?,
            client_secret: at.secret(
                "client_secret",
                &self.client_secret_env,
                &self.client_secret_file,
            )?,
            scope: self.scope.clone().filter(|s| !s.is_empty()),
        })
    }
}

impl RawSigned {
    fn validate(&self, at: &At<'_>) -> Result<AuthConfig, Invalid> {
        let digest = match self.digest.as_deref().unwrap_or("hmac-sha256") {
            "hmac-sha256" => SignDigest::HmacSha256,
            "md5" => SignDigest::Md5,
            "sm3" => SignDigest::Sm3,
            other => {
                return Err(Invalid::new(
                    at.k("digest"),
                    format!("unknown digest {other:?}; valid: hmac-sha256, md5, sm3"),
                ))
            }
        };
        Ok(AuthConfig::Signed {
            app_key: at.required("app_key", &self.app_key)?,
            app_secret: at.secret("app_secret", &self.app_secret_env, &self.app_secret_file)?,
            digest,
            params: SignParams {
                app_key: at.param("app_key_param", &self.app_key_param, "appKey")?,
                timestamp: at.param("timestamp_param", &self.timestamp_param, "timestamp")?,
                nonce: at.param("nonce_param", &self.nonce_param, "nonce")?,
                sign: at.param("sign_param", &self.sign_param, "sign")?,
            },
            error_codes: (self.signature_error_codes.clone())
                .unwrap_or_else(|| (40001..=40005).collect()),
        })
    }
}

/// Credentials ready to use: the secrets read, and the OAuth2 token cache.
#[derive(Debug)]
pub(crate) enum Credentials {
    None,
    Bearer(Secret),
    ApiKey(Secret, KeyPlacement),
    OAuth2 {
        token_url: Url,
        client_id: String,
        client_secret: Secret,
        scope: Option<String>,
        /// The cached access token. A tokio mutex: one fetch at a time.
        token: tokio::sync::Mutex<Option<CachedToken>>,
    },
    Signed {
        app_key: String,
        app_secret: Secret,
        digest: SignDigest,
        params: SignParams,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub value: Secret,
    /// Fetch a new token from this instant on.
    pub refresh_at: Instant,
}

/// When to stop using a token that expires in `expires_in`: a tenth of its life before,
/// at most a minute, so a request never carries a token about to lapse.
pub(crate) fn refresh_margin(expires_in: Duration) -> Duration {
    (expires_in / 10).min(Duration::from_secs(60))
}

impl Credentials {
    /// Read the secrets `config` names.
    ///
    /// # Errors
    /// Why a secret cannot be read (never its value).
    pub fn load(config: Option<&AuthConfig>) -> Result<Credentials, String> {
        Ok(match config {
            None => Credentials::None,
            Some(AuthConfig::Bearer { token }) => Credentials::Bearer(token.read()?),
            Some(AuthConfig::ApiKey { key, placement }) => {
                Credentials::ApiKey(key.read()?, placement.clone())
            }
            Some(AuthConfig::OAuth2 {
                token_url,
                client_id,
                client_secret,
                scope,
            }) => Credentials::OAuth2 {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.read()?,
                scope: scope.clone(),
                token: tokio::sync::Mutex::new(None),
            },
            Some(AuthConfig::Signed {
                app_key,
                app_secret,
                digest,
                params,
                ..
            }) => Credentials::Signed {
                app_key: app_key.clone(),
                app_secret: app_secret.read()?,
                digest: *digest,
                params: params.clone(),
            },
        })
    }

    /// Add the query parameters of an API key in the query and of signed requests to
    /// `url` (a fresh timestamp and nonce on every call: call once per attempt). A
    /// parameter the URL already carries (a next link echoing the request's query) is
    /// replaced, never repeated.
    pub fn sign_url(&self, url: &mut Url) {
        match self {
            Credentials::ApiKey(key, KeyPlacement::Query(name)) => {
                let mut all = pairs_without(url, &[name]);
                all.push((name.clone(), key.expose().to_owned()));
                url.query_pairs_mut().clear().extend_pairs(all);
            }
            Credentials::Signed {
                app_key,
                app_secret,
                digest,
                params,
            } => {
                use rand::Rng;
                let nonce = hex::encode(rand::rng().random::<[u8; 16]>());
                let timestamp = chrono::Utc::now().timestamp_millis().to_string();
                let names = [
                    &params.app_key,
                    &params.timestamp,
                    &params.nonce,
                    &params.sign,
                ];
                let mut all = pairs_without(url, &names);
                all.push((params.app_key.clone(), app_key.clone()));
                all.push((params.timestamp.clone(), timestamp));
                all.push((params.nonce.clone(), nonce));
                let canonical = canonical_string(
                    all.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                    &params.sign,
                );
                let sign = digest.sign(app_secret, &canonical);
                all.push((params.sign.clone(), sign));
                url.query_pairs_mut().clear().extend_pairs(all);
            }
            _ => {}
        }
    }

    /// Whether a 401 may be cured by fetching a new token.
    pub fn refreshes(&self) -> bool {
        matches!(self, Credentials::OAuth2 { .. })
    }
}

/// The query pairs of `url` except those named in `names` (ASCII case ignored).
fn pairs_without(url: &Url, names: &[&String]) -> Vec<(String, String)> {
    url.query_pairs()
        .filter(|(n, _)| !names.iter().any(|s| s.eq_ignore_ascii_case(n)))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/upstream-api.md, "Signed requests": computed with Python's hashlib/hmac.
    const CANONICAL: &str = "appKey=jz-exchange&nonce=abc123&pageNo=1&pageSize=100&timestamp=1700000000000&updatedSince=2023-03-31 08:00:00";

    fn vector() -> Vec<(&'static str, &'static str)> {
        vec![
            ("pageNo", "1"),
            ("pageSize", "100"),
            ("updatedSince", "2023-03-31 08:00:00"),
            ("appKey", "jz-exchange"),
            ("timestamp", "1700000000000"),
            ("nonce", "abc123"),
            ("sign", "ignored"),
        ]
    }

    #[test]
    fn canonical_string_sorts_by_name_and_leaves_out_the_sign() {
        assert_eq!(canonical_string(vector(), "sign"), CANONICAL);
    }

    #[test]
    fn signatures_match_the_contract_vectors() {
        let secret = Secret::new("s3cr3t");
        for (digest, want) in [
            (
                SignDigest::HmacSha256,
                "15C457592174C0D121359D3FAC8792E721F42512D5881203D1C34B94EF12E868",
            ),
            (SignDigest::Md5, "CBA8B79C549EEC935063F664133ECB7F"),
            (
                SignDigest::Sm3,
                "45F460C80548B118F16985C7923539489565A4A24D730CE7B2A84F880E87C027",
            ),
        ] {
            assert_eq!(digest.sign(&secret, CANONICAL), want, "{}", digest.name());
        }
    }

    #[test]
    fn a_signed_url_carries_the_parameters_and_a_sign_over_all_of_them() {
        let creds = Credentials::Signed {
            app_key: "jz-exchange".into(),
            app_secret: Secret::new("s3cr3t"),
            digest: SignDigest::Md5,
            params: SignParams {
                app_key: "appKey".into(),
                timestamp: "timestamp".into(),
                nonce: "nonce".into(),
                sign: "sign".into(),
            },
        };
        let mut url =
            Url::parse("http://h/api?pageNo=1&updatedSince=2023-03-31+08%3A00%3A00").unwrap();
        creds.sign_url(&mut url);
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |n: &str| pairs.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("appKey"), "jz-exchange");
        assert_eq!(get("nonce").len(), 32);
        let canonical =
            canonical_string(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())), "sign");
        assert!(canonical.contains("updatedSince=2023-03-31 08:00:00"));
        assert_eq!(
            get("sign"),
            SignDigest::Md5.sign(&Secret::new("s3cr3t"), &canonical)
        );
        // Signing again (a retry) replaces the parameters rather than repeating them.
        creds.sign_url(&mut url);
        assert_eq!(url.query_pairs().filter(|(n, _)| n == "sign").count(), 1);
    }

    /// A next link echoing the request's query carries the key already: it is replaced,
    /// so the URL does not grow by one key per page.
    #[test]
    fn an_api_key_in_the_query_is_sent_once_however_often_the_link_echoes_it() {
        let creds = Credentials::ApiKey(Secret::new("K"), KeyPlacement::Query("apiKey".into()));
        let mut url = Url::parse("http://h/api?per_page=2&apiKey=K&after=X&apikey=OLD").unwrap();
        creds.sign_url(&mut url);
        creds.sign_url(&mut url);
        assert_eq!(url.as_str(), "http://h/api?per_page=2&after=X&apiKey=K");
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("s3cr3t");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        let creds = Credentials::Bearer(s);
        assert!(!format!("{creds:?}").contains("s3cr3t"));
    }

    fn validate(text: &str) -> Result<AuthConfig, Invalid> {
        AuthConfig::from_table(toml::from_str(text).unwrap(), "a")
    }

    #[test]
    fn validation_names_the_key_and_what_would_be_valid() {
        let err = validate("kind = \"kerberos\"").unwrap_err();
        assert_eq!(err.key, "a.kind");
        assert!(err.message.contains("oauth2_client_credentials"));
        let err = validate("kind = \"bearer\"").unwrap_err();
        assert_eq!(err.key, "a.token_env");
        let signed = "kind = \"signed\"\napp_key = \"k\"\napp_secret_env = \"X\"\n";
        let err = validate(&format!("{signed}digest = \"sha1\"")).unwrap_err();
        assert_eq!(err.key, "a.digest");
        let err = validate(&format!("{signed}token_env = \"T\"")).unwrap_err();
        assert_eq!(
            err,
            Invalid::new(
                "a.token_env",
                "is not used by kind = \"signed\"; it takes: app_key, app_secret, digest, app_key_param, timestamp_param, nonce_param, sign_param, signature_error_codes"
            )
        );
        let err =
            validate("kind = \"bearer\"\ntoken_env = \"T\"\ntoken_file = \"/t\"").unwrap_err();
        assert_eq!(
            (err.key.as_str(), err.message.as_str()),
            (
                "a.token_env",
                "both token_env and token_file are set; give one"
            )
        );
        let err = validate("kind = \"oauth2_client_credentials\"\ntoken_url = \"https://h/t\"")
            .unwrap_err();
        assert_eq!(
            (err.key.as_str(), err.message.as_str()),
            (
                "a.client_id",
                "is required with kind = \"oauth2_client_credentials\""
            )
        );
        assert!(matches!(
            validate(signed).unwrap(),
            AuthConfig::Signed {
                digest: SignDigest::HmacSha256,
                ..
            }
        ));
    }

    #[test]
    fn a_missing_secret_is_named_not_shown() {
        let r = SecretRef {
            key: "a.token_env".into(),
            from: SecretFrom::Env("RURALSYNC_TEST_SURELY_UNSET_VAR".into()),
        };
        let err = r.read().unwrap_err();
        assert!(err.contains("RURALSYNC_TEST_SURELY_UNSET_VAR") && err.contains("a.token_env"));
    }
}
