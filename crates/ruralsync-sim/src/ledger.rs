//! A village collective's asset ledger (村集体资产台账), deterministic from a seed: the
//! rows a village accountant keeps for buildings, machinery, facilities, investments and
//! resource land, with exact amounts (yuan to the fen), areas with their units, and the
//! canonical values each row must normalise to ([`LedgerRow::expected`]), so tests can
//! compare what lands in Kafka field by field.
//!
//! The village is one of Jinzhong's village committees ([`super::geography`]). Amounts
//! are drawn as integer fen and areas as integer hundredths or tenths of their unit, then
//! turned into exact decimals; floats are used only to draw.
//!
//! [`super::export`] writes a ledger as Chinese Windows saves it (GBK CSV, XLSX).

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::geography::Geography;

/// The ledger's columns, in export order; the names are the `collective_asset`
/// family's default field names.
pub const COLUMNS: &[&str] = &[
    "资产编码",
    "资产名称",
    "资产类别",
    "是否经营性",
    "取得日期",
    "数量",
    "计量单位",
    "面积",
    "面积单位",
    "原值",
    "累计折旧",
    "净值",
    "坐落",
    "所属单位",
    "行政区划代码",
    "权证号",
    "使用状态",
    "经营方式",
    "年收益",
    "会计制度",
    "更新时间",
];

/// The accounting system the ledgers are kept in (财会〔2023〕14号, in force 2024).
pub const ACCOUNTING_SYSTEM: &str = "农村集体经济组织会计制度";

/// The village whose collective keeps the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerVillage {
    /// Twelve-digit statistics code.
    pub code: String,
    pub county: String,
    pub town: String,
    /// Short name: 鸣谦村.
    pub name: String,
}

impl LedgerVillage {
    /// The export's title row: `晋中市榆次区乌金山镇鸣谦村集体资产台账`.
    pub fn title(&self) -> String {
        format!(
            "晋中市{}{}{}集体资产台账",
            self.county, self.town, self.name
        )
    }

    /// The owning collective: `鸣谦村股份经济合作社`.
    pub fn collective(&self) -> String {
        format!("{}股份经济合作社", self.name)
    }
}

/// A deliberate defect of a row, and the dead letter it must cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFault {
    /// 取得日期 `2023年2月30日`: no such day.
    BadDate,
    /// 净值 one fen more than 原值 − 累计折旧.
    InconsistentNet,
    /// 原值 is an Excel error (`#REF!`, a formula whose reference was deleted).
    ErrorCell,
}

impl RowFault {
    /// The dead letter's reason code and field.
    pub fn outcome(self) -> (&'static str, &'static str) {
        match self {
            RowFault::BadDate => ("bad_date", "取得日期"),
            RowFault::InconsistentNet => ("inconsistent_values", "净值"),
            RowFault::ErrorCell => ("bad_amount", "原值"),
        }
    }
}

/// One ledger row as the accountant keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// 资产编码: `ZC<village code>-<5-digit sequence>`.
    pub id: String,
    pub name: String,
    /// 资产类别 path.
    pub class_path: &'static str,
    pub operating: bool,
    pub acquired: NaiveDate,
    pub quantity: Option<u32>,
    pub quantity_unit: Option<&'static str>,
    /// Area in `area_unit`.
    pub area: Option<Decimal>,
    /// `亩` or `平方米`.
    pub area_unit: Option<&'static str>,
    /// 原值, 累计折旧, 净值 in yuan (2 decimals); resource land has none.
    pub original: Option<Decimal>,
    pub depreciation: Option<Decimal>,
    pub net: Option<Decimal>,
    pub location: String,
    pub certificate: Option<String>,
    pub usage_status: &'static str,
    pub operating_mode: &'static str,
    /// 年收益 in yuan (2 decimals).
    pub annual_income: Option<Decimal>,
    pub updated_at: NaiveDateTime,
    pub fault: Option<RowFault>,
}

