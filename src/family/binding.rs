//! One source, one record family: the family's validated field mapping behind the few
//! operations the pipeline needs, whatever the family ([`Binding`]), and the per-page
//! [`Normaliser`] that turns upstream records into encoded datums.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::encode::Encoder;
use super::read::{self, party};
use super::record::{Context, RecordFamily, Words};
use super::words::UnknownWords;
use super::Family;
use crate::avro::EncodeError;
use crate::normalize::parse::scalar_text;
use crate::normalize::{Position, Rejection};
use crate::protect::Protector;
use crate::settings::Invalid;

/// A source's record family and its validated field mapping (`[sources.<name>.fields]`
/// and `.values`).
#[derive(Clone)]
pub struct Binding {
    family: Family,
    mapping: Arc<dyn Mapping>,
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("family", &self.family)
            .field("fields", &self.mapping)
            .finish()
    }
}

/// A record normalised and encoded: what the pipeline needs of it besides its datum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// `<source>:<native id>`.
    pub key: String,
    pub updated_at: DateTime<Utc>,
    /// The record's place in the change order: its update time, and its native id as
    /// the upstream publishes it (the change order is the upstream's, not the
    /// protected id's).
    pub position: Position,
}

/// What became of one upstream record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Normalised; its datum was appended to the buffer given.
    Normalised(Normalised),
    /// Rejected: becomes a dead letter.
    Rejected(Rejection),
}

impl Binding {
    /// Validate a family's field mapping; `key` is the source's key (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault.
    pub fn new<F: RecordFamily>(
        family: Family,
        raw: F::RawFields,
        words: &Words,
        key: &str,
    ) -> Result<Binding, Invalid> {
        let fields = F::fields(raw, words, key)?;
        Ok(Binding {
            family,
            mapping: Arc::new(Mapped::<F> { fields }),
        })
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// The validated field mapping, when the family is `F`.
    pub fn fields<F: RecordFamily>(&self) -> Option<&F::Fields> {
        self.mapping
            .as_any()
            .downcast_ref::<Mapped<F>>()
            .map(|m| &m.fields)
    }

    /// The record's place in the change order, if its id and update time can be read.
    pub fn position(&self, raw: &Value, tz: Tz, time_format: &str) -> Option<Position> {
        self.mapping.position(raw, tz, time_format)
    }

    /// The upstream record as JSON text fit for a dead letter (personal data protected).
    pub fn protected_raw(&self, raw: &Value, protector: &Protector) -> String {
        self.mapping.protected_raw(raw, protector)
    }

    /// A normaliser of one page's records.
    pub fn normaliser<'a>(&'a self, cx: Context<'a>) -> Normaliser<'a> {
        Normaliser {
            mapping: self.mapping.as_ref(),
            encoder: Encoder::new(self.family.schema(), cx.protector),
            cx,
            unknown: UnknownWords::default(),
        }
    }

    /// What the family's topic holds for `raw`, decoded: its key and Avro value. For
    /// tests and tools that check a topic against upstream records.
    ///
    /// # Errors
    /// The record's [`Rejection`].
    ///
    /// # Panics
    /// When the family's datum does not decode with its own schema (a defect).
    pub fn decoded(&self, raw: &Value, cx: Context<'_>) -> Result<(String, AvroValue), Rejection> {
        let mut datum = Vec::new();
        let outcome = self.normaliser(cx).normalise(raw, &mut datum);
        match outcome.expect("a family's record fits its schema") {
            Outcome::Rejected(rejection) => Err(rejection),
            Outcome::Normalised(n) => {
                let schema = &self.family.schema().schema;
                let value = apache_avro::from_avro_datum(schema, &mut datum.as_slice(), None)
                    .expect("a family's datum decodes with its schema");
                Ok((n.key, value))
            }
        }
    }
}

/// Normalises and encodes the records of one page for one source.
pub struct Normaliser<'a> {
    mapping: &'a dyn Mapping,
    cx: Context<'a>,
    encoder: Encoder<'a>,
    /// Vocabulary words of the page's records that nothing maps.
    pub unknown: UnknownWords,
}

impl Normaliser<'_> {
    /// Normalise `raw`; if it is a record of the family, append its datum to `out`.
    ///
    /// # Errors
    /// [`EncodeError`] when a normalised record does not fit its schema (a defect).
    pub fn normalise(&mut self, raw: &Value, out: &mut Vec<u8>) -> Result<Outcome, EncodeError> {
        self.mapping
            .normalise(raw, &self.cx, &mut self.encoder, &mut self.unknown, out)
    }
}

/// A family's mapping behind an object-safe face: what [`Binding`] holds.
trait Mapping: fmt::Debug + Send + Sync {
    fn position(&self, raw: &Value, tz: Tz, time_format: &str) -> Option<Position>;
    fn protected_raw(&self, raw: &Value, protector: &Protector) -> String;
    fn normalise(
        &self,
        raw: &Value,
        cx: &Context<'_>,
        encoder: &mut Encoder<'_>,
        unknown: &mut UnknownWords,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, EncodeError>;
    fn as_any(&self) -> &dyn Any;
}

struct Mapped<F: RecordFamily> {
    fields: F::Fields,
}

impl<F: RecordFamily> fmt::Debug for Mapped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fields.fmt(f)
    }
}

impl<F: RecordFamily> Mapping for Mapped<F> {
    fn position(&self, raw: &Value, tz: Tz, time_format: &str) -> Option<Position> {
        let cursor = F::cursor(&self.fields);
        read::position(raw, cursor.id, cursor.updated_at, tz, time_format)
    }

    fn protected_raw(&self, raw: &Value, protector: &Protector) -> String {
        party::protected_raw(raw, F::personal(&self.fields), protector)
    }

    fn normalise(
        &self,
        raw: &Value,
        cx: &Context<'_>,
        encoder: &mut Encoder<'_>,
        unknown: &mut UnknownWords,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, EncodeError> {
        let record = match F::normalise(raw, &self.fields, cx) {
            Ok(record) => record,
            Err(rejection) => return Ok(Outcome::Rejected(rejection)),
        };
        F::encode(&record, encoder, out)?;
        F::unknown_words(&record, &self.fields, unknown);
        let updated_at = F::updated_at(&record);
        // Normalising read the id, so it is there.
        let native_id = raw
            .get(F::cursor(&self.fields).id)
            .and_then(scalar_text)
            .unwrap_or_default();
        Ok(Outcome::Normalised(Normalised {
            key: F::key(&record).to_owned(),
            updated_at,
            position: Position {
                updated_at,
                native_id,
            },
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
