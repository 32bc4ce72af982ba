//! The collective economic organisation family (农村集体经济组织): upstream JSON object →
//! [`CollectiveOrganisation`], the canonical record of
//! `schemas/collective_organisation.avsc`.
//!
//! The unified social credit code is the organisation's identity and its native id. It is
//! verified (both check characters) and must be of kind N1, N2 or N3 — group, village or
//! township collective economic organisation; anything else is
//! [`Reason::NotACollectiveOrganisation`]. The level comes from the code, never from a
//! published word. The village is a code field's, else the place the address or the name
//! names, searched within the code's registration region.
//!
//! The legal representative (法定代表人) is a natural person: only the masked name is kept.

use apache_avro::types::Value as AvroValue;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::parse::{self, OrganisationKind};
use super::read::{self, Reader};
use super::transaction::Position;
use super::vocab::OrganisationLevel;
use super::{Reason, Rejection};
use crate::avro::{date, optional, optional_string, timestamp_millis};
use crate::config::Invalid;
use crate::protect::Protector;
use crate::region::{Division, Divisions, Level};

/// Schema text of the family, as shipped in `schemas/`.
pub const ORGANISATION_SCHEMA: &str = include_str!("../../schemas/collective_organisation.avsc");

/// `[sources.<name>.fields]` of a `collective_organisation` source: upstream field names
/// of an organisation. The defaults are the common Chinese names. A field the platform
/// does not publish may keep its default name: absent fields read as not published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOrganisationFields {
    /// 统一社会信用代码 — the native id.
    pub credit_code: String,
    /// 组织名称
    pub name: String,
    /// 12-digit village code; not read for township-level organisations.
    pub region_code: String,
    /// 住所
    pub address: String,
    /// 法定代表人 — a person: published masked or not at all (`privacy.person_names`).
    pub legal_representative: String,
    /// 成员数
    pub member_count: String,
    /// 户数
    pub household_count: String,
    /// 登记日期
    pub registration_date: String,
    /// 赋码日期
    pub code_assigned_date: String,
    /// 更新时间 — also the incremental cursor.
    pub updated_at: String,
}

impl Default for RawOrganisationFields {
    fn default() -> Self {
        RawOrganisationFields {
            credit_code: "统一社会信用代码".into(),
            name: "组织名称".into(),
            region_code: "行政区划代码".into(),
            address: "住所".into(),
            legal_representative: "法定代表人".into(),
            member_count: "成员数".into(),
            household_count: "户数".into(),
            registration_date: "登记日期".into(),
            code_assigned_date: "赋码日期".into(),
            updated_at: "更新时间".into(),
        }
    }
}

/// Upstream field names of an organisation, validated.
#[derive(Debug, Clone)]
pub struct OrganisationFields {
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
    pub legal_representative: String,
    pub member_count: String,
    pub household_count: String,
    pub registration_date: String,
    pub code_assigned_date: String,
    pub updated_at: String,
}

impl OrganisationFields {
    /// Validate `[sources.<name>.fields]` of a `collective_organisation` source; `key` is
    /// that table's dotted key, for messages.
    ///
    /// # Errors
    /// [`Invalid`] for an unknown key or an empty required field name.
    pub fn validate(raw: &toml::Table, key: &str) -> Result<OrganisationFields, Invalid> {
        let raw: RawOrganisationFields = read::deserialize_fields(raw, key)?;
        read::require_names(
            key,
            &[
                ("credit_code", &raw.credit_code),
                ("name", &raw.name),
                ("updated_at", &raw.updated_at),
            ],
        )?;
        Ok(OrganisationFields {
            credit_code: raw.credit_code,
            name: raw.name,
            region_code: raw.region_code,
            address: raw.address,
            legal_representative: raw.legal_representative,
            member_count: raw.member_count,
            household_count: raw.household_count,
            registration_date: raw.registration_date,
            code_assigned_date: raw.code_assigned_date,
            updated_at: raw.updated_at,
        })
    }
}

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

/// The record's place in the change order, if its code and update time can be read. The
/// native id is the code as published (the cursor only orders records).
pub fn position(
    record: &Value,
    fields: &OrganisationFields,
    tz: Tz,
    time_format: &str,
) -> Option<Position> {
    read::position(
        record,
        &fields.credit_code,
        &fields.updated_at,
        tz,
        time_format,
    )
}

