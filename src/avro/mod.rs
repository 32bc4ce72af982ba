//! The Avro contract's generic half: schemas parsed from `schemas/`, their Parsing
//! Canonical Form and fingerprints, the framing of a datum as a message, value helpers
//! (decimals, dates, timestamps, unions), the dead letter and decoding.
//!
//! Record families write their own datums ([`crate::family`]); nothing here knows a
//! family. A message is a framing header then the datum. Today's framing is Avro's
//! *single-object encoding* ([`Framing::single_object`]): the two marker bytes `C3 01`,
//! the schema's 8-byte CRC-64-AVRO fingerprint (little-endian), then the binary datum. A
//! consumer knows the writer schema from the fingerprint without a registry; Java's
//! `BinaryMessageDecoder` reads it natively, and other clients skip 10 bytes and decode
//! the datum with the `.avsc` file.

mod canonical;
mod dead_letter;
pub mod decode;
mod frame;
mod value;

pub use canonical::{fingerprint, parsing_canonical_form};
pub use dead_letter::{DeadLetter, DEAD_LETTER};
pub use frame::{DatumWriter, EncodeError, Framing, NamedSchema};
pub use value::{
    date, decimal, minimal_be_bytes, optional, optional_string, scaled_decimal, timestamp_millis,
    unscaled, Record,
};
