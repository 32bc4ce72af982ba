//! Record families: each upstream system yields records of one family, normalised into
//! one canonical record type, encoded with one Avro schema and published to one topic.
//!
//! - [`RecordFamily`] is the abstraction: a family's `[fields]` config (raw and
//!   validated), its normaliser, its schema and encoder, the fields its dead letters
//!   protect, and its unknown vocabulary words.
//! - [`Family`] is the one list of families ([`list`]); [`RawFamily`] chooses one by a
//!   source's `family` key.
//! - [`Binding`] is a source's family with its validated mapping behind an object-safe
//!   face: what the config holds and the pipeline calls, whatever the family; its
//!   [`Normaliser`] normalises and encodes one page's records.
//! - [`read`] is the reading kit every family shares (fields, parties, places, units);
//!   [`words`] the vocabulary maps and unknown-word counts; [`encode`] the datum writer
//!   that redacts every text field.
//! - The families, one folder each: [`transaction`] (property-rights exchange projects)
//!   and the collective "three assets" families [`asset`], [`contract`],
//!   [`organisation`].
//!
//! A fifth family is a new folder implementing [`RecordFamily`], one line in
//! [`list`], and its schema in `schemas/`.

pub mod asset;
mod binding;
pub mod contract;
pub mod encode;
mod list;
pub mod organisation;
pub mod read;
mod record;
pub mod transaction;
pub mod words;

pub use binding::{Binding, Normalised, Normaliser, Outcome};
pub use list::{Family, RawFamily, Tables};
pub use record::{Context, Cursor, RecordFamily, Words};
pub use words::UnknownWords;

use crate::avro::{NamedSchema, DEAD_LETTER};

/// Every schema ruralsync writes — each family's and the dead letter's — for readers
/// that recognise messages by fingerprint.
pub fn all_schemas() -> Vec<&'static NamedSchema> {
    let mut all: Vec<&'static NamedSchema> = Family::ALL.iter().map(|f| f.schema()).collect();
    all.push(&DEAD_LETTER);
    all
}

#[cfg(test)]
mod tests;
