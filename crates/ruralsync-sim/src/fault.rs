//! The dirty profile: deliberate faults in generated records, each with the outcome the
//! daemon must produce — a dead letter with a reason code, or a published record with a
//! specific normalised value.
//!
//! In [`Profile::Dirty`](super::config::Profile::Dirty) about 15% of the generated
//! records (never the anchors) carry exactly one [`Fault`]. A fault is applied when the
//! record is rendered; the record underneath stays clean, so a faulted record differs
//! from the same record of the clean profile (same seed and size) only in the faulted
//! field(s), and for the faults that must be published (`expected_reason()` is `None`)
//! the normalised value is the clean record's — except the unknown vocabulary, which is
//! published as `OTHER` with the raw word.
//!
//! | [`Fault`]              | the record gets (field)                                          | expected reason   |
//! |------------------------|------------------------------------------------------------------|-------------------|
//! | `ImpossibleDate`       | 成交日期 `2023-02-30`, `2023年13月5日`, `2023/4/31` ¹             | `bad_date`        |
//! | `UnknownCategory`      | 交易品种 `碳汇交易权`, `宅基地使用权(试点)`                       | none: `OTHER`     |
//! | `UnknownStatus`        | 项目状态 `待公示`                                                 | none: `OTHER`     |
//! | `UnknownRegion`        | 行政区划代码 `140701` + town and village digits, or 11 digits     | `unknown_region`  |
//! | `MissingName`          | 项目名称 null or `""`                                             | `missing_field`   |
//! | `BadAmount`            | 成交价(万元) `-12.5`, `12.5000789`, `"十二万"`, `"面议"` ¹         | `bad_amount`      |
//! | `CellUnitAmount`       | 成交价(万元) `"125000元"` or `"12.5万元"` ¹                        | none              |
//! | `FullWidthNumbers`     | 面积 `"３５．５"` and/or 挂牌价(万元) `"１２．５"`                 | none              |
//! | `MixedAreaUnit`        | 面积单位 `分` (亩 × 10), `㎡`/`平米` (公顷 × 10,000; 平方米 × 1)   | none              |
//! | `BadAreaUnit`          | 面积单位 `英亩`                                                   | `bad_area`        |
//! | `ChineseNumeralDate`   | 成交日期 `二〇二三年三月三十一日` (or with `零`) ¹                 | none              |
//! | `ExcelSerialDate`      | 成交日期 `"45016"` (1900 system) ¹                                | none              |
//! | `WrongIdCheck`         | a 自然人's 证件号码 with a wrong 18th character                    | `bad_id_number`   |
//! | `WrongCreditCodeCheck` | a 法人's 证件号码 with a wrong 18th character                      | `bad_credit_code` |
//! | `BadPhone`             | a 自然人's 联系电话 of 10 digits, or `电话不详`                     | `bad_phone`       |
//! | `Old15DigitId`         | a 自然人's 证件号码 in the old 15-digit form                       | none: upgraded    |
//!
//! ¹ Only on records with a deal. Party faults pick a side that has a party of the right
//! type.
//!
//! Faults are drawn from their own random stream after the dataset is generated, so the
//! dirty and clean datasets are the same records. Each faulted record gets the applicable
//! kind that has been used least so far (ties broken at random), so every kind occurs
//! about equally often. Mutations never pick a faulted record, and projects listed later
//! are clean, so a record's fault never changes.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::identity::Role;
use super::record::Record;

/// Share of generated records that carry a fault in the dirty profile.
pub(crate) const FAULT_SHARE: f64 = 0.15;

