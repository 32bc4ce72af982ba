//! Controlled vocabularies of the record families and the platforms' words for them.
//!
//! Each enum's `symbol()` is its Avro enum symbol, in the order of `schemas/*.avsc`.
//! A platform word not listed maps to the fallback symbol (`OTHER`, or `UNKNOWN` for
//! [`AccountingSystem`]), and the raw word travels beside it.

/// Declares a vocabulary enum, its Avro symbols in schema order, and the platform words
/// that map to each symbol. Unknown words fall to a last variant: `Other` (`OTHER`) unless
/// the declaration names another with `else Variant = "SYMBOL"` after the enum's name.
macro_rules! vocabulary {
    (@define $(#[$meta:meta])* $name:ident, $fallback:ident = $fallback_symbol:literal { $($variant:ident = $symbol:literal [$($word:literal),*]),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)* $fallback }

        impl $name {
            /// Avro symbols in schema order; the fallback (`OTHER` or `UNKNOWN`) is last.
            pub const SYMBOLS: &'static [&'static str] = &[$($symbol,)* $fallback_symbol];

            /// Map a platform's word; unknown words are the fallback variant.
            pub fn from_word(word: &str) -> $name {
                match word.trim() {
                    $($($word)|* => $name::$variant,)*
                    _ => $name::$fallback,
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

            const ALL: &'static [$name] = &[$($name::$variant,)* $name::$fallback];

            /// Index of the symbol in the Avro enum.
            pub fn index(self) -> u32 {
                self as u32
            }

            pub fn symbol(self) -> &'static str {
                Self::SYMBOLS[self as usize]
            }
        }
    };
    ($(#[$meta:meta])* $name:ident else $fallback:ident = $fallback_symbol:literal { $($body:tt)* }) => {
        vocabulary!(@define $(#[$meta])* $name, $fallback = $fallback_symbol { $($body)* });
    };
    ($(#[$meta:meta])* $name:ident { $($body:tt)* }) => {
        vocabulary!(@define $(#[$meta])* $name, Other = "OTHER" { $($body)* });
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

vocabulary! {
    /// 三资类别 — which of the three ledgers (资金, 资产, 资源) an entry belongs to.
    AssetTopClass {
        Funds = "FUNDS" ["资金", "资金类", "资金类资产"],
        Assets = "ASSETS" ["资产", "资产类", "经营性资产", "非经营性资产", "非资源性资产"],
        Resources = "RESOURCES" ["资源", "资源类", "资源性资产", "资源类资产"],
    }
}

vocabulary! {
    /// 资产科目 — the class of a ledger entry below the three ledgers (DOMAIN.md's list:
    /// funds and debts, assets, resource-type assets).
    AssetClass {
        Cash = "CASH" ["现金", "库存现金"],
        BankDeposit = "BANK_DEPOSIT" ["银行存款"],
        ShortTermInvestment = "SHORT_TERM_INVESTMENT" ["短期投资"],
        Receivable = "RECEIVABLE" ["应收款", "应收款项", "应收账款"],
        InternalAccounts = "INTERNAL_ACCOUNTS" ["内部往来"],
        ShortTermBorrowing = "SHORT_TERM_BORROWING" ["短期借款"],
        Payable = "PAYABLE" ["应付款", "应付款项", "应付账款"],
        WagesAndWelfarePayable = "WAGES_AND_WELFARE_PAYABLE" ["应付工资", "应付福利费", "应付工资及福利费"],
        LongTermBorrowingAndPayable = "LONG_TERM_BORROWING_AND_PAYABLE" ["长期借款及应付款", "长期借款", "长期应付款"],
        OneMatterOneDiscussionFunds = "ONE_MATTER_ONE_DISCUSSION_FUNDS" ["一事一议资金"],
        Inventory = "INVENTORY" ["库存物资", "存货"],
        // 2024 system: 生物资产; 2004 books: 牲畜(禽)资产 and 林木资产. 林木 alone, as a
        // resource, is FOREST_TREES below.
        BiologicalAsset = "BIOLOGICAL_ASSET" ["生物资产", "牲畜(禽)资产", "牲畜（禽）资产", "牲畜资产", "林木资产", "消耗性生物资产", "生产性生物资产", "公益性生物资产"],
        LongTermInvestment = "LONG_TERM_INVESTMENT" ["长期投资", "长期股权投资", "长期债权投资"],
        FixedAsset = "FIXED_ASSET" ["固定资产", "经营性固定资产", "非经营性固定资产"],
        ConstructionInProgress = "CONSTRUCTION_IN_PROGRESS" ["在建工程"],
        IntangibleAsset = "INTANGIBLE_ASSET" ["无形资产"],
        AgriculturalLand = "AGRICULTURAL_LAND" ["农用地", "其他农用地"],
        Farmland = "FARMLAND" ["耕地"],
        GardenLand = "GARDEN_LAND" ["园地"],
        ForestLand = "FOREST_LAND" ["林地"],
        Grassland = "GRASSLAND" ["草地", "牧草地"],
        AquacultureWater = "AQUACULTURE_WATER" ["养殖水面", "坑塘水面"],
        ConstructionLand = "CONSTRUCTION_LAND" ["建设用地"],
        CollectiveOperatingConstructionLand = "COLLECTIVE_OPERATING_CONSTRUCTION_LAND" ["集体经营性建设用地", "经营性建设用地"],
        Homestead = "HOMESTEAD" ["宅基地"],
        PublicWelfareLand = "PUBLIC_WELFARE_LAND" ["公益用地", "公益性用地", "公共设施和公益事业用地"],
        FourWastelands = "FOUR_WASTELANDS" ["四荒地", "\"四荒\"地", "“四荒”地", "四荒", "荒山", "荒沟", "荒丘", "荒滩"],
        ForestTrees = "FOREST_TREES" ["林木", "公益林", "商品林"],
    }
}

impl AssetClass {
    /// The ledger a class belongs to; `None` for `Other`.
    pub fn top_class(self) -> Option<AssetTopClass> {
        use AssetClass::*;
        match self {
            Cash
            | BankDeposit
            | ShortTermInvestment
            | Receivable
            | InternalAccounts
            | ShortTermBorrowing
            | Payable
            | WagesAndWelfarePayable
            | LongTermBorrowingAndPayable
            | OneMatterOneDiscussionFunds => Some(AssetTopClass::Funds),
            Inventory
            | BiologicalAsset
            | LongTermInvestment
            | FixedAsset
            | ConstructionInProgress
            | IntangibleAsset => Some(AssetTopClass::Assets),
            AgriculturalLand
            | Farmland
            | GardenLand
            | ForestLand
            | Grassland
            | AquacultureWater
            | ConstructionLand
            | CollectiveOperatingConstructionLand
            | Homestead
            | PublicWelfareLand
            | FourWastelands
            | ForestTrees => Some(AssetTopClass::Resources),
            Other => None,
        }
    }
}

// Sources of the ledger and contract words below, cited by title: the wording is from these
// documents as they are commonly quoted (no copy of them is at hand here, so no article
// numbers are given):
// [DOMAIN] the project's shared domain reference (DOMAIN.md): its 经营方式 list and the Jinzhong bulletin it quotes
//          (自营, 发包, 租赁, 股份合作);
// [三资]   农业部《关于进一步加强农村集体资金资产资源管理指导的意见》: collective assets and
//          resources are used by 承包, 租赁, 出让, 入股, 合资, 合作;
// [财务]   财政部、农业农村部《农村集体经济组织财务制度》: 发包, 出租, 出让, 入股 of collective
//          assets, 作价入股;
// [承包法] 《中华人民共和国农村土地承包法》: 家庭承包, 其他方式的承包, and the 统一经营 of the
//          双层经营体制 (统分结合);
// [流转]   农业农村部《农村土地经营权流转管理办法》: 出租（转包）, 入股;
// [承包合同] 农业农村部《农村土地承包合同管理办法》: 承包合同, 家庭承包, 其他方式承包;
// [示范文本] 农业农村部、国家市场监督管理总局《农村土地经营权出租合同（示范文本）》and
//          《农村土地经营权入股合同（示范文本）》.
vocabulary! {
    /// 经营方式 — how the collective uses an asset.
    OperatingMode {
        SelfOperated = "SELF_OPERATED" [
            "自营", // [DOMAIN]
            "自主经营",
            "集体自营", // [DOMAIN] 自营 by the collective itself
            "统一经营", // [承包法] the collective's own 统一经营
            "集体统一经营" // [承包法]
        ],
        ContractedOut = "CONTRACTED_OUT" [
            "发包", // [DOMAIN], [财务]
            "承包", // [DOMAIN], [三资]
            "发包经营",
            "承包经营",
            "对外发包",
            "发包/承包", // [DOMAIN], as the pair is written
            "家庭承包", // [承包法], [承包合同]
            "家庭承包经营", // [承包法]
            "其他方式承包", // [承包法], [承包合同]
            "其他方式的承包" // [承包法]
        ],
        Leased = "LEASED" [
            "出租", // [DOMAIN], [财务]
            "租赁", // [DOMAIN], [三资]
            "出租经营",
            "租赁经营",
            "出租/租赁", // [DOMAIN], as the pair is written
            "对外出租" // [财务] 出租 of collective assets to others
        ],
        ShareCooperation = "SHARE_COOPERATION" [
            "入股", // [DOMAIN], [三资], [财务]
            "股份合作", // [DOMAIN]
            "入股经营",
            "入股/股份合作", // [DOMAIN], as the pair is written
            "作价入股", // [财务]
            "股份合作经营", // [DOMAIN]
            "土地经营权入股" // [流转], [示范文本]
        ],
        JointOperation = "JOINT_OPERATION" [
            "联营", // [DOMAIN]
            "合作", // [DOMAIN], [三资]
            "合作经营",
            "联合经营",
            "联营/合作", // [DOMAIN], as the pair is written
            "合资", // [三资]
            "合资经营", // [三资]
            "合资合作" // [三资]
        ],
        Transferred = "TRANSFERRED" [
            "出让", // [DOMAIN], [三资], [财务]
            "出售", // [DOMAIN]
            "转让",
            "出让/出售" // [DOMAIN], as the pair is written
        ],
        Idle = "IDLE" [
            "闲置", // [DOMAIN]
            "未利用",
            "未经营"
        ],
    }
}

vocabulary! {
    /// 会计制度 — the village accounting system a ledger keeps: 村集体经济组织会计制度
    /// (财会〔2004〕12号) or 农村集体经济组织会计制度 (财会〔2023〕14号, in force 2024).
    AccountingSystem else Unknown = "UNKNOWN" {
        Accounting2004 = "ACCOUNTING_2004" ["2004", "2004版", "2004年", "村集体经济组织会计制度", "财会〔2004〕12号", "财会[2004]12号", "财会(2004)12号", "财会（2004）12号"],
        Accounting2024 = "ACCOUNTING_2024" ["2024", "2024版", "2024年", "农村集体经济组织会计制度", "财会〔2023〕14号", "财会[2023]14号", "财会(2023)14号", "财会（2023）14号"],
    }
}

vocabulary! {
    /// 合同类型 — kind of an economic contract. Sources as for [`OperatingMode`]. An 入股
    /// contract (`农村土地经营权入股合同` [示范文本]) and a 合作经营 contract have no symbol
    /// of their own in the schema yet, so they stay `OTHER` with their word beside it.
    ContractType {
        Contracting = "CONTRACTING" [
            "发包",
            "承包",
            "发包合同",
            "承包合同", // [承包合同]
            "土地承包",
            "承包经营",
            "承包经营合同",
            "土地承包合同", // [承包合同]
            "农村土地承包合同", // [承包合同]
            "家庭承包合同", // [承包合同] a contract of 家庭承包
            "其他方式承包合同", // [承包合同], [承包法]
            "土地承包经营合同" // [承包法] 土地承包经营权 granted by contract
        ],
        Lease = "LEASE" [
            "租赁",
            "出租",
            "租赁合同",
            "出租合同",
            "土地经营权出租合同", // [示范文本]
            "农村土地经营权出租合同", // [示范文本]
            "出租（转包）合同", // [流转] 出租（转包）
            "资产租赁合同", // [三资] 租赁 of collective assets
            "资源租赁合同" // [三资] 租赁 of collective resources
        ],
        Sale = "SALE" [
            "出售",
            "转让",
            "出让",
            "买卖",
            "出售合同",
            "转让合同",
            "买卖合同",
            "出让合同", // [三资], [财务] 出让 of collective assets
            "资产出让合同" // [三资]
        ],
        Construction = "CONSTRUCTION" ["建设工程", "工程", "施工", "建设工程合同", "工程合同", "施工合同"],
        Service = "SERVICE" ["服务", "劳务", "委托", "服务合同", "劳务合同", "委托合同"],
    }
}

vocabulary! {
    /// 合同状态 — where an economic contract stands.
    ContractStatus {
        Draft = "DRAFT" ["草稿", "拟签", "待签订", "未签订"],
        InForce = "IN_FORCE" ["履行中", "执行中", "生效", "已生效", "有效", "正常", "正常履行"],
        Expired = "EXPIRED" ["到期", "已到期", "期满", "履行完毕"],
        Terminated = "TERMINATED" ["终止", "解除", "已终止", "已解除", "提前终止", "提前解除"],
    }
}

vocabulary! {
    /// Kind of a contract term ([`super::parse::Term`]).
    TermKind {
        Fixed = "FIXED" ["固定期限", "定期"],
        Permanent = "PERMANENT" ["永久"],
        Indefinite = "INDEFINITE" ["长期", "不定期", "无固定期限", "无期限"],
    }
}

vocabulary! {
    /// 层级 — level of a collective economic organisation (credit code kinds N1, N2, N3).
    OrganisationLevel {
        Group = "GROUP" ["组级", "村民小组", "组"],
        Village = "VILLAGE" ["村级", "村"],
        Township = "TOWNSHIP" ["乡镇级", "乡级", "镇级", "乡镇"],
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

    /// The symbols of the enum type called `name`, wherever it is declared in `schema`.
    fn enum_symbols(schema: &serde_json::Value, name: &str) -> Option<Vec<String>> {
        match schema {
            serde_json::Value::Object(o) => {
                if o.get("type").and_then(|t| t.as_str()) == Some("enum")
                    && o.get("name").and_then(|n| n.as_str()) == Some(name)
                {
                    return o["symbols"].as_array().map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    });
                }
                o.values().find_map(|v| enum_symbols(v, name))
            }
            serde_json::Value::Array(a) => a.iter().find_map(|v| enum_symbols(v, name)),
            _ => None,
        }
    }

    /// The ledger families' Rust symbols are their schema files', in order, and each
    /// enum's Avro default is its fallback symbol.
    #[test]
    fn ledger_symbols_match_their_schema_files() {
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        let asset = parse(include_str!("../../schemas/collective_asset.avsc"));
        let contract = parse(include_str!("../../schemas/economic_contract.avsc"));
        let organisation = parse(include_str!("../../schemas/collective_organisation.avsc"));
        let cases: &[(&serde_json::Value, &str, &[&str])] = &[
            (&asset, "AssetTopClass", AssetTopClass::SYMBOLS),
            (&asset, "AssetClass", AssetClass::SYMBOLS),
            (&asset, "OperatingMode", OperatingMode::SYMBOLS),
            (&asset, "AccountingSystem", AccountingSystem::SYMBOLS),
            (&contract, "ContractType", ContractType::SYMBOLS),
            (&contract, "ContractStatus", ContractStatus::SYMBOLS),
            (&contract, "TermKind", TermKind::SYMBOLS),
            (
                &organisation,
                "OrganisationLevel",
                OrganisationLevel::SYMBOLS,
            ),
        ];
        for (schema, name, symbols) in cases {
            assert_eq!(
                enum_symbols(schema, name).as_deref(),
                Some(&symbols.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()[..]),
                "{name}"
            );
        }
        // The Party record declared again in the ledger schemas has the transaction's
        // PartyKind symbols.
        for schema in [&asset, &contract] {
            assert_eq!(
                enum_symbols(schema, "PartyKind").unwrap(),
                ["PERSON", "ORGANISATION", "UNKNOWN"]
            );
        }
        assert_eq!(AccountingSystem::SYMBOLS.last(), Some(&"UNKNOWN"));
        assert_eq!(
            AccountingSystem::from_word("财会〔2023〕14号"),
            AccountingSystem::Accounting2024
        );
        assert_eq!(
            AccountingSystem::from_word("手工账"),
            AccountingSystem::Unknown
        );
        assert_eq!(AccountingSystem::Unknown.symbol(), "UNKNOWN");
        assert_eq!(
            AccountingSystem::from_symbol("UNKNOWN"),
            Some(AccountingSystem::Unknown)
        );
    }

    #[test]
    fn ledger_words_map_and_classes_know_their_ledger() {
        let cases: &[(&str, AssetClass, Option<AssetTopClass>)] = &[
            ("现金", AssetClass::Cash, Some(AssetTopClass::Funds)),
            (
                "一事一议资金",
                AssetClass::OneMatterOneDiscussionFunds,
                Some(AssetTopClass::Funds),
            ),
            (
                "牲畜(禽)资产",
                AssetClass::BiologicalAsset,
                Some(AssetTopClass::Assets),
            ),
            (
                "林木资产",
                AssetClass::BiologicalAsset,
                Some(AssetTopClass::Assets),
            ),
            (
                "林木",
                AssetClass::ForestTrees,
                Some(AssetTopClass::Resources),
            ),
            (
                "“四荒”地",
                AssetClass::FourWastelands,
                Some(AssetTopClass::Resources),
            ),
            (
                "集体经营性建设用地",
                AssetClass::CollectiveOperatingConstructionLand,
                Some(AssetTopClass::Resources),
            ),
            ("碳汇林", AssetClass::Other, None),
        ];
        for (word, class, top) in cases {
            assert_eq!(AssetClass::from_word(word), *class, "{word}");
            assert_eq!(class.top_class(), *top, "{word}");
        }
        assert_eq!(
            OperatingMode::from_word("股份合作"),
            OperatingMode::ShareCooperation
        );
        assert_eq!(OperatingMode::from_word("托管"), OperatingMode::Other);
        assert_eq!(ContractType::from_word("租赁合同"), ContractType::Lease);
        assert_eq!(ContractStatus::from_word("执行中"), ContractStatus::InForce);
        assert_eq!(
            ContractStatus::from_word("解除"),
            ContractStatus::Terminated
        );
        assert_eq!(OrganisationLevel::Township.index(), 2);
        assert!(AccountingSystem::knows("2004") && !AccountingSystem::knows("2010"));
    }

    #[test]
    fn ministry_wordings_map_to_operating_modes_and_contract_kinds() {
        use OperatingMode as M;
        // (word, mode) — 16 cases, the last three are not operating modes
        let modes: &[(&str, M)] = &[
            ("集体统一经营", M::SelfOperated),
            ("统一经营", M::SelfOperated),
            ("家庭承包", M::ContractedOut),
            ("其他方式承包", M::ContractedOut),
            (" 发包/承包 ", M::ContractedOut),
            ("出租/租赁", M::Leased),
            ("对外出租", M::Leased),
            ("作价入股", M::ShareCooperation),
            ("土地经营权入股", M::ShareCooperation),
            ("股份合作经营", M::ShareCooperation),
            ("合资经营", M::JointOperation),
            ("联营/合作", M::JointOperation),
            ("出让/出售", M::Transferred),
            ("托管", M::Other),
            ("借用", M::Other),
            ("无偿使用", M::Other),
        ];
        for (word, mode) in modes {
            assert_eq!(OperatingMode::from_word(word), *mode, "{word}");
            assert_eq!(OperatingMode::knows(word), *mode != M::Other, "{word}");
        }
        use ContractType as C;
        // (word, kind) — 14 cases, the last three have no symbol (yet) and stay OTHER
        let kinds: &[(&str, C)] = &[
            ("农村土地承包合同", C::Contracting),
            ("家庭承包合同", C::Contracting),
            ("其他方式承包合同", C::Contracting),
            ("土地承包经营合同", C::Contracting),
            ("农村土地经营权出租合同", C::Lease),
            ("土地经营权出租合同", C::Lease),
            ("出租（转包）合同", C::Lease),
            ("资产租赁合同", C::Lease),
            ("资源租赁合同", C::Lease),
            ("出让合同", C::Sale),
            ("资产出让合同", C::Sale),
            ("农村土地经营权入股合同", C::Other),
            ("合作经营合同", C::Other),
            ("联营合同", C::Other),
        ];
        for (word, kind) in kinds {
            assert_eq!(ContractType::from_word(word), *kind, "{word}");
        }
    }
}
