//! The HTTP clients of a source: one for data requests and one for the OAuth2 token
//! endpoint, each with its redirect policy ([`super::origin`]), the request timeout, gzip,
//! and the CA certificates of `ca_file` trusted besides the built-in roots.

use std::path::Path;
use std::sync::Arc;

use super::origin;
use super::HttpJsonConfig;

/// Why a source's clients could not be built. The messages name the config key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("cannot read the CA file {path} ({key}): {error}")]
    CaRead {
        key: String,
        path: String,
        error: std::io::Error,
    },
    #[error("the CA file {path} ({key}) holds no PEM certificate (`-----BEGIN CERTIFICATE-----`): {why}")]
    CaPem {
        key: String,
        path: String,
        why: String,
    },
    #[error("cannot build the HTTP client: {0}")]
    Build(reqwest::Error),
}

/// The data client and the token client of a source named `name`.
///
/// # Errors
/// [`ClientError`] when `ca_file` cannot be read or holds no certificate, or the TLS
/// back end cannot start.
pub(crate) fn build(
    name: &str,
    config: &HttpJsonConfig,
) -> Result<(reqwest::Client, reqwest::Client), ClientError> {
    let roots = match &config.ca_file {
        Some(path) => read_ca_file(path, &format!("sources.{name}.http.ca_file"))?,
        None => Vec::new(),
    };
    let origins = Arc::new(config.origins.clone());
    let data = builder(config, &roots)
        .redirect(origin::data_policy(Arc::clone(&origins)))
        .build()
        .map_err(ClientError::Build)?;
    let token = builder(config, &roots)
        .redirect(origin::token_policy())
        .build()
        .map_err(ClientError::Build)?;
    Ok((data, token))
}

fn builder(config: &HttpJsonConfig, roots: &[reqwest::Certificate]) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        // Sends `Accept-Encoding: gzip` and decompresses what comes back; bodies are
        // bounded after decompression (`max_body_bytes`).
        .gzip(true)
        .user_agent(concat!("ruralsync/", env!("CARGO_PKG_VERSION")));
    for root in roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder
}

/// The certificates of a PEM file.
fn read_ca_file(path: &Path, key: &str) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|error| ClientError::CaRead {
        key: key.to_owned(),
        path: shown.clone(),
        error,
    })?;
    let bad = |why: String| ClientError::CaPem {
        key: key.to_owned(),
        path: shown.clone(),
        why,
    };
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
    if roots.is_empty() {
        return Err(bad("no certificate found".to_owned()));
    }
    Ok(roots)
}