/// One kind of deliberate fault of the dirty profile (table in the
/// [module documentation](self)); the field(s) a faulted record has changed are in its
/// [`FaultEntry::fields`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum Fault {
    /// 成交日期 that is no calendar date: `2023-02-30`, `2023年13月5日`, `2023/4/31`
    /// (records with a deal).
    ImpossibleDate,
    /// 交易品种 outside the vocabulary: `碳汇交易权` or `宅基地使用权(试点)`.
    UnknownCategory,
    /// 项目状态 outside the vocabulary: `待公示`.
    UnknownStatus,
    /// 行政区划代码 of the placeholder county 140701 (with the village's own town and
    /// village digits), or the village code cut to 11 digits.
    UnknownRegion,
    /// 项目名称 null or "".
    MissingName,
    /// 成交价(万元) negative (`-12.5`), finer than a fen (`12.5000789`), or not a number
    /// (`十二万`, `面议`) (records with a deal).
    BadAmount,
    /// 成交价(万元) with the unit in the cell: `"125000元"` or `"12.5万元"` — the cell's unit
    /// wins over the header's (records with a deal).
    CellUnitAmount,
    /// 面积 and/or 挂牌价(万元) in full-width digits: `"３５．５"`, `"１２．５"`.
    FullWidthNumbers,
    /// 面积单位 `分` (亩 records, value ×10), `㎡` or `平米` (公顷 records, value ×10,000;
    /// 平方米 records, value kept).
    MixedAreaUnit,
    /// 面积单位 `英亩`.
    BadAreaUnit,
    /// 成交日期 in Chinese numerals: `二〇二三年三月三十一日` or `二零二三年三月三十一日`
    /// (records with a deal).
    ChineseNumeralDate,
    /// 成交日期 as an Excel serial (1900 system) in a string: `"45016"` (records with a
    /// deal).
    ExcelSerialDate,
    /// A person party's 证件号码 with a wrong final check character (still 18 characters).
    WrongIdCheck,
    /// An organisation party's credit code with a wrong final check character (the
    /// organisation code's own check at position 17 stays right).
    WrongCreditCodeCheck,
    /// A person party's 联系电话 of 10 digits (the mobile without its last digit) or
    /// `电话不详`.
    BadPhone,
    /// A person party's 证件号码 in the valid old 15-digit form.
    Old15DigitId,
}

impl Fault {
    /// Every kind, in declaration order.
    pub const ALL: [Fault; 16] = [
        Fault::ImpossibleDate,
        Fault::UnknownCategory,
        Fault::UnknownStatus,
        Fault::UnknownRegion,
        Fault::MissingName,
        Fault::BadAmount,
        Fault::CellUnitAmount,
        Fault::FullWidthNumbers,
        Fault::MixedAreaUnit,
        Fault::BadAreaUnit,
        Fault::ChineseNumeralDate,
        Fault::ExcelSerialDate,
        Fault::WrongIdCheck,
        Fault::WrongCreditCodeCheck,
        Fault::BadPhone,
        Fault::Old15DigitId,
    ];

