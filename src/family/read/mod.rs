//! The reading kit the record families share: a [`Reader`] that reads an upstream record
//! field by field and turns each problem into a [`Rejection`] naming the field, parties
//! with personal data protected ([`party`]), owning villages ([`place`]), counts,
//! quantities, areas and yes/no words ([`quantity`]), and the checks of a `[fields]`
//! table's names and units ([`names`]).
//!
//! Generic: it knows no family. A family's normaliser composes these readings with its
//! own rules.

mod names;
pub mod party;
mod place;
mod quantity;
#[cfg(test)]
#[cfg(test)]
pub(crate) mod testing;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

pub use names::{area_unit, money_unit, require_names, require_one_of};
pub use party::{party_fields, Party, PartyFields, PartyKind};
pub(crate) use place::place_of;
pub use quantity::{with_scale, Area};

use crate::normalize::parse::{self, MoneyUnit, TimeContext};
use crate::normalize::Reason;
use crate::normalize::{Position, Rejection};
use crate::protect::Protector;

/// The record's place in the change order, if its id and update time can be read.
pub fn position(
    record: &Value,
    id: &str,
    updated_at: &str,
    tz: Tz,
    time_format: &str,
) -> Option<Position> {
    let object = record.as_object()?;
    let native_id = object.get(id).and_then(parse::scalar_text)?;
    let updated = object.get(updated_at).and_then(parse::scalar_text)?;
    let updated_at = parse::local_timestamp(&updated, time_format, tz).ok()?;
    Some(Position {
        updated_at,
        native_id,
    })
}

/// Reads one upstream object, turning each problem into a [`Rejection`] naming the
/// field.
pub struct Reader<'a> {
    record: &'a Map<String, Value>,
    native_id: Option<String>,
    time: TimeContext,
}

impl<'a> Reader<'a> {
    /// # Errors
    /// [`Reason::NotAnObject`] when the record is not a JSON object.
    pub fn open(record: &'a Value, tz: Tz) -> Result<Reader<'a>, Rejection> {
        let object = record.as_object().ok_or_else(|| Rejection {
            native_id: None,
            field: None,
            reason: Reason::NotAnObject,
            message: format!("expected a JSON object, got {}", json_kind(record)),
        })?;
        Ok(Reader {
            record: object,
            native_id: None,
            time: TimeContext {
                tz,
                ..TimeContext::default()
            },
        })
    }

    /// Read the native id as it is published ([`Protector::native_id`]: a person's
    /// number in it replaced by its pseudonym marker); later rejections carry it.
    pub fn identify(&mut self, field: &str, protector: &Protector) -> Result<String, Rejection> {
        let id = protector.native_id(&self.required(field)?);
        self.native_id = Some(id.clone());
        Ok(id)
    }

    /// Set the native id later rejections carry.
    pub fn set_native_id(&mut self, id: String) {
        self.native_id = Some(id);
    }

    pub fn reject(&self, field: &str, reason: Reason, message: impl Into<String>) -> Rejection {
        Rejection {
            native_id: self.native_id.clone(),
            field: Some(field.to_owned()),
            reason,
            message: message.into(),
        }
    }

    pub fn optional(&self, field: &str) -> Option<String> {
        self.record.get(field).and_then(parse::scalar_text)
    }

    /// An optional field read only where the platform has one (its name is not "").
    pub fn optional_if_named(&self, field: &str) -> Option<String> {
        (!field.is_empty()).then(|| self.optional(field)).flatten()
    }

    pub fn required(&self, field: &str) -> Result<String, Rejection> {
        self.optional(field).ok_or_else(|| {
            self.reject(
                field,
                Reason::MissingField,
                format!("field {field:?} is missing, null or empty"),
            )
        })
    }

    /// The required update time, in the source's fixed format and zone.
    pub fn updated_at(&self, field: &str, time_format: &str) -> Result<DateTime<Utc>, Rejection> {
        let text = self.required(field)?;
        parse::local_timestamp(&text, time_format, self.time.tz)
            .map_err(|m| self.reject(field, Reason::BadTimestamp, m))
    }

    pub fn amount(&self, field: &str, unit: MoneyUnit) -> Result<Option<Decimal>, Rejection> {
        self.optional(field)
            .map(|text| {
                parse::amount_yuan(&text, unit)
                    .map_err(|m| self.reject(field, Reason::BadAmount, m))
            })
            .transpose()
    }

    pub fn date(&self, field: &str) -> Result<Option<NaiveDate>, Rejection> {
        self.optional(field)
            .map(|text| {
                parse::date_with(&text, &self.time)
                    .map_err(|m| self.reject(field, Reason::BadDate, m))
            })
            .transpose()
    }

    /// A date read in the source's zone, from text that is not a field's whole value.
    pub fn date_text(&self, text: &str) -> Result<NaiveDate, String> {
        parse::date_with(text, &self.time)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