/// What a clean row must normalise to: the canonical fields as the tests decode them
/// (decimals as text at their schema scale, dates `YYYY-MM-DD`, enum symbols).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedAsset {
    pub native_id: String,
    pub asset_name: String,
    pub class_path: String,
    pub top_class: &'static str,
    pub sub_class: &'static str,
    pub operating: bool,
    pub acquired_date: String,
    pub original_value_yuan: Option<String>,
    pub accumulated_depreciation_yuan: Option<String>,
    pub net_value_yuan: Option<String>,
    /// Scale 4.
    pub quantity: Option<String>,
    pub quantity_unit: Option<String>,
    /// Scale 2, converted exactly (1 亩 = 10000/15 m², rounded half-to-even to 0.01).
    pub area_m2: Option<String>,
    pub area_unit_published: Option<String>,
    pub location: String,
    pub region_code: String,
    pub county_code: String,
    pub certificate_number: Option<String>,
    pub usage_status: String,
    pub operating_mode: &'static str,
    pub annual_income_yuan: Option<String>,
    pub accounting_system: &'static str,
    /// 更新时间 as local time `YYYY-MM-DD HH:MM:SS` (Asia/Shanghai).
    pub updated_at: String,
}

/// A generated ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub village: LedgerVillage,
    /// 填报日期 of the export.
    pub report_date: NaiveDate,
    pub rows: Vec<LedgerRow>,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct LedgerSpec {
    pub seed: u64,
    pub rows: usize,
    /// The village's 12-digit code; `None` picks one from the seed.
    pub village: Option<String>,
    /// Rows carrying a [`RowFault`], spread evenly through the ledger (cycling through
    /// the three faults).
    pub bad_rows: usize,
}

/// Why a ledger cannot be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    #[error("{0:?} is not a village committee of Jinzhong (140700); expected a 12-digit code such as 140702100200")]
    UnknownVillage(String),
}

/// Kinds of ledger entries: name stems, class path, symbols, units, value ranges.
struct Kind {
    names: &'static [&'static str],
    class_path: &'static str,
    top: &'static str,
    sub: &'static str,
    operating: bool,
    modes: &'static [&'static str],
    shape: Shape,
    weight: u32,
}

#[derive(Clone, Copy)]
enum Shape {
    /// Buildings: one, floor area in 平方米, value in yuan, certificate.
    Building { min_yuan: i64, max_yuan: i64 },
    /// Machinery and equipment: a count of units.
    Machine {
        unit: &'static str,
        min_yuan: i64,
        max_yuan: i64,
    },
    /// Facilities: one, value in yuan.
    Facility {
        unit: &'static str,
        min_yuan: i64,
        max_yuan: i64,
    },
    /// An investment or biological asset without area.
    Holding { min_yuan: i64, max_yuan: i64 },
    /// Resource land in 亩, without book value; contracted-out land earns rent.
    Land {
        min_mu: i64,
        max_mu: i64,
        rent_per_mu: (i64, i64),
    },
}

