//! The canonical economic contract and its Avro datum (`schemas/economic_contract.avsc`).

use std::sync::LazyLock;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::avro::{date, decimal, optional, scaled_decimal, timestamp_millis, NamedSchema, Record};
use crate::family::encode;
use crate::family::read::Party;
use crate::family::words::Vocabulary;
use crate::normalize::parse::Term;
use crate::normalize::vocab::{ContractStatus, ContractType};

/// `schemas/economic_contract.avsc`.
pub static SCHEMA: LazyLock<NamedSchema> =
    LazyLock::new(|| NamedSchema::parse(include_str!("../../../schemas/economic_contract.avsc")));

/// Scale of [`EconomicContract::unit_price_yuan`] in the schema: rates may be finer than
/// a fen (`0.125元/㎡/天`), and are kept exact to 0.0001 元.
pub const UNIT_PRICE_SCALE: u32 = 4;

/// A canonical economic contract. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EconomicContract {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub contract_name: Option<String>,
    pub contract_type: Option<ContractType>,
    pub contract_type_raw: Option<String>,
    pub party_a: Option<Party>,
    pub party_b: Option<Party>,
    pub subject: Option<String>,
    pub area_m2: Option<Decimal>,
    pub area_published: Option<String>,
    pub area_unit_published: Option<String>,
    pub total_amount_yuan: Option<Decimal>,
    pub annual_rent_yuan: Option<Decimal>,
    pub unit_price_yuan: Option<Decimal>,
    pub unit_price_basis: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// The parsed term; its months and days fit an Avro int.
    pub term: Option<Term>,
    pub term_published: Option<String>,
    pub received_yuan: Option<Decimal>,
    pub owed_yuan: Option<Decimal>,
    pub democratic_decision: Option<bool>,
    pub via_exchange: Option<bool>,
    pub status: Option<ContractStatus>,
    pub status_raw: Option<String>,
    pub region_code: String,
    pub county_code: String,
    pub source_updated_at: DateTime<Utc>,
}

impl EconomicContract {
    /// The Avro value, fields in schema order.
    pub fn value(&self) -> AvroValue {
        let c = self;
        let rate = |d: Decimal| scaled_decimal(d, UNIT_PRICE_SCALE);
        Record::new()
            .text("key", &c.key)
            .text("source", &c.source)
            .text("native_id", &c.native_id)
            .opt_text("contract_name", &c.contract_name)
            .field(
                "contract_type",
                optional(c.contract_type.map(Vocabulary::avro)),
            )
            .opt_text("contract_type_raw", &c.contract_type_raw)
            .field("party_a", Party::optional_value(&c.party_a))
            .field("party_b", Party::optional_value(&c.party_b))
            .opt_text("subject", &c.subject)
            .field("area_m2", optional(c.area_m2.map(decimal)))
            .opt_text("area_published", &c.area_published)
            .opt_text("area_unit_published", &c.area_unit_published)
            .field(
                "total_amount_yuan",
                optional(c.total_amount_yuan.map(decimal)),
            )
            .field(
                "annual_rent_yuan",
                optional(c.annual_rent_yuan.map(decimal)),
            )
            .field("unit_price_yuan", optional(c.unit_price_yuan.map(rate)))
            .opt_text("unit_price_basis", &c.unit_price_basis)
            .field("start_date", optional(c.start_date.map(date)))
            .field("end_date", optional(c.end_date.map(date)))
            .field("term", optional(c.term.map(encode::term)))
            .opt_text("term_published", &c.term_published)
            .field("received_yuan", optional(c.received_yuan.map(decimal)))
            .field("owed_yuan", optional(c.owed_yuan.map(decimal)))
            .field(
                "democratic_decision",
                optional(c.democratic_decision.map(AvroValue::Boolean)),
            )
            .field(
                "via_exchange",
                optional(c.via_exchange.map(AvroValue::Boolean)),
            )
            .field("status", optional(c.status.map(Vocabulary::avro)))
            .opt_text("status_raw", &c.status_raw)
            .text("region_code", &c.region_code)
            .text("county_code", &c.county_code)
            .field("source_updated_at", timestamp_millis(c.source_updated_at))
            .build()
    }
}
