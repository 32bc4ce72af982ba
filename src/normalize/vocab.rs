//! Controlled vocabularies of the transaction family and the platforms' words for them.
//!
//! Each enum's `symbol()` is its Avro enum symbol, in the order of `schemas/*.avsc`.
//! A platform word not listed maps to `Other`, and the raw word travels beside it.

/// Declares a vocabulary enum, its Avro symbols in schema order, and the platform words
/// that map to each symbol.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $symbol:literal [$($word:literal),*]),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)* Other }

        impl $name {
            /// Avro symbols in schema order; `OTHER` is last.
            pub const SYMBOLS: &'static [&'static str] = &[$($symbol,)* "OTHER"];

            /// Map a platform's word; unknown words are `Other`.
            pub fn from_word(word: &str) -> $name {
                match word.trim() {
                    $($($word)|* => $name::$variant,)*
                    _ => $name::Other,
                }
            }

            /// Whether `word` is a built-in word (including 其他, which means OTHER),
            /// as opposed to one that fell through to `Other` unrecognised.
            pub fn knows(word: &str) -> bool {
                matches!(word.trim(), $($($word)|*|)* "其他" | "其它")
            }

            /// The variant whose Avro symbol is `symbol`.
            pub fn from_symbol(symbol: &str) -> Option<$name> {
                Self::SYMBOLS.iter().position(|s| *s == symbol).map(|i| Self::ALL[i])
            }

            const ALL: &'static [$name] = &[$($name::$variant,)* $name::Other];

            /// Index of the symbol in the Avro enum.
            pub fn index(self) -> u32 {
                self as u32
            }

            pub fn symbol(self) -> &'static str {
                Self::SYMBOLS[self as usize]
            }
        }
    };
}

/// A source's own words for a vocabulary, from `[sources.<name>.values.<field>]`,
/// consulted before the built-in words.
#[derive(Debug, Clone)]
pub struct ValueMap<T> {
    words: std::collections::HashMap<String, T>,
}

impl<T> Default for ValueMap<T> {
    fn default() -> Self {
        ValueMap {
            words: std::collections::HashMap::new(),
        }
    }
}

impl<T: Copy> ValueMap<T> {
    pub fn new(words: impl IntoIterator<Item = (String, T)>) -> ValueMap<T> {
        ValueMap {
            words: words
                .into_iter()
                .map(|(w, v)| (w.trim().to_owned(), v))
                .collect(),
        }
    }

    /// Whether the source maps `word` itself.
    pub fn contains(&self, word: &str) -> bool {
        self.words.contains_key(word.trim())
    }

    /// The source's mapping of `word`, else `builtin(word)`.
    pub fn map(&self, word: &str, builtin: impl Fn(&str) -> T) -> T {
        self.words
            .get(word.trim())
            .copied()
            .unwrap_or_else(|| builtin(word))
    }
}

vocabulary! {
    /// 交易品种 — category of the property right traded.
    Category {
        LandManagementRight = "LAND_MANAGEMENT_RIGHT" ["农户承包土地经营权", "土地经营权", "承包土地经营权"],
        ForestRight = "FOREST_RIGHT" ["林权"],
        FourWastelandsUseRight = "FOUR_WASTELANDS_USE_RIGHT" ["四荒使用权", "\"四荒\"使用权", "“四荒”使用权", "四荒地使用权"],
        CollectiveOperatingAsset = "COLLECTIVE_OPERATING_ASSET" ["农村集体经营性资产", "集体经营性资产"],
        AgriculturalFacilityEquipment = "AGRICULTURAL_FACILITY_EQUIPMENT" ["农业生产设施设备"],
        SmallWaterConservancyUseRight = "SMALL_WATER_CONSERVANCY_USE_RIGHT" ["小型水利设施使用权"],
        AgriculturalIntellectualProperty = "AGRICULTURAL_INTELLECTUAL_PROPERTY" ["农业类知识产权"],
        AquacultureWaterSurfaceRight = "AQUACULTURE_WATER_SURFACE_RIGHT" ["养殖水面经营权"],
        FarmerHousingPropertyRight = "FARMER_HOUSING_PROPERTY_RIGHT" ["农民住房财产权"],
        CollectiveAssetEquity = "COLLECTIVE_ASSET_EQUITY" ["集体资产股权"],
    }
}

