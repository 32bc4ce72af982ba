//! Schemas as shipped, a datum's encoding, and its framing as a message.

use apache_avro::headers::HeaderBuilder;
use apache_avro::types::Value;
use apache_avro::{GenericSingleObjectWriter, Schema};

/// A schema compiled in from `schemas/`, parsed, with its full name (sent as the
/// `ruralsync.schema` header).
#[derive(Debug)]
pub struct NamedSchema {
    /// The `.avsc` text as shipped.
    pub text: &'static str,
    pub schema: Schema,
    pub full_name: String,
}

impl NamedSchema {
    /// Parse a compiled-in schema file.
    ///
    /// # Panics
    /// When the text is not a valid Avro schema: the files are compiled in and every one
    /// is parsed by the tests, so a failure is a build defect, not an input.
    pub fn parse(text: &'static str) -> NamedSchema {
        let schema = Schema::parse_str(text).expect("schemas/*.avsc are valid Avro");
        let full_name = match &schema {
            Schema::Record(r) => r.name.fullname(None),
            other => format!("{other:?}"),
        };
        NamedSchema {
            text,
            schema,
            full_name,
        }
    }
}

/// An encoding failure: a datum did not fit its schema (a defect, not bad input).
#[derive(Debug, thiserror::Error)]
#[error("record does not fit schema {schema}: {source}")]
pub struct EncodeError {
    schema: String,
    source: Box<apache_avro::Error>,
}

/// The header of a single-object message: marker `C3 01`, then the fingerprint.
struct SingleObjectHeader([u8; 8]);

impl HeaderBuilder for SingleObjectHeader {
    fn build_header(&self) -> Vec<u8> {
        [&[0xC3, 0x01][..], &self.0[..]].concat()
    }
}

/// How a datum is framed as a message, chosen once per daemon: Avro's single-object
/// encoding (a 10-byte header naming the schema by fingerprint) without a schema
/// registry, the Confluent wire format (a 5-byte header naming it by registry id) with
/// one. The family writes the datum; the framing is the same for every family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing {
    header: Vec<u8>,
}

impl Framing {
    /// Single-object encoding of `schema`'s datums: `C3 01`, then the schema's
    /// CRC-64-AVRO fingerprint (little-endian).
    pub fn single_object(schema: &Schema) -> Framing {
        Framing {
            header: SingleObjectHeader(super::fingerprint(schema)).build_header(),
        }
    }

    /// The Confluent wire format for the schema a registry knows as `id`: magic byte 0,
    /// then the id as 4 bytes big-endian.
    pub fn confluent(id: u32) -> Framing {
        let mut header = vec![0];
        header.extend_from_slice(&id.to_be_bytes());
        Framing { header }
    }

    /// The bytes every message framed this way starts with.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// A message buffer holding the header, for a datum to be written after it.
    pub fn start(&self, datum_capacity: usize) -> Vec<u8> {
        let mut message = Vec::with_capacity(self.header.len() + datum_capacity);
        message.extend_from_slice(&self.header);
        message
    }

    /// The datum of a message framed this way.
    pub fn datum<'m>(&self, message: &'m [u8]) -> &'m [u8] {
        message.get(self.header.len()..).unwrap_or_default()
    }
}

/// Writes Avro datums of one schema, its names resolved once.
pub struct DatumWriter {
    name: String,
    /// apache-avro encodes a value against a resolved schema only through its
    /// single-object writer; the header it insists on is cut off in [`Self::write`]
    /// (framing is [`Framing`]'s business).
    writer: GenericSingleObjectWriter,
    scratch: Vec<u8>,
}

/// Length of [`SingleObjectHeader`].
const WRITER_HEADER: usize = 10;

impl DatumWriter {
    pub fn new(schema: &NamedSchema) -> DatumWriter {
        DatumWriter {
            name: schema.full_name.clone(),
            // Building the writer only fails for a schema that cannot be resolved,
            // which the compiled-in schemas are tested not to be.
            writer: GenericSingleObjectWriter::new_with_capacity_and_header_builder(
                &schema.schema,
                1024,
                SingleObjectHeader(super::fingerprint(&schema.schema)),
            )
            .expect("compiled-in schema resolves"),
            scratch: Vec::with_capacity(1024),
        }
    }

    /// Append the datum of `value` to `out`.
    ///
    /// # Errors
    /// [`EncodeError`] if the value does not match the schema.
    pub fn write(&mut self, value: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.scratch.clear();
        self.writer
            .write_value_ref(value, &mut self.scratch)
            .map_err(|e| EncodeError {
                schema: self.name.clone(),
                source: Box::new(e),
            })?;
        out.extend_from_slice(&self.scratch[WRITER_HEADER..]);
        Ok(())
    }
}
