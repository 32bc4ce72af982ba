//! The property-rights transaction family (农村产权交易项目): upstream JSON object →
//! [`Transaction`], the canonical record of `schemas/property_rights_transaction.avsc`.

mod fields;
mod normalise;
mod record;
#[cfg(test)]
pub(crate) mod tests;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use fields::{RawTransactionFields, TransactionFields, TransactionValues};
pub use record::{Transaction, SCHEMA};

use super::encode::Encoder;
use super::read::party::PersonalFields;
use super::{Context, Cursor, RecordFamily, UnknownWords, Words};
use crate::avro::{EncodeError, NamedSchema};
use crate::normalize::Rejection;
use crate::settings::Invalid;

/// The transaction family, as the list of families names it.
pub struct TransactionFamily;

impl RecordFamily for TransactionFamily {
    type RawFields = RawTransactionFields;
    type Fields = TransactionFields;
    type Record = Transaction;

    fn schema() -> &'static NamedSchema {
        &SCHEMA
    }

    fn fields(
        raw: RawTransactionFields,
        words: &Words,
        key: &str,
    ) -> Result<TransactionFields, Invalid> {
        TransactionFields::validate(raw, words, key)
    }

    fn cursor(f: &TransactionFields) -> Cursor<'_> {
        Cursor {
            id: &f.id,
            updated_at: &f.updated_at,
        }
    }

    fn normalise(
        raw: &Value,
        fields: &TransactionFields,
        cx: &Context<'_>,
    ) -> Result<Transaction, Rejection> {
        normalise::normalise(raw, fields, cx)
    }

    fn key(t: &Transaction) -> &str {
        &t.key
    }

    fn updated_at(t: &Transaction) -> DateTime<Utc> {
        t.source_updated_at
    }

    fn encode(
        t: &Transaction,
        encoder: &mut Encoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        encoder.write(t.value(), out)
    }

    /// Both parties' ID numbers and phones, and persons' names.
    fn personal(f: &TransactionFields) -> PersonalFields<'_> {
        PersonalFields {
            parties: vec![&f.transferor, &f.transferee],
            person_names: Vec::new(),
        }
    }

    fn unknown_words(t: &Transaction, f: &TransactionFields, words: &mut UnknownWords) {
        let v = &f.values;
        words.check("category", Some(&t.category_raw), &v.category);
        words.check("method", t.method_raw.as_deref(), &v.method);
        words.check(
            "transfer_type",
            t.transfer_type_raw.as_deref(),
            &v.transfer_type,
        );
        words.check("status", Some(&t.status_raw), &v.status);
    }
}
