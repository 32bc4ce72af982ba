//! `[sources.<name>.fields]` and `.values` of a `collective_asset` source.

use serde::Deserialize;

use crate::family::read::PartyFields;
use crate::family::read::{area_unit, money_unit, party_fields, require_names, require_one_of};
use crate::family::words::{value_maps, value_maps_struct};
use crate::family::Words;
use crate::normalize::parse::{AreaUnit, MoneyUnit};
use crate::normalize::vocab::{AccountingSystem, AssetClass, AssetTopClass, OperatingMode};
use crate::settings::Invalid;

/// `[sources.<name>.fields]` of a `collective_asset` source: upstream field names of a
/// ledger entry. The defaults are the common Chinese names. A field the platform does not
/// publish may keep its default name: absent fields read as not published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAssetFields {
    /// 资产编码 — the native id.
    pub id: String,
    /// 资产名称
    pub name: String,
    /// 资产类别 — the class path (`资源性资产/农用地/耕地`, separators `/ > \ | -`) or a
    /// single class (`固定资产`).
    pub class_path: String,
    /// 三资类别 — a separate top-class field (资金/资产/资源), where the platform has one.
    pub top_class: String,
    /// 是否经营性 — yes/no (是/否, 经营性/非经营性, 1/0).
    pub operating: String,
    /// 取得日期
    pub acquired_date: String,
    /// 原值 field and the unit its bare numbers are in (`元` or `万元`; a unit in the cell
    /// wins).
    pub original_value: String,
    pub original_value_unit: String,
    /// 累计折旧 field and its unit.
    pub accumulated_depreciation: String,
    pub accumulated_depreciation_unit: String,
    /// 净值 field and its unit.
    pub net_value: String,
    pub net_value_unit: String,
    /// 数量 (a number, or a number with its unit: `3台`).
    pub quantity: String,
    /// 计量单位
    pub quantity_unit: String,
    /// 面积 (a number, or a number with its unit: `35.5亩`).
    pub area: String,
    /// 面积单位 (亩, 分, 公顷, 平方米, ㎡).
    pub area_unit: String,
    /// Unit of bare numbers in the area field when the record has no unit field (the
    /// header said `面积(亩)`): `亩`, `公顷`, `平方米` …; empty (default) refuses bare
    /// numbers without a unit rather than guess.
    pub area_default_unit: String,
    /// 坐落
    pub location: String,
    /// 12-digit village code of the owning collective.
    pub region_code: String,
    /// 所属单位 — the owning collective as a written place or name (`榆次区乌金山镇鸣谦村`,
    /// `…鸣谦村股份经济合作社`), resolved to a village when the record has no code.
    pub owner: String,
    /// 权证号
    pub certificate_number: String,
    /// 使用状态
    pub usage_status: String,
    /// 经营方式
    pub operating_mode: String,
    /// 年收益 field and its unit.
    pub annual_income: String,
    pub annual_income_unit: String,
    /// 会计制度
    pub accounting_system: String,
    /// The accounting system of the whole source when records do not say:
    /// `ACCOUNTING_2004` or `ACCOUNTING_2024`; empty (default) for UNKNOWN.
    pub accounting_system_default: String,
    /// 使用人 — current user: name, type (自然人 / 法人), identifier (ID number or credit
    /// code), phone. Set a name to "" when the platform does not publish it.
    pub current_user: String,
    pub current_user_type: String,
    pub current_user_id: String,
    pub current_user_phone: String,
    /// 更新时间 — also the incremental cursor.
    pub updated_at: String,
}

impl Default for RawAssetFields {
    fn default() -> Self {
        RawAssetFields {
            id: "资产编码".into(),
            name: "资产名称".into(),
            class_path: "资产类别".into(),
            top_class: "三资类别".into(),
            operating: "是否经营性".into(),
            acquired_date: "取得日期".into(),
            original_value: "原值".into(),
            original_value_unit: "元".into(),
            accumulated_depreciation: "累计折旧".into(),
            accumulated_depreciation_unit: "元".into(),
            net_value: "净值".into(),
            net_value_unit: "元".into(),
            quantity: "数量".into(),
            quantity_unit: "计量单位".into(),
            area: "面积".into(),
            area_unit: "面积单位".into(),
            area_default_unit: String::new(),
            location: "坐落".into(),
            region_code: "行政区划代码".into(),
            owner: "所属单位".into(),
            certificate_number: "权证号".into(),
            usage_status: "使用状态".into(),
            operating_mode: "经营方式".into(),
            annual_income: "年收益".into(),
            annual_income_unit: "元".into(),
            accounting_system: "会计制度".into(),
            accounting_system_default: String::new(),
            current_user: "使用人".into(),
            current_user_type: "使用人类型".into(),
            current_user_id: "使用人证件号码".into(),
            current_user_phone: "使用人联系电话".into(),
            updated_at: "更新时间".into(),
        }
    }
}

