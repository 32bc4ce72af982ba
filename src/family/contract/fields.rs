//! `[sources.<name>.fields]` and `.values` of an `economic_contract` source.

use serde::Deserialize;

use crate::family::read::PartyFields;
use crate::family::read::{area_unit, money_unit, party_fields, require_names, require_one_of};
use crate::family::words::{value_maps, value_maps_struct};
use crate::family::Words;
use crate::normalize::parse::{AreaUnit, MoneyUnit, PriceUnit, TermUnit};
use crate::normalize::vocab::{ContractStatus, ContractType};
use crate::settings::Invalid;

/// `[sources.<name>.fields]` of an `economic_contract` source: upstream field names of a
/// contract. The defaults are the common Chinese names. A field the platform does not
/// publish may keep its default name: absent fields read as not published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawContractFields {
    /// 合同编号 — the native id.
    pub id: String,
    /// 合同名称
    pub name: String,
    /// 合同类型
    pub contract_type: String,
    /// 甲方 — first party (发包方/出租方, usually the collective): name, type (自然人 /
    /// 法人), identifier (ID number or credit code), phone. Set a name to "" when the
    /// platform does not publish it.
    pub party_a: String,
    pub party_a_type: String,
    pub party_a_id: String,
    pub party_a_phone: String,
    /// 乙方 — counterparty (承包方/承租方), as 甲方.
    pub party_b: String,
    pub party_b_type: String,
    pub party_b_id: String,
    pub party_b_phone: String,
    /// 标的
    pub subject: String,
    /// 面积 (a number, or a number with its unit: `35.5亩`).
    pub area: String,
    /// 面积单位 (亩, 分, 公顷, 平方米, ㎡).
    pub area_unit: String,
    /// Unit of bare numbers in the area field when the record has no unit field
    /// (`亩`, `公顷` …); empty (default) refuses them rather than guess.
    pub area_default_unit: String,
    /// 合同总金额 field and the unit its bare numbers are in (`元` or `万元`).
    pub total_amount: String,
    pub total_amount_unit: String,
    /// 年租金 field and its unit: `元` or `万元` for a yearly total, or a unit price
    /// (`元/亩/年`) when the field holds rates. A cell naming its own basis
    /// (`500元/亩/年`) is a unit price either way.
    pub annual_rent: String,
    pub annual_rent_unit: String,
    /// 起始日期 and 终止日期.
    pub start_date: String,
    pub end_date: String,
    /// 起止日期 — one range field (`2020-01-01至2029-12-31`), read where the separate
    /// date fields are not published.
    pub period: String,
    /// 合同期限, and the unit of a bare number in it (`年`, `月`, `天`; empty refuses
    /// bare numbers). Default `年`.
    pub term: String,
    pub term_unit: String,
    /// 已收金额 and 欠收金额 fields and their units.
    pub received: String,
    pub received_unit: String,
    pub owed: String,
    pub owed_unit: String,
    /// 是否民主决策 — yes/no.
    pub democratic_decision: String,
    /// 是否进场交易 — yes/no.
    pub via_exchange: String,
    /// 合同状态
    pub status: String,
    /// 12-digit village code of the collective.
    pub region_code: String,
    /// 所属单位 — the collective as a written place or name, resolved to a village when
    /// the record has no code. Set it to the 甲方 field to resolve from the first party's
    /// name (`榆次区乌金山镇鸣谦村股份经济合作社`).
    pub owner: String,
    /// 更新时间 — also the incremental cursor.
    pub updated_at: String,
}

impl Default for RawContractFields {
    fn default() -> Self {
        RawContractFields {
            id: "合同编号".into(),
            name: "合同名称".into(),
            contract_type: "合同类型".into(),
            party_a: "甲方".into(),
            party_a_type: "甲方类型".into(),
            party_a_id: "甲方证件号码".into(),
            party_a_phone: "甲方联系电话".into(),
            party_b: "乙方".into(),
            party_b_type: "乙方类型".into(),
            party_b_id: "乙方证件号码".into(),
            party_b_phone: "乙方联系电话".into(),
            subject: "标的".into(),
            area: "面积".into(),
            area_unit: "面积单位".into(),
            area_default_unit: String::new(),
            total_amount: "合同总金额".into(),
            total_amount_unit: "元".into(),
            annual_rent: "年租金".into(),
            annual_rent_unit: "元".into(),
            start_date: "起始日期".into(),
            end_date: "终止日期".into(),
            period: "起止日期".into(),
            term: "合同期限".into(),
            term_unit: "年".into(),
            received: "已收金额".into(),
            received_unit: "元".into(),
            owed: "欠收金额".into(),
            owed_unit: "元".into(),
            democratic_decision: "是否民主决策".into(),
            via_exchange: "是否进场交易".into(),
            status: "合同状态".into(),
            region_code: "行政区划代码".into(),
            owner: "所属单位".into(),
            updated_at: "更新时间".into(),
        }
    }
}

