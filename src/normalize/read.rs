//! Reading upstream records field by field, shared by the record families: a
//! [`Reader`] that turns each problem into a [`Rejection`](super::Rejection) naming the
//! field, parties with personal data protected, and config helpers.
//!
//! Used by the ledger families (asset, contract, organisation); they extend the
//! transaction family's reading rules with the yes/no, count, quantity and place readings
//! the ledgers need.

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use crate::config::Invalid;
use crate::normalize::parse::{self, AreaUnit, MoneyUnit, TimeContext};
use crate::normalize::transaction::{Party, PartyFields, PartyKind, Position};
use crate::normalize::{Reason, Rejection};
use crate::protect::{Personal, Protector};
use crate::region::{Division, Divisions, Level};

/// Deserialise a family's `[fields]` table into its raw serde struct.
pub(crate) fn deserialize_fields<T: serde::de::DeserializeOwned>(
    raw: &toml::Table,
    key: &str,
) -> Result<T, Invalid> {
    serde::Deserialize::deserialize(toml::Value::Table(raw.clone()))
        .map_err(|e: toml::de::Error| Invalid::new(key, e.message().to_owned()))
}

/// Every named field name must be set.
pub(crate) fn require_names(key: &str, names: &[(&str, &String)]) -> Result<(), Invalid> {
    match names.iter().find(|(_, v)| v.trim().is_empty()) {
        Some((name, _)) => Err(Invalid::new(
            format!("{key}.{name}"),
            "is empty; expected the upstream field name",
        )),
        None => Ok(()),
    }
}

/// At least one of two alternative field names must be set.
pub(crate) fn require_one_of(
    key: &str,
    a: (&str, &String),
    b: (&str, &String),
) -> Result<(), Invalid> {
    if a.1.trim().is_empty() && b.1.trim().is_empty() {
        return Err(Invalid::new(
            format!("{key}.{}", a.0),
            format!(
                "is empty and so is {}; one of them must name an upstream field",
                b.0
            ),
        ));
    }
    Ok(())
}

pub(crate) fn money_unit(key: &str, name: &str, text: &str) -> Result<MoneyUnit, Invalid> {
    MoneyUnit::from_text(text).ok_or_else(|| {
        Invalid::new(
            format!("{key}.{name}"),
            format!("unknown money unit {text:?}; valid: 元, 万元"),
        )
    })
}

/// An area unit from config; empty is none.
pub(crate) fn area_unit(key: &str, name: &str, text: &str) -> Result<Option<AreaUnit>, Invalid> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    AreaUnit::from_text(text).map(Some).ok_or_else(|| {
        Invalid::new(
            format!("{key}.{name}"),
            format!("unknown area unit {text:?}; valid: 亩, 分, 公顷, 平方米, 平方公里, or empty"),
        )
    })
}

/// Field names of one party; empty names are not published.
pub(crate) fn party_fields(name: &str, kind: &str, id: &str, phone: &str) -> PartyFields {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    PartyFields {
        name: some(name),
        kind: some(kind),
        id: some(id),
        phone: some(phone),
    }
}

/// The record's place in the change order, if its id and update time can be read.
pub(crate) fn position(
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

/// An area as read: square metres and what was published.
pub(crate) struct Area {
    pub(crate) m2: Option<Decimal>,
    pub(crate) published: Option<String>,
    pub(crate) unit_published: Option<String>,
}

/// Reads one upstream object, turning each problem into a [`Rejection`] naming the
/// field.
pub(crate) struct Reader<'a> {
    record: &'a Map<String, Value>,
    native_id: Option<String>,
    time: TimeContext,
}