/// Normalise one upstream organisation of source `source`.
///
/// `tz` is the platform's time zone and `time_format` the chrono format of its update
/// times.
///
/// Parties and the native id are protected here; other text fields are as read, and
/// [`FamilyFields::normalise`](super::FamilyFields::normalise), the pipeline's entry,
/// redacts them all before publishing.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised:
/// [`Reason::BadCreditCode`] for a code that fails its checks (with any ID-number-shaped
/// text in the native id and message redacted, in case a person's ID sits in the
/// column), [`Reason::NotACollectiveOrganisation`] for a valid code of another kind.
pub fn normalise_organisation(
    source: &str,
    record: &Value,
    fields: &OrganisationFields,
    tz: Tz,
    time_format: &str,
    protector: &Protector,
) -> Result<CollectiveOrganisation, Rejection> {
    let mut r = Reader::open(record, tz)?;
    let published = r.required(&fields.credit_code)?;
    // Until verified, the published code is only an identifier of the dead letter: an
    // ID number mistakenly in this column must not travel in clear.
    r.set_native_id(protector.redact_text(&published));
    let code = parse::credit_code(&published).map_err(|m| {
        r.reject(
            &fields.credit_code,
            Reason::BadCreditCode,
            protector.redact_text(&m),
        )
    })?;
    // An organisation's code is not personal; should it also be a valid ID number,
    // it is protected like one.
    let native_id = protector.native_id(code.as_str());
    r.set_native_id(native_id.clone());
    let level = match code.kind() {
        OrganisationKind::GroupCollective => OrganisationLevel::Group,
        OrganisationKind::VillageCollective => OrganisationLevel::Village,
        OrganisationKind::TownshipCollective => OrganisationLevel::Township,
        other => {
            return Err(r.reject(
                &fields.credit_code,
                Reason::NotACollectiveOrganisation,
                format!(
                    "credit code kind {} ({}) is not a rural collective economic organisation; expected N1 (组级), N2 (村级) or N3 (乡镇级)",
                    code.kind_code(),
                    kind_name(other)
                ),
            ))
        }
    };
    let source_updated_at = r.updated_at(&fields.updated_at, time_format)?;
    let organisation_name = r.required(&fields.name)?;
    let address = r.optional(&fields.address);

    let registration_region_code = code.region_code().to_owned();
    let table = Divisions::shanxi();
    let registration_region = table
        .resolve_code(&registration_region_code)
        .filter(|d| matches!(d.level, Level::City | Level::County));
    let village = match level {
        // A township's organisation belongs to no village.
        OrganisationLevel::Township => None,
        _ => match r.optional(&fields.region_code) {
            Some(text) => Some(
                parse::village_code(&text)
                    .map_err(|m| r.reject(&fields.region_code, Reason::UnknownRegion, m))?,
            ),
            None => resolve_village(
                [address.as_deref(), Some(organisation_name.as_str())],
                registration_region,
            ),
        },
    };
    let region_code = village.map(|v| v.code.clone());
    let county_code = match &region_code {
        Some(code) => Some(code[..6].to_owned()),
        None => registration_region
            .filter(|d| d.level == Level::County)
            .map(|d| d.code.clone()),
    };

    Ok(CollectiveOrganisation {
        key: format!("{source}:{native_id}"),
        source: source.to_owned(),
        organisation_name,
        credit_code: code.as_str().to_owned(),
        level,
        level_raw: code.kind_code().to_owned(),
        registration_region_code,
        region_code,
        county_code,
        address,
        legal_representative: r
            .optional(&fields.legal_representative)
            .and_then(|name| protector.person_name(&name)),
        member_count: r.count(&fields.member_count)?,
        household_count: r.count(&fields.household_count)?,
        registration_date: r.date(&fields.registration_date)?,
        code_assigned_date: r.date(&fields.code_assigned_date)?,
        source_updated_at,
        native_id,
    })
}

