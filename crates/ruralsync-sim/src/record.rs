//! One project on the simulated exchange and its JSON rendering, with the platform's
//! Chinese field names and its quirks (numbers sometimes published as strings, deal dates
//! in five formats, a retired county code on old platforms), the parties' type, identifier
//! and phone (`转出方类型` 自然人/法人, `转出方证件号码`, `转出方联系电话`, and the same for
//! 受让方, null together when there is no transferee), and the dirty profile's fault.
//!
//! Records are kept compact (indices into static tables instead of owned strings) and
//! rendered when a page is served: a million pre-rendered records would hold ~700 MB of
//! JSON, while rendering a page of 1,000 takes about a millisecond.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::fault::{chinese_numeral_date, fault_of, full_width, party_fault, Fault, Faulted};
use super::geography::{Geography, TAIGU_RETIRED_CODE, TAIGU_RETIRED_NAME};
use super::identity::{
    ascii, mobile, wrong_credit_check, wrong_id_check, Organisation, PersonId, Role,
};

/// Format of 更新时间 and of the `updatedSince` query parameter (Asia/Shanghai local time).
pub(crate) const UPDATED_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// 交易品种 — category of the property right being traded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    LandContract,
    Forest,
    Wasteland,
    CollectiveAsset,
    Facility,
    Irrigation,
    IntellectualProperty,
    Aquaculture,
    Other,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::LandContract => "农户承包土地经营权",
            Category::Forest => "林权",
            // Platforms drop the quotation marks of "四荒"使用权 in their vocabularies.
            Category::Wasteland => "四荒使用权",
            Category::CollectiveAsset => "农村集体经营性资产",
            Category::Facility => "农业生产设施设备",
            Category::Irrigation => "小型水利设施使用权",
            Category::IntellectualProperty => "农业类知识产权",
            Category::Aquaculture => "养殖水面经营权",
            Category::Other => "其他",
        }
    }

    /// What is being let or sold, as it appears in 项目名称; a record picks one by index.
    pub fn subjects(self) -> &'static [&'static str] {
        match self {
            Category::LandContract => &["耕地经营权", "土地经营权", "水浇地经营权", "果园经营权"],
            Category::Forest => &["林地经营权", "林木所有权", "经济林经营权"],
            Category::Wasteland => &["荒山使用权", "荒沟使用权", "荒丘使用权", "荒滩使用权"],
            Category::CollectiveAsset => &["集体厂房", "村集体仓库", "集体门面房", "旧学校校舍"],
            Category::Facility => &["温室大棚", "养殖圈舍", "冷库", "农机具"],
            Category::Irrigation => &["灌溉机井", "提灌站", "小型蓄水池"],
            Category::IntellectualProperty => &["农产品商标", "植物新品种权"],
            Category::Aquaculture => &["鱼塘经营权", "养殖水面经营权"],
            Category::Other => &["集体晒场", "集体建设用地使用权"],
        }
    }
}

/// 交易方式 — how the counterparty is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Agreement,
    OpenBidding,
    Auction,
    Tender,
    Listing,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::Agreement => "协议",
            Method::OpenBidding => "公开竞价",
            Method::Auction => "拍卖",
            Method::Tender => "招标",
            Method::Listing => "挂牌",
        }
    }

    /// Whether competing bids can push the deal price above the listing price.
    pub fn is_competitive(self) -> bool {
        matches!(self, Method::OpenBidding | Method::Auction | Method::Tender)
    }
}

/// 流转方式 — the kind of transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transfer {
    Lease,
    Assignment,
    Sale,
    Shares,
    Swap,
}

impl Transfer {
    pub fn label(self) -> &'static str {
        match self {
            Transfer::Lease => "出租",
            Transfer::Assignment => "转让",
            Transfer::Sale => "出售",
            Transfer::Shares => "入股",
            Transfer::Swap => "互换",
        }
    }
}