impl<'a> Reader<'a> {
    /// # Errors
    /// [`Reason::NotAnObject`] when the record is not a JSON object.
    pub(crate) fn open(record: &'a Value, tz: Tz) -> Result<Reader<'a>, Rejection> {
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
    pub(crate) fn identify(
        &mut self,
        field: &str,
        protector: &Protector,
    ) -> Result<String, Rejection> {
        let id = protector.native_id(&self.required(field)?);
        self.native_id = Some(id.clone());
        Ok(id)
    }

    /// Set the native id later rejections carry.
    pub(crate) fn set_native_id(&mut self, id: String) {
        self.native_id = Some(id);
    }

    pub(crate) fn reject(
        &self,
        field: &str,
        reason: Reason,
        message: impl Into<String>,
    ) -> Rejection {
        Rejection {
            native_id: self.native_id.clone(),
            field: Some(field.to_owned()),
            reason,
            message: message.into(),
        }
    }

    pub(crate) fn optional(&self, field: &str) -> Option<String> {
        self.record.get(field).and_then(parse::scalar_text)
    }

    pub(crate) fn required(&self, field: &str) -> Result<String, Rejection> {
        self.optional(field).ok_or_else(|| {
            self.reject(
                field,
                Reason::MissingField,
                format!("field {field:?} is missing, null or empty"),
            )
        })
    }

    /// The required update time, in the source's fixed format and zone.
    pub(crate) fn updated_at(
        &self,
        field: &str,
        time_format: &str,
    ) -> Result<DateTime<Utc>, Rejection> {
        let text = self.required(field)?;
        parse::local_timestamp(&text, time_format, self.time.tz)
            .map_err(|m| self.reject(field, Reason::BadTimestamp, m))
    }

    pub(crate) fn amount(
        &self,
        field: &str,
        unit: MoneyUnit,
    ) -> Result<Option<Decimal>, Rejection> {
        self.optional(field)
            .map(|text| {
                parse::amount_yuan(&text, unit)
                    .map_err(|m| self.reject(field, Reason::BadAmount, m))
            })
            .transpose()
    }

    pub(crate) fn date(&self, field: &str) -> Result<Option<NaiveDate>, Rejection> {
        self.optional(field)
            .map(|text| {
                parse::date_with(&text, &self.time)
                    .map_err(|m| self.reject(field, Reason::BadDate, m))
            })
            .transpose()
    }

    /// A date read in the source's zone, from text that is not a field's whole value.
    pub(crate) fn date_text(&self, text: &str) -> Result<NaiveDate, String> {
        parse::date_with(text, &self.time)
    }

    /// A yes/no field: a JSON boolean, or a word (see [`flag_word`]).
    pub(crate) fn flag(&self, field: &str) -> Result<Option<bool>, Rejection> {
        if let Some(Value::Bool(b)) = self.record.get(field) {
            return Ok(Some(*b));
        }
        self.optional(field)
            .map(|text| {
                flag_word(&text).ok_or_else(|| {
                    self.reject(
                        field,
                        Reason::BadBoolean,
                        format!("{text:?} is neither yes nor no; valid: {FLAG_WORDS}"),
                    )
                })
            })
            .transpose()
    }

    /// A whole count of persons or households: `356`, `1,234`, `356人`, `120户`.
    pub(crate) fn count(&self, field: &str) -> Result<Option<i32>, Rejection> {
        let Some(text) = self.optional(field) else {
            return Ok(None);
        };
        let bad = |why: &str| {
            self.reject(
                field,
                Reason::BadCount,
                format!("{text:?} {why}; expected a whole number such as 356, 1,234 or 356人"),
            )
        };
        let (number, unit) = split_number(&text);
        if !matches!(unit.as_str(), "" | "人" | "户" | "名" | "个") {
            return Err(bad("has an unknown unit"));
        }
        let value = parse::decimal(&number).map_err(|_| bad("is not a number"))?;
        if value.is_sign_negative() || !value.fract().is_zero() {
            return Err(bad("is not a whole number of 0 or more"));
        }
        // A whole number normalises to scale 0: its mantissa is its value.
        i32::try_from(value.normalize().mantissa())
            .map(Some)
            .map_err(|_| bad("is too large"))
    }

    /// A quantity exact to `scale` decimals, and the unit its cell carried (`3台`).
    pub(crate) fn quantity(
        &self,
        field: &str,
        scale: u32,
    ) -> Result<(Option<Decimal>, Option<String>), Rejection> {
        let Some(text) = self.optional(field) else {
            return Ok((None, None));
        };
        let (number, unit) = split_number(&text);
        let value =
            parse::decimal(&number).map_err(|m| self.reject(field, Reason::BadQuantity, m))?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(self.reject(
                field,
                Reason::BadQuantity,
                format!("{text:?} is negative; quantities are 0 or more"),
            ));
        }
        let value = with_scale(value, scale).ok_or_else(|| {
            self.reject(
                field,
                Reason::BadQuantity,
                format!("{text:?} is finer than 10^-{scale} or too large; quantities are kept exact, not rounded"),
            )
        })?;
        Ok((Some(value), (!unit.is_empty()).then_some(unit)))
    }

    /// An area from a value field and a unit field; without a unit field, the cell's
    /// own unit (`35.5亩`) or the configured unit of bare numbers.
    pub(crate) fn area(
        &self,
        value_field: &str,
        unit_field: &str,
        default_unit: Option<AreaUnit>,
    ) -> Result<Area, Rejection> {
        let Some(published) = self.optional(value_field) else {
            return Ok(Area {
                m2: None,
                published: None,
                unit_published: None,
            });
        };
        let (m2, unit_published) = match self.optional(unit_field) {
            Some(unit) => (parse::area_m2(&published, &unit), Some(unit)),
            None => {
                let (_, cell_unit) = split_number(&published);
                let unit = if cell_unit.is_empty() {
                    default_unit.map(|u| u.name().to_owned())
                } else {
                    Some(cell_unit)
                };
                (
                    parse::area_m2_cell(&published, default_unit.map(AreaUnit::name)),
                    unit,
                )
            }
        };
        let m2 = m2.map_err(|m| self.reject(value_field, Reason::BadArea, m))?;
        Ok(Area {
            m2: Some(m2),
            published: Some(published),
            unit_published,
        })
    }

    /// The owning village: a 12-digit code from `region_field`, else the place
    /// `place_field` names (an organisation's suffix and group part set aside).
    ///
    /// # Errors
    /// [`Reason::UnknownRegion`] when the code or place is not a village of the 2023
    /// table (or the place is ambiguous), [`Reason::MissingField`] when neither is
    /// published.
    pub(crate) fn village(
        &self,
        region_field: &str,
        place_field: &str,
    ) -> Result<&'static Division, Rejection> {
        if let Some(code) = self.optional(region_field) {
            return parse::village_code(&code)
                .map_err(|m| self.reject(region_field, Reason::UnknownRegion, m));
        }
        let Some(place) = self.optional(place_field) else {
            return Err(self.reject(
                region_field,
                Reason::MissingField,
                format!(
                    "neither the village code {region_field:?} nor the owner {place_field:?} is published"
                ),
            ));
        };
        let d = Divisions::shanxi()
            .resolve_place(&place_of(&place), None)
            .map_err(|m| self.reject(place_field, Reason::UnknownRegion, m))?;
        if d.level != Level::Village {
            return Err(self.reject(
                place_field,
                Reason::UnknownRegion,
                format!(
                    "{place:?} names {} ({}), not a village",
                    Divisions::shanxi().path(d),
                    d.code
                ),
            ));
        }
        Ok(d)
    }