/// The first of `places` (address, then name) that names exactly one village within the
/// registration region; `None` when none does — a place is optional here, and guessing
/// between villages of the same name would attach the organisation to the wrong one.
fn resolve_village(
    places: [Option<&str>; 2],
    within: Option<&Division>,
) -> Option<&'static Division> {
    let table = Divisions::shanxi();
    places.into_iter().flatten().find_map(|text| {
        table
            .resolve_place(&read::place_of(text), within.map(|d| d.code.as_str()))
            .ok()
            .filter(|d| d.level == Level::Village)
    })
}

/// What a non-collective credit code kind is, for the rejection message.
fn kind_name(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::GovernmentOrgan => "government organ",
        OrganisationKind::PublicInstitution => "public institution",
        OrganisationKind::SocialOrganisation => "social organisation",
        OrganisationKind::PrivateNonEnterprise => "private non-enterprise unit",
        OrganisationKind::Foundation => "foundation",
        OrganisationKind::Enterprise => "enterprise",
        OrganisationKind::IndividualBusiness => "individual business",
        OrganisationKind::FarmersCooperative => "farmers' specialised cooperative",
        OrganisationKind::OtherAgricultural => "other body registered by agriculture departments",
        _ => "other",
    }
}

/// The Avro value of a canonical organisation, fields in schema order.
pub fn organisation_value(o: &CollectiveOrganisation) -> AvroValue {
    let int = |n: Option<i32>| optional(n.map(AvroValue::Int));
    AvroValue::Record(vec![
        ("key".into(), AvroValue::String(o.key.clone())),
        ("source".into(), AvroValue::String(o.source.clone())),
        ("native_id".into(), AvroValue::String(o.native_id.clone())),
        (
            "organisation_name".into(),
            AvroValue::String(o.organisation_name.clone()),
        ),
        (
            "credit_code".into(),
            AvroValue::String(o.credit_code.clone()),
        ),
        (
            "level".into(),
            AvroValue::Enum(o.level.index(), o.level.symbol().into()),
        ),
        ("level_raw".into(), AvroValue::String(o.level_raw.clone())),
        (
            "registration_region_code".into(),
            AvroValue::String(o.registration_region_code.clone()),
        ),
        ("region_code".into(), optional_string(&o.region_code)),
        ("county_code".into(), optional_string(&o.county_code)),
        ("address".into(), optional_string(&o.address)),
        (
            "legal_representative".into(),
            optional_string(&o.legal_representative),
        ),
        ("member_count".into(), int(o.member_count)),
        ("household_count".into(), int(o.household_count)),
        (
            "registration_date".into(),
            optional(o.registration_date.map(date)),
        ),
        (
            "code_assigned_date".into(),
            optional(o.code_assigned_date.map(date)),
        ),
        (
            "source_updated_at".into(),
            timestamp_millis(o.source_updated_at),
        ),
    ])
}

