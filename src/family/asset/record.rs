//! The canonical ledger entry and its Avro datum (`schemas/collective_asset.avsc`).

use std::sync::LazyLock;

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::avro::{date, decimal, optional, scaled_decimal, timestamp_millis, NamedSchema, Record};
use crate::family::read::Party;
use crate::family::words::Vocabulary;
use crate::normalize::vocab::{AccountingSystem, AssetClass, AssetTopClass, OperatingMode};

/// `schemas/collective_asset.avsc`.
pub static SCHEMA: LazyLock<NamedSchema> =
    LazyLock::new(|| NamedSchema::parse(include_str!("../../../schemas/collective_asset.avsc")));

/// Scale of [`CollectiveAsset::quantity`] in the schema: quantities are exact to 0.0001.
pub const QUANTITY_SCALE: u32 = 4;

/// A canonical ledger entry. Field docs: see the Avro schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectiveAsset {
    pub key: String,
    pub source: String,
    pub native_id: String,
    pub asset_name: String,
    pub class_path: String,
    pub top_class: AssetTopClass,
    pub top_class_raw: Option<String>,
    pub sub_class: Option<AssetClass>,
    pub sub_class_raw: Option<String>,
    pub operating: Option<bool>,
    pub acquired_date: Option<NaiveDate>,
    pub original_value_yuan: Option<Decimal>,
    pub accumulated_depreciation_yuan: Option<Decimal>,
    pub net_value_yuan: Option<Decimal>,
    pub quantity: Option<Decimal>,
    pub quantity_unit: Option<String>,
    pub area_m2: Option<Decimal>,
    pub area_published: Option<String>,
    pub area_unit_published: Option<String>,
    pub location: Option<String>,
    pub region_code: String,
    pub county_code: String,
    pub certificate_number: Option<String>,
    pub usage_status: Option<String>,
    pub operating_mode: Option<OperatingMode>,
    pub operating_mode_raw: Option<String>,
    pub annual_income_yuan: Option<Decimal>,
    pub accounting_system: AccountingSystem,
    pub accounting_system_raw: Option<String>,
    pub current_user: Option<Party>,
    pub source_updated_at: DateTime<Utc>,
}

impl CollectiveAsset {
    /// The Avro value, fields in schema order.
    pub fn value(&self) -> AvroValue {
        let a = self;
        let quantity = |q: Decimal| scaled_decimal(q, QUANTITY_SCALE);
        Record::new()
            .text("key", &a.key)
            .text("source", &a.source)
            .text("native_id", &a.native_id)
            .text("asset_name", &a.asset_name)
            .text("class_path", &a.class_path)
            .field("top_class", a.top_class.avro())
            .opt_text("top_class_raw", &a.top_class_raw)
            .field("sub_class", optional(a.sub_class.map(Vocabulary::avro)))
            .opt_text("sub_class_raw", &a.sub_class_raw)
            .field("operating", optional(a.operating.map(AvroValue::Boolean)))
            .field("acquired_date", optional(a.acquired_date.map(date)))
            .field(
                "original_value_yuan",
                optional(a.original_value_yuan.map(decimal)),
            )
            .field(
                "accumulated_depreciation_yuan",
                optional(a.accumulated_depreciation_yuan.map(decimal)),
            )
            .field("net_value_yuan", optional(a.net_value_yuan.map(decimal)))
            .field("quantity", optional(a.quantity.map(quantity)))
            .opt_text("quantity_unit", &a.quantity_unit)
            .field("area_m2", optional(a.area_m2.map(decimal)))
            .opt_text("area_published", &a.area_published)
            .opt_text("area_unit_published", &a.area_unit_published)
            .opt_text("location", &a.location)
            .text("region_code", &a.region_code)
            .text("county_code", &a.county_code)
            .opt_text("certificate_number", &a.certificate_number)
            .opt_text("usage_status", &a.usage_status)
            .field(
                "operating_mode",
                optional(a.operating_mode.map(Vocabulary::avro)),
            )
            .opt_text("operating_mode_raw", &a.operating_mode_raw)
            .field(
                "annual_income_yuan",
                optional(a.annual_income_yuan.map(decimal)),
            )
            .field("accounting_system", a.accounting_system.avro())
            .opt_text("accounting_system_raw", &a.accounting_system_raw)
            .field("current_user", Party::optional_value(&a.current_user))
            .field("source_updated_at", timestamp_millis(a.source_updated_at))
            .build()
    }
}