/// 项目状态 — lifecycle state on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Proposed,
    Review,
    Listed,
    Registration,
    Bidding,
    Dealt,
    Contracted,
    Certified,
    Unsold,
    Suspended,
    Terminated,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Proposed => "立项",
            State::Review => "审核",
            State::Listed => "挂牌",
            State::Registration => "报名",
            State::Bidding => "竞价",
            State::Dealt => "成交",
            State::Contracted => "合同签订",
            State::Certified => "鉴证",
            State::Unsold => "流拍",
            State::Suspended => "中止",
            State::Terminated => "终止",
        }
    }

    /// States in which the project has a transferee, a deal price and a deal date.
    pub fn has_deal(self) -> bool {
        matches!(self, State::Dealt | State::Contracted | State::Certified)
    }

    /// States a project never leaves.
    pub fn is_final(self) -> bool {
        matches!(self, State::Certified | State::Terminated)
    }
}

/// 面积单位.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AreaUnit {
    Mu,
    Hectare,
    SquareMetre,
}

impl AreaUnit {
    pub fn label(self) -> &'static str {
        match self {
            AreaUnit::Mu => "亩",
            AreaUnit::Hectare => "公顷",
            AreaUnit::SquareMetre => "平方米",
        }
    }
}

/// 流转期限: "10年" or "6个月".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Term {
    Years(u8),
    Months(u8),
}

/// The five ways county platforms write 成交日期.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateStyle {
    /// 2023年3月31日
    Chinese,
    /// 2023/3/31
    Slashes,
    /// 20230331
    Compact,
    /// 2023-03-31
    Iso,
    /// 2023.3.31
    Dots,
}

/// A decimal as the platform publishes it: a JSON number, or a JSON string (some
/// platforms export every amount as text). The decimal's scale is kept, so a string reads
/// "8.0000" and a number may read 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Published {
    pub value: Decimal,
    pub quoted: bool,
}

impl Published {
    pub fn number(value: Decimal) -> Published {
        Published {
            value,
            quoted: false,
        }
    }

    pub fn text(value: Decimal) -> Published {
        Published {
            value,
            quoted: true,
        }
    }
}

/// 转出方 or 受让方. Generated names are indices into the tables below, so a record
/// holds no heap strings; identifiers and phones are derived from them when rendering
/// (see `identity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    /// The village's collective economic organisation (股份经济合作社).
    Collective,
    /// A natural person: surname and one or two given-name characters, and the key their
    /// ID number and mobile derive from (set by `Dataset` once the project is numbered).
    Person {
        surname: u8,
        given: [u8; 2],
        key: u32,
    },
    /// A company registered in the city.
    Company { brand: u8, trade: u8 },
    /// A farmers' specialised cooperative of the record's county.
    Cooperative { brand: u8, trade: u8 },
    /// A fixed party (anchor records).
    Named(&'static NamedParty),
}

impl Party {
    /// Whether the party is a natural person (自然人) rather than an organisation (法人).
    pub fn is_person(&self) -> bool {
        match self {
            Party::Person { .. } => true,
            Party::Named(named) => named.person,
            Party::Collective | Party::Company { .. } | Party::Cooperative { .. } => false,
        }
    }
}

/// A party with fixed name, identifier and phone.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NamedParty {
    pub name: &'static str,
    /// 自然人 (true) or 法人.
    pub person: bool,
    /// Resident ID number or unified social credit code.
    pub id_number: &'static str,
    pub phone: Option<&'static str>,
}

/// "No second given-name character" in [`Party::Person`].
pub(crate) const NO_CHAR: u8 = u8::MAX;

pub(crate) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "赵", "杨", "郭", "武", "贾", "田", "梁", "韩", "孙", "任", "程", "冀",
    "乔", "侯", "阎", "温", "范", "白", "高", "陈", "霍", "常", "史", "薛", "段", "郝",
];
pub(crate) const GIVEN_CHARS: &[&str] = &[
    "建", "国", "军", "志", "强", "伟", "明", "海", "平", "文", "华", "红", "玉", "兰", "英", "秀",
    "春", "生", "林", "宝", "福", "贵", "旺", "才", "荣", "俊", "斌", "鹏", "晋", "峰", "丽", "芳",
    "霞", "云", "凤", "梅", "亮", "刚", "东", "新",
];
pub(crate) const BRANDS: &[&str] = &[
    "晋丰", "汾源", "太行", "绿源", "丰泽", "禾盛", "鑫农", "沃野", "金穗", "惠农", "晋中", "长丰",
    "众康", "源丰", "祥和", "瑞丰", "裕民", "宏达",
];
pub(crate) const COMPANY_TRADES: &[&str] = &[
    "农业科技有限公司",
    "农业开发有限公司",
    "生态农业有限公司",
    "农牧有限公司",
    "果业有限公司",
    "农产品加工有限公司",
];
pub(crate) const COOPERATIVE_TRADES: &[&str] = &[
    "种植专业合作社",
    "养殖专业合作社",
    "农机专业合作社",
    "果蔬专业合作社",
    "中药材种植专业合作社",
];

