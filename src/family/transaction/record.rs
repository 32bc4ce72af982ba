//! The canonical transaction and its Avro datum (`schemas/property_rights_transaction.avsc`).

use std::sync::LazyLock;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::avro::{date, decimal, optional, timestamp_millis, unscaled, NamedSchema, Record};
use crate::family::encode;
use crate::family::read::Party;
use crate::family::words::Vocabulary;
use crate::normalize::parse::Term;
use crate::normalize::vocab::{Category, LifecycleStatus, TradeMethod, TransferType};

/// `schemas/property_rights_transaction.avsc`.
pub static SCHEMA: LazyLock<NamedSchema> = LazyLock::new(|| {
    NamedSchema::parse(include_str!(
        "../../../schemas/property_rights_transaction.avsc"
    ))
});

/// A canonical property-rights transaction. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub project_name: String,
    pub category: Category,
    pub category_raw: String,
    pub method: Option<TradeMethod>,
    pub method_raw: Option<String>,
    pub transfer_type: Option<TransferType>,
    pub transfer_type_raw: Option<String>,
    pub status: LifecycleStatus,
    pub status_raw: String,
    pub region_code: String,
    pub county_code: String,
    pub location: Option<String>,
    pub area_m2: Option<Decimal>,
    pub area_published: Option<String>,
    pub area_unit_published: Option<String>,
    pub term_published: Option<String>,
    pub term: Option<Term>,
    pub listing_price_yuan: Option<Decimal>,
    pub deal_price_yuan: Option<Decimal>,
    /// Scale 4, yuan per `unit_price_basis`.
    pub unit_price_yuan: Option<Decimal>,
    pub unit_price_basis: Option<String>,
    pub deal_date: Option<NaiveDate>,
    pub transferor: Option<Party>,
    pub transferee: Option<Party>,
    pub source_updated_at: DateTime<Utc>,
}

impl Transaction {
    /// The Avro value, fields in schema order.
    pub fn value(&self) -> AvroValue {
        let t = self;
        Record::new()
            .text("key", &t.key)
            .text("source", &t.source)
            .text("native_id", &t.native_id)
            .text("project_name", &t.project_name)
            .field("category", t.category.avro())
            .text("category_raw", &t.category_raw)
            .field("method", optional(t.method.map(Vocabulary::avro)))
            .opt_text("method_raw", &t.method_raw)
            .field(
                "transfer_type",
                optional(t.transfer_type.map(Vocabulary::avro)),
            )
            .opt_text("transfer_type_raw", &t.transfer_type_raw)
            .field("status", t.status.avro())
            .text("status_raw", &t.status_raw)
            .text("region_code", &t.region_code)
            .text("county_code", &t.county_code)
            .opt_text("location", &t.location)
            .field("area_m2", optional(t.area_m2.map(decimal)))
            .opt_text("area_published", &t.area_published)
            .opt_text("area_unit_published", &t.area_unit_published)
            .opt_text("term_published", &t.term_published)
            .field("term", optional(t.term.map(encode::term)))
            .field(
                "listing_price_yuan",
                optional(t.listing_price_yuan.map(decimal)),
            )
            .field("deal_price_yuan", optional(t.deal_price_yuan.map(decimal)))
            .field("unit_price_yuan", optional(t.unit_price_yuan.map(unscaled)))
            .opt_text("unit_price_basis", &t.unit_price_basis)
            .field("deal_date", optional(t.deal_date.map(date)))
            .field("transferor", Party::optional_value(&t.transferor))
            .field("transferee", Party::optional_value(&t.transferee))
            .field("source_updated_at", timestamp_millis(t.source_updated_at))
            .build()
    }
}