const KINDS: &[Kind] = &[
    Kind {
        names: &[
            "村委会办公楼",
            "村卫生室",
            "文化活动中心",
            "老年日间照料中心",
            "便民服务站",
        ],
        class_path: "资产/非经营性资产/固定资产",
        top: "ASSETS",
        sub: "FIXED_ASSET",
        operating: false,
        modes: &["自营"],
        shape: Shape::Building {
            min_yuan: 150_000,
            max_yuan: 2_500_000,
        },
        weight: 8,
    },
    Kind {
        names: &[
            "农贸市场门面房",
            "养殖场圈舍",
            "粮食仓库",
            "农机具库房",
            "日光温室大棚",
        ],
        class_path: "资产/经营性资产/固定资产",
        top: "ASSETS",
        sub: "FIXED_ASSET",
        operating: true,
        modes: &["出租", "租赁", "自营", "闲置"],
        shape: Shape::Building {
            min_yuan: 80_000,
            max_yuan: 1_800_000,
        },
        weight: 12,
    },
    Kind {
        names: &[
            "拖拉机",
            "旋耕机",
            "联合收割机",
            "农用三轮车",
            "深松机",
            "植保无人机",
        ],
        class_path: "资产/经营性资产/固定资产",
        top: "ASSETS",
        sub: "FIXED_ASSET",
        operating: true,
        modes: &["自营", "出租"],
        shape: Shape::Machine {
            unit: "台",
            min_yuan: 8_000,
            max_yuan: 420_000,
        },
        weight: 14,
    },
    Kind {
        names: &["机井", "蓄水池", "扬水站", "变压器", "光伏电站"],
        class_path: "资产/经营性资产/固定资产",
        top: "ASSETS",
        sub: "FIXED_ASSET",
        operating: true,
        modes: &["自营", "发包"],
        shape: Shape::Facility {
            unit: "座",
            min_yuan: 20_000,
            max_yuan: 900_000,
        },
        weight: 10,
    },
    Kind {
        names: &["文化广场", "村内道路硬化", "路灯", "垃圾中转站"],
        class_path: "资产/非经营性资产/固定资产",
        top: "ASSETS",
        sub: "FIXED_ASSET",
        operating: false,
        modes: &["自营"],
        shape: Shape::Facility {
            unit: "处",
            min_yuan: 30_000,
            max_yuan: 1_200_000,
        },
        weight: 6,
    },
    Kind {
        names: &["村办企业股权", "农民专业合作社入股资金"],
        class_path: "资产/长期投资",
        top: "ASSETS",
        sub: "LONG_TERM_INVESTMENT",
        operating: true,
        modes: &["入股", "股份合作"],
        shape: Shape::Holding {
            min_yuan: 50_000,
            max_yuan: 3_000_000,
        },
        weight: 3,
    },
    Kind {
        names: &["核桃经济林", "红枣林", "肉牛"],
        class_path: "资产/生物资产",
        top: "ASSETS",
        sub: "BIOLOGICAL_ASSET",
        operating: true,
        modes: &["自营", "发包"],
        shape: Shape::Holding {
            min_yuan: 10_000,
            max_yuan: 600_000,
        },
        weight: 3,
    },
    Kind {
        names: &["耕地", "水浇地", "旱地"],
        class_path: "资源性资产/农用地/耕地",
        top: "RESOURCES",
        sub: "FARMLAND",
        operating: true,
        modes: &["发包", "出租"],
        shape: Shape::Land {
            min_mu: 50,
            max_mu: 3_000,
            rent_per_mu: (200, 800),
        },
        weight: 18,
    },
    Kind {
        names: &["果园", "苗圃"],
        class_path: "资源性资产/农用地/园地",
        top: "RESOURCES",
        sub: "GARDEN_LAND",
        operating: true,
        modes: &["发包"],
        shape: Shape::Land {
            min_mu: 20,
            max_mu: 800,
            rent_per_mu: (300, 1_000),
        },
        weight: 6,
    },
    Kind {
        names: &["集体林地", "生态林"],
        class_path: "资源性资产/农用地/林地",
        top: "RESOURCES",
        sub: "FOREST_LAND",
        operating: false,
        modes: &["自营", "闲置"],
        shape: Shape::Land {
            min_mu: 100,
            max_mu: 20_000,
            rent_per_mu: (0, 0),
        },
        weight: 5,
    },
    Kind {
        names: &["荒山", "荒沟", "荒坡"],
        class_path: "资源性资产/四荒地/荒山",
        top: "RESOURCES",
        sub: "FOUR_WASTELANDS",
        operating: true,
        modes: &["出租", "闲置"],
        shape: Shape::Land {
            min_mu: 50,
            max_mu: 5_000,
            rent_per_mu: (20, 120),
        },
        weight: 5,
    },
    Kind {
        names: &["坑塘水面", "鱼塘"],
        class_path: "资源性资产/农用地/养殖水面",
        top: "RESOURCES",
        sub: "AQUACULTURE_WATER",
        operating: true,
        modes: &["出租"],
        shape: Shape::Land {
            min_mu: 5,
            max_mu: 200,
            rent_per_mu: (300, 1_200),
        },
        weight: 3,
    },
    Kind {
        names: &["集体经营性建设用地"],
        class_path: "资源性资产/建设用地/集体经营性建设用地",
        top: "RESOURCES",
        sub: "COLLECTIVE_OPERATING_CONSTRUCTION_LAND",
        operating: true,
        modes: &["出租", "入股"],
        shape: Shape::Land {
            min_mu: 2,
            max_mu: 120,
            rent_per_mu: (1_000, 6_000),
        },
        weight: 3,
    },
];

