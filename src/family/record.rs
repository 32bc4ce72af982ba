//! The abstraction every record family implements: [`RecordFamily`].

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::encode::Encoder;
use super::read::party::PersonalFields;
use super::words::UnknownWords;
use crate::avro::{EncodeError, NamedSchema};
use crate::normalize::Rejection;
use crate::protect::Protector;
use crate::settings::Invalid;

/// `[sources.<name>.values]`: a source's own words for a family's vocabulary fields, by
/// field (`[sources.x.values.category] "土地流转" = "LAND_MANAGEMENT_RIGHT"`).
pub type Words = BTreeMap<String, BTreeMap<String, String>>;

/// What normalising a record of any family needs besides the record and the family's
/// field mapping.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The source's configured name: the first part of every record key.
    pub source: &'a str,
    /// The platform's time zone.
    pub timezone: Tz,
    /// The chrono format of the platform's update times.
    pub time_format: &'a str,
    /// Protects parties and native ids as they are read.
    pub protector: &'a Protector,
}

/// The fields that place a record in the upstream's change order.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    /// The native id's field.
    pub id: &'a str,
    /// The update time's field (更新时间).
    pub updated_at: &'a str,
}

/// A record family: one canonical record type, one Avro schema (`schemas/<name>.avsc`)
/// and one topic (`<prefix>.<name>.v1`). Each family is a folder under
/// [`crate::family`] implementing this trait, and one line in the list of families
/// ([`crate::family::Family`]), which gives it its name.
pub trait RecordFamily: 'static {
    /// `[sources.<name>.fields]` as written: serde, `deny_unknown_fields`, defaults the
    /// common Chinese field names. Its doc comments are the operator reference.
    type RawFields: DeserializeOwned + Default;
    /// The field mapping validated (units parsed, value maps built).
    type Fields: Debug + Clone + Send + Sync + 'static;
    /// The canonical record.
    type Record;

    /// The family's schema, compiled in from `schemas/`.
    fn schema() -> &'static NamedSchema;

    /// Validate the field mapping and the source's words; `key` is the source's key
    /// (`sources.<name>`), so the tables are at `<key>.fields` and `<key>.values`.
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault and what would be valid.
    fn fields(raw: Self::RawFields, words: &Words, key: &str) -> Result<Self::Fields, Invalid>;

    /// The fields that place a record in the change order.
    fn cursor(fields: &Self::Fields) -> Cursor<'_>;

    /// Normalise one upstream record. Parties and the native id are protected here;
    /// other text is as read, and [`Self::encode`] redacts it.
    ///
    /// # Errors
    /// The [`Rejection`] of the first field that cannot be normalised.
    fn normalise(
        raw: &Value,
        fields: &Self::Fields,
        cx: &Context<'_>,
    ) -> Result<Self::Record, Rejection>;

    /// The record's key (`<source>:<native id>`).
    fn key(record: &Self::Record) -> &str;

    /// The record's update time at the source.
    fn updated_at(record: &Self::Record) -> DateTime<Utc>;

    /// Append the record's Avro datum (no framing) to `out`, its text passing the
    /// encoder's redactor (see [`Encoder`]).
    ///
    /// # Errors
    /// [`EncodeError`] when the datum does not fit the schema (a defect).
    fn encode(
        record: &Self::Record,
        encoder: &mut Encoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError>;

    /// The fields holding personal data, protected in a dead letter's raw record.
    fn personal(fields: &Self::Fields) -> PersonalFields<'_>;

    /// Note the record's vocabulary words that neither the source's words nor the
    /// built-in vocabularies know (published as `OTHER` with the raw word).
    fn unknown_words(record: &Self::Record, fields: &Self::Fields, words: &mut UnknownWords);
}
