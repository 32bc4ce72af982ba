//! Normalisation: an upstream record (a JSON object with the platform's field names)
//! becomes a canonical record of one family, or a [`Rejection`] saying which field is
//! wrong and why. Pure functions; no I/O.
//!
//! - [`parse`]: exact parsers for amounts, areas, dates and times.
//! - [`vocab`]: the controlled vocabularies (category, method, transfer type, status,
//!   asset class, operating mode, contract type …).
//! - [`transaction`]: the property-rights transaction family.
//! - [`asset`], [`contract`], [`organisation`]: the collective "three assets" families —
//!   ledger entries, economic contracts and collective economic organisations.

pub mod asset;
pub mod contract;
pub mod family;
pub mod organisation;
pub mod parse;
pub(crate) mod read;
pub mod transaction;
pub mod vocab;

pub use asset::{
    asset_value, normalise_asset, protected_raw_asset, AssetFields, AssetValues, CollectiveAsset,
    RawAssetFields,
};
pub use contract::{
    contract_value, normalise_contract, protected_raw_contract, ContractFields, ContractValues,
    EconomicContract, RawContractFields,
};
pub use organisation::{
    normalise_organisation, organisation_value, protected_raw_organisation, CollectiveOrganisation,
    OrganisationFields, RawOrganisationFields,
};

pub use family::{Canonical, FamilyFields};
pub use transaction::{
    normalise_transaction, protected_raw, Party, PartyFields, PartyKind, Position, Transaction,
    TransactionFields, TransactionValues,
};

/// A record family: one canonical schema and one topic each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// 农村产权交易项目 — a project on a property-rights exchange.
    PropertyRightsTransaction,
    /// 三资台账条目 — one entry of a village's funds/assets/resources ledger.
    CollectiveAsset,
    /// 经济合同 — an economic contract of a village collective.
    EconomicContract,
    /// 农村集体经济组织 — a group-, village- or township-level collective economic
    /// organisation.
    CollectiveOrganisation,
}

impl Family {
    const ALL: &'static [Family] = &[
        Family::PropertyRightsTransaction,
        Family::CollectiveAsset,
        Family::EconomicContract,
        Family::CollectiveOrganisation,
    ];

    /// The name used in config files and topic names.
    pub fn config_name(self) -> &'static str {
        match self {
            Family::PropertyRightsTransaction => "property_rights_transaction",
            Family::CollectiveAsset => "collective_asset",
            Family::EconomicContract => "economic_contract",
            Family::CollectiveOrganisation => "collective_organisation",
        }
    }

    pub fn from_config_name(name: &str) -> Option<Family> {
        Family::ALL
            .iter()
            .copied()
            .find(|f| f.config_name() == name)
    }

    pub fn config_names() -> Vec<&'static str> {
        Family::ALL.iter().map(|f| f.config_name()).collect()
    }
}

/// Why a record was not normalised: becomes a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The record's native id, when it could be read.
    pub native_id: Option<String>,
    /// The upstream field at fault, when one is.
    pub field: Option<String>,
    /// Stable reason code (see [`Reason`]).
    pub reason: Reason,
    /// What is wrong and what would be valid.
    pub message: String,
}

/// Stable, machine-readable reasons a record is rejected. Their `code()` strings are part
/// of the dead-letter contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    NotAnObject,
    MissingField,
    BadAmount,
    BadArea,
    BadDate,
    BadTimestamp,
    UnknownRegion,
    BadIdNumber,
    BadCreditCode,
    BadPhone,
    /// Published values contradict each other (净值 ≠ 原值 − 累计折旧, 已收 + 欠收 > 总金额,
    /// an end date before the start date).
    InconsistentValues,
    /// A credit code that is valid but not of a collective economic organisation
    /// (kinds N1, N2, N3).
    NotACollectiveOrganisation,
    /// A yes/no field holding neither a yes nor a no word.
    BadBoolean,
    /// A quantity (数量) that is not a non-negative decimal exact to 0.0001.
    BadQuantity,
    /// A contract term (合同期限) that is not a term.
    BadTerm,
    /// A count (成员数, 户数) that is not a non-negative whole number.
    BadCount,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::NotAnObject => "not_an_object",
            Reason::MissingField => "missing_field",
            Reason::BadAmount => "bad_amount",
            Reason::BadArea => "bad_area",
            Reason::BadDate => "bad_date",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::UnknownRegion => "unknown_region",
            Reason::BadIdNumber => "bad_id_number",
            Reason::BadCreditCode => "bad_credit_code",
            Reason::BadPhone => "bad_phone",
            Reason::InconsistentValues => "inconsistent_values",
            Reason::NotACollectiveOrganisation => "not_a_collective_organisation",
            Reason::BadBoolean => "bad_boolean",
            Reason::BadQuantity => "bad_quantity",
            Reason::BadTerm => "bad_term",
            Reason::BadCount => "bad_count",
        }
    }
}