/// Where an entry sits in the village.
const PLACES: &[&str] = &[
    "东", "西", "南", "北", "村东", "村西", "河滩", "后沟", "前坡", "村口", "大坡", "东岭",
];

impl Ledger {
    /// Generate a ledger; the same spec gives the same ledger.
    ///
    /// # Errors
    /// [`LedgerError::UnknownVillage`] for a code that is not a Jinzhong village.
    pub fn generate(spec: &LedgerSpec) -> Result<Ledger, LedgerError> {
        let geo = Geography::jinzhong();
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5A5A_1ED6_E700);
        let index = match &spec.village {
            Some(code) => geo
                .villages
                .iter()
                .position(|v| v.code == code)
                .ok_or_else(|| LedgerError::UnknownVillage(code.clone()))?,
            None => rng.random_range(0..geo.villages.len()),
        };
        let v = &geo.villages[index];
        let village = LedgerVillage {
            code: v.code.to_owned(),
            county: geo.counties[v.county].name.to_owned(),
            town: geo.towns[v.town].name.to_owned(),
            name: v.name.clone(),
        };
        let report_date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
        let total_weight: u32 = KINDS.iter().map(|k| k.weight).sum();
        let faults = [
            RowFault::BadDate,
            RowFault::InconsistentNet,
            RowFault::ErrorCell,
        ];
        // Faults at evenly spread positions (the middle of each stretch), cycling.
        let bad = spec.bad_rows.min(spec.rows);
        let fault_at: std::collections::HashMap<usize, RowFault> = (0..bad)
            .map(|k| {
                (
                    k * spec.rows / bad + spec.rows / (2 * bad),
                    faults[k % faults.len()],
                )
            })
            .collect();
        let rows = (0..spec.rows)
            .map(|i| {
                let mut roll = rng.random_range(0..total_weight);
                let kind = KINDS
                    .iter()
                    .find(|k| {
                        if roll < k.weight {
                            true
                        } else {
                            roll -= k.weight;
                            false
                        }
                    })
                    .unwrap_or(&KINDS[0]);
                row(&mut rng, kind, &village, i, fault_at.get(&i).copied())
            })
            .collect();
        Ok(Ledger {
            village,
            report_date,
            rows,
        })
    }

    /// Sum of a money column over all rows (the 合计 row), faults included as written.
    pub fn total(&self, column: fn(&LedgerRow) -> Option<Decimal>) -> Decimal {
        self.rows.iter().filter_map(column).sum()
    }
}

fn fen(rng: &mut ChaCha8Rng, min_yuan: i64, max_yuan: i64) -> Decimal {
    // Round hundreds are common in books; keep a share of odd fen so cents are exercised.
    let yuan = rng.random_range(min_yuan..=max_yuan);
    let cents = if rng.random_bool(0.4) {
        rng.random_range(0..100)
    } else {
        0
    };
    let yuan = if rng.random_bool(0.5) {
        yuan / 100 * 100
    } else {
        yuan
    };
    Decimal::new(yuan * 100 + cents, 2)
}

