//! Building Kafka clients from `[kafka]`: the settings every client shares (brokers,
//! `[kafka.client]`, secrets read now from the environment or a file), client creation
//! whose errors never quote a property's value, and the connection check at start.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaConfRes;
use rdkafka::ClientConfig;

use super::error::{classify, code_of, KafkaOp, PublishError, Recovery};
use crate::config::{KafkaConfig, SecretFrom, SecretProperty};

/// Client settings shared by producers, consumers and the admin client: the brokers,
/// `[kafka.client]` and the secret properties, read now.
///
/// # Errors
/// [`PublishError::Settings`] when a secret's variable is not set or its file cannot be
/// read.
pub fn client_config(config: &KafkaConfig) -> Result<ClientConfig, PublishError> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &config.bootstrap_servers);
    for (key, value) in &config.client.properties {
        c.set(key, value);
    }
    for secret in &config.client.secrets {
        c.set(secret.property, read_secret(secret)?);
    }
    Ok(c)
}

fn read_secret(secret: &SecretProperty) -> Result<String, PublishError> {
    let fail = |why: String| PublishError::Settings {
        message: format!("{}: {why} (it holds {})", secret.key, secret.property),
    };
    let value = match &secret.from {
        SecretFrom::Env(name) => std::env::var(name).map_err(|e| match e {
            std::env::VarError::NotPresent => {
                fail(format!("environment variable {name} is not set"))
            }
            std::env::VarError::NotUnicode(_) => {
                fail(format!("environment variable {name} is not UTF-8"))
            }
        })?,
        SecretFrom::File(path) => std::fs::read_to_string(path)
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?,
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(fail("is empty".into()));
    }
    Ok(value.to_owned())
}

/// Create a client from `settings`. librdkafka's own messages quote the offending value
/// (`Invalid value "…" for configuration property "…"`, `Unsupported SASL mechanism: …`),
/// which may be a secret: the error names the property instead.
///
/// # Errors
/// [`PublishError::Settings`] when librdkafka refuses the settings.
pub fn create<C, T>(settings: &ClientConfig, context: C) -> Result<T, PublishError>
where
    C: ClientContext,
    T: FromClientConfigAndContext<C>,
{
    settings
        .create_with_context(context)
        .map_err(|error| PublishError::Settings {
            message: without_values(&error, settings),
        })
}

/// `error`'s message with every configured value replaced by its property's name.
fn without_values(error: &KafkaError, settings: &ClientConfig) -> String {
    match error {
        KafkaError::ClientConfig(RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN, _, key, _) => format!(
            "property {key:?} is not a librdkafka property (misspelled?); see https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md"
        ),
        KafkaError::ClientConfig(_, _, key, _) => format!(
            "property {key:?} has a value librdkafka does not accept (the value is not shown: it may be a secret)"
        ),
        other => {
            let mut text = format!("librdkafka refuses the client settings: {other}");
            let mut values: Vec<(&String, &String)> = settings
                .config_map()
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .collect();
            // Longest first, so that a value containing another is replaced whole.
            values.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
            for (key, value) in values {
                text = text.replace(value.as_str(), &format!("<value of {key}>"));
            }
            text
        }
    }
}

/// Records the first error a client reports that no retry cures (authentication, TLS):
/// librdkafka reports those through its error callback and otherwise lets requests
/// time out.
#[derive(Default)]
struct Watch {
    refused: Mutex<Option<(KafkaError, String)>>,
}

impl ClientContext for Watch {
    fn error(&self, error: KafkaError, reason: &str) {
        if classify(KafkaOp::Connect, &error, None) == Recovery::Stop {
            let mut refused = self
                .refused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            refused.get_or_insert((error, reason.to_owned()));
        } else {
            tracing::debug!(%error, reason, "Kafka client reports a problem while connecting");
        }
    }
}

impl ProducerContext for Watch {
    type DeliveryOpaque = ();
    /// The check sends nothing.
    fn delivery(&self, _: &DeliveryResult<'_>, _: ()) {}
}

/// Connect to the brokers with the shared settings and ask for the cluster's metadata,
/// so that wrong credentials or TLS settings fail the start at once with what to fix,
/// instead of every later request timing out.
///
/// # Errors
/// [`PublishError::Connect`]: [`Recovery::Stop`] when the brokers refuse the client
/// (authentication, TLS), [`Recovery::Retry`] when none answered within `timeout`;
/// [`PublishError::Settings`] when the settings cannot be used.
pub async fn check_connection(config: &KafkaConfig, timeout: Duration) -> Result<(), PublishError> {
    let settings = client_config(config)?;
    let client: BaseProducer<Watch> = create(&settings, Watch::default())?;
    let bootstrap = config.bootstrap_servers.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let until = Instant::now() + timeout;
        loop {
            let answer = client
                .client()
                .fetch_metadata(None, Duration::from_millis(500));
            let error = match answer {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            // Serve the error callbacks: the reason for the silence arrives there.
            client.poll(Duration::ZERO);
            let refused = client
                .context()
                .refused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some((error, reason)) = refused {
                return Err((error, reason, Recovery::Stop));
            }
            if Instant::now() >= until {
                let reason = format!("no broker answered within {timeout:?} ({error})");
                let recovery = classify(KafkaOp::Connect, &error, None);
                return Err((error, reason, recovery));
            }
        }
    })
    .await;
    match checked {
        Ok(Ok(())) => Ok(()),
        Ok(Err((error, reason, recovery))) => Err(PublishError::Connect {
            bootstrap,
            reason,
            code: code_of(&error),
            recovery,
        }),
        Err(_) => Err(PublishError::Connect {
            bootstrap,
            reason: "the connection check was cancelled".into(),
            code: None,
            recovery: Recovery::Retry,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_errors_name_the_property_never_its_value() {
        let mut settings = ClientConfig::new();
        settings
            .set("security.protocol", "SASL_PLAINTEXT")
            .set("sasl.mechanism", "PLAINX-hunter2");
        let error = create::<_, BaseProducer<Watch>>(&settings, Watch::default())
            .err()
            .expect("an unknown mechanism is refused");
        let text = error.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<value of sasl.mechanism>"), "{text}");

        let mut settings = ClientConfig::new();
        settings.set("security.protocol", "hunter2");
        let text = create::<_, BaseProducer<Watch>>(&settings, Watch::default())
            .err()
            .expect("refused")
            .to_string();
        assert!(
            !text.contains("hunter2") && text.contains("\"security.protocol\""),
            "{text}"
        );
    }
}
