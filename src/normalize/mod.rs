//! Normalisation's generic kit: the exact parsers and the controlled vocabularies the
//! record families read upstream values with, and the outcome types every family shares —
//! a [`Rejection`] saying which field is wrong and why, and a record's [`Position`] in
//! the upstream's change order. Pure; no I/O; knows no record family (those are in
//! [`crate::family`]).
//!
//! - [`parse`]: exact parsers for amounts, areas, dates and times, identifiers, regions.
//! - [`vocab`]: the controlled vocabularies (category, method, transfer type, status,
//!   asset class, operating mode, contract type …).

pub mod parse;
mod position;
mod rejection;
pub mod vocab;

pub use position::Position;
pub use rejection::{Reason, Rejection};