/// What a deal adds to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deal {
    /// 成交价(万元).
    pub price: Published,
    /// 成交日期.
    pub date: NaiveDate,
    pub date_style: DateStyle,
    /// 受让方.
    pub transferee: Party,
}

/// 项目编号 as its 17 ASCII bytes (`JZ` + county 6 + year 4 + sequence 5). Byte order is
/// the string order the API sorts by.
pub(crate) type ProjectNo = [u8; 17];

/// Build a project number. The sequence must be below 100,000; callers allocate it.
pub(crate) fn project_no(county_code: &str, year: i32, seq: u32) -> ProjectNo {
    let text = format!("JZ{county_code}{year:04}{seq:05}");
    let mut no = [b'0'; 17];
    // Every caller passes a six-digit county code, a four-digit year and seq < 100000,
    // so the text is exactly 17 bytes; anything else is a bug in the generator.
    assert_eq!(text.len(), 17, "project number {text} is not 17 characters");
    no.copy_from_slice(text.as_bytes());
    no
}

/// One project as the platform currently shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// 更新时间, Asia/Shanghai local time. First part of the sort key.
    pub updated: NaiveDateTime,
    /// 项目编号. Second part of the sort key.
    pub no: ProjectNo,
    /// Index into [`Geography::villages`].
    pub village: u16,
    /// The old county platform publishes 140726 太谷县 instead of 140703 太谷区.
    pub retired_county: bool,
    pub category: Category,
    /// Index into [`Category::subjects`].
    pub subject: u8,
    pub method: Method,
    pub transfer: Option<Transfer>,
    pub state: State,
    pub area: Published,
    pub area_unit: AreaUnit,
    pub term: Option<Term>,
    /// 挂牌价(万元).
    pub list_price: Published,
    pub deal: Option<Deal>,
    /// 转出方.
    pub transferor: Party,
    /// The dirty profile's fault, applied when rendering.
    pub fault: Option<Faulted>,
}

impl Record {
    /// Sort key of the API: (更新时间, 项目编号) ascending.
    pub fn key(&self) -> (NaiveDateTime, ProjectNo) {
        (self.updated, self.no)
    }

    pub fn no_str(&self) -> &str {
        // Project numbers are built from ASCII digits and letters only (see `project_no`).
        std::str::from_utf8(&self.no).unwrap_or("")
    }