/// The upstream record as JSON text fit for a dead letter: the legal representative's
/// name masked, and any phone- or ID-shaped text redacted. The credit code is kept.
pub fn protected_raw_organisation(
    record: &Value,
    fields: &OrganisationFields,
    protector: &Protector,
) -> String {
    read::protected_raw(record, &[], &[&fields.legal_representative], protector)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::read::testing::{
        assert_schema_conventions, first_village_of, protector, round_trip, FORMAT,
    };
    use super::*;

    /// A valid credit code from its first 16 characters (both checks computed).
    fn complete(first16: &str) -> String {
        let org = parse::organisation_code_check_char(&first16[8..16]).unwrap();
        let body = format!("{first16}{org}");
        let check = parse::credit_code_check_char(&body).unwrap();
        format!("{body}{check}")
    }

    fn fields() -> OrganisationFields {
        OrganisationFields::validate(&toml::Table::new(), "sources.jz.fields").unwrap()
    }

    fn normalise(record: &Value) -> Result<CollectiveOrganisation, Rejection> {
        normalise_organisation(
            "jz",
            record,
            &fields(),
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
    }

    fn sample() -> Value {
        json!({
            "统一社会信用代码": complete("N2140702MA0B1C2D").to_lowercase(),
            "组织名称": "榆次区乌金山镇鸣谦村股份经济合作社",
            "住所": "山西省晋中市榆次区乌金山镇鸣谦村",
            "法定代表人": "王建军",
            "成员数": "1,236人",
            "户数": "412",
            "登记日期": "2019-11-20",
            "赋码日期": "2019/11/20",
            "更新时间": "2024-03-01 10:30:00"
        })
    }

    #[test]
    fn a_village_organisation_normalises_exactly() {
        let o = normalise(&sample()).unwrap();
        let code = complete("N2140702MA0B1C2D");
        assert_eq!(o.native_id, code, "canonical uppercase");
        assert_eq!(o.key, format!("jz:{code}"));
        assert_eq!(o.credit_code, code);
        assert_eq!(
            (o.level, o.level_raw.as_str()),
            (OrganisationLevel::Village, "N2")
        );
        assert_eq!(o.registration_region_code, "140702");
        assert_eq!(
            o.region_code.as_deref(),
            Some("140702100200"),
            "from the address"
        );
        assert_eq!(o.county_code.as_deref(), Some("140702"));
        assert_eq!(o.legal_representative.as_deref(), Some("王**"));
        assert_eq!((o.member_count, o.household_count), (Some(1236), Some(412)));
        assert_eq!(o.registration_date, NaiveDate::from_ymd_opt(2019, 11, 20));
        assert_eq!(o.code_assigned_date, NaiveDate::from_ymd_opt(2019, 11, 20));
    }

    /// Levels from the code, and the village from a field, the address or the name.
    #[test]
    fn levels_and_villages() {
        let taigu = first_village_of("140703");
        /// First 16 code characters, record changes; level, village, county.
        type Case<'a> = (
            &'a str,
            Value,
            OrganisationLevel,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: &[Case] = &[
            // Group level: the village from the name, its group part set aside; searched
            // within 榆次区 from the code.
            (
                "N1140702MA0B1C3E",
                json!({"组织名称": "鸣谦村第一村民小组经济合作社", "住所": null}),
                OrganisationLevel::Group,
                Some("140702100200"),
                Some("140702"),
            ),
            // Township level: no village even with one in the address.
            (
                "N3140702MA0B1C4F",
                json!({"组织名称": "乌金山镇股份经济联合社", "住所": "榆次区乌金山镇"}),
                OrganisationLevel::Township,
                None,
                Some("140702"),
            ),
            // A village code field wins; 太谷's retired prefix is mapped, while the code's
            // own region stays as issued.
            (
                "N2140726MA0B1C5G",
                json!({"行政区划代码": format!("140726{}", &taigu[6..])}),
                OrganisationLevel::Village,
                Some(taigu.as_str()),
                Some("140703"),
            ),
            // A place that does not resolve leaves the village null, not the record dead.
            (
                "N2140702MA0B1C6H",
                json!({"组织名称": "某某村股份经济合作社", "住所": "某地"}),
                OrganisationLevel::Village,
                None,
                Some("140702"),
            ),
        ];
        for (first16, changes, level, region, county) in cases {
            let mut record = sample();
            record["统一社会信用代码"] = json!(complete(first16));
            for (k, v) in changes.as_object().unwrap() {
                record[k] = v.clone();
            }
            let o = normalise(&record).unwrap_or_else(|e| panic!("{first16}: {e:?}"));
            assert_eq!(o.level, *level, "{first16}");
            assert_eq!(o.region_code.as_deref(), *region, "{first16}");
            assert_eq!(o.county_code.as_deref(), *county, "{first16}");
            assert_eq!(o.registration_region_code, first16[2..8], "{first16}");
        }
    }

    #[test]
    fn only_collective_economic_organisations_are_accepted() {
        for (code, kind) in [
            ("91350100M000100Y43".to_owned(), "91"),
            (complete("93140702MA0K3L4P"), "93"),
            (complete("N9140702MA0K3L4P"), "N9"),
        ] {
            let mut record = sample();
            record["统一社会信用代码"] = json!(code);
            let err = normalise(&record).unwrap_err();
            assert_eq!(err.reason, Reason::NotACollectiveOrganisation, "{code}");
            assert_eq!(err.reason.code(), "not_a_collective_organisation");
            assert_eq!(err.field.as_deref(), Some("统一社会信用代码"));
            assert_eq!(err.native_id.as_deref(), Some(code.as_str()));
            assert!(err.message.contains(kind), "{}", err.message);
        }
    }

    #[test]
    fn each_bad_field_is_named_with_its_reason() {
        let code = complete("N2140702MA0B1C2D");
        let cases: &[(&str, Value, Reason)] = &[
            ("统一社会信用代码", Value::Null, Reason::MissingField),
            (
                "统一社会信用代码",
                json!(format!("{}0", &code[..17])),
                Reason::BadCreditCode,
            ),
            ("组织名称", Value::Null, Reason::MissingField),
            (
                "更新时间",
                json!("2024-03-01T10:30:00"),
                Reason::BadTimestamp,
            ),
            ("行政区划代码", json!("140702100000"), Reason::UnknownRegion),
            ("成员数", json!("约1200人"), Reason::BadCount),
            ("户数", json!("41.5"), Reason::BadCount),
            ("登记日期", json!("2019-02-29"), Reason::BadDate),
            ("赋码日期", json!("11/20/2019"), Reason::BadDate),
        ];
        for (field, value, reason) in cases {
            let mut record = sample();
            record[*field] = value.clone();
            let err = normalise(&record).unwrap_err();
            assert_eq!(
                (err.reason, err.field.as_deref()),
                (*reason, Some(*field)),
                "{field}: {err:?}"
            );
        }
    }

    #[test]
    fn a_persons_id_in_the_code_column_is_not_repeated() {
        let mut record = sample();
        record["统一社会信用代码"] = json!("11010519491231002X");
        record["法定代表人联系电话"] = json!("13800138000");
        let err = normalise(&record).unwrap_err();
        assert_eq!(err.reason, Reason::BadCreditCode);
        let native_id = err.native_id.unwrap();
        assert!(
            !native_id.contains("11010519491231002X") && native_id.starts_with("[id:"),
            "{native_id}"
        );
        assert!(
            !err.message.contains("11010519491231002X"),
            "{}",
            err.message
        );
        let raw = protected_raw_organisation(&record, &fields(), &protector());
        for secret in ["11010519491231002X", "13800138000", "王建军"] {
            assert!(!raw.contains(secret), "{secret} in {raw}");
        }
        assert!(
            raw.contains("王**") && raw.contains("鸣谦村股份经济合作社"),
            "{raw}"
        );
    }

    #[test]
    fn config_renames_fields() {
        let table: toml::Table =
            toml::from_str("name = \"集体经济组织名称\"\nmember_count = \"成员人数\"").unwrap();
        let f = OrganisationFields::validate(&table, "sources.jz.fields").unwrap();
        let mut record = sample();
        record["集体经济组织名称"] = record["组织名称"].take();
        record["成员人数"] = json!(88);
        let o = normalise_organisation(
            "jz",
            &record,
            &f,
            chrono_tz::Asia::Shanghai,
            FORMAT,
            &protector(),
        )
        .unwrap();
        assert_eq!(o.member_count, Some(88));
        for (text, key) in [
            ("credit_code = \"\"", "sources.jz.fields.credit_code"),
            ("level = \"层级\"", "sources.jz.fields"),
        ] {
            let table: toml::Table = toml::from_str(text).unwrap();
            assert_eq!(
                OrganisationFields::validate(&table, "sources.jz.fields")
                    .unwrap_err()
                    .key,
                key
            );
        }
    }

    #[test]
    fn the_schema_keeps_the_pipeline_conventions_and_values_round_trip() {
        assert_schema_conventions(ORGANISATION_SCHEMA);
        let value = organisation_value(&normalise(&sample()).unwrap());
        assert_eq!(round_trip(ORGANISATION_SCHEMA, &value), value);
        let sparse = json!({
            "统一社会信用代码": complete("N3140702MA0B1C4F"),
            "组织名称": "乌金山镇股份经济联合社",
            "更新时间": "2024-03-01 10:30:00"
        });
        let o = normalise(&sparse).unwrap();
        assert_eq!((&o.region_code, &o.legal_representative), (&None, &None));
        let value = organisation_value(&o);
        assert_eq!(round_trip(ORGANISATION_SCHEMA, &value), value);
    }
}
