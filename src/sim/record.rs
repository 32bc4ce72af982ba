//! One project on the simulated exchange and its JSON rendering, with the platform's
//! Chinese field names and its quirks (numbers sometimes published as strings, deal dates
//! in five formats, a retired county code on old platforms).
//!
//! Records are kept compact (indices into static tables instead of owned strings) and
//! rendered when a page is served: a million pre-rendered records would hold ~700 MB of
//! JSON, while rendering a page of 1,000 takes about a millisecond.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::geography::{Geography, TAIGU_RETIRED_CODE, TAIGU_RETIRED_NAME};

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
/// holds no heap strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    /// The village's collective economic organisation (股份经济合作社).
    Collective,
    /// A natural person: surname and one or two given-name characters.
    Person { surname: u8, given: [u8; 2] },
    /// A company registered in the city.
    Company { brand: u8, trade: u8 },
    /// A farmers' specialised cooperative of the record's county.
    Cooperative { brand: u8, trade: u8 },
    /// A fixed name (anchor records).
    Named(&'static str),
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

    /// Append this record's JSON object to `out`, keys in the platform's order.
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
        out.push_str("\",\"项目名称\":\"");
        out.push_str(county_name);
        out.push_str(town.name);
        out.push_str(&village.name);
        let subjects = self.category.subjects();
        out.push_str(subjects[usize::from(self.subject) % subjects.len()]);
        out.push_str(self.transfer.map_or("项目", Transfer::label));
        out.push_str("\",\"交易品种\":\"");
        out.push_str(self.category.label());
        out.push_str("\",\"交易方式\":\"");
        out.push_str(self.method.label());
        out.push_str("\",\"流转方式\":");
        match self.transfer {
            Some(t) => push_str_value(out, t.label()),
            None => out.push_str("null"),
        }
        out.push_str(",\"项目状态\":\"");
        out.push_str(self.state.label());
        out.push_str("\",\"行政区划代码\":\"");
        if self.retired_county {
            out.push_str(TAIGU_RETIRED_CODE);
            out.push_str(&village.code[6..]);
        } else {
            out.push_str(village.code);
        }
        out.push_str("\",\"坐落\":\"");
        out.push_str(county_name);
        out.push_str(town.name);
        out.push_str(&village.name);
        out.push_str("\",\"面积\":");
        push_published(out, self.area);
        out.push_str(",\"面积单位\":\"");
        out.push_str(self.area_unit.label());
        out.push_str("\",\"流转期限\":");
        // Writing into a String cannot fail; the fmt::Result is always Ok.
        let _ = match self.term {
            Some(Term::Years(n)) => write!(out, "\"{n}年\""),
            Some(Term::Months(n)) => write!(out, "\"{n}个月\""),
            None => write!(out, "null"),
        };
        out.push_str(",\"挂牌价(万元)\":");
        push_published(out, self.list_price);
        out.push_str(",\"成交价(万元)\":");
        match &self.deal {
            Some(deal) => push_published(out, deal.price),
            None => out.push_str("null"),
        }
        out.push_str(",\"成交日期\":");
        match &self.deal {
            Some(deal) => {
                let d = deal.date;
                let (y, m, day) = (d.year(), d.month(), d.day());
                let _ = match deal.date_style {
                    DateStyle::Chinese => write!(out, "\"{y}年{m}月{day}日\""),
                    DateStyle::Slashes => write!(out, "\"{y}/{m}/{day}\""),
                    DateStyle::Compact => write!(out, "\"{y:04}{m:02}{day:02}\""),
                    DateStyle::Iso => write!(out, "\"{y:04}-{m:02}-{day:02}\""),
                    DateStyle::Dots => write!(out, "\"{y}.{m}.{day}\""),
                };
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"转出方\":");
        push_party(out, self.transferor, geo, self);
        out.push_str(",\"受让方\":");
        match &self.deal {
            Some(deal) => push_party(out, deal.transferee, geo, self),
            None => out.push_str("null"),
        }
        out.push_str(",\"更新时间\":\"");
        let _ = write!(out, "{}", self.updated.format(UPDATED_FORMAT));
        out.push_str("\"}");
    }
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

fn push_party(out: &mut String, party: Party, geo: &Geography, record: &Record) {
    let village = &geo.villages[usize::from(record.village)];
    out.push('"');
    match party {
        Party::Collective => {
            out.push_str(&village.name);
            out.push_str("股份经济合作社");
        }
        Party::Person { surname, given } => {
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
        Party::Named(name) => push_escaped(out, name),
    }
    out.push('"');
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