/// Upstream field names of a contract, validated (units parsed).
#[derive(Debug, Clone)]
pub struct ContractFields {
    pub id: String,
    pub name: String,
    pub contract_type: String,
    pub party_a: PartyFields,
    pub party_b: PartyFields,
    pub subject: String,
    pub area: String,
    pub area_unit: String,
    pub area_default_unit: Option<AreaUnit>,
    pub total_amount: String,
    pub total_amount_unit: MoneyUnit,
    pub annual_rent: String,
    pub annual_rent_unit: PriceUnit,
    pub start_date: String,
    pub end_date: String,
    pub period: String,
    pub term: String,
    pub term_unit: Option<TermUnit>,
    pub received: String,
    pub received_unit: MoneyUnit,
    pub owed: String,
    pub owed_unit: MoneyUnit,
    pub democratic_decision: String,
    pub via_exchange: String,
    pub status: String,
    pub region_code: String,
    pub owner: String,
    pub updated_at: String,
    /// The source's own words for the vocabulary fields.
    pub values: ContractValues,
}

impl ContractFields {
    /// Validate the mapping of source `key` (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] for a money unit other than `元`/`万元`, an unknown price, area or
    /// term unit, an empty required field name, or a value map naming a field without a
    /// vocabulary or a symbol not in it.
    pub fn validate(
        raw: RawContractFields,
        words: &Words,
        key: &str,
    ) -> Result<ContractFields, Invalid> {
        let key_fields = format!("{key}.fields");
        let k = key_fields.as_str();
        require_names(k, &[("id", &raw.id), ("updated_at", &raw.updated_at)])?;
        require_one_of(k, ("region_code", &raw.region_code), ("owner", &raw.owner))?;
        let annual_rent_unit = PriceUnit::from_text(&raw.annual_rent_unit)
            .map_err(|m| Invalid::new(format!("{k}.annual_rent_unit"), m))?;
        let term_unit = term_unit(k, &raw.term_unit)?;
        Ok(ContractFields {
            party_a: party_fields(
                &raw.party_a,
                &raw.party_a_type,
                &raw.party_a_id,
                &raw.party_a_phone,
            ),
            party_b: party_fields(
                &raw.party_b,
                &raw.party_b_type,
                &raw.party_b_id,
                &raw.party_b_phone,
            ),
            area_default_unit: area_unit(k, "area_default_unit", &raw.area_default_unit)?,
            total_amount_unit: money_unit(k, "total_amount_unit", &raw.total_amount_unit)?,
            received_unit: money_unit(k, "received_unit", &raw.received_unit)?,
            owed_unit: money_unit(k, "owed_unit", &raw.owed_unit)?,
            values: value_maps(words, &format!("{key}.values"))?,
            annual_rent_unit,
            term_unit,
            id: raw.id,
            name: raw.name,
            contract_type: raw.contract_type,
            subject: raw.subject,
            area: raw.area,
            area_unit: raw.area_unit,
            total_amount: raw.total_amount,
            annual_rent: raw.annual_rent,
            start_date: raw.start_date,
            end_date: raw.end_date,
            period: raw.period,
            term: raw.term,
            received: raw.received,
            owed: raw.owed,
            democratic_decision: raw.democratic_decision,
            via_exchange: raw.via_exchange,
            status: raw.status,
            region_code: raw.region_code,
            owner: raw.owner,
            updated_at: raw.updated_at,
        })
    }
}

/// The unit of a bare number in 合同期限; empty refuses bare numbers.
fn term_unit(key: &str, text: &str) -> Result<Option<TermUnit>, Invalid> {
    match text.trim() {
        "" => Ok(None),
        "年" => Ok(Some(TermUnit::Year)),
        "月" | "个月" => Ok(Some(TermUnit::Month)),
        "天" | "日" => Ok(Some(TermUnit::Day)),
        other => Err(Invalid::new(
            format!("{key}.term_unit"),
            format!("unknown term unit {other:?}; valid: 年, 月, 天, or empty"),
        )),
    }
}

value_maps_struct! {
    /// Per-source value maps of the contract's vocabulary fields
    /// (`[sources.<name>.values.<field>]`).
    pub struct ContractValues {
        contract_type: ContractType,
        status: ContractStatus,
    }
}
