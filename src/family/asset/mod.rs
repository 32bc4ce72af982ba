//! The collective asset ledger family (农村集体"三资"台账条目): one upstream ledger entry
//! (资金 funds, 资产 assets or 资源 resources) → [`CollectiveAsset`], the canonical record of
//! `schemas/collective_asset.avsc`.
//!
//! The class path (`资源性资产/农用地/耕地`) is kept as published and read twice: its
//! first segment (or a separate top-class field) gives the ledger, [`AssetTopClass`]; its
//! most specific segment the vocabulary knows gives the class, [`AssetClass`]. 净值 is
//! checked against 原值 − 累计折旧 when all three are published, never computed.
//!
//! [`AssetTopClass`]: crate::normalize::vocab::AssetTopClass

mod class;
mod fields;
mod normalise;
mod record;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use fields::{AssetFields, AssetValues, RawAssetFields};
pub use record::{CollectiveAsset, QUANTITY_SCALE, SCHEMA};

use super::encode::Encoder;
use super::read::party::PersonalFields;
use super::{Context, Cursor, RecordFamily, UnknownWords, Words};
use crate::avro::{EncodeError, NamedSchema};
use crate::normalize::vocab::AssetClass;
use crate::normalize::Rejection;
use crate::settings::Invalid;

/// The collective asset ledger family, as the list of families names it.
pub struct AssetFamily;

impl RecordFamily for AssetFamily {
    type RawFields = RawAssetFields;
    type Fields = AssetFields;
    type Record = CollectiveAsset;

    fn schema() -> &'static NamedSchema {
        &SCHEMA
    }

    fn fields(raw: RawAssetFields, words: &Words, key: &str) -> Result<AssetFields, Invalid> {
        AssetFields::validate(raw, words, key)
    }

    fn cursor(f: &AssetFields) -> Cursor<'_> {
        Cursor {
            id: &f.id,
            updated_at: &f.updated_at,
        }
    }

    fn normalise(
        raw: &Value,
        fields: &AssetFields,
        cx: &Context<'_>,
    ) -> Result<CollectiveAsset, Rejection> {
        normalise::normalise(raw, fields, cx)
    }

    fn key(a: &CollectiveAsset) -> &str {
        &a.key
    }

    fn updated_at(a: &CollectiveAsset) -> DateTime<Utc> {
        a.source_updated_at
    }

    fn encode(
        a: &CollectiveAsset,
        encoder: &mut Encoder<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        encoder.write(a.value(), out)
    }

    /// The current user's ID number and phone, and a person's name.
    fn personal(f: &AssetFields) -> PersonalFields<'_> {
        PersonalFields {
            parties: vec![&f.current_user],
            person_names: Vec::new(),
        }
    }

    /// A class path's class counts as unknown when none of its segments below the
    /// ledger is known (the class is then OTHER), by its most specific segment.
    fn unknown_words(a: &CollectiveAsset, f: &AssetFields, words: &mut UnknownWords) {
        let v = &f.values;
        words.check("top_class", a.top_class_raw.as_deref(), &v.top_class);
        if a.sub_class == Some(AssetClass::Other) {
            words.check("sub_class", a.sub_class_raw.as_deref(), &v.sub_class);
        }
        words.check(
            "operating_mode",
            a.operating_mode_raw.as_deref(),
            &v.operating_mode,
        );
        words.check(
            "accounting_system",
            a.accounting_system_raw.as_deref(),
            &v.accounting_system,
        );
    }
}