    /// Read one party. The kind comes from the type field, else from the identifier's
    /// shape, else from an organisation's name (合作社, 委员会, 公司 …); a party of
    /// unknown kind is protected like a person.
    pub(crate) fn party(
        &self,
        f: &PartyFields,
        protector: &Protector,
    ) -> Result<Option<Party>, Rejection> {
        let read = |field: &Option<String>| field.as_deref().and_then(|n| self.optional(n));
        let (name, kind_word, id, phone) =
            (read(&f.name), read(&f.kind), read(&f.id), read(&f.phone));
        if name.is_none() && id.is_none() && phone.is_none() {
            return Ok(None);
        }
        let id_field = f.id.as_deref().unwrap_or_default();
        let kind = party_kind(kind_word.as_deref(), id.as_deref(), name.as_deref());
        let mut party = Party {
            kind,
            name: None,
            credit_code: None,
            organisation_kind: None,
            id_number_pseudonym: None,
            phone_pseudonym: None,
        };
        match (kind, id) {
            (PartyKind::Organisation, Some(text)) => {
                let code = parse::credit_code(&text)
                    .map_err(|m| self.reject(id_field, Reason::BadCreditCode, m))?;
                party.organisation_kind = Some(code.kind_code().to_owned());
                party.credit_code = Some(code.as_str().to_owned());
            }
            (PartyKind::Person, Some(text)) => {
                let id = parse::resident_id(&text)
                    .map_err(|m| self.reject(id_field, Reason::BadIdNumber, m))?;
                party.id_number_pseudonym =
                    Some(protector.pseudonym(Personal::IdNumber, id.as_str()));
            }
            (PartyKind::Unknown, Some(_)) => {
                return Err(self.reject(
                    id_field,
                    Reason::BadIdNumber,
                    "is neither a valid unified social credit code (GB 32100) nor a valid resident ID number (GB 11643)",
                ))
            }
            (_, None) => {}
        }
        party.name = match kind {
            PartyKind::Organisation => name,
            PartyKind::Person | PartyKind::Unknown => name.and_then(|n| protector.person_name(&n)),
        };
        if let Some(text) = phone {
            let phone_field = f.phone.as_deref().unwrap_or_default();
            // The message must not repeat the number: it is published with the dead
            // letter.
            let digits = parse::phone(&text).ok_or_else(|| {
                self.reject(
                    phone_field,
                    Reason::BadPhone,
                    format!(
                        "is not a mainland mobile (11 digits, 1[3-9]…) or landline (0 + area code + 7-8 digits) number ({} characters)",
                        text.chars().count()
                    ),
                )
            })?;
            party.phone_pseudonym = Some(protector.pseudonym(Personal::Phone, &digits.digits));
        }
        Ok(Some(party))
    }
}

