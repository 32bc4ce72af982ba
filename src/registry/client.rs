//! The Confluent-compatible schema registry API, the few calls a writer needs: set a
//! subject's compatibility level, look a schema up under a subject, register it. Every
//! call that meets an unreachable registry (connection errors, timeouts, 5xx) is retried
//! with backoff until the start's deadline, one WARN line per wait.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::config::{Auth, CredentialFrom, SchemaRegistryConfig};
use crate::backoff::Backoff;

/// Why the registry could not give a schema its id.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("schema registry settings: {0}")]
    Settings(String),
    #[error("schema registry at {url} did not answer within {waited_secs}s (set [schema_registry] start_timeout_secs to wait longer): {error}")]
    Unreachable {
        url: String,
        waited_secs: u64,
        error: String,
    },
    #[error("schema registry refused schema {schema} for subject {subject}: incompatible under the subject's {rule} rule with its registered versions{}; registry said: {message}. Compatible changes add optional fields (with a default) or enum symbols; see docs/consumers.md", field.as_ref().map(|f| format!(", at field {f}")).unwrap_or_default())]
    Incompatible {
        subject: String,
        schema: String,
        rule: String,
        /// The field the registry named (`severity at /fields/9`), when it did.
        field: Option<String>,
        message: String,
    },
    #[error("schema registry answered {status} to {what} for subject {subject}: {message}")]
    Refused {
        subject: String,
        what: &'static str,
        status: u16,
        message: String,
    },
}

/// A client of one registry, its credential read once.
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Option<Credential>,
    deadline: Instant,
    start_timeout: Duration,
}

enum Credential {
    Basic(String, String),
    Bearer(String),
}

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Registry messages quoted in errors and logs are cut here.
const EXCERPT: usize = 400;

impl Client {
    /// A client whose calls retry an unreachable registry until `start_timeout` from now.
    ///
    /// # Errors
    /// [`RegistryError::Settings`] when a credential cannot be read.
    pub fn new(config: &SchemaRegistryConfig) -> Result<Client, RegistryError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            // Credentials go to the configured origin only.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RegistryError::Settings(e.to_string()))?;
        let auth = match &config.auth {
            Auth::None => None,
            Auth::Basic {
                username,
                password,
                key,
            } => Some(Credential::Basic(username.clone(), read(password, key)?)),
            Auth::Bearer { token, key } => Some(Credential::Bearer(read(token, key)?)),
        };
        Ok(Client {
            http,
            base: config.url.as_str().trim_end_matches('/').to_owned(),
            auth,
            deadline: Instant::now() + config.start_timeout,
            start_timeout: config.start_timeout,
        })
    }

    /// The base URL (no credentials: the config refuses them in it).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Set `subject`'s compatibility level.
    ///
    /// # Errors
    /// [`RegistryError`] when the registry refuses or stays unreachable.
    pub async fn set_compatibility(&self, subject: &str, level: &str) -> Result<(), RegistryError> {
        let path = format!("/config/{}", encode(subject));
        let (status, body) = self
            .call(Method::PUT, &path, json!({ "compatibility": level }))
            .await?;
        if status.is_success() {
            return Ok(());
        }
        Err(refused(
            subject,
            "setting the compatibility level",
            status,
            &body,
        ))
    }

    /// The id of `schema` under `subject`, registering it when the subject does not have
    /// it yet.
    ///
    /// # Errors
    /// [`RegistryError::Incompatible`] (409) naming the subject, the rule and the field
    /// the registry named; other refusals; an unreachable registry.
    pub async fn id(
        &self,
        subject: &str,
        schema: &str,
        name: &str,
        rule: &str,
    ) -> Result<u32, RegistryError> {
        let body = json!({ "schema": schema });
        let (status, found) = self
            .call(
                Method::POST,
                &format!("/subjects/{}", encode(subject)),
                body.clone(),
            )
            .await?;
        if status.is_success() {
            return id_of(subject, &found);
        }
        if status != StatusCode::NOT_FOUND {
            return Err(refused(subject, "looking the schema up", status, &found));
        }
        let path = format!("/subjects/{}/versions", encode(subject));
        let (status, registered) = self.call(Method::POST, &path, body).await?;
        match status {
            s if s.is_success() => id_of(subject, &registered),
            StatusCode::CONFLICT => {
                let message = message_of(&registered);
                Err(RegistryError::Incompatible {
                    subject: subject.to_owned(),
                    schema: name.to_owned(),
                    rule: rule.to_owned(),
                    field: field_named(&message),
                    message,
                })
            }
            s => Err(refused(subject, "registering the schema", s, &registered)),
        }
    }

    /// One call, retried with backoff while the registry is unreachable and the
    /// deadline not passed.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Value,
    ) -> Result<(StatusCode, Value), RegistryError> {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));
        loop {
            let error = match self.send(method.clone(), path, &body).await {
                Ok((status, _)) if status.is_server_error() => format!("HTTP {status}"),
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            let now = Instant::now();
            if now >= self.deadline {
                return Err(RegistryError::Unreachable {
                    url: self.base.clone(),
                    waited_secs: self.start_timeout.as_secs(),
                    error,
                });
            }
            // The last wait ends at the deadline, for one more attempt there.
            let delay = backoff.next_delay().min(self.deadline - now);
            tracing::warn!(registry = %self.base, attempt = backoff.attempt(), retry_in_ms = delay.as_millis() as u64, error = %error, "schema registry unreachable; waiting for it");
            tokio::time::sleep(delay).await;
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, Value), String> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::ACCEPT, CONTENT_TYPE)
            .body(body.to_string());
        request = match &self.auth {
            Some(Credential::Basic(user, password)) => request.basic_auth(user, Some(password)),
            Some(Credential::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        // reqwest's errors name the URL, which holds no credentials.
        let response = request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| e.without_url().to_string())?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }
}