    /// The variant's name, as `GET /admin/faults` shows it: `"ImpossibleDate"`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::ImpossibleDate => "ImpossibleDate",
            Fault::UnknownCategory => "UnknownCategory",
            Fault::UnknownStatus => "UnknownStatus",
            Fault::UnknownRegion => "UnknownRegion",
            Fault::MissingName => "MissingName",
            Fault::BadAmount => "BadAmount",
            Fault::CellUnitAmount => "CellUnitAmount",
            Fault::FullWidthNumbers => "FullWidthNumbers",
            Fault::MixedAreaUnit => "MixedAreaUnit",
            Fault::BadAreaUnit => "BadAreaUnit",
            Fault::ChineseNumeralDate => "ChineseNumeralDate",
            Fault::ExcelSerialDate => "ExcelSerialDate",
            Fault::WrongIdCheck => "WrongIdCheck",
            Fault::WrongCreditCodeCheck => "WrongCreditCodeCheck",
            Fault::BadPhone => "BadPhone",
            Fault::Old15DigitId => "Old15DigitId",
        }
    }

    /// The dead-letter reason code the daemon must give a record with this fault, or
    /// `None` when the record is valid and must be published (with the clean record's
    /// normalised value, or `OTHER` plus the raw word for unknown vocabulary).
    pub fn expected_reason(self) -> Option<&'static str> {
        match self {
            Fault::ImpossibleDate => Some("bad_date"),
            Fault::UnknownRegion => Some("unknown_region"),
            Fault::MissingName => Some("missing_field"),
            Fault::BadAmount => Some("bad_amount"),
            Fault::BadAreaUnit => Some("bad_area"),
            Fault::WrongIdCheck => Some("bad_id_number"),
            Fault::WrongCreditCodeCheck => Some("bad_credit_code"),
            Fault::BadPhone => Some("bad_phone"),
            Fault::UnknownCategory
            | Fault::UnknownStatus
            | Fault::CellUnitAmount
            | Fault::FullWidthNumbers
            | Fault::MixedAreaUnit
            | Fault::ChineseNumeralDate
            | Fault::ExcelSerialDate
            | Fault::Old15DigitId => None,
        }
    }

    /// Whether a record can carry this fault: date and amount faults need a deal, party
    /// faults a party of the right type.
    fn applies_to(self, record: &Record) -> bool {
        match self {
            Fault::ImpossibleDate
            | Fault::BadAmount
            | Fault::CellUnitAmount
            | Fault::ChineseNumeralDate
            | Fault::ExcelSerialDate => record.deal.is_some(),
            Fault::WrongIdCheck | Fault::BadPhone | Fault::Old15DigitId => {
                !roles(record, true).is_empty()
            }
            Fault::WrongCreditCodeCheck => !roles(record, false).is_empty(),
            Fault::UnknownCategory
            | Fault::UnknownStatus
            | Fault::UnknownRegion
            | Fault::MissingName
            | Fault::FullWidthNumbers
            | Fault::MixedAreaUnit
            | Fault::BadAreaUnit => true,
        }
    }

    fn is_party_fault(self) -> bool {
        matches!(
            self,
            Fault::WrongIdCheck
                | Fault::BadPhone
                | Fault::Old15DigitId
                | Fault::WrongCreditCodeCheck
        )
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The sides of `record` whose party is a natural person (`persons`) or an organisation.
fn roles(record: &Record, persons: bool) -> Vec<Role> {
    let mut sides = Vec::with_capacity(2);
    let parties = [
        (Role::Transferor, Some(record.transferor)),
        (Role::Transferee, record.deal.map(|d| d.transferee)),
    ];
    for (role, party) in parties {
        if let Some(party) = party {
            if party.is_person() == persons {
                sides.push(role);
            }
        }
    }
    sides
}

/// A fault as a record carries it: the kind, which of its forms (`variant`) and, for
/// party faults, which side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Faulted {
    pub kind: Fault,
    /// Which form of the fault (each kind takes it modulo its number of forms).
    pub variant: u8,
    /// The faulted party of a party fault; `Transferor` otherwise.
    pub role: Role,
}

impl Faulted {
    /// The field(s) this fault changes, as named in the API.
    pub fn fields(&self, record: &Record) -> &'static [&'static str] {
        let party = |f: &'static [&'static str; 2]| -> &'static [&'static str] {
            match self.role {
                Role::Transferor => &f[..1],
                Role::Transferee => &f[1..],
            }
        };
        match self.kind {
            Fault::ImpossibleDate | Fault::ChineseNumeralDate | Fault::ExcelSerialDate => {
                &["成交日期"]
            }
            Fault::UnknownCategory => &["交易品种"],
            Fault::UnknownStatus => &["项目状态"],
            Fault::UnknownRegion => &["行政区划代码"],
            Fault::MissingName => &["项目名称"],
            Fault::BadAmount | Fault::CellUnitAmount => &["成交价(万元)"],
            Fault::FullWidthNumbers => match self.variant % 3 {
                0 => &["面积"],
                1 => &["挂牌价(万元)"],
                _ => &["面积", "挂牌价(万元)"],
            },
            Fault::MixedAreaUnit => {
                if record.area_unit == super::record::AreaUnit::SquareMetre {
                    &["面积单位"]
                } else {
                    &["面积", "面积单位"]
                }
            }
            Fault::BadAreaUnit => &["面积单位"],
            Fault::WrongIdCheck | Fault::Old15DigitId | Fault::WrongCreditCodeCheck => {
                party(&["转出方证件号码", "受让方证件号码"])
            }
            Fault::BadPhone => party(&["转出方联系电话", "受让方联系电话"]),
        }
    }
}

/// A faulted record as `Simulator::fault_entries` and `GET /admin/faults` list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FaultEntry {
    /// 项目编号 of the record.
    #[serde(rename = "项目编号")]
    pub project_no: String,
    pub fault: Fault,
    /// [`Fault::expected_reason`].
    pub expected_reason: Option<&'static str>,
    /// The field(s) the fault changed, by their API names (`成交日期`, `受让方证件号码`).
    pub fields: Vec<&'static str>,
}