/// A party's kind: the type word, else the identifier's shape, else an organisation's
/// name suffix.
pub(crate) fn party_kind(word: Option<&str>, id: Option<&str>, name: Option<&str>) -> PartyKind {
    let kind = word.map_or(PartyKind::Unknown, |w| match w.trim() {
        "自然人" | "个人" | "农户" => PartyKind::Person,
        "法人" | "组织" | "企业" | "单位" | "法人或其他组织" | "集体经济组织" => {
            PartyKind::Organisation
        }
        _ => PartyKind::Unknown,
    });
    if kind != PartyKind::Unknown {
        return kind;
    }
    if let Some(id) = id {
        if parse::credit_code(id).is_ok() {
            return PartyKind::Organisation;
        }
        if parse::resident_id(id).is_ok() {
            return PartyKind::Person;
        }
    }
    if name.is_some_and(is_organisation_name) {
        return PartyKind::Organisation;
    }
    PartyKind::Unknown
}

/// Name endings only organisations have. Single characters (厂, 站, 场) are left out:
/// a person's given name may end in them.
const ORGANISATION_ENDINGS: &[&str] = &[
    "合作社",
    "联合社",
    "合作联社",
    "集体经济组织",
    "委员会",
    "村委会",
    "居委会",
    "公司",
    "人民政府",
    "办事处",
    "服务中心",
    "管理站",
];

