//! Where a source's requests may go, and what they may carry there.
//!
//! Credentials (bearer token, API key, OAuth2 access token, signature, URL userinfo) go
//! only to the configured origin — scheme, host and port of `url` — and to the origins
//! listed in `credential_origins`. A next link or redirect to an origin listed in
//! `allowed_origins` is followed **without** credentials (a CDN serving later pages, a
//! pre-signed download). Any other origin is refused before a byte is sent to it.
//!
//! The OAuth2 token endpoint is its own configured origin: the token request follows
//! redirects within that origin only, whatever the lists say, because its body is the
//! client secret.
//!
//! URLs leave the process (checkpoints, logs, errors) only cleaned: [`clean_url`] removes
//! the configured credential parameters (an API key in the query, the signature's
//! parameters) and userinfo, so a platform whose next link echoes the request's query
//! does not get its key stored or logged, and the key is added once per request instead
//! of once more per page. [`loggable`] also masks the values of commonly secret
//! parameters (`access_token`, `X-Amz-Signature`, …) that may sit in an allowed origin's
//! pre-signed links.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use url::{Host, Origin, Url};

use crate::settings::Invalid;

/// Most redirects one request follows (reqwest's own default).
pub(crate) const MAX_REDIRECTS: usize = 10;

/// What a request to a URL may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// The configured origin or one of `credential_origins`: credentials are sent.
    Credentials,
    /// One of `allowed_origins`: followed, without credentials.
    Anonymous,
    /// Anywhere else: not requested at all.
    Refused,
}

/// The origins of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    /// The origin of `url`.
    pub home: Origin,
    /// `credential_origins`: followed, with credentials.
    pub credentials: Vec<Origin>,
    /// `allowed_origins`: followed, without credentials.
    pub anonymous: Vec<Origin>,
}

impl Origins {
    /// What a request to `url` may carry.
    pub(crate) fn reach(&self, url: &Url) -> Reach {
        let origin = url.origin();
        if origin == self.home || self.credentials.contains(&origin) {
            Reach::Credentials
        } else if self.anonymous.contains(&origin) {
            Reach::Anonymous
        } else {
            Reach::Refused
        }
    }
}

/// An origin as messages write it: `https://host:port` (the port always shown).
pub(crate) fn show(origin: &Origin) -> String {
    match origin {
        Origin::Tuple(scheme, host, port) => format!("{scheme}://{host}:{port}"),
        Origin::Opaque(_) => "(opaque origin)".to_owned(),
    }
}

/// The origin of a URL, as messages write it.
pub(crate) fn origin_of(url: &Url) -> String {
    show(&url.origin())
}

/// Parse one entry of `allowed_origins` or `credential_origins`: `scheme://host[:port]`,
/// nothing else.
///
/// # Errors
/// [`Invalid`] naming `key` and what an origin looks like.
pub(crate) fn parse_origin(text: &str, key: &str) -> Result<Origin, Invalid> {
    let bad = |why: &str| {
        Invalid::new(
            key,
            format!("{text:?} {why}; expected an origin: scheme, host and optional port, e.g. \"https://cdn.example:443\""),
        )
    };
    let url = Url::parse(text).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("carries a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has a path, query or fragment"));
    }
    Ok(url.origin())
}

/// Whether a host is this machine: requests to it never cross a network (W3C Secure
/// Contexts counts `localhost` and loopback addresses as potentially trustworthy).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `url` without userinfo and without the query parameters named in `secret_params`
/// (compared without regard to ASCII case): what may be stored or followed before the
/// source adds its own credentials again.
pub(crate) fn clean_url(url: &Url, secret_params: &[String]) -> Url {
    let mut clean = url.clone();
    // Both fail only for URLs that cannot have userinfo, which then have none.
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !secret_params.iter().any(|s| s.eq_ignore_ascii_case(name)))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            clean.set_query(None);
        } else {
            clean.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    clean
}

/// Query parameters whose values are secrets on many platforms (compared without regard
/// to ASCII case). Their values are masked in logs and errors; they are kept in stored
/// links, which would not work without them.
const SECRET_LOOKING: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "app_secret",
    "client_secret",
    "key",
    "password",
    "secret",
    "sig",
    "sign",
    "signature",
    "token",
    "x-amz-credential",
    "x-amz-security-token",
    "x-amz-signature",
    "x-goog-signature",
];

/// `url` for a log line or an error: no userinfo, values of secret-looking parameters
/// masked as `***`.
pub(crate) fn loggable(url: &Url) -> Url {
    let mut shown = clean_url(url, &[]);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(n, v)| {
                let secret = SECRET_LOOKING.iter().any(|s| s.eq_ignore_ascii_case(&n));
                let v = if secret { "***".into() } else { v.into_owned() };
                (n.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown
}

/// A redirect refused by a source's redirect policy; found again in the chain of the
/// reqwest error to name both origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedirectRefused {
    pub from: String,
    pub to: String,
    /// The request was the OAuth2 token request.
    pub token: bool,
}

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redirect from {} to {} refused", self.from, self.to)
    }
}

impl std::error::Error for RedirectRefused {}

/// The redirect error carried by a reqwest error, if its policy refused a redirect.
pub(crate) fn refused_redirect(error: &reqwest::Error) -> Option<RedirectRefused> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RedirectRefused>() {
            return Some(refused.clone());
        }
        source = cause.source();
    }
    None
}