fn row(
    rng: &mut ChaCha8Rng,
    kind: &Kind,
    village: &LedgerVillage,
    i: usize,
    fault: Option<RowFault>,
) -> LedgerRow {
    let name_stem = kind.names[rng.random_range(0..kind.names.len())];
    let place = PLACES[rng.random_range(0..PLACES.len())];
    let mode = kind.modes[rng.random_range(0..kind.modes.len())];
    let acquired = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap_or_default()
        + chrono::Duration::days(rng.random_range(0..(29 * 365)));
    let updated_at = NaiveDate::from_ymd_opt(2024, 2, 1)
        .unwrap_or_default()
        .and_hms_opt(
            rng.random_range(8..18),
            rng.random_range(0..60),
            rng.random_range(0..60),
        )
        .unwrap_or_default()
        + chrono::Duration::days(rng.random_range(0..29));
    let years_held = (2024 - acquired.year()).max(0) as i64;
    let depreciate = |original: Decimal, life: i64| -> (Decimal, Decimal) {
        // Straight line over `life` years to a 5% residual, in integer fen.
        let cents = original.mantissa() as i64;
        let years = years_held.min(life);
        let dep = cents * 95 / 100 * years / life;
        (Decimal::new(dep, 2), Decimal::new(cents - dep, 2))
    };
    let mut r = LedgerRow {
        id: format!("ZC{}-{:05}", village.code, i + 1),
        name: String::new(),
        class_path: kind.class_path,
        operating: kind.operating,
        acquired,
        quantity: None,
        quantity_unit: None,
        area: None,
        area_unit: None,
        original: None,
        depreciation: None,
        net: None,
        location: format!("{}{}", village.name, place),
        certificate: None,
        usage_status: if mode == "闲置" { "闲置" } else { "在用" },
        operating_mode: mode,
        annual_income: None,
        updated_at,
        fault,
    };
    match kind.shape {
        Shape::Building { min_yuan, max_yuan } => {
            r.name = format!("{place}{name_stem}");
            let original = fen(rng, min_yuan, max_yuan);
            let (dep, net) = depreciate(original, 30);
            (r.original, r.depreciation, r.net) = (Some(original), Some(dep), Some(net));
            r.quantity = Some(1);
            r.quantity_unit = Some(if name_stem.contains("大棚") {
                "座"
            } else {
                "栋"
            });
            r.area = Some(Decimal::new(rng.random_range(4_000..200_000), 2));
            r.area_unit = Some("平方米");
            r.certificate = Some(format!(
                "晋({}){}不动产权第{:07}号",
                acquired.year().max(2016),
                village.county,
                rng.random_range(1..3_000_000)
            ));
            if mode == "出租" || mode == "租赁" {
                r.annual_income = Some(fen(rng, 3_000, 120_000));
            }
        }
        Shape::Machine {
            unit,
            min_yuan,
            max_yuan,
        } => {
            r.name = name_stem.to_owned();
            let n = if rng.random_bool(0.8) {
                1
            } else {
                rng.random_range(2..6)
            };
            let original = fen(rng, min_yuan, max_yuan) * Decimal::from(n);
            let (dep, net) = depreciate(original, 10);
            (r.original, r.depreciation, r.net) = (Some(original), Some(dep), Some(net));
            r.quantity = Some(n);
            r.quantity_unit = Some(unit);
            r.location = format!("{}农机具库房", village.name);
            if mode == "出租" {
                r.annual_income = Some(fen(rng, 1_000, 30_000));
            }
        }
        Shape::Facility {
            unit,
            min_yuan,
            max_yuan,
        } => {
            r.name = format!("{place}{name_stem}");
            let original = fen(rng, min_yuan, max_yuan);
            let (dep, net) = depreciate(original, 20);
            (r.original, r.depreciation, r.net) = (Some(original), Some(dep), Some(net));
            r.quantity = Some(1);
            r.quantity_unit = Some(unit);
            if mode == "发包" || name_stem == "光伏电站" {
                r.annual_income = Some(fen(rng, 2_000, 80_000));
            }
        }
        Shape::Holding { min_yuan, max_yuan } => {
            r.name = format!("{}{name_stem}", village.name);
            let original = fen(rng, min_yuan, max_yuan);
            (r.original, r.depreciation, r.net) = (Some(original), None, None);
            r.annual_income = rng.random_bool(0.6).then(|| fen(rng, 1_000, 200_000));
        }
        Shape::Land {
            min_mu,
            max_mu,
            rent_per_mu,
        } => {
            r.name = format!("{place}{name_stem}");
            // Areas in tenths of a mu, as land registers measure them.
            let tenths = rng.random_range(min_mu * 10..=max_mu * 10);
            let area = Decimal::new(tenths, 1);
            r.area = Some(area);
            r.area_unit = Some("亩");
            r.certificate = Some(format!(
                "{}集体土地所有权证第{:06}号",
                village.county,
                rng.random_range(1..200_000)
            ));
            if rent_per_mu.1 > 0 && mode != "闲置" {
                let per_mu = Decimal::from(rng.random_range(rent_per_mu.0..=rent_per_mu.1));
                r.annual_income = Some((area * per_mu).round_dp(2));
            }
        }
    }
    if fault == Some(RowFault::InconsistentNet) && r.net.is_none() {
        // A fault needs the three values: give the row a plain book value.
        let original = fen(rng, 10_000, 90_000);
        (r.original, r.depreciation, r.net) = (Some(original), Some(Decimal::ZERO), Some(original));
    }
    if fault == Some(RowFault::ErrorCell) && r.original.is_none() {
        r.original = Some(Decimal::ZERO);
    }
    if let (Some(RowFault::InconsistentNet), Some(net)) = (fault, r.net) {
        r.net = Some(net + Decimal::new(1, 2));
    }
    r
}