/// Whether a name ends like an organisation's (鸣谦村股份经济合作社, 某某有限公司).
pub(crate) fn is_organisation_name(name: &str) -> bool {
    let name = name.trim();
    ORGANISATION_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// Suffixes of collective economic organisations' names, longest first.
const COLLECTIVE_SUFFIXES: &[&str] = &[
    "股份经济合作联合社",
    "股份经济合作社",
    "经济合作联合社",
    "股份经济联合社",
    "经济联合社",
    "经济合作社",
    "股份合作社",
    "经济合作联社",
    "合作联社",
    "集体经济组织",
    "经济组织",
];

/// The place an organisation's name or an owner field names: the collective's
/// suffix set aside (`鸣谦村股份经济合作社` → `鸣谦村`) and a group's part too
/// (`鸣谦村第一村民小组` → `鸣谦村`), since the division table stops at villages.
pub(crate) fn place_of(name: &str) -> String {
    let mut s: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(base) = COLLECTIVE_SUFFIXES
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix).filter(|b| !b.is_empty()))
    {
        s = base.to_owned();
    }
    if let Some(base) = ["村民小组", "小组", "组"]
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix).filter(|b| !b.is_empty()))
    {
        let base = base.trim_end_matches(|c: char| {
            c.is_ascii_digit() || "第一二三四五六七八九十百零〇两０１２３４５６７８９".contains(c)
        });
        if !base.is_empty() {
            s = base.to_owned();
        }
    }
    s
}

/// The words [`flag_word`] reads.
const FLAG_WORDS: &str = "是/否, 有/无, 已/未, Y/N, 1/0, true/false, √/×, 经营性/非经营性";

/// A yes/no word: 是 否, 有 无, 已 未, Y N, 1 0, √ ×, 经营性 非经营性, 已进场 未进场.
pub(crate) fn flag_word(text: &str) -> Option<bool> {
    let t: String = text
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match t.as_str() {
        "是" | "是的" | "有" | "已" | "y" | "yes" | "t" | "true" | "1" | "√" | "✓" | "✔"
        | "经营性" | "进场" | "已进场" => Some(true),
        "否" | "不是" | "无" | "没有" | "未" | "n" | "no" | "f" | "false" | "0" | "×" | "✗"
        | "✘" | "非经营性" | "未进场" | "不进场" => Some(false),
        _ => None,
    }
}

/// A cell split into its number and the unit text after it, in normal form (NFKC,
/// spaces dropped): `3 台` → (`3`, `台`), `１２０户` → (`120`, `户`).
pub(crate) fn split_number(text: &str) -> (String, String) {
    let t: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+')))
        .unwrap_or(t.len());
    (t[..end].to_owned(), t[end..].to_owned())
}

