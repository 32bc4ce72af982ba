//! `[sources.<name>.fields]` and `.values` of a `property_rights_transaction` source.

use serde::Deserialize;

use crate::family::read::{money_unit, party_fields, require_names, PartyFields};
use crate::family::words::{value_maps, value_maps_struct};
use crate::family::Words;
use crate::normalize::parse::MoneyUnit;
use crate::normalize::vocab::{Category, LifecycleStatus, TradeMethod, TransferType};
use crate::settings::Invalid;

/// `[sources.<name>.fields]`: upstream field names of a property-rights transaction.
/// The defaults are the common Chinese names (as the simulator serves them).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTransactionFields {
    /// 项目编号 — the native id.
    pub id: String,
    /// 项目名称
    pub name: String,
    /// 交易品种
    pub category: String,
    /// 交易方式
    pub method: String,
    /// 流转方式
    pub transfer_type: String,
    /// 项目状态
    pub status: String,
    /// 12-digit village code.
    pub region_code: String,
    /// 坐落
    pub location: String,
    /// 面积 (number or text)
    pub area: String,
    /// 面积单位 (亩, 分, 公顷, 平方米, ㎡)
    pub area_unit: String,
    /// 流转期限
    pub term: String,
    /// 挂牌价 field and the unit its amounts are in (`万元` or `元`).
    pub listing_price: String,
    pub listing_price_unit: String,
    /// 成交价 field and the unit its amounts are in.
    pub deal_price: String,
    pub deal_price_unit: String,
    /// 价款单位 — a field giving the unit (元 or 万元) of this record's prices; when the
    /// record has it, it overrides `listing_price_unit` and `deal_price_unit` (a unit
    /// written in the cell still wins). "" when the platform has no such field.
    /// Default `价款单位`.
    pub price_unit: String,
    /// 成交日期
    pub deal_date: String,
    /// 成交单价 — a unit price with its unit in the cell (`500元/亩/年`); "" when not
    /// published. Default `成交单价`.
    pub unit_price: String,
    /// 更新时间 — also the incremental cursor.
    pub updated_at: String,
    /// 转出方 — transferor: name, type (自然人 person / 法人 organisation), identifier
    /// (ID number or unified social credit code), phone. Set a name to "" when the
    /// platform does not publish it.
    pub transferor: String,
    pub transferor_type: String,
    pub transferor_id: String,
    pub transferor_phone: String,
    /// 受让方 — transferee, as the transferor.
    pub transferee: String,
    pub transferee_type: String,
    pub transferee_id: String,
    pub transferee_phone: String,
}

impl Default for RawTransactionFields {
    fn default() -> Self {
        RawTransactionFields {
            id: "项目编号".into(),
            name: "项目名称".into(),
            category: "交易品种".into(),
            method: "交易方式".into(),
            transfer_type: "流转方式".into(),
            status: "项目状态".into(),
            region_code: "行政区划代码".into(),
            location: "坐落".into(),
            area: "面积".into(),
            area_unit: "面积单位".into(),
            term: "流转期限".into(),
            listing_price: "挂牌价(万元)".into(),
            listing_price_unit: "万元".into(),
            deal_price: "成交价(万元)".into(),
            deal_price_unit: "万元".into(),
            price_unit: "价款单位".into(),
            deal_date: "成交日期".into(),
            unit_price: "成交单价".into(),
            updated_at: "更新时间".into(),
            transferor: "转出方".into(),
            transferor_type: "转出方类型".into(),
            transferor_id: "转出方证件号码".into(),
            transferor_phone: "转出方联系电话".into(),
            transferee: "受让方".into(),
            transferee_type: "受让方类型".into(),
            transferee_id: "受让方证件号码".into(),
            transferee_phone: "受让方联系电话".into(),
        }
    }
}

/// Upstream field names of a transaction, validated (money units parsed).
#[derive(Debug, Clone)]
pub struct TransactionFields {
    pub id: String,
    pub name: String,
    pub category: String,
    pub method: String,
    pub transfer_type: String,
    pub status: String,
    pub region_code: String,
    pub location: String,
    pub area: String,
    pub area_unit: String,
    pub term: String,
    pub listing_price: String,
    pub listing_price_unit: MoneyUnit,
    pub deal_price: String,
    pub deal_price_unit: MoneyUnit,
    pub price_unit: String,
    pub deal_date: String,
    pub unit_price: String,
    pub updated_at: String,
    pub transferor: PartyFields,
    pub transferee: PartyFields,
    /// The source's own words for the vocabulary fields.
    pub values: TransactionValues,
}

value_maps_struct! {
    /// Per-source value maps of the transaction's vocabulary fields.
    pub struct TransactionValues {
        category: Category,
        method: TradeMethod,
        transfer_type: TransferType,
        status: LifecycleStatus,
    }
}

impl TransactionFields {
    /// Validate the mapping of source `key` (`sources.<name>`).
    ///
    /// # Errors
    /// When a money unit is not `元` or `万元`, a required field name is empty, or a
    /// value map names a field without a vocabulary or a symbol not in it.
    pub fn validate(
        raw: RawTransactionFields,
        words: &Words,
        key: &str,
    ) -> Result<TransactionFields, Invalid> {
        let key_fields = format!("{key}.fields");
        let k = key_fields.as_str();
        require_names(
            k,
            &[
                ("id", &raw.id),
                ("name", &raw.name),
                ("category", &raw.category),
                ("status", &raw.status),
                ("region_code", &raw.region_code),
                ("updated_at", &raw.updated_at),
            ],
        )?;
        Ok(TransactionFields {
            listing_price_unit: money_unit(k, "listing_price_unit", &raw.listing_price_unit)?,
            deal_price_unit: money_unit(k, "deal_price_unit", &raw.deal_price_unit)?,
            values: value_maps(words, &format!("{key}.values"))?,
            transferor: party_fields(
                &raw.transferor,
                &raw.transferor_type,
                &raw.transferor_id,
                &raw.transferor_phone,
            ),
            transferee: party_fields(
                &raw.transferee,
                &raw.transferee_type,
                &raw.transferee_id,
                &raw.transferee_phone,
            ),
            id: raw.id,
            name: raw.name,
            category: raw.category,
            method: raw.method,
            transfer_type: raw.transfer_type,
            status: raw.status,
            region_code: raw.region_code,
            location: raw.location,
            area: raw.area,
            area_unit: raw.area_unit,
            term: raw.term,
            listing_price: raw.listing_price,
            deal_price: raw.deal_price,
            price_unit: raw.price_unit,
            deal_date: raw.deal_date,
            unit_price: raw.unit_price,
            updated_at: raw.updated_at,
        })
    }
}