fn read(from: &CredentialFrom, key: &str) -> Result<String, RegistryError> {
    let value = match from {
        CredentialFrom::Env(var) => std::env::var(var).map_err(|_| {
            RegistryError::Settings(format!("{key}: environment variable {var} is not set"))
        })?,
        CredentialFrom::File(path) => std::fs::read_to_string(path).map_err(|e| {
            RegistryError::Settings(format!("{key}: cannot read {}: {e}", path.display()))
        })?,
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(RegistryError::Settings(format!(
            "{key}: the credential is empty"
        )));
    }
    Ok(value.to_owned())
}

/// A subject as one path segment.
fn encode(subject: &str) -> String {
    url::form_urlencoded::byte_serialize(subject.as_bytes()).collect()
}

fn id_of(subject: &str, body: &Value) -> Result<u32, RegistryError> {
    body.get("id")
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| RegistryError::Refused {
            subject: subject.to_owned(),
            what: "an id",
            status: 200,
            message: format!("no schema id in the answer: {}", excerpt(&body.to_string())),
        })
}

fn message_of(body: &Value) -> String {
    let text = match body.get("message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        None => body.to_string(),
    };
    excerpt(&text)
}

fn excerpt(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match clean.char_indices().nth(EXCERPT) {
        Some((at, _)) => format!("{}…", &clean[..at]),
        None => clean,
    }
}

fn refused(subject: &str, what: &'static str, status: StatusCode, body: &Value) -> RegistryError {
    RegistryError::Refused {
        subject: subject.to_owned(),
        what,
        status: status.as_u16(),
        message: message_of(body),
    }
}

/// The field a refusal names: Apicurio lists `[<field> at /fields/<n>, …]`, Confluent
/// `… 'The field '<field>' at path '/fields/<n>' …`.
fn field_named(message: &str) -> Option<String> {
    if let Some(list) = message.split("list of diff types: [").nth(1) {
        let list = list.split(']').next().unwrap_or_default().trim();
        return (!list.is_empty()).then(|| list.to_owned());
    }
    let after = message.split("The field '").nth(1)?;
    let name = after.split('\'').next()?;
    let path = message
        .split("at path '")
        .nth(1)
        .and_then(|p| p.split('\'').next());
    Some(match path {
        Some(path) => format!("{name} at {path}"),
        None => name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_found_in_apicurio_and_confluent_refusals() {
        let apicurio = "io.apicurio.registry.rules.violation.RuleViolationException: Incompatible artifact: a-value [AVRO], num of incompatible diffs: {1}, list of diff types: [b at /fields/1]";
        assert_eq!(field_named(apicurio).as_deref(), Some("b at /fields/1"));
        let confluent = "Schema being registered is incompatible with an earlier schema for subject \"a-value\", details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}]";
        assert_eq!(field_named(confluent).as_deref(), Some("b at /fields/1"));
        assert_eq!(field_named("incompatible"), None);
    }

    #[test]
    fn excerpts_are_cut_and_lose_control_characters() {
        assert_eq!(excerpt("a\nb"), "a b");
        assert_eq!(excerpt(&"字".repeat(500)).chars().count(), EXCERPT + 1);
    }
}
