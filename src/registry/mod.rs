//! The schema registry, as a writer uses it: `[schema_registry]` ([`config`]) and the
//! start-up registration that gives each writer schema its registry id ([`client`]).
//!
//! With a registry configured, every value ruralsync publishes is framed in the Confluent
//! wire format ([`crate::avro::Framing::confluent`]); without one, in Avro single-object
//! encoding, and the daemon writes its writer schemas to `<prefix>._schemas` instead
//! ([`crate::sink::kafka::schemas`]). Ids are looked up or registered once, at start,
//! and kept for the daemon's life (a schema's id never changes in a registry).

pub mod client;
pub mod config;

pub use client::{Client, RegistryError};
pub use config::{Auth, RawSchemaRegistry, SchemaRegistryConfig, SubjectStrategy};

use crate::avro::NamedSchema;

/// A writer schema and the topic its values go to.
pub struct Writer<'a> {
    pub topic: String,
    pub schema: &'a NamedSchema,
}

/// Set each writer's subject to the configured compatibility level, then look up or
/// register its schema; the ids in the writers' order. A registry that does not answer
/// is waited for (backoff, logged) up to the configured start timeout.
///
/// # Errors
/// [`RegistryError::Incompatible`] naming the subject, the rule and the field when a
/// schema is refused; the first other failure.
pub async fn register(
    config: &SchemaRegistryConfig,
    writers: &[Writer<'_>],
) -> Result<Vec<u32>, RegistryError> {
    let client = Client::new(config)?;
    let mut ids = Vec::with_capacity(writers.len());
    for writer in writers {
        let name = &writer.schema.full_name;
        let subject = config.strategy.subject(&writer.topic, name);
        client
            .set_compatibility(&subject, &config.compatibility)
            .await?;
        let id = client
            .id(&subject, writer.schema.text, name, &config.compatibility)
            .await?;
        tracing::info!(registry = %client.url(), subject = %subject, schema = %name, id, "writer schema registered");
        ids.push(id);
    }
    Ok(ids)
}
