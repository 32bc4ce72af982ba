//! Parties — transferors, counterparties, users of an asset — read with personal data
//! protected: organisations in clear, natural persons as keyed pseudonyms and masked
//! names; and the upstream record as a dead letter may quote it.

use apache_avro::types::Value as AvroValue;
use serde_json::{Map, Value};

use super::Reader;
use crate::avro::{optional, optional_string};
use crate::normalize::parse;
use crate::normalize::{Reason, Rejection};
use crate::protect::{Personal, Protector};

/// Upstream field names of one party; `None` where the platform does not publish it.
#[derive(Debug, Clone, Default)]
pub struct PartyFields {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub id: Option<String>,
    pub phone: Option<String>,
}

/// Field names of one party; empty names are not published.
pub fn party_fields(name: &str, kind: &str, id: &str, phone: &str) -> PartyFields {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    PartyFields {
        name: some(name),
        kind: some(kind),
        id: some(id),
        phone: some(phone),
    }
}

/// Whether a party is a natural person (personal data protected) or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    Person,
    Organisation,
    Unknown,
}

impl PartyKind {
    pub const SYMBOLS: &'static [&'static str] = &["PERSON", "ORGANISATION", "UNKNOWN"];

    pub fn index(self) -> u32 {
        self as u32
    }

    pub fn symbol(self) -> &'static str {
        Self::SYMBOLS[self as usize]
    }
}

/// A party as published: organisations in clear, persons protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub kind: PartyKind,
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub organisation_kind: Option<String>,
    pub id_number_pseudonym: Option<String>,
    pub phone_pseudonym: Option<String>,
}

impl Party {
    /// The `Party` record of the schemas, fields in schema order.
    pub fn value(&self) -> AvroValue {
        AvroValue::Record(vec![
            (
                "kind".into(),
                AvroValue::Enum(self.kind.index(), self.kind.symbol().into()),
            ),
            ("name".into(), optional_string(&self.name)),
            ("credit_code".into(), optional_string(&self.credit_code)),
            (
                "organisation_kind".into(),
                optional_string(&self.organisation_kind),
            ),
            (
                "id_number_pseudonym".into(),
                optional_string(&self.id_number_pseudonym),
            ),
            (
                "phone_pseudonym".into(),
                optional_string(&self.phone_pseudonym),
            ),
        ])
    }

    /// An optional party as the schemas' `["null", Party]` union.
    pub fn optional_value(party: &Option<Party>) -> AvroValue {
        optional(party.as_ref().map(Party::value))
    }
}

