//! The collective economic organisation family (农村集体经济组织): upstream JSON object →
//! [`CollectiveOrganisation`], the canonical record of
//! `schemas/collective_organisation.avsc`.
//!
//! The unified social credit code is the organisation's identity and its native id. It is
//! verified (both check characters) and must be of kind N1, N2 or N3 — group, village or
//! township collective economic organisation; anything else is
//! [`Reason::NotACollectiveOrganisation`]. The level comes from the code, never from a
//! published word. The village is a code field's, else the place the address or the name
//! names, searched within the code's registration region.
//!
//! The legal representative (法定代表人) is a natural person: only the masked name is kept.

mod fields;
mod normalise;
mod record;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use fields::{OrganisationFields, RawOrganisationFields};
pub use record::{CollectiveOrganisation, SCHEMA};

use super::encode::Encoder;
use super::read::party::PersonalFields;
use super::{Context, Cursor, RecordFamily, UnknownWords, Words};
use crate::avro::{EncodeError, NamedSchema};
use crate::normalize::Rejection;
use crate::settings::Invalid;

/// The collective economic organisation family, as the list of families names it.
pub struct OrganisationFamily;

impl RecordFamily for OrganisationFamily {
    type RawFields = RawOrganisationFields;
    type Fields = OrganisationFields;
    type Record = CollectiveOrganisation;

    fn schema() -> &'static NamedSchema {
        &SCHEMA
    }

    fn fields(
        raw: RawOrganisationFields,
        words: &Words,
        key: &str,
    ) -> Result<OrganisationFields, Invalid> {
        OrganisationFields::validate(raw, words, key)
    }

    /// The native id of the change order is the code as published (the cursor only
    /// orders records).
    fn cursor(f: &OrganisationFields) -> Cursor<'_> {
        Cursor {
            id: &f.credit_code,
            updated_at: &f.updated_at,
        }
    }

    fn normalise(
        raw: &Value,
        fields: &OrganisationFields,
        cx: &Context<'_>,
    ) -> Result<CollectiveOrganisation, Rejection> {
        normalise::normalise(raw, fields, cx)
    }

    fn key(o: &CollectiveOrganisation) -> &str {
        &o.key
    }

    fn updated_at(o: &CollectiveOrganisation) -> DateTime<Utc> {
        o.source_updated_at
    }

    fn encode(
        o: &CollectiveOrganisation,
        encoder: &mut Encoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        encoder.write(o.value(), out)
    }

    /// The legal representative's name; the credit code is kept.
    fn personal(f: &OrganisationFields) -> PersonalFields<'_> {
        PersonalFields {
            parties: Vec::new(),
            person_names: vec![&f.legal_representative],
        }
    }

    /// The level comes from the credit code, never from a word: nothing to count.
    fn unknown_words(_: &CollectiveOrganisation, _: &OrganisationFields, _: &mut UnknownWords) {}
}
