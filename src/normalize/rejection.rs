//! Why a record was not normalised: the dead letter's reason and message.

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
