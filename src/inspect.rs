//! Reading back what landed: consume a topic as a `read_committed` client would and
//! decode its Avro messages to JSON. Used by `ruralsync peek`, the demo and the tests.

use std::collections::{BTreeMap, HashMap};

use apache_avro::schema::{Name, RecordSchema, ResolvedSchema, Schema, UnionSchema};
use apache_avro::types::Value;
use chrono::{DateTime, NaiveDate};
use serde_json::json;

use crate::avro;
use crate::config::Config;
use crate::family::all_schemas;
use crate::sink::kafka::{read_schemas, PublishError, Topics};
pub use crate::sink::kafka::{read_topic, Landed, ReadError, WriterSchema};

/// Decode a message of one of ruralsync's Avro schemas (chosen by its fingerprint), or a
/// JSON checkpoint, into JSON: decimals as exact strings, dates as `YYYY-MM-DD`, timestamps as RFC 3339 UTC.
///
/// # Errors
/// A message when the bytes are not a single-object message of a known schema.
pub fn decode_to_json(message: &[u8]) -> Result<serde_json::Value, String> {
    if let [0, a, b, c, d, ..] = message {
        // Only a registry knows which schema an id is: this binary may not have it.
        let id = u32::from_be_bytes([*a, *b, *c, *d]);
        return Err(format!("Confluent wire format, schema id {id}: read it with a registry-aware consumer (docs/consumers.md)"));
    }
    if !message.starts_with(&[0xC3, 0x01]) {
        // Checkpoints are JSON, for operators' eyes.
        return serde_json::from_slice(message).map_err(|_| {
            "neither an Avro single-object message (no C3 01 marker) nor JSON".to_owned()
        });
    }
    for shipped in all_schemas() {
        let schema = &shipped.schema;
        match avro::decode::single_object(schema, message) {
            Ok(value) => return Ok(value_to_json(&value, schema)),
            Err(e) if e.contains("fingerprint") => continue,
            Err(e) => return Err(e),
        }
    }
    // Checkpoints are JSON, for operators' eyes.
    serde_json::from_slice(message)
        .map_err(|_| "schema fingerprint matches none of ruralsync's schemas".into())
}

/// A datum (no framing) written with `schema`, as JSON like [`decode_to_json`].
///
/// # Errors
/// apache-avro's message when the bytes are not a datum of `schema`.
pub fn datum_to_json(schema: &Schema, datum: &[u8]) -> Result<serde_json::Value, String> {
    let value =
        apache_avro::from_avro_datum(schema, &mut &datum[..], None).map_err(|e| e.to_string())?;
    Ok(value_to_json(&value, schema))
}

fn value_to_json(value: &Value, schema: &Schema) -> serde_json::Value {
    // A named type used twice (the two parties) is a reference the second time: resolve
    // it by name.
    let named = ResolvedSchema::try_from(schema)
        .map(|r| r.get_names().clone())
        .unwrap_or_default();
    to_json(value, schema, &named)
}

fn to_json(value: &Value, schema: &Schema, named: &HashMap<Name, &Schema>) -> serde_json::Value {
    match (value, schema) {
        (_, Schema::Ref { name }) => match named.get(name) {
            Some(resolved) => to_json(value, resolved, named),
            None => json!(format!("{value:?}")),
        },
        (
            Value::Record(fields),
            Schema::Record(RecordSchema {
                fields: schemas, ..
            }),
        ) => {
            let mut map = serde_json::Map::new();
            for ((name, v), field) in fields.iter().zip(schemas) {
                map.insert(name.clone(), to_json(v, &field.schema, named));
            }
            serde_json::Value::Object(map)
        }
        (Value::Union(i, inner), Schema::Union(union)) => {
            let variant = UnionSchema::variants(union)
                .get(*i as usize)
                .unwrap_or(&Schema::Null);
            to_json(inner, variant, named)
        }
        (Value::Decimal(_), Schema::Decimal(d)) => avro::decode::decimal(value, d.scale as u32)
            .map_or(serde_json::Value::Null, |d| json!(d.to_string())),
        (Value::Date(days), _) => json!(NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(*days))))
            .map(|d| d.to_string())),
        (Value::TimestampMillis(ms), _) => {
            json!(DateTime::from_timestamp_millis(*ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        }
        (Value::Null, _) => serde_json::Value::Null,
        (Value::String(s), _) | (Value::Enum(_, s), _) => json!(s),
        (Value::Long(n), _) => json!(n),
        (Value::Int(n), _) => json!(n),
        (Value::Boolean(b), _) => json!(b),
        (other, _) => json!(format!("{other:?}")),
    }
}

/// A writer schema and where `ruralsync schemas` found it.
#[derive(Debug, Clone)]
pub struct KnownSchema {
    pub schema: WriterSchema,
    /// One of this binary's schemas.
    pub compiled_in: bool,
    /// In `<prefix>._schemas` (written by a daemon without a registry).
    pub in_topic: bool,
}

/// This binary's writer schemas and, with a config, those in its `<prefix>._schemas`
/// topic, by fingerprint.
///
/// # Errors
/// [`PublishError`] when the topic cannot be read (a missing topic is read as empty).
pub async fn known_schemas(config: Option<&Config>) -> Result<Vec<KnownSchema>, PublishError> {
    let mut known: BTreeMap<String, KnownSchema> = all_schemas()
        .into_iter()
        .map(|s| {
            let schema = WriterSchema::of(s);
            let known = KnownSchema {
                schema: schema.clone(),
                compiled_in: true,
                in_topic: false,
            };
            (schema.fingerprint, known)
        })
        .collect();
    if let Some(config) = config {
        let topic = Topics::new(&config.kafka.topic_prefix).schemas();
        let read = read_schemas(&config.kafka, &topic, config.kafka.transaction_timeout).await;
        let in_topic = match read {
            Ok(schemas) => schemas,
            Err(PublishError::Checkpoint { missing: true, .. }) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        for (fingerprint, schema) in in_topic {
            known
                .entry(fingerprint)
                .or_insert(KnownSchema {
                    schema,
                    compiled_in: false,
                    in_topic: false,
                })
                .in_topic = true;
        }
    }
    Ok(known.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confluent_framed_message_is_named_by_its_schema_id_not_misread() {
        let framed = crate::avro::Framing::confluent(258).start(1);
        let error = decode_to_json(&[framed, vec![9]].concat()).unwrap_err();
        assert!(error.contains("schema id 258"), "{error}");
        assert_eq!(decode_to_json(b"{\"a\":1}").unwrap()["a"], 1);
    }
}
