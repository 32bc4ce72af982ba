//! The dead letter: a record or input that could not be published, with why. Its schema
//! is the same for every record family.

use std::sync::LazyLock;

use apache_avro::types::Value;
use chrono::{DateTime, Utc};

use super::{optional, timestamp_millis, DatumWriter, EncodeError, NamedSchema};

/// `schemas/dead_letter.avsc`.
pub static DEAD_LETTER: LazyLock<NamedSchema> =
    LazyLock::new(|| NamedSchema::parse(include_str!("../../schemas/dead_letter.avsc")));

/// A dead letter, fields in schema order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub source: String,
    pub family: String,
    pub native_id: Option<String>,
    pub field: Option<String>,
    pub reason: String,
    pub message: String,
    pub page: Option<u64>,
    /// The upstream record, already protected (see the record family's
    /// `protected_raw`).
    pub raw_record: Option<String>,
    pub observed_at: DateTime<Utc>,
}

impl DeadLetter {
    /// Append the datum to `out`.
    ///
    /// # Errors
    /// [`EncodeError`] if the value does not fit the schema (a defect).
    pub fn encode(&self, writer: &mut DatumWriter, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer.write(&self.value(), out)
    }

    fn value(&self) -> Value {
        let opt_str = |s: &Option<String>| optional(s.clone().map(Value::String));
        Value::Record(vec![
            ("source".into(), Value::String(self.source.clone())),
            ("family".into(), Value::String(self.family.clone())),
            ("native_id".into(), opt_str(&self.native_id)),
            ("field".into(), opt_str(&self.field)),
            ("reason".into(), Value::String(self.reason.clone())),
            ("message".into(), Value::String(self.message.clone())),
            (
                "page".into(),
                optional(
                    self.page
                        .map(|p| Value::Long(i64::try_from(p).unwrap_or(i64::MAX))),
                ),
            ),
            ("raw_record".into(), opt_str(&self.raw_record)),
            ("observed_at".into(), timestamp_millis(self.observed_at)),
        ])
    }

    /// Shorten the raw record by at least `excess` bytes (at a character boundary,
    /// saying how much was kept); `false` when there is no raw record to shorten.
    pub fn cut_raw_record(&mut self, excess: usize) -> bool {
        let Some(raw) = &mut self.raw_record else {
            return false;
        };
        // Room for the note and for the string's length prefix shrinking by less than
        // the cut.
        let mut keep = raw.len().saturating_sub(excess + 80);
        while !raw.is_char_boundary(keep) {
            keep -= 1;
        }
        let total = raw.len();
        raw.truncate(keep);
        raw.push_str(&format!(
            "… [cut to fit the topic: {keep} of {total} bytes kept]"
        ));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::{decode, Framing};

    fn sample() -> DeadLetter {
        DeadLetter {
            source: "s".into(),
            family: "collective_asset".into(),
            native_id: Some("id".into()),
            field: Some("面积".into()),
            reason: "bad_area".into(),
            message: "m 面积".into(),
            page: Some(3),
            raw_record: Some("{\"a\":1}".into()),
            observed_at: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
        }
    }

    /// The bytes the dead letter had before record families were components: the
    /// contract consumers decode.
    #[test]
    fn a_dead_letter_keeps_its_bytes_and_decodes_back() {
        let framing = Framing::single_object(&DEAD_LETTER.schema);
        let mut message = framing.start(256);
        sample()
            .encode(&mut DatumWriter::new(&DEAD_LETTER), &mut message)
            .unwrap();
        assert_eq!(
            hex::encode(&message),
            "c301aff501bfc711cd7a027320636f6c6c6563746976655f617373657402046964020ce99da2e7a7af106261645f61726561106d20e99da2e7a7af0206020e7b2261223a317df6a1abfef962"
        );
        let v = decode::single_object(&DEAD_LETTER.schema, &message).unwrap();
        let f = decode::fields(&v);
        assert_eq!(decode::string(f["native_id"]), Some("id"));
        assert_eq!(decode::string(f["field"]), Some("面积"));
        assert_eq!(f["observed_at"], &Value::TimestampMillis(1_700_000_000_123));
    }

    #[test]
    fn a_raw_record_is_cut_at_a_character_boundary_saying_how_much_was_kept() {
        let mut d = sample();
        d.raw_record = Some("面".repeat(100));
        assert!(d.cut_raw_record(10));
        let raw = d.raw_record.unwrap();
        assert!(
            raw.ends_with("… [cut to fit the topic: 210 of 300 bytes kept]"),
            "{raw}"
        );
        d.raw_record = None;
        assert!(!d.cut_raw_record(10));
    }
}
