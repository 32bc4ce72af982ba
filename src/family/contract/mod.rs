//! The economic contract family (经济合同 of a village collective): upstream JSON object →
//! [`EconomicContract`], the canonical record of `schemas/economic_contract.avsc`.
//!
//! Totals (合同总金额, 年租金, 已收, 欠收) are yuan exact to the fen. A 年租金 published as a
//! unit price (`500元/亩/年`, or a field whose configured unit is `元/亩/年`) is kept as a
//! unit price, never multiplied out into a total. The term is parsed into months + days
//! (see [`crate::normalize::parse::term`](mod@crate::normalize::parse::term)); start and end dates come from separate fields
//! or one 起止日期 range. Checked, when all the values involved are published: 已收 + 欠收
//! ≤ 总金额, and the end date is not before the start date.

mod fields;
mod normalise;
mod record;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use fields::{ContractFields, ContractValues, RawContractFields};
pub use record::{EconomicContract, SCHEMA, UNIT_PRICE_SCALE};

use super::encode::Encoder;
use super::read::party::PersonalFields;
use super::{Context, Cursor, RecordFamily, UnknownWords, Words};
use crate::avro::{EncodeError, NamedSchema};
use crate::normalize::Rejection;
use crate::settings::Invalid;

/// The economic contract family, as the list of families names it.
pub struct ContractFamily;

impl RecordFamily for ContractFamily {
    type RawFields = RawContractFields;
    type Fields = ContractFields;
    type Record = EconomicContract;

    fn schema() -> &'static NamedSchema {
        &SCHEMA
    }

    fn fields(raw: RawContractFields, words: &Words, key: &str) -> Result<ContractFields, Invalid> {
        ContractFields::validate(raw, words, key)
    }

    fn cursor(f: &ContractFields) -> Cursor<'_> {
        Cursor {
            id: &f.id,
            updated_at: &f.updated_at,
        }
    }

    fn normalise(
        raw: &Value,
        fields: &ContractFields,
        cx: &Context<'_>,
    ) -> Result<EconomicContract, Rejection> {
        normalise::normalise(raw, fields, cx)
    }

    fn key(c: &EconomicContract) -> &str {
        &c.key
    }

    fn updated_at(c: &EconomicContract) -> DateTime<Utc> {
        c.source_updated_at
    }

    fn encode(
        c: &EconomicContract,
        encoder: &mut Encoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        encoder.write(c.value(), out)
    }

    /// Both parties' ID numbers and phones (organisations' credit codes kept), and
    /// persons' names.
    fn personal(f: &ContractFields) -> PersonalFields<'_> {
        PersonalFields {
            parties: vec![&f.party_a, &f.party_b],
            person_names: Vec::new(),
        }
    }

    fn unknown_words(c: &EconomicContract, f: &ContractFields, words: &mut UnknownWords) {
        let v = &f.values;
        words.check(
            "contract_type",
            c.contract_type_raw.as_deref(),
            &v.contract_type,
        );
        words.check("status", c.status_raw.as_deref(), &v.status);
    }
}
