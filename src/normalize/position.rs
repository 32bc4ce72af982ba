//! A record's place in the upstream's change order.

use chrono::{DateTime, Utc};

/// Where a record stands in the upstream's change order: the incremental cursor's unit.
/// Ordered by time, then by native id (the tie-break for records changed in the same
/// second).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub updated_at: DateTime<Utc>,
    pub native_id: String,
}