/// `d` with exactly `scale` decimals, when that is exact and fits; never rounds.
pub(crate) fn with_scale(d: Decimal, scale: u32) -> Option<Decimal> {
    let d = d.normalize();
    if d.scale() > scale {
        return None;
    }
    let mantissa = d
        .mantissa()
        .checked_mul(10i128.checked_pow(scale - d.scale())?)?;
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// Avro decimal of any scale (the schema's); `d` must carry that scale.
pub(crate) fn scaled_decimal(d: Decimal, scale: u32) -> AvroValue {
    debug_assert_eq!(
        d.scale(),
        scale,
        "canonical decimals carry the schema's scale"
    );
    AvroValue::Decimal(apache_avro::Decimal::from(crate::avro::minimal_be_bytes(
        d.mantissa(),
    )))
}

/// The upstream record as JSON text fit for a dead letter: the parties' mapped ID
/// numbers and phones replaced by pseudonym markers (organisations' credit codes
/// kept), persons' names and the `person_names` fields masked, and any other phone-
/// or ID-shaped text redacted.
pub(crate) fn protected_raw(
    record: &Value,
    parties: &[&PartyFields],
    person_names: &[&str],
    protector: &Protector,
) -> String {
    let mut copy = record.clone();
    if let Some(object) = copy.as_object_mut() {
        for party in parties {
            let text_of = |field: &Option<String>| {
                field
                    .as_deref()
                    .and_then(|f| object.get(f))
                    .and_then(parse::scalar_text)
            };
            let kind = party_kind(
                text_of(&party.kind).as_deref(),
                text_of(&party.id).as_deref(),
                text_of(&party.name).as_deref(),
            );
            let personal = [
                party.id.as_deref().map(|f| (f, Personal::IdNumber)),
                party.phone.as_deref().map(|f| (f, Personal::Phone)),
            ];
            for (field, what) in personal.into_iter().flatten() {
                let Some(value) = object.get_mut(field) else {
                    continue;
                };
                let Some(text) = parse::scalar_text(value) else {
                    continue;
                };
                // Organisations' credit codes are not personal data: keep them.
                if what == Personal::IdNumber && parse::credit_code(&text).is_ok() {
                    continue;
                }
                let (tag, canonical) = match what {
                    Personal::Phone => ("phone", parse::phone(&text).map(|p| p.digits)),
                    Personal::IdNumber => (
                        "id",
                        parse::resident_id(&text)
                            .ok()
                            .map(|id| id.as_str().to_owned()),
                    ),
                };
                let pseudonym = protector.pseudonym(what, canonical.as_deref().unwrap_or(&text));
                *value = Value::String(format!("[{tag}:{}]", &pseudonym[..16]));
            }
            if kind != PartyKind::Organisation {
                if let Some(field) = party.name.as_deref() {
                    mask_name(object, field, protector);
                }
            }
        }
        for field in person_names {
            mask_name(object, field, protector);
        }
    }
    protector.redact_text(&copy.to_string())
}

fn mask_name(object: &mut Map<String, Value>, field: &str, protector: &Protector) {
    if let Some(value) = object.get_mut(field) {
        if let Some(text) = parse::scalar_text(value) {
            *value = protector
                .person_name(&text)
                .map_or(Value::Null, Value::String);
        }
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

/// Test helpers shared by the ledger families' tests.
#[cfg(test)]
pub(crate) mod testing {
    use apache_avro::types::Value as AvroValue;
    use apache_avro::Schema;

    use crate::protect::{NameMask, Protector};
    use crate::region::Divisions;

    pub(crate) const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

    pub(crate) fn protector() -> Protector {
        Protector::from_key(&[42; 32], NameMask::KeepFirst).unwrap()
    }

    /// The first village committee of a county, in table order.
    pub(crate) fn first_village_of(county: &str) -> String {
        let t = Divisions::shanxi();
        t.children(county)
            .flat_map(|town| t.children(&town.code))
            .find(|v| v.is_village_committee())
            .unwrap()
            .code
            .clone()
    }

    /// The pipeline's conventions: key, source, native_id first; source_updated_at
    /// last (change detection strips it); the namespace carries the version.
    pub(crate) fn assert_schema_conventions(text: &str) {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(json["namespace"], "cn.ruralsync.v1");
        let names: Vec<&str> = json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names[..3], ["key", "source", "native_id"]);
        assert_eq!(names.last(), Some(&"source_updated_at"));
        let last = json["fields"].as_array().unwrap().last().unwrap();
        assert_eq!(last["type"]["logicalType"], "timestamp-millis");
        for f in json["fields"].as_array().unwrap() {
            assert!(f["doc"].as_str().is_some_and(|d| !d.is_empty()), "{f}");
            if f["type"].is_array() {
                assert_eq!(f["type"][0], "null", "{f}");
                assert!(f["default"].is_null() && f.get("default").is_some(), "{f}");
            }
        }
    }

    /// Encode `value` with the schema parsed from `text` and decode it back.
    pub(crate) fn round_trip(text: &str, value: &AvroValue) -> AvroValue {
        let schema = Schema::parse_str(text).unwrap();
        let bytes = apache_avro::to_avro_datum(&schema, value.clone()).unwrap();
        apache_avro::from_avro_datum(&schema, &mut bytes.as_slice(), None).unwrap()
    }
}
