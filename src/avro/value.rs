//! Building blocks of Avro values: unions, exact decimals, dates and timestamps.

use apache_avro::types::Value;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// An Avro record value built field by field, in schema order.
#[derive(Debug, Default)]
pub struct Record(Vec<(String, Value)>);

impl Record {
    pub fn new() -> Record {
        Record(Vec::with_capacity(32))
    }

    pub fn field(mut self, name: &str, value: Value) -> Record {
        self.0.push((name.to_owned(), value));
        self
    }

    /// A `string` field.
    pub fn text(self, name: &str, text: &str) -> Record {
        self.field(name, Value::String(text.to_owned()))
    }

    /// A `["null", "string"]` field.
    pub fn opt_text(self, name: &str, text: &Option<String>) -> Record {
        self.field(name, optional_string(text))
    }

    pub fn build(self) -> Value {
        Value::Record(self.0)
    }
}

/// `["null", T]` union value.
pub fn optional(v: Option<Value>) -> Value {
    match v {
        None => Value::Union(0, Box::new(Value::Null)),
        Some(v) => Value::Union(1, Box::new(v)),
    }
}

pub fn optional_string(s: &Option<String>) -> Value {
    optional(s.clone().map(Value::String))
}

/// Avro decimal: the unscaled value as big-endian two's complement. The schema's scale
/// is 2 and normalisers return scale-2 decimals.
pub fn decimal(d: Decimal) -> Value {
    debug_assert_eq!(d.scale(), 2, "canonical decimals carry scale 2");
    unscaled(d)
}

/// Avro decimal of any scale (the schema's); `d` must carry that scale.
pub fn scaled_decimal(d: Decimal, scale: u32) -> Value {
    debug_assert_eq!(
        d.scale(),
        scale,
        "canonical decimals carry the schema's scale"
    );
    unscaled(d)
}

/// Avro decimal of a value already at its schema's scale.
pub fn unscaled(d: Decimal) -> Value {
    Value::Decimal(apache_avro::Decimal::from(minimal_be_bytes(d.mantissa())))
}

pub fn minimal_be_bytes(n: i128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    // Drop leading bytes that only repeat the sign, keeping the sign bit right.
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

pub fn date(d: NaiveDate) -> Value {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    // Days since 1970 fit an i32 for every date chrono can represent.
    Value::Date(i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX))
}

pub fn timestamp_millis(t: DateTime<Utc>) -> Value {
    Value::TimestampMillis(t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_bytes_are_twos_complement_and_decimals_round_trip() {
        assert_eq!(minimal_be_bytes(0), [0]);
        assert_eq!(minimal_be_bytes(127), [0x7f]);
        assert_eq!(minimal_be_bytes(128), [0x00, 0x80]);
        assert_eq!(minimal_be_bytes(-1), [0xff]);
        assert_eq!(minimal_be_bytes(-129), [0xff, 0x7f]);
        assert_eq!(minimal_be_bytes(12_500_000), [0x00, 0xbe, 0xbc, 0x20]);
        for text in ["0.00", "125000.00", "-3.05", "9999999999999999.99"] {
            let d: Decimal = text.parse().unwrap();
            let back = crate::avro::decode::decimal(&decimal(d), 2).unwrap();
            assert_eq!(back.to_string(), text);
        }
    }
}