vocabulary! {
    /// 交易方式 — how the counterparty is chosen.
    TradeMethod {
        Agreement = "AGREEMENT" ["协议", "协商", "协议转让"],
        PublicBidding = "PUBLIC_BIDDING" ["公开竞价", "网络竞价", "现场竞价", "竞价"],
        Auction = "AUCTION" ["拍卖"],
        Tender = "TENDER" ["招标"],
        Listing = "LISTING" ["挂牌"],
    }
}

vocabulary! {
    /// 流转方式 — legal form of the transfer.
    TransferType {
        Lease = "LEASE" ["出租", "租赁"],
        Transfer = "TRANSFER" ["转让", "出让"],
        Sale = "SALE" ["出售"],
        ShareContribution = "SHARE_CONTRIBUTION" ["入股"],
        Mortgage = "MORTGAGE" ["抵押"],
        Exchange = "EXCHANGE" ["互换"],
    }
}

vocabulary! {
    /// 项目状态 — lifecycle state of a project on the exchange.
    LifecycleStatus {
        Initiated = "INITIATED" ["立项"],
        UnderReview = "UNDER_REVIEW" ["审核", "待审核", "审核中"],
        Listed = "LISTED" ["挂牌", "公告", "挂牌中"],
        Registration = "REGISTRATION" ["报名", "保证金"],
        Bidding = "BIDDING" ["竞价", "竞价中"],
        DealConcluded = "DEAL_CONCLUDED" ["成交", "结果公示", "已成交"],
        ContractSigned = "CONTRACT_SIGNED" ["合同签订", "已签约"],
        Certified = "CERTIFIED" ["鉴证", "已鉴证"],
        FailedNoBid = "FAILED_NO_BID" ["流拍"],
        Changed = "CHANGED" ["变更"],
        Suspended = "SUSPENDED" ["中止"],
        Terminated = "TERMINATED" ["终止", "撤销"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rust symbols must be the schema's, in the schema's order, or indices lie.
    #[test]
    fn symbols_match_the_schema_file() {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../schemas/property_rights_transaction.avsc"
        ))
        .unwrap();
        let symbols_of = |field: &str| -> Vec<String> {
            let f = schema["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == field)
                .unwrap();
            let ty = if f["type"].is_array() {
                &f["type"][1]
            } else {
                &f["type"]
            };
            ty["symbols"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(symbols_of("category"), Category::SYMBOLS);
        assert_eq!(symbols_of("method"), TradeMethod::SYMBOLS);
        assert_eq!(symbols_of("transfer_type"), TransferType::SYMBOLS);
        assert_eq!(symbols_of("status"), LifecycleStatus::SYMBOLS);
    }

    #[test]
    fn a_sources_own_words_come_first() {
        let map = ValueMap::new([
            ("土地流转".to_owned(), Category::LandManagementRight),
            ("林权".to_owned(), Category::Other),
        ]);
        assert_eq!(
            map.map("土地流转", Category::from_word),
            Category::LandManagementRight
        );
        assert_eq!(
            map.map("林权", Category::from_word),
            Category::Other,
            "overrides the built-in word"
        );
        assert_eq!(map.map("拍卖", Category::from_word), Category::Other);
        assert_eq!(
            Category::from_symbol("FOREST_RIGHT"),
            Some(Category::ForestRight)
        );
        assert_eq!(Category::from_symbol("OTHER"), Some(Category::Other));
        assert_eq!(Category::from_symbol("forest"), None);
    }

    #[test]
    fn platform_words_map_and_unknown_words_are_other() {
        assert_eq!(Category::from_word("林权"), Category::ForestRight);
        assert_eq!(
            Category::from_word("“四荒”使用权").symbol(),
            "FOUR_WASTELANDS_USE_RIGHT"
        );
        assert_eq!(Category::from_word("碳汇"), Category::Other);
        assert_eq!(TradeMethod::from_word(" 拍卖 "), TradeMethod::Auction);
        assert_eq!(LifecycleStatus::from_word("流拍").index(), 8);
        assert_eq!(LifecycleStatus::Other.symbol(), "OTHER");
        assert!(Category::knows("其他") && Category::knows("林权") && !Category::knows("碳汇"));
    }
}
