//! Decoding helpers shared by tests and tools that read topics back.

use apache_avro::types::Value;
use apache_avro::Schema;
use rust_decimal::Decimal;

/// Decode a single-object message written with `schema`, checking its fingerprint.
///
/// # Errors
/// A message saying whether the header or the datum was wrong.
pub fn single_object(schema: &Schema, message: &[u8]) -> Result<Value, String> {
    let fingerprint = super::fingerprint(schema);
    if message.len() < 10 || message[..2] != [0xC3, 0x01] {
        return Err("not an Avro single-object message (no C3 01 marker)".into());
    }
    if message[2..10] != fingerprint[..] {
        return Err("schema fingerprint does not match the expected schema".into());
    }
    apache_avro::from_avro_datum(schema, &mut &message[10..], None).map_err(|e| e.to_string())
}

/// A record value's fields by name.
pub fn fields(value: &Value) -> std::collections::HashMap<&str, &Value> {
    match value {
        Value::Record(fields) => fields.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => Default::default(),
    }
}

/// Unwrap a `["null", T]` union.
pub fn nullable(value: &Value) -> Option<&Value> {
    match value {
        Value::Union(_, inner) if **inner == Value::Null => None,
        Value::Union(_, inner) => Some(inner),
        Value::Null => None,
        other => Some(other),
    }
}

/// A decimal value of the given scale, as text-exact `rust_decimal`.
pub fn decimal(value: &Value, scale: u32) -> Option<Decimal> {
    let Value::Decimal(d) = value else {
        return None;
    };
    let bytes: Vec<u8> = Vec::try_from(d).ok()?;
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0x00 };
    let mut buf = [fill; 16];
    buf[16 - bytes.len()..].copy_from_slice(&bytes);
    Some(Decimal::from_i128_with_scale(
        i128::from_be_bytes(buf),
        scale,
    ))
}

pub fn string(value: &Value) -> Option<&str> {
    match nullable(value)? {
        Value::String(s) => Some(s),
        Value::Enum(_, s) => Some(s),
        _ => None,
    }
}