/// Upstream field names of a ledger entry, validated (units parsed).
#[derive(Debug, Clone)]
pub struct AssetFields {
    pub id: String,
    pub name: String,
    pub class_path: String,
    pub top_class: String,
    pub operating: String,
    pub acquired_date: String,
    pub original_value: String,
    pub original_value_unit: MoneyUnit,
    pub accumulated_depreciation: String,
    pub accumulated_depreciation_unit: MoneyUnit,
    pub net_value: String,
    pub net_value_unit: MoneyUnit,
    pub quantity: String,
    pub quantity_unit: String,
    pub area: String,
    pub area_unit: String,
    pub area_default_unit: Option<AreaUnit>,
    pub location: String,
    pub region_code: String,
    pub owner: String,
    pub certificate_number: String,
    pub usage_status: String,
    pub operating_mode: String,
    pub annual_income: String,
    pub annual_income_unit: MoneyUnit,
    pub accounting_system: String,
    pub accounting_system_default: Option<AccountingSystem>,
    pub current_user: PartyFields,
    pub updated_at: String,
    /// The source's own words for the vocabulary fields.
    pub values: AssetValues,
}

impl AssetFields {
    /// Validate the mapping of source `key` (`sources.<name>`).
    ///
    /// # Errors
    /// [`Invalid`] for a money unit other than `元`/`万元`, an unknown area unit or
    /// accounting system symbol, an empty required field name, or a value map naming a
    /// field without a vocabulary or a symbol not in it.
    pub fn validate(raw: RawAssetFields, words: &Words, key: &str) -> Result<AssetFields, Invalid> {
        let key_fields = format!("{key}.fields");
        let k = key_fields.as_str();
        require_names(
            k,
            &[
                ("id", &raw.id),
                ("name", &raw.name),
                ("class_path", &raw.class_path),
                ("updated_at", &raw.updated_at),
            ],
        )?;
        require_one_of(k, ("region_code", &raw.region_code), ("owner", &raw.owner))?;
        let unit = |name: &str, text: &str| money_unit(k, name, text);
        Ok(AssetFields {
            accounting_system_default: accounting_system(k, &raw.accounting_system_default)?,
            original_value_unit: unit("original_value_unit", &raw.original_value_unit)?,
            accumulated_depreciation_unit: unit(
                "accumulated_depreciation_unit",
                &raw.accumulated_depreciation_unit,
            )?,
            net_value_unit: unit("net_value_unit", &raw.net_value_unit)?,
            annual_income_unit: unit("annual_income_unit", &raw.annual_income_unit)?,
            area_default_unit: area_unit(k, "area_default_unit", &raw.area_default_unit)?,
            values: value_maps(words, &format!("{key}.values"))?,
            current_user: party_fields(
                &raw.current_user,
                &raw.current_user_type,
                &raw.current_user_id,
                &raw.current_user_phone,
            ),
            id: raw.id,
            name: raw.name,
            class_path: raw.class_path,
            top_class: raw.top_class,
            operating: raw.operating,
            acquired_date: raw.acquired_date,
            original_value: raw.original_value,
            accumulated_depreciation: raw.accumulated_depreciation,
            net_value: raw.net_value,
            quantity: raw.quantity,
            quantity_unit: raw.quantity_unit,
            area: raw.area,
            area_unit: raw.area_unit,
            location: raw.location,
            region_code: raw.region_code,
            owner: raw.owner,
            certificate_number: raw.certificate_number,
            usage_status: raw.usage_status,
            operating_mode: raw.operating_mode,
            annual_income: raw.annual_income,
            accounting_system: raw.accounting_system,
            updated_at: raw.updated_at,
        })
    }
}

/// `accounting_system_default`: a symbol, or empty for UNKNOWN.
fn accounting_system(key: &str, text: &str) -> Result<Option<AccountingSystem>, Invalid> {
    match text.trim() {
        "" => Ok(None),
        symbol => AccountingSystem::from_symbol(symbol)
            .map(Some)
            .ok_or_else(|| {
                Invalid::new(
                    format!("{key}.accounting_system_default"),
                    format!(
                        "{symbol:?} is not an accounting system; valid: {}",
                        AccountingSystem::SYMBOLS.join(", ")
                    ),
                )
            }),
    }
}

value_maps_struct! {
    /// Per-source value maps of the ledger entry's vocabulary fields
    /// (`[sources.<name>.values.<field>]`).
    pub struct AssetValues {
        top_class: AssetTopClass,
        sub_class: AssetClass,
        operating_mode: OperatingMode,
        accounting_system: AccountingSystem,
    }
}
