//! Normalisation: an upstream record (a JSON object with the platform's field names)
//! becomes a canonical record of one family, or a [`Rejection`] saying which field is
//! wrong and why. Pure functions; no I/O.
//!
//! - [`parse`]: exact parsers for amounts, areas, dates and times.
//! - [`vocab`]: the controlled vocabularies (category, method, transfer type, status).
//! - [`transaction`]: the property-rights transaction family.

pub mod parse;
pub mod transaction;
pub mod vocab;

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
}

impl Family {
    const ALL: &'static [Family] = &[Family::PropertyRightsTransaction];

    /// The name used in config files and topic names.
    pub fn config_name(self) -> &'static str {
        match self {
            Family::PropertyRightsTransaction => "property_rights_transaction",
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
        }
    }
}
