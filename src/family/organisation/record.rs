//! The canonical collective economic organisation and its Avro datum
//! (`schemas/collective_organisation.avsc`).

use std::sync::LazyLock;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};

use crate::avro::{date, optional, timestamp_millis, NamedSchema, Record};
use crate::family::words::Vocabulary;
use crate::normalize::vocab::OrganisationLevel;

/// `schemas/collective_organisation.avsc`.
pub static SCHEMA: LazyLock<NamedSchema> = LazyLock::new(|| {
    NamedSchema::parse(include_str!(
        "../../../schemas/collective_organisation.avsc"
    ))
});

/// A canonical collective economic organisation. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectiveOrganisation {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub organisation_name: String,
    pub credit_code: String,
    pub level: OrganisationLevel,
    pub level_raw: String,
    pub registration_region_code: String,
    pub region_code: Option<String>,
    pub county_code: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub member_count: Option<i32>,
    pub household_count: Option<i32>,
    pub registration_date: Option<NaiveDate>,
    pub code_assigned_date: Option<NaiveDate>,
    pub source_updated_at: DateTime<Utc>,
}

impl CollectiveOrganisation {
    /// The Avro value, fields in schema order.
    pub fn value(&self) -> AvroValue {
        let o = self;
        let int = |n: Option<i32>| optional(n.map(AvroValue::Int));
        Record::new()
            .text("key", &o.key)
            .text("source", &o.source)
            .text("native_id", &o.native_id)
            .text("organisation_name", &o.organisation_name)
            .text("credit_code", &o.credit_code)
            .field("level", o.level.avro())
            .text("level_raw", &o.level_raw)
            .text("registration_region_code", &o.registration_region_code)
            .opt_text("region_code", &o.region_code)
            .opt_text("county_code", &o.county_code)
            .opt_text("address", &o.address)
            .opt_text("legal_representative", &o.legal_representative)
            .field("member_count", int(o.member_count))
            .field("household_count", int(o.household_count))
            .field("registration_date", optional(o.registration_date.map(date)))
            .field(
                "code_assigned_date",
                optional(o.code_assigned_date.map(date)),
            )
            .field("source_updated_at", timestamp_millis(o.source_updated_at))
            .build()
    }
}