    /// Append this record's JSON object to `out`, keys in the platform's order, with the
    /// dirty profile's fault (if any) applied.
    pub fn render(&self, geo: &Geography, out: &mut String) {
        use std::fmt::Write;

        let village = &geo.villages[usize::from(self.village)];
        let town = &geo.towns[village.town];
        let county = &geo.counties[village.county];
        let county_name = if self.retired_county {
            TAIGU_RETIRED_NAME
        } else {
            county.name
        };

        out.push_str("{\"项目编号\":\"");
        out.push_str(self.no_str());
        out.push_str("\",\"项目名称\":");
        match fault_of(self, Fault::MissingName) {
            Some(v) if v % 2 == 0 => out.push_str("null"),
            Some(_) => out.push_str("\"\""),
            None => {
                out.push('"');
                out.push_str(county_name);
                out.push_str(town.name);
                out.push_str(&village.name);
                let subjects = self.category.subjects();
                out.push_str(subjects[usize::from(self.subject) % subjects.len()]);
                out.push_str(self.transfer.map_or("项目", Transfer::label));
                out.push('"');
            }
        }
        out.push_str(",\"交易品种\":\"");
        out.push_str(match fault_of(self, Fault::UnknownCategory) {
            Some(v) => UNKNOWN_CATEGORIES[usize::from(v) % UNKNOWN_CATEGORIES.len()],
            None => self.category.label(),
        });
        out.push_str("\",\"交易方式\":\"");
        out.push_str(self.method.label());
        out.push_str("\",\"流转方式\":");
        match self.transfer {
            Some(t) => push_str_value(out, t.label()),
            None => out.push_str("null"),
        }
        out.push_str(",\"项目状态\":\"");
        out.push_str(match fault_of(self, Fault::UnknownStatus) {
            Some(_) => UNKNOWN_STATUS,
            None => self.state.label(),
        });
        out.push_str("\",\"行政区划代码\":\"");
        let county_code = if self.retired_county {
            TAIGU_RETIRED_CODE
        } else {
            county.code
        };
        match fault_of(self, Fault::UnknownRegion) {
            Some(v) if v % 2 == 0 => {
                out.push_str(PLACEHOLDER_COUNTY_CODE);
                out.push_str(&village.code[6..]);
            }
            Some(_) => {
                out.push_str(county_code);
                out.push_str(&village.code[6..11]);
            }
            None => {
                out.push_str(county_code);
                out.push_str(&village.code[6..]);
            }
        }
        out.push_str("\",\"坐落\":\"");
        out.push_str(county_name);
        out.push_str(town.name);
        out.push_str(&village.name);
        out.push_str("\",\"面积\":");
        let full_width = fault_of(self, Fault::FullWidthNumbers);
        let mixed_unit = fault_of(self, Fault::MixedAreaUnit);
        match (full_width, mixed_unit) {
            (Some(v), _) if v % 3 != 1 => push_full_width(out, self.area),
            (_, Some(_)) => {
                let factor = match self.area_unit {
                    AreaUnit::Mu => 10,
                    AreaUnit::Hectare => 10_000,
                    AreaUnit::SquareMetre => 1,
                };
                let value = self.area.value * Decimal::from(factor);
                push_published(
                    out,
                    Published {
                        value: if self.area.quoted {
                            value
                        } else {
                            value.normalize()
                        },
                        quoted: self.area.quoted,
                    },
                );
            }
            _ => push_published(out, self.area),
        }
        out.push_str(",\"面积单位\":\"");
        out.push_str(match (mixed_unit, fault_of(self, Fault::BadAreaUnit)) {
            (Some(v), _) => match self.area_unit {
                AreaUnit::Mu => "分",
                AreaUnit::Hectare | AreaUnit::SquareMetre if v % 2 == 0 => "㎡",
                AreaUnit::Hectare | AreaUnit::SquareMetre => "平米",
            },
            (None, Some(_)) => BAD_AREA_UNIT,
            (None, None) => self.area_unit.label(),
        });
        out.push_str("\",\"流转期限\":");
        // Writing into a String cannot fail; the fmt::Result is always Ok.
        let _ = match self.term {
            Some(Term::Years(n)) => write!(out, "\"{n}年\""),
            Some(Term::Months(n)) => write!(out, "\"{n}个月\""),
            None => write!(out, "null"),
        };
        out.push_str(",\"挂牌价(万元)\":");
        match full_width {
            Some(v) if v % 3 != 0 => push_full_width(out, self.list_price),
            _ => push_published(out, self.list_price),
        }
        out.push_str(",\"成交价(万元)\":");
        match &self.deal {
            Some(deal) => self.push_deal_price(out, deal.price),
            None => out.push_str("null"),
        }
        out.push_str(",\"成交日期\":");
        match &self.deal {
            Some(deal) => self.push_deal_date(out, deal),
            None => out.push_str("null"),
        }
        push_party(out, Some(self.transferor), Role::Transferor, geo, self);
        push_party(
            out,
            self.deal.map(|d| d.transferee),
            Role::Transferee,
            geo,
            self,
        );
        out.push_str(",\"更新时间\":\"");
        let _ = write!(out, "{}", self.updated.format(UPDATED_FORMAT));
        out.push_str("\"}");
    }

    /// 成交价(万元), or its BadAmount / CellUnitAmount fault.
    fn push_deal_price(&self, out: &mut String, price: Published) {
        use std::fmt::Write;
        if let Some(v) = fault_of(self, Fault::BadAmount) {
            // Writing into a String cannot fail.
            let _ = match v % 4 {
                0 => {
                    push_published(
                        out,
                        Published {
                            value: -price.value,
                            quoted: price.quoted,
                        },
                    );
                    Ok(())
                }
                1 => {
                    // Four decimals are whole yuan; three more are a fraction of a fen.
                    let mut value = price.value;
                    value.rescale(4);
                    if price.quoted {
                        write!(out, "\"{value}789\"")
                    } else {
                        write!(out, "{value}789")
                    }
                }
                2 => write!(out, "\"十二万\""),
                _ => write!(out, "\"面议\""),
            };
        } else if let Some(v) = fault_of(self, Fault::CellUnitAmount) {
            let _ = if v % 2 == 0 {
                write!(out, "\"{}元\"", super::generate::yuan(price))
            } else {
                write!(out, "\"{}万元\"", price.value.normalize())
            };
        } else {
            push_published(out, price);
        }
    }