/// Give about [`FAULT_SHARE`] of `records` one fault each, drawn from `rng`.
pub(crate) fn assign(rng: &mut ChaCha8Rng, records: &mut [Record]) {
    let mut used = [0usize; Fault::ALL.len()];
    for record in records {
        if !rng.random_bool(FAULT_SHARE) {
            continue;
        }
        let start = rng.random_range(0..Fault::ALL.len());
        let variant: u8 = rng.random();
        let side: usize = rng.random_range(0..2);
        // The least used kind that applies; every record takes some (MissingName always
        // applies), so the loop always finds one.
        let mut best: Option<usize> = None;
        for k in (0..Fault::ALL.len()).map(|i| (start + i) % Fault::ALL.len()) {
            if Fault::ALL[k].applies_to(record) && best.is_none_or(|b| used[k] < used[b]) {
                best = Some(k);
            }
        }
        let Some(k) = best else { continue };
        used[k] += 1;
        let kind = Fault::ALL[k];
        let role = if kind.is_party_fault() {
            let sides = roles(record, kind != Fault::WrongCreditCodeCheck);
            sides[side % sides.len()]
        } else {
            Role::Transferor
        };
        record.fault = Some(Faulted {
            kind,
            variant,
            role,
        });
    }
}

/// The variant of the record's fault if it is of `kind` and on the party at `role`.
pub(crate) fn party_fault(record: &Record, role: Role, kind: Fault) -> Option<u8> {
    record
        .fault
        .filter(|f| f.kind == kind && f.role == role)
        .map(|f| f.variant)
}

/// The record's fault's variant if it is of `kind`.
pub(crate) fn fault_of(record: &Record, kind: Fault) -> Option<u8> {
    record.fault.filter(|f| f.kind == kind).map(|f| f.variant)
}

/// `二〇二三年三月三十一日`: a date in Chinese numerals, year digit by digit (with `〇`, or
/// `零` when `zero_as_ling`), month and day as spoken numbers.
pub(crate) fn chinese_numeral_date(
    out: &mut String,
    year: i32,
    month: u32,
    day: u32,
    zero_as_ling: bool,
) {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    for c in year.to_string().bytes() {
        let d = usize::from(c - b'0');
        out.push_str(if d == 0 && zero_as_ling {
            "零"
        } else {
            DIGITS[d]
        });
    }
    out.push('年');
    spoken(out, month, &DIGITS);
    out.push('月');
    spoken(out, day, &DIGITS);
    out.push('日');
}

/// 1–31 as spoken: 九, 十, 十一, 二十, 三十一.
fn spoken(out: &mut String, n: u32, digits: &[&str; 10]) {
    let (tens, ones) = ((n / 10) as usize, (n % 10) as usize);
    if tens > 1 {
        out.push_str(digits[tens]);
    }
    if tens > 0 {
        out.push('十');
    }
    if ones > 0 {
        out.push_str(digits[ones]);
    }
}

/// `text` with ASCII digits, `.` and `-` in their full-width forms (`３５．５`).
pub(crate) fn full_width(out: &mut String, text: &str) {
    for c in text.chars() {
        out.push(match c {
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap_or(c),
            '.' => '．',
            '-' => '－',
            c => c,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numeral_dates_read_as_spoken() {
        let cases = [
            ((2023, 3, 31, false), "二〇二三年三月三十一日"),
            ((2023, 12, 1, true), "二零二三年十二月一日"),
            ((2024, 10, 20, false), "二〇二四年十月二十日"),
            ((2023, 1, 10, false), "二〇二三年一月十日"),
            ((2024, 11, 19, false), "二〇二四年十一月十九日"),
        ];
        for ((y, m, d, ling), want) in cases {
            let mut out = String::new();
            chinese_numeral_date(&mut out, y, m, d, ling);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn full_width_numbers() {
        let mut out = String::new();
        full_width(&mut out, "35.5");
        assert_eq!(out, "３５．５");
    }

    #[test]
    fn reasons_are_the_daemons_codes() {
        let dead: Vec<_> = Fault::ALL
            .iter()
            .filter_map(|f| f.expected_reason())
            .collect();
        assert_eq!(
            dead,
            [
                "bad_date",
                "unknown_region",
                "missing_field",
                "bad_amount",
                "bad_area",
                "bad_id_number",
                "bad_credit_code",
                "bad_phone"
            ]
        );
        for f in Fault::ALL {
            assert_eq!(
                serde_json::to_value(f).unwrap(),
                serde_json::Value::from(f.name())
            );
        }
    }
}
