//! One source, one record family: the family's field mapping chosen by the source's
//! `family`, and the few operations the pipeline needs, whatever the family.
//!
//! Personal data is protected here for every family alike: each family's normaliser
//! pseudonymises its parties and its native id ([`Protector::native_id`]), and
//! [`FamilyFields::normalise`] then passes every text field of the canonical record —
//! names, locations, remarks, the platform's `*_raw` words, published values and units
//! — through [`Protector::redact_text`], except the fields that are identifiers made
//! safe already ([`IDENTIFIERS`]). A field added to a schema is protected without
//! anyone remembering to.

use std::collections::BTreeMap;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::{asset, contract, organisation, transaction, Family, Position, Rejection};
use super::{AssetFields, AssetValues, ContractFields, ContractValues, OrganisationFields};
use super::{TransactionFields, TransactionValues};
use crate::avro;
use crate::config::raw::RawTransactionFields;
use crate::config::Invalid;
use crate::protect::Protector;

/// A source's field mapping for its family (`[sources.<name>.fields]` and `.values`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FamilyFields {
    Transaction(TransactionFields),
    Asset(AssetFields),
    Contract(ContractFields),
    Organisation(OrganisationFields),
}

/// A record normalised into its family's canonical form, ready to encode.
#[derive(Debug, Clone)]
pub struct Canonical {
    /// `<source>:<native id>`.
    pub key: String,
    pub source_updated_at: DateTime<Utc>,
    /// The Avro value in the family's schema.
    pub value: AvroValue,
    /// The transaction, for the vocabulary statistics (other families have none yet).
    pub transaction: Option<transaction::Transaction>,
    /// The record's place in the change order, when normalising already read it (the
    /// transaction family), so the pipeline need not parse the update time twice.
    pub position: Option<Position>,
}

impl FamilyFields {
    /// Validate the `fields` and `values` tables for `family`; `key` is the source's
    /// config key (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault.
    pub fn validate(
        family: Family,
        fields: &toml::Table,
        values: &BTreeMap<String, BTreeMap<String, String>>,
        key: &str,
    ) -> Result<FamilyFields, Invalid> {
        let (fields_key, values_key) = (format!("{key}.fields"), format!("{key}.values"));
        Ok(match family {
            Family::PropertyRightsTransaction => {
                let raw: RawTransactionFields =
                    super::read::deserialize_fields(fields, &fields_key)?;
                let mut f = TransactionFields::validate(&raw, &fields_key)?;
                f.values = TransactionValues::validate(values, &values_key)?;
                FamilyFields::Transaction(f)
            }
            Family::CollectiveAsset => {
                let mut f = AssetFields::validate(fields, &fields_key)?;
                f.values = AssetValues::validate(values, &values_key)?;
                FamilyFields::Asset(f)
            }
            Family::EconomicContract => {
                let mut f = ContractFields::validate(fields, &fields_key)?;
                f.values = ContractValues::validate(values, &values_key)?;
                FamilyFields::Contract(f)
            }
            Family::CollectiveOrganisation => {
                if let Some(field) = values.keys().next() {
                    return Err(Invalid::new(
                        format!("{values_key}.{field}"),
                        "collective organisations have no vocabulary fields to map",
                    ));
                }
                FamilyFields::Organisation(OrganisationFields::validate(fields, &fields_key)?)
            }
        })
    }

    /// The record's place in the change order, if its id and update time can be read.
    pub fn position(&self, record: &Value, tz: Tz, time_format: &str) -> Option<Position> {
        match self {
            FamilyFields::Transaction(f) => transaction::position(record, f, tz, time_format),
            FamilyFields::Asset(f) => asset::position(record, f, tz, time_format),
            FamilyFields::Contract(f) => contract::position(record, f, tz, time_format),
            FamilyFields::Organisation(f) => organisation::position(record, f, tz, time_format),
        }
    }

    /// Normalise one upstream record of source `source`, every text field of the
    /// result redacted (see the module doc).
    ///
    /// # Errors
    /// The family's [`Rejection`] for the first field that cannot be normalised.
    pub fn normalise(
        &self,
        source: &str,
        record: &Value,
        tz: Tz,
        time_format: &str,
        protector: &Protector,
    ) -> Result<Canonical, Rejection> {
        let mut canonical = self.normalise_family(source, record, tz, time_format, protector)?;
        redact_free_text(&mut canonical.value, protector);
        Ok(canonical)
    }

    fn normalise_family(
        &self,
        source: &str,
        record: &Value,
        tz: Tz,
        time_format: &str,
        protector: &Protector,
    ) -> Result<Canonical, Rejection> {
        Ok(match self {
            FamilyFields::Transaction(f) => {
                let t = transaction::normalise_transaction(
                    source,
                    record,
                    f,
                    tz,
                    time_format,
                    protector,
                )?;
                // The change order is the upstream's: by its id as published there, not
                // as protected for the topic.
                let native_id = record
                    .get(&f.id)
                    .and_then(super::parse::scalar_text)
                    .unwrap_or_else(|| t.native_id.clone());
                Canonical {
                    key: t.key.clone(),
                    source_updated_at: t.source_updated_at,
                    value: avro::transaction_value(&t),
                    position: Some(Position {
                        updated_at: t.source_updated_at,
                        native_id,
                    }),
                    transaction: Some(t),
                }
            }
            FamilyFields::Asset(f) => {
                let a = asset::normalise_asset(source, record, f, tz, time_format, protector)?;
                Canonical {
                    value: asset::asset_value(&a),
                    key: a.key,
                    source_updated_at: a.source_updated_at,
                    transaction: None,
                    position: None,
                }
            }
            FamilyFields::Contract(f) => {
                let c =
                    contract::normalise_contract(source, record, f, tz, time_format, protector)?;
                Canonical {
                    value: contract::contract_value(&c),
                    key: c.key,
                    source_updated_at: c.source_updated_at,
                    transaction: None,
                    position: None,
                }
            }
            FamilyFields::Organisation(f) => {
                let o = organisation::normalise_organisation(
                    source,
                    record,
                    f,
                    tz,
                    time_format,
                    protector,
                )?;
                Canonical {
                    value: organisation::organisation_value(&o),
                    key: o.key,
                    source_updated_at: o.source_updated_at,
                    transaction: None,
                    position: None,
                }
            }
        })
    }

    /// The upstream record as JSON text fit for a dead letter (personal data protected).
    pub fn protected_raw(&self, record: &Value, protector: &Protector) -> String {
        match self {
            FamilyFields::Transaction(f) => transaction::protected_raw(record, f, protector),
            FamilyFields::Asset(f) => asset::protected_raw_asset(record, f, protector),
            FamilyFields::Contract(f) => contract::protected_raw_contract(record, f, protector),
            FamilyFields::Organisation(f) => {
                organisation::protected_raw_organisation(record, f, protector)
            }
        }
    }

    /// The transaction mapping, for the transaction's vocabulary statistics.
    pub fn transaction_values(&self) -> Option<&TransactionValues> {
        match self {
            FamilyFields::Transaction(f) => Some(&f.values),
            _ => None,
        }
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