impl LedgerRow {
    /// What the row must normalise to, for source `source`; `Err` with the dead letter's
    /// (reason code, field) for a faulty row.
    pub fn expected(
        &self,
        village: &LedgerVillage,
    ) -> Result<ExpectedAsset, (&'static str, &'static str)> {
        if let Some(fault) = self.fault {
            return Err(fault.outcome());
        }
        let kind = KINDS
            .iter()
            .find(|k| k.class_path == self.class_path)
            .unwrap_or(&KINDS[0]);
        let money = |d: Option<Decimal>| d.map(|d| format!("{:.2}", d));
        Ok(ExpectedAsset {
            native_id: self.id.clone(),
            asset_name: self.name.clone(),
            class_path: self.class_path.to_owned(),
            top_class: kind.top,
            sub_class: kind.sub,
            operating: self.operating,
            acquired_date: self.acquired.format("%Y-%m-%d").to_string(),
            original_value_yuan: money(self.original),
            accumulated_depreciation_yuan: money(self.depreciation),
            net_value_yuan: money(self.net),
            quantity: self.quantity.map(|q| format!("{q}.0000")),
            quantity_unit: self.quantity_unit.map(str::to_owned),
            area_m2: self
                .area
                .zip(self.area_unit)
                .map(|(a, unit)| square_metres(a, unit)),
            area_unit_published: self.area_unit.map(str::to_owned),
            location: self.location.clone(),
            region_code: village.code.clone(),
            county_code: village.code[..6].to_owned(),
            certificate_number: self.certificate.clone(),
            usage_status: self.usage_status.to_owned(),
            operating_mode: match self.operating_mode {
                "自营" => "SELF_OPERATED",
                "发包" => "CONTRACTED_OUT",
                "出租" | "租赁" => "LEASED",
                "入股" | "股份合作" => "SHARE_COOPERATION",
                "闲置" => "IDLE",
                _ => "OTHER",
            },
            annual_income_yuan: money(self.annual_income),
            accounting_system: "ACCOUNTING_2024",
            updated_at: self.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
    }

    /// The row as a platform's JSON record with the ledger's column names (all text).
    pub fn to_json(&self, village: &LedgerVillage) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Option<String>| {
            m.insert(
                k.to_owned(),
                v.map_or(serde_json::Value::Null, serde_json::Value::String),
            );
        };
        put("资产编码", Some(self.id.clone()));
        put("资产名称", Some(self.name.clone()));
        put("资产类别", Some(self.class_path.to_owned()));
        put(
            "是否经营性",
            Some(if self.operating { "是" } else { "否" }.to_owned()),
        );
        put("取得日期", Some(self.acquired_text()));
        put("数量", self.quantity.map(|q| q.to_string()));
        put("计量单位", self.quantity_unit.map(str::to_owned));
        put("面积", self.area.map(|a| a.to_string()));
        put("面积单位", self.area_unit.map(str::to_owned));
        put("原值", self.original_text());
        put("累计折旧", self.depreciation.map(|d| format!("{d:.2}")));
        put("净值", self.net.map(|d| format!("{d:.2}")));
        put("坐落", Some(self.location.clone()));
        put("所属单位", Some(village.collective()));
        put("行政区划代码", Some(village.code.clone()));
        put("权证号", self.certificate.clone());
        put("使用状态", Some(self.usage_status.to_owned()));
        put("经营方式", Some(self.operating_mode.to_owned()));
        put("年收益", self.annual_income.map(|d| format!("{d:.2}")));
        put("会计制度", Some(ACCOUNTING_SYSTEM.to_owned()));
        put(
            "更新时间",
            Some(self.updated_at.format("%Y-%m-%d %H:%M:%S").to_string()),
        );
        serde_json::Value::Object(m)
    }

    /// 取得日期 as written in a CSV (Excel's zh-CN short date), or the faulty text.
    pub fn acquired_text(&self) -> String {
        match self.fault {
            Some(RowFault::BadDate) => "2023年2月30日".to_owned(),
            _ => format!(
                "{}/{}/{}",
                self.acquired.year(),
                self.acquired.month(),
                self.acquired.day()
            ),
        }
    }

    /// 原值 as text, or the error cell's text.
    pub fn original_text(&self) -> Option<String> {
        match self.fault {
            Some(RowFault::ErrorCell) => Some("#REF!".to_owned()),
            _ => self.original.map(|d| format!("{d:.2}")),
        }
    }
}

/// An area in 亩 or 平方米 as square metres at scale 2: 1 亩 = 10000/15 m², the one
/// quotient rounded half-to-even, in integers.
pub fn square_metres(area: Decimal, unit: &str) -> String {
    let mantissa = area.mantissa();
    let scale = 10i128.pow(area.scale());
    let (num, den) = match unit {
        "亩" => (mantissa * 10_000 * 100, 15 * scale),
        _ => (mantissa * 100, scale),
    };
    let (q, r) = (num / den, num % den);
    let centi = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q % 2),
    };
    format!("{:.2}", Decimal::from_i128_with_scale(centi, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rows: usize, bad_rows: usize) -> LedgerSpec {
        LedgerSpec {
            seed: 7,
            rows,
            village: Some("140702100200".into()),
            bad_rows,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_ledger_and_the_village_is_named() {
        let a = Ledger::generate(&spec(50, 3)).unwrap();
        let b = Ledger::generate(&spec(50, 3)).unwrap();
        assert_eq!(a.rows, b.rows);
        assert_eq!(a.village.title(), "晋中市榆次区乌金山镇鸣谦村集体资产台账");
        assert_eq!(a.rows.iter().filter(|r| r.fault.is_some()).count(), 3);
        assert!(Ledger::generate(&LedgerSpec {
            village: Some("140701000000".into()),
            ..spec(1, 0)
        })
        .is_err());
        assert_eq!(square_metres(Decimal::new(355, 1), "亩"), "23666.67");
        assert_eq!(square_metres(Decimal::new(15, 1), "亩"), "1000.00");
        assert_eq!(square_metres(Decimal::new(86050, 2), "平方米"), "860.50");
    }

    // What the daemon's normaliser makes of each row is checked against
    // `LedgerRow::expected` in the daemon's `tests/simulator_contract.rs`.
}