    /// 成交日期 in the record's style, or its date fault.
    fn push_deal_date(&self, out: &mut String, deal: &Deal) {
        use std::fmt::Write;
        let d = deal.date;
        let (y, m, day) = (d.year(), d.month(), d.day());
        // Writing into a String cannot fail; the fmt::Result is always Ok.
        if let Some(v) = fault_of(self, Fault::ImpossibleDate) {
            let _ = match v % 3 {
                0 => write!(out, "\"{y:04}-02-30\""),
                1 => write!(out, "\"{y}年13月{day}日\""),
                _ => write!(out, "\"{y}/4/31\""),
            };
        } else if let Some(v) = fault_of(self, Fault::ChineseNumeralDate) {
            out.push('"');
            chinese_numeral_date(out, y, m, day, v % 2 == 1);
            out.push('"');
        } else if fault_of(self, Fault::ExcelSerialDate).is_some() {
            let _ = write!(out, "\"{}\"", (d - excel_origin()).num_days());
        } else {
            let _ = match deal.date_style {
                DateStyle::Chinese => write!(out, "\"{y}年{m}月{day}日\""),
                DateStyle::Slashes => write!(out, "\"{y}/{m}/{day}\""),
                DateStyle::Compact => write!(out, "\"{y:04}{m:02}{day:02}\""),
                DateStyle::Iso => write!(out, "\"{y:04}-{m:02}-{day:02}\""),
                DateStyle::Dots => write!(out, "\"{y}.{m}.{day}\""),
            };
        }
    }
}

/// 交易品种 no vocabulary has (UnknownCategory).
const UNKNOWN_CATEGORIES: [&str; 2] = ["碳汇交易权", "宅基地使用权(试点)"];
/// 项目状态 no vocabulary has (UnknownStatus).
const UNKNOWN_STATUS: &str = "待公示";
/// 晋中市市辖区: a placeholder in GB/T 2260, never a real county (UnknownRegion).
const PLACEHOLDER_COUNTY_CODE: &str = "140701";
/// An area unit no Chinese platform means (BadAreaUnit).
const BAD_AREA_UNIT: &str = "英亩";

/// Day 0 of Excel's 1900 date system (serial 45016 = 2023-03-31).
fn excel_origin() -> NaiveDate {
    // A literal, valid date.
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid literal date")
}

fn push_published(out: &mut String, p: Published) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = if p.quoted {
        write!(out, "\"{}\"", p.value)
    } else {
        write!(out, "{}", p.value)
    };
}

/// A published amount as a string of full-width digits (`"３５．５"`).
fn push_full_width(out: &mut String, p: Published) {
    out.push('"');
    full_width(out, &p.value.to_string());
    out.push('"');
}

