//! Encoding a canonical record: its Avro datum, every text field redacted.
//!
//! Personal data is protected for every family alike: each family's normaliser
//! pseudonymises its parties and its native id ([`Protector::native_id`]), and the
//! [`Encoder`] then passes every text field of the datum — names, locations, remarks, the
//! platform's `*_raw` words, published values and units — through
//! [`Protector::redact_text`], except the fields that are identifiers made safe already
//! ([`IDENTIFIERS`]). A field added to a schema is protected without anyone remembering
//! to.

use apache_avro::types::Value as AvroValue;

use crate::avro::{DatumWriter, EncodeError, NamedSchema, Record};
use crate::family::words::Vocabulary;
use crate::normalize::parse::Term;
use crate::normalize::vocab::TermKind;
use crate::protect::Protector;

/// Writes the datums of one family's records, redacting their text. One per page: it
/// holds the schema resolved and a scratch buffer.
pub struct Encoder<'a> {
    protector: &'a Protector,
    datum: DatumWriter,
}

impl<'a> Encoder<'a> {
    pub fn new(schema: &NamedSchema, protector: &'a Protector) -> Encoder<'a> {
        Encoder {
            protector,
            datum: DatumWriter::new(schema),
        }
    }

    /// Append the datum of `value`, a record of the family's schema built by the family,
    /// to `out`, every text field but the [`IDENTIFIERS`] redacted.
    ///
    /// # Errors
    /// [`EncodeError`] if the value does not fit the schema (a defect).
    pub fn write(&mut self, mut value: AvroValue, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        redact_free_text(&mut value, self.protector);
        self.datum.write(&value, out)
    }
}

/// Text fields that are not free text: the key and native id (protected by the family's
/// normaliser), the source's configured name, validated codes (credit codes, region
/// codes, a credit code's kind) and pseudonyms. Redacting them would only break them.
pub const IDENTIFIERS: &[&str] = &[
    "key",
    "source",
    "native_id",
    "credit_code",
    "organisation_kind",
    "level_raw",
    "id_number_pseudonym",
    "phone_pseudonym",
    "region_code",
    "county_code",
    "registration_region_code",
];

/// Redact every string of a canonical record, nested parties included, except the
/// [`IDENTIFIERS`].
fn redact_free_text(value: &mut AvroValue, protector: &Protector) {
    match value {
        AvroValue::Record(fields) => {
            for (name, field) in fields {
                if !IDENTIFIERS.contains(&name.as_str()) {
                    redact_free_text(field, protector);
                }
            }
        }
        AvroValue::Union(_, inner) => redact_free_text(inner, protector),
        AvroValue::Array(items) => items
            .iter_mut()
            .for_each(|item| redact_free_text(item, protector)),
        AvroValue::Map(entries) => entries
            .values_mut()
            .for_each(|entry| redact_free_text(entry, protector)),
        AvroValue::String(text) => *text = protector.redact_text(text),
        _ => {}
    }
}

/// A parsed term as the `Term` record every family with a term shares (kind, months,
/// days; see the schemas): one representation, kept by the evolution rules.
pub fn term(term: Term) -> AvroValue {
    let (kind, months, days) = match term {
        Term::Fixed { months, days } => (TermKind::Fixed, months, days),
        Term::Permanent => (TermKind::Permanent, 0, 0),
        Term::Indefinite => (TermKind::Indefinite, 0, 0),
    };
    // The families refuse a term whose months or days exceed i32 (`bad_term`) before it
    // gets here; saturating keeps this total all the same.
    let int = |n: u32| AvroValue::Int(i32::try_from(n).unwrap_or(i32::MAX));
    Record::new()
        .field("kind", kind.avro())
        .field("months", int(months))
        .field("days", int(days))
        .build()
}