/// The redirect policy of data requests: reqwest follows redirects within one origin (the
/// request's headers, credentials included, stay where they were meant to go); a
/// redirect to an allowed other origin is handed back (`stop`), for the source to follow
/// with the credentials that origin may receive — reqwest would carry custom headers such
/// as `X-API-Key` across origins, and cannot drop them per hop; anything else is an
/// error naming both origins.
pub(crate) fn data_policy(origins: Arc<Origins>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let from = attempt.previous().last().map(Url::origin);
        if from.as_ref() == Some(&attempt.url().origin()) {
            return within_origin(attempt);
        }
        if origins.reach(attempt.url()) != Reach::Refused {
            return attempt.stop();
        }
        let refused = RedirectRefused {
            from: from.as_ref().map_or_else(String::new, show),
            to: origin_of(attempt.url()),
            token: false,
        };
        attempt.error(refused)
    })
}

/// The redirect policy of the OAuth2 token request: within its origin only. A redirect
/// elsewhere would carry the client secret (a 307 or 308 repeats the form body), so it
/// is refused whatever the allowed origins are; `token_url` must name the endpoint
/// itself.
pub(crate) fn token_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().last().map(Url::origin);
        if from.as_ref() == Some(&attempt.url().origin()) {
            return within_origin(attempt);
        }
        let refused = RedirectRefused {
            from: from.as_ref().map_or_else(String::new, show),
            to: origin_of(attempt.url()),
            token: true,
        };
        attempt.error(refused)
    })
}

fn within_origin(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    // `previous` starts with the request's own URL, which is not a redirect.
    if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error(format!(
            "more than {MAX_REDIRECTS} redirects: the platform is redirecting in a loop"
        ))
    } else {
        attempt.follow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Origins {
        Origins {
            home: Url::parse("https://api.example/v1/x").unwrap().origin(),
            credentials: vec![parse_origin("https://api2.example:8443", "k").unwrap()],
            anonymous: vec![parse_origin("https://cdn.example", "k").unwrap()],
        }
    }

    #[test]
    fn credentials_go_only_to_the_configured_origin_and_those_listed_for_them() {
        let o = origins();
        let reach = |u: &str| o.reach(&Url::parse(u).unwrap());
        assert_eq!(reach("https://api.example/v1/x?page=2"), Reach::Credentials);
        assert_eq!(reach("https://api.example:443/other"), Reach::Credentials);
        assert_eq!(reach("https://api2.example:8443/p"), Reach::Credentials);
        assert_eq!(reach("https://cdn.example:443/p"), Reach::Anonymous);
        // Another port, another scheme (a downgrade), another host: another origin.
        assert_eq!(reach("https://api.example:8443/v1/x"), Reach::Refused);
        assert_eq!(reach("http://api.example/v1/x"), Reach::Refused);
        assert_eq!(reach("https://evil.example/v1/x"), Reach::Refused);
        assert_eq!(reach("https://api.example.evil.example/"), Reach::Refused);
    }

    #[test]
    fn origins_in_config_are_scheme_host_and_port_only() {
        assert_eq!(
            show(&parse_origin("https://cdn.example", "k").unwrap()),
            "https://cdn.example:443"
        );
        assert_eq!(
            show(&parse_origin("http://127.0.0.1:8080/", "k").unwrap()),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "cdn.example",
            "ftp://cdn.example",
            "https://u:p@cdn.example",
            "https://cdn.example/path",
            "https://cdn.example?x=1",
        ] {
            let err = parse_origin(bad, "sources.x.http.allowed_origins").unwrap_err();
            assert_eq!(err.key, "sources.x.http.allowed_origins");
            assert!(err.message.contains("https://cdn.example:443"), "{bad}");
        }
    }

    #[test]
    fn clean_urls_lose_credential_parameters_and_userinfo_only() {
        let params = ["apiKey".to_owned(), "sign".to_owned()];
        let url = Url::parse(
            "https://u:p@h/api?per_page=2&apiKey=K&after=X&APIKEY=K&sign=S&updated_since=2023-01-01%2000:00:00",
        )
        .unwrap();
        let clean = clean_url(&url, &params);
        assert_eq!(
            clean.as_str(),
            "https://h/api?per_page=2&after=X&updated_since=2023-01-01+00%3A00%3A00"
        );
        let only = Url::parse("https://h/api?apiKey=K").unwrap();
        assert_eq!(clean_url(&only, &params).as_str(), "https://h/api");
    }

    #[test]
    fn loggable_urls_mask_secret_looking_values() {
        let url = Url::parse(
            "https://u:p@cdn/x?X-Amz-Signature=abc&X-Amz-Expires=60&access_token=t&page=2",
        )
        .unwrap();
        assert_eq!(
            loggable(&url).as_str(),
            "https://cdn/x?X-Amz-Signature=***&X-Amz-Expires=60&access_token=***&page=2"
        );
    }

    #[test]
    fn loopback_hosts_are_this_machine() {
        for (url, local) in [
            ("http://127.0.0.1:8080/", true),
            ("http://127.3.2.1/", true),
            ("http://[::1]:80/", true),
            ("http://localhost/", true),
            ("http://api.localhost./", true),
            ("http://10.0.0.1/", false),
            ("http://localhost.example/", false),
            ("http://platform.example/", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), local, "{url}");
        }
    }
}