impl Reader<'_> {
    /// Read one party. The kind comes from the type field, else from the identifier's
    /// shape, else from an organisation's name (合作社, 委员会, 公司 …); a party of
    /// unknown kind is protected like a person.
    ///
    /// # Errors
    /// A [`Rejection`] on the identifier or phone field when it is not valid for the
    /// party's kind; the message never repeats a person's number.
    pub fn party(
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
        let kind = party_kind(kind_word.as_deref(), id.as_deref(), name.as_deref());
        let mut party = Party {
            kind,
            name: match kind {
                PartyKind::Organisation => name,
                PartyKind::Person | PartyKind::Unknown => {
                    name.and_then(|n| protector.person_name(&n))
                }
            },
            credit_code: None,
            organisation_kind: None,
            id_number_pseudonym: None,
            phone_pseudonym: None,
        };
        if let Some(text) = id {
            self.party_id(
                &mut party,
                &text,
                f.id.as_deref().unwrap_or_default(),
                protector,
            )?;
        }
        if let Some(text) = phone {
            let field = f.phone.as_deref().unwrap_or_default();
            party.phone_pseudonym = Some(self.phone_pseudonym(&text, field, protector)?);
        }
        Ok(Some(party))
    }

    /// A party's identifier: an organisation's credit code in clear, a person's ID
    /// number as its pseudonym.
    fn party_id(
        &self,
        party: &mut Party,
        text: &str,
        field: &str,
        protector: &Protector,
    ) -> Result<(), Rejection> {
        match party.kind {
            PartyKind::Organisation => {
                let code = parse::credit_code(text)
                    .map_err(|m| self.reject(field, Reason::BadCreditCode, m))?;
                party.organisation_kind = Some(code.kind_code().to_owned());
                party.credit_code = Some(code.as_str().to_owned());
            }
            PartyKind::Person => {
                let id = parse::resident_id(text)
                    .map_err(|m| self.reject(field, Reason::BadIdNumber, m))?;
                party.id_number_pseudonym =
                    Some(protector.pseudonym(Personal::IdNumber, id.as_str()));
            }
            PartyKind::Unknown => {
                return Err(self.reject(
                    field,
                    Reason::BadIdNumber,
                    "is neither a valid unified social credit code (GB 32100) nor a valid resident ID number (GB 11643)",
                ))
            }
        }
        Ok(())
    }

    /// A phone as its pseudonym. The message must not repeat the number: it is published
    /// with the dead letter.
    fn phone_pseudonym(
        &self,
        text: &str,
        field: &str,
        protector: &Protector,
    ) -> Result<String, Rejection> {
        let digits = parse::phone(text).ok_or_else(|| {
            self.reject(
                field,
                Reason::BadPhone,
                format!(
                    "is not a mainland mobile (11 digits, 1[3-9]…) or landline (0 + area code + 7-8 digits) number ({} characters)",
                    text.chars().count()
                ),
            )
        })?;
        Ok(protector.pseudonym(Personal::Phone, &digits.digits))
    }
}

/// A party's kind: the type word, else the identifier's shape, else an organisation's
/// name suffix.
pub fn party_kind(word: Option<&str>, id: Option<&str>, name: Option<&str>) -> PartyKind {
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
pub fn is_organisation_name(name: &str) -> bool {
    let name = name.trim();
    ORGANISATION_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// The fields of a record that hold personal data: its parties, and fields holding a
/// person's name alone (a legal representative).
#[derive(Debug, Clone, Default)]
pub struct PersonalFields<'a> {
    pub parties: Vec<&'a PartyFields>,
    pub person_names: Vec<&'a str>,
}

/// The upstream record as JSON text fit for a dead letter: the parties' mapped ID
/// numbers and phones replaced by pseudonym markers (organisations' credit codes
/// kept), persons' names and the `person_names` fields masked, and any other phone-
/// or ID-shaped text redacted.
pub fn protected_raw(
    record: &Value,
    personal: PersonalFields<'_>,
    protector: &Protector,
) -> String {
    let mut copy = record.clone();
    if let Some(object) = copy.as_object_mut() {
        for party in &personal.parties {
            protect_party(object, party, protector);
        }
        for field in &personal.person_names {
            mask_name(object, field, protector);
        }
    }
    protector.redact_text(&copy.to_string())
}

fn protect_party(object: &mut Map<String, Value>, party: &PartyFields, protector: &Protector) {
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
        if let Some(value) = object.get_mut(field) {
            mark_personal(value, what, protector);
        }
    }
    if kind != PartyKind::Organisation {
        if let Some(field) = party.name.as_deref() {
            mask_name(object, field, protector);
        }
    }
}

/// Replace a party's ID number or phone by its pseudonym marker (`[id:…]`, `[phone:…]`).
fn mark_personal(value: &mut Value, what: Personal, protector: &Protector) {
    let Some(text) = parse::scalar_text(value) else {
        return;
    };
    // Organisations' credit codes are not personal data: keep them.
    if what == Personal::IdNumber && parse::credit_code(&text).is_ok() {
        return;
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

fn mask_name(object: &mut Map<String, Value>, field: &str, protector: &Protector) {
    if let Some(value) = object.get_mut(field) {
        if let Some(text) = parse::scalar_text(value) {
            *value = protector
                .person_name(&text)
                .map_or(Value::Null, Value::String);
        }
    }
}
