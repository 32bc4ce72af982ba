//! `[sources.<name>.fields]` of a `collective_organisation` source. The family has no
//! vocabulary fields: the level comes from the credit code.

use serde::Deserialize;

use crate::family::read::require_names;
use crate::family::Words;
use crate::settings::Invalid;

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
    /// Validate the mapping of source `key` (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] for an empty required field name, or any `values` table (there is no
    /// vocabulary field to map).
    pub fn validate(
        raw: RawOrganisationFields,
        words: &Words,
        key: &str,
    ) -> Result<OrganisationFields, Invalid> {
        if let Some(field) = words.keys().next() {
            return Err(Invalid::new(
                format!("{key}.values.{field}"),
                "collective organisations have no vocabulary fields to map",
            ));
        }
        require_names(
            &format!("{key}.fields"),
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