/// The four fields of one side: `,"转出方":…,"转出方类型":…,"转出方证件号码":…,
/// "转出方联系电话":…`, all null without a party.
fn push_party(
    out: &mut String,
    party: Option<Party>,
    role: Role,
    geo: &Geography,
    record: &Record,
) {
    let prefix = role.label();
    let key = |out: &mut String, suffix: &str| {
        out.push_str(",\"");
        out.push_str(prefix);
        out.push_str(suffix);
        out.push_str("\":");
    };
    let Some(party) = party else {
        for suffix in ["", "类型", "证件号码", "联系电话"] {
            key(out, suffix);
            out.push_str("null");
        }
        return;
    };
    let village = &geo.villages[usize::from(record.village)];

    key(out, "");
    out.push('"');
    match party {
        Party::Collective => {
            out.push_str(&village.name);
            out.push_str("股份经济合作社");
        }
        Party::Person { surname, given, .. } => {
            out.push_str(SURNAMES[usize::from(surname) % SURNAMES.len()]);
            for c in given {
                if c != NO_CHAR {
                    out.push_str(GIVEN_CHARS[usize::from(c) % GIVEN_CHARS.len()]);
                }
            }
        }
        Party::Company { brand, trade } => {
            out.push_str("山西");
            out.push_str(BRANDS[usize::from(brand) % BRANDS.len()]);
            out.push_str(COMPANY_TRADES[usize::from(trade) % COMPANY_TRADES.len()]);
        }
        Party::Cooperative { brand, trade } => {
            let county = &geo.counties[village.county];
            out.push_str(county.name);
            out.push_str(BRANDS[usize::from(brand) % BRANDS.len()]);
            out.push_str(COOPERATIVE_TRADES[usize::from(trade) % COOPERATIVE_TRADES.len()]);
        }
        Party::Named(named) => push_escaped(out, named.name),
    }
    out.push('"');

    key(out, "类型");
    out.push_str(if party.is_person() {
        "\"自然人\""
    } else {
        "\"法人\""
    });

    let organisation = match party {
        Party::Collective => Some(Organisation::collective(geo, usize::from(record.village))),
        Party::Company { brand, trade } => Some(Organisation::company(geo, brand, trade)),
        Party::Cooperative { brand, trade } => {
            Some(Organisation::cooperative(geo, village.county, brand, trade))
        }
        Party::Person { .. } | Party::Named(_) => None,
    };
    key(out, "证件号码");
    out.push('"');
    match (party, organisation) {
        (Party::Person { key, .. }, _) => {
            let person = PersonId::of(key, village.county, geo);
            if let Some(v) = party_fault(record, role, Fault::WrongIdCheck) {
                out.push_str(ascii(&wrong_id_check(person.number(), v)));
            } else if party_fault(record, role, Fault::Old15DigitId).is_some() {
                out.push_str(ascii(&person.old_number()));
            } else {
                out.push_str(ascii(&person.number()));
            }
        }
        (_, Some(org)) => {
            let code = org.credit_code();
            match party_fault(record, role, Fault::WrongCreditCodeCheck) {
                Some(v) => out.push_str(ascii(&wrong_credit_check(code, v))),
                None => out.push_str(ascii(&code)),
            }
        }
        (Party::Named(named), _) => push_escaped(out, named.id_number),
        // Every organisation has an `Organisation` above.
        (_, None) => {}
    }
    out.push('"');

    key(out, "联系电话");
    // Phones are built on the stack: rendering a page must not allocate per field.
    let mut buf = [0u8; 12];
    let phone: Option<&[u8]> = match (party, organisation) {
        (Party::Person { key, .. }, _) => {
            buf[..11].copy_from_slice(&mobile(key));
            Some(&buf[..11])
        }
        (_, Some(org)) => match org.landline() {
            Some(landline) => {
                buf = landline;
                Some(&buf[..])
            }
            None => None,
        },
        (Party::Named(named), _) => named.phone.map(str::as_bytes),
        (_, None) => None,
    };
    match (party_fault(record, role, Fault::BadPhone), phone) {
        (Some(v), Some(phone)) if v % 2 == 0 => {
            out.push('"');
            out.push_str(ascii(&phone[..phone.len() - 1]));
            out.push('"');
        }
        (Some(_), _) => out.push_str("\"电话不详\""),
        (None, Some(phone)) => {
            out.push('"');
            out.push_str(ascii(phone));
            out.push('"');
        }
        (None, None) => out.push_str("null"),
    }
}

/// A JSON string value; every label in this module is plain text, but escaping keeps the
/// output valid whatever a future table holds.
fn push_str_value(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

/// Escape `s` for the inside of a JSON string.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    use std::fmt::Write;
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_json_valid() {
        let mut out = String::new();
        push_str_value(&mut out, "a\"b\\c\nd\u{1}");
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}");
    }

    #[test]
    fn published_keeps_scale_of_strings() {
        let mut out = String::new();
        push_published(&mut out, Published::text(Decimal::new(80000, 4)));
        push_published(&mut out, Published::number(Decimal::new(125, 1)));
        assert_eq!(out, "\"8.0000\"12.5");
    }

    #[test]
    fn project_numbers_are_seventeen_bytes() {
        assert_eq!(&project_no("140702", 2023, 123), b"JZ140702202300123");
    }
}
