//! The simulated platform's data: a deterministic set of projects kept sorted by the API's
//! order (更新时间, 项目编号), paging with a binary search for `updatedSince`, and the
//! state changes that make a live platform re-publish projects.
//!
//! # Anchor records
//!
//! Whatever the seed and size, the dataset starts with these five projects, so tests can
//! assert exact values. Their 更新时间 lie before every generated record (generated ones
//! start on 2023-01-07). Villages are the first village committee (in the 2023 table's
//! order) of the county; the first town of 榆次区 (北关街道) has only neighbourhood
//! committees, so anchor 1 lies in the district's first town that has villages (乌金山镇).
//! Amounts in quotes are published as JSON strings, the others as JSON numbers.
//!
//! | 项目编号            | 行政区划代码   | 坐落              | 交易品种            | 交易方式 | 流转方式 | 项目状态 | 面积        | 流转期限 | 挂牌价(万元) | 成交价(万元) | 成交日期       | 转出方               | 受让方                     | 更新时间            |
//! |---------------------|----------------|-------------------|---------------------|----------|----------|----------|-------------|----------|--------------|--------------|----------------|----------------------|----------------------------|---------------------|
//! | `JZ140702202300001` | 140702100200   | 榆次区乌金山镇鸣谦村 | 农户承包土地经营权 | 公开竞价 | 出租     | 成交     | 35.5 亩     | 10年     | 12           | 12.5         | 2023年3月31日  | 鸣谦村股份经济合作社 | 王建军                     | 2023-01-05 09:00:00 |
//! | `JZ140703202300002` | 140726101200 ¹ | 太谷县胡村镇胡村     | 林权               | 协议     | 转让     | 鉴证     | "2.25" 公顷  | 30年     | "8.0000"     | "8.3456"     | 2023/4/1       | 胡村股份经济合作社   | 山西太行林业开发有限公司   | 2023-01-05 09:00:00 |
//! | `JZ140781202300003` | 140781100200   | 介休市义安镇义安村   | 农业生产设施设备   | 拍卖     | 出售     | 合同签订 | 1200 平方米 | null     | 3.2          | 3.05         | 20230415       | 义安村股份经济合作社 | 李志强                     | 2023-01-05 09:00:01 |
//! | `JZ140728202300004` | 140728100200   | 平遥县古陶镇东城村   | 四荒使用权         | 挂牌     | 出租     | 挂牌     | 120 亩      | 20年     | 5.6          | null         | null           | 东城村股份经济合作社 | null                       | 2023-01-06 10:30:00 |
//! | `JZ140727202300005` | 140727100214   | 祁县昭馀镇南关村     | 农村集体经营性资产 | 招标     | 出租     | 成交     | 0.8 亩      | 5年      | 1.5          | 1.75         | 2023-05-20     | 南关村股份经济合作社 | 祁县鑫盛农产品加工有限公司 | 2023-01-06 10:30:00 |
//!
//! ¹ The retired 太谷县 code 140726 with the village digits of 140703101200 (胡村村民委员会).
//!
//! 项目名称 is 坐落 followed by the subject and the transfer: 榆次区乌金山镇鸣谦村耕地经营权出租,
//! 太谷县胡村镇胡村林地经营权转让, 介休市义安镇义安村温室大棚出售, 平遥县古陶镇东城村荒山使用权出租,
//! 祁县昭馀镇南关村集体厂房出租.
//!
//! Their parties (every anchor's 转出方 is its village's collective, 法人 with an `N2`
//! code of the county; anchor 4 has no 受让方, so its four 受让方 fields are null):
//!
//! | 项目编号            | 转出方证件号码       | 转出方联系电话 | 受让方类型 | 受让方证件号码       | 受让方联系电话 |
//! |---------------------|----------------------|----------------|------------|----------------------|----------------|
//! | `JZ140702202300001` | `N2140702MFW8Q9FK61` | 0354-5196800   | 自然人     | `140702196805120317` | 13935401268    |
//! | `JZ140703202300002` | `N2140703MFPG02KWX0` | null           | 法人       | `91140703MA0JW6K29R` | 0354-6231188   |
//! | `JZ140781202300003` | `N2140781MF0RMDT0XL` | 0354-4936513   | 自然人     | `140781197509030157` | 15903546631    |
//! | `JZ140728202300004` | `N2140728MF5FWEEA1Y` | 0354-6137765   | null       | null                 | null           |
//! | `JZ140727202300005` | `N2140727MFY3ECXU4H` | null           | 法人       | `91140727MA0HB3T80Q` | null           |
//!
//! The collectives' codes and landlines are derived like every generated collective's
//! (see `identity`); anchor 2's collective has the code of today's 140703 although the
//! record carries the retired 140726. Anchors never carry a fault.
//!
//! Anchors 4 and 5 share a second, so the API lists 5 before 4 (项目编号 breaks the tie).
//! Mutations never touch anchors 1–3; 4 and 5 may move on.
//!
//! # Generated records
//!
//! 更新时间 fall between 2023-01-07 and 2024-06-30, mostly in office hours; about a third
//! of the records arrive in bulk imports of 3–20 projects of one county sharing a second.
//! 项目编号 sequences are per county and listing year, in listing order, starting at 00006
//! (00001–00005 belong to the anchors); when a county's year is full (99,999 projects) the
//! project is numbered in the year before, so numbers stay unique and 17 characters long.
//! Natural persons get their identifiers once their project is numbered (`identify`); in
//! the dirty profile, faults are assigned last, from their own stream (see `fault`).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::config::Profile;
use super::fault::{self, FaultEntry};
use super::generate::{self, pick};
use super::geography::Geography;
use super::identity::{person_key, Role};
use super::record::{
    project_no, AreaUnit, Category, DateStyle, Deal, Method, NamedParty, Party, ProjectNo,
    Published, Record, State, Term, Transfer,
};

/// First sequence number of generated and newly listed projects.
const FIRST_GENERATED_SEQ: u32 = 6;
/// Largest five-digit sequence.
const MAX_SEQ: u32 = 99_999;
/// Project numbers of the anchors mutations must leave alone.
const FROZEN_ANCHORS: [&[u8; 17]; 3] = [
    b"JZ140702202300001",
    b"JZ140703202300002",
    b"JZ140781202300003",
];
/// RNG stream of mutations; stream 0 generates the initial dataset, so mutations do not
/// shift when the generator draws differently.
const MUTATION_STREAM: u64 = 1;
/// RNG stream of the dirty profile's faults, drawn after the dataset is generated, so the
/// dirty dataset is the clean one plus faults.
const FAULT_STREAM: u64 = 2;

/// Number of anchor records.
pub const ANCHOR_COUNT: usize = 5;

/// What one call to `mutate` did: 项目编号 of the projects that changed state and of the
/// projects newly listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mutation {
    pub changed: Vec<String>,
    pub added: Vec<String>,
}

/// The projects of the simulated platform, sorted by (更新时间, 项目编号).
#[derive(Debug)]
pub(crate) struct Dataset {
    geo: &'static Geography,
    /// The persons' identifiers derive from it (see `identify`).
    seed: u64,
    records: Vec<Record>,
    rng: ChaCha8Rng,
    /// Next free sequence per (county index, year).
    next_seq: HashMap<(usize, i32), u32>,
}

impl Dataset {
    /// The anchors followed by `records - 5` generated projects (at least the anchors);
    /// in the dirty profile, with faults in about 15% of the generated ones.
    pub fn generate(seed: u64, records: usize, profile: Profile) -> Dataset {
        let geo = Geography::jinzhong();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let generated = records.saturating_sub(ANCHOR_COUNT);

        let mut all = Vec::with_capacity(ANCHOR_COUNT + generated);
        all.extend(anchors(geo));
        let mut listed = Vec::with_capacity(generated);
        let first_day = ymd(2023, 1, 7);
        let days = (ymd(2024, 6, 30) - first_day).num_days() + 1;
        while listed.len() < generated {
            // A bulk import puts several projects of one county on the platform at once.
            let batch = if rng.random_bool(0.05) {
                rng.random_range(3..=20)
            } else {
                1
            };
            let batch = batch.min(generated - listed.len());
            let day = first_day + Duration::days(rng.random_range(0..days));
            let second = if rng.random_bool(0.9) {
                rng.random_range(8 * 3600..18 * 3600)
            } else {
                rng.random_range(0..24 * 3600)
            };
            let updated = day.and_time(NaiveTime::MIN) + Duration::seconds(second);
            let first_village = rng.random_range(0..geo.villages.len());
            let county = &geo.counties[geo.villages[first_village].county];
            for k in 0..batch {
                let village = if k == 0 {
                    first_village
                } else {
                    rng.random_range(county.villages.clone())
                };
                let state = generate::initial_state(&mut rng);
                let lag = generate::listing_lag_days(&mut rng, state);
                let mut record =
                    generate::listing(&mut rng, geo, village_index(village), updated, state);
                if state.has_deal() {
                    let back = rng.random_range(0..=lag.min(90));
                    let date = updated.date() - Duration::days(back);
                    record.deal = Some(generate::deal(&mut rng, &record, date));
                }
                listed.push(updated.date() - Duration::days(lag));
                all.push(record);
            }
        }

        // Number projects per county and listing year in listing order, as a platform does.
        let mut next_seq = HashMap::new();
        let mut order: Vec<usize> = (0..generated).collect();
        order.sort_by_key(|&i| (listed[i], i));
        for i in order {
            let record = &mut all[ANCHOR_COUNT + i];
            let county = geo.villages[usize::from(record.village)].county;
            record.no = allocate(&mut next_seq, geo, county, listed[i].year());
            identify(seed, record);
        }

        all.sort_unstable_by_key(Record::key);
        if profile == Profile::Dirty {
            let mut faults = ChaCha8Rng::seed_from_u64(seed);
            faults.set_stream(FAULT_STREAM);
            // The anchors sort first: their 更新时间 precede every generated record's.
            fault::assign(&mut faults, &mut all[ANCHOR_COUNT..]);
        }
        Dataset {
            geo,
            seed,
            records: all,
            rng: {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(MUTATION_STREAM);
                rng
            },
            next_seq,
        }
    }

    pub fn geography(&self) -> &'static Geography {
        self.geo
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// All records in API order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Records with 更新时间 at or after `since`, in API order.
    pub fn since(&self, since: Option<NaiveDateTime>) -> &[Record] {
        let start = since.map_or(0, |s| self.records.partition_point(|r| r.updated < s));
        &self.records[start..]
    }

    /// The record with this 项目编号. A linear scan: meant for tests and diagnostics.
    pub fn find(&self, no: &str) -> Option<&Record> {
        self.records
            .iter()
            .find(|r| r.no.as_slice() == no.as_bytes())
    }

    /// The faulted records (dirty profile), sorted by 项目编号.
    pub fn faults(&self) -> Vec<FaultEntry> {
        let mut entries: Vec<FaultEntry> = self
            .records
            .iter()
            .filter_map(|r| {
                let f = r.fault?;
                Some(FaultEntry {
                    project_no: r.no_str().to_owned(),
                    fault: f.kind,
                    expected_reason: f.kind.expected_reason(),
                    fields: f.fields(r).to_vec(),
                })
            })
            .collect();
        entries.sort_unstable_by(|a, b| a.project_no.cmp(&b.project_no));
        entries
    }

    /// Latest 更新时间 in the dataset.
    fn max_updated(&self) -> NaiveDateTime {
        // The dataset always holds the anchors, so it is never empty.
        self.records
            .last()
            .map_or(NaiveDateTime::MIN, |r| r.updated)
    }

    /// Move `changed` projects one step along their lifecycle and list `new` projects, all
    /// stamped `max(now, latest 更新时间)` (whole seconds). Anchors 1–3, projects in a
    /// final state (鉴证, 终止) and faulted projects (dirty profile) are never picked; if
    /// fewer projects can change than asked, all of them change. New projects are clean.
    pub fn mutate(&mut self, changed: usize, new: usize, now: NaiveDateTime) -> Mutation {
        let now = now.with_nanosecond(0).unwrap_or(now);
        let stamp = now.max(self.max_updated());

        let candidates: Vec<usize> = self
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !r.state.is_final() && !FROZEN_ANCHORS.contains(&&r.no) && r.fault.is_none()
            })
            .map(|(i, _)| i)
            .collect();
        let amount = changed.min(candidates.len());
        let mut picked: Vec<usize> =
            rand::seq::index::sample(&mut self.rng, candidates.len(), amount)
                .into_iter()
                .map(|i| candidates[i])
                .collect();
        picked.sort_unstable();

        let mut moved: Vec<Record> = picked.iter().map(|&i| self.records[i].clone()).collect();
        let mut index = 0;
        let mut next_pick = picked.iter().peekable();
        self.records.retain(|_| {
            let take = next_pick.peek() == Some(&&index);
            if take {
                next_pick.next();
            }
            index += 1;
            !take
        });

        let mut mutation = Mutation::default();
        for record in &mut moved {
            advance(&mut self.rng, record, stamp);
            identify(self.seed, record);
            mutation.changed.push(record.no_str().to_owned());
        }
        for _ in 0..new {
            let village = self.rng.random_range(0..self.geo.villages.len());
            let mut record = generate::listing(
                &mut self.rng,
                self.geo,
                village_index(village),
                stamp,
                State::Listed,
            );
            let county = self.geo.villages[village].county;
            record.no = allocate(&mut self.next_seq, self.geo, county, stamp.year());
            identify(self.seed, &mut record);
            mutation.added.push(record.no_str().to_owned());
            moved.push(record);
        }

        // Everything moved carries the latest stamp, so only the tail needs sorting.
        self.records.extend(moved);
        let tail = self.records.partition_point(|r| r.updated < stamp);
        self.records[tail..].sort_unstable_by_key(Record::key);
        mutation
    }
}

/// One lifecycle step, as the platform would publish it at `stamp`.
fn advance(rng: &mut ChaCha8Rng, record: &mut Record, stamp: NaiveDateTime) {
    let next = match record.state {
        State::Proposed => State::Review,
        State::Review => State::Listed,
        State::Listed => pick(
            rng,
            &[
                (State::Dealt, 50),
                (State::Registration, 30),
                (State::Unsold, 15),
                (State::Suspended, 5),
            ],
        ),
        // A single applicant takes the project at the listing price.
        State::Registration => pick(rng, &[(State::Bidding, 80), (State::Dealt, 20)]),
        State::Bidding => pick(rng, &[(State::Dealt, 90), (State::Unsold, 10)]),
        State::Dealt => State::Contracted,
        State::Contracted => State::Certified,
        // Unsold projects are usually listed again; a suspended one resumes or ends.
        State::Unsold | State::Suspended => {
            pick(rng, &[(State::Listed, 70), (State::Terminated, 30)])
        }
        State::Certified | State::Terminated => record.state,
    };
    if next == State::Dealt && record.deal.is_none() {
        record.deal = Some(generate::deal(rng, record, stamp.date()));
    }
    record.state = next;
    record.updated = stamp;
}

/// Give the natural persons of a numbered record their keys (a function of the seed,
/// the project number and the side, so calling it again changes nothing).
fn identify(seed: u64, record: &mut Record) {
    let no = record.no;
    if let Party::Person { key, .. } = &mut record.transferor {
        *key = person_key(seed, &no, Role::Transferor);
    }
    if let Some(Deal {
        transferee: Party::Person { key, .. },
        ..
    }) = &mut record.deal
    {
        *key = person_key(seed, &no, Role::Transferee);
    }
}

/// Next free project number of a county, in `year` or, once that year is full, the
/// nearest earlier year with room.
fn allocate(
    next_seq: &mut HashMap<(usize, i32), u32>,
    geo: &Geography,
    county: usize,
    year: i32,
) -> ProjectNo {
    let mut year = year;
    loop {
        let next = next_seq
            .entry((county, year))
            .or_insert(FIRST_GENERATED_SEQ);
        if *next <= MAX_SEQ {
            let seq = *next;
            *next += 1;
            return project_no(geo.counties[county].code, year, seq);
        }
        year -= 1;
    }
}

fn village_index(village: usize) -> u16 {
    // Jinzhong has about 1,940 village committees; the whole province has ~20,000. Both fit.
    u16::try_from(village).expect("village index fits in u16")
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    // Only called with literal, valid calendar dates.
    NaiveDate::from_ymd_opt(year, month, day).expect("valid literal date")
}

fn at(date: NaiveDate, h: u32, m: u32, s: u32) -> NaiveDateTime {
    // Only called with literal, valid times.
    date.and_hms_opt(h, m, s).expect("valid literal time")
}

fn dec(text: &str) -> Decimal {
    // Only called with the literal amounts of the anchor table.
    text.parse().expect("valid literal decimal")
}

/// The anchors' transferees (documented at the top of this module).
static WANG_JIANJUN: NamedParty = NamedParty {
    name: "王建军",
    person: true,
    id_number: "140702196805120317",
    phone: Some("13935401268"),
};
static TAIHANG_FORESTRY: NamedParty = NamedParty {
    name: "山西太行林业开发有限公司",
    person: false,
    id_number: "91140703MA0JW6K29R",
    phone: Some("0354-6231188"),
};
static LI_ZHIQIANG: NamedParty = NamedParty {
    name: "李志强",
    person: true,
    id_number: "140781197509030157",
    phone: Some("15903546631"),
};
static XINSHENG_PROCESSING: NamedParty = NamedParty {
    name: "祁县鑫盛农产品加工有限公司",
    person: false,
    id_number: "91140727MA0HB3T80Q",
    phone: None,
};

/// The five anchor records documented at the top of this module.
fn anchors(geo: &Geography) -> Vec<Record> {
    let village = |county: &str| {
        // The bundled table has villages in every Jinzhong county (tested in `geography`).
        village_index(geo.first_village_of(county).expect("county has villages"))
    };
    let jan5 = ymd(2023, 1, 5);
    let jan6 = ymd(2023, 1, 6);
    vec![
        Record {
            updated: at(jan5, 9, 0, 0),
            no: *b"JZ140702202300001",
            village: village("140702"),
            retired_county: false,
            category: Category::LandContract,
            subject: 0, // 耕地经营权
            method: Method::OpenBidding,
            transfer: Some(Transfer::Lease),
            state: State::Dealt,
            area: Published::number(dec("35.5")),
            area_unit: AreaUnit::Mu,
            term: Some(Term::Years(10)),
            list_price: Published::number(dec("12")),
            deal: Some(Deal {
                price: Published::number(dec("12.5")),
                date: ymd(2023, 3, 31),
                date_style: DateStyle::Chinese,
                transferee: Party::Named(&WANG_JIANJUN),
            }),
            transferor: Party::Collective,
            fault: None,
        },
        Record {
            updated: at(jan5, 9, 0, 0),
            no: *b"JZ140703202300002",
            village: village("140703"),
            retired_county: true,
            category: Category::Forest,
            subject: 0, // 林地经营权
            method: Method::Agreement,
            transfer: Some(Transfer::Assignment),
            state: State::Certified,
            area: Published::text(dec("2.25")),
            area_unit: AreaUnit::Hectare,
            term: Some(Term::Years(30)),
            list_price: Published::text(dec("8.0000")),
            deal: Some(Deal {
                price: Published::text(dec("8.3456")),
                date: ymd(2023, 4, 1),
                date_style: DateStyle::Slashes,
                transferee: Party::Named(&TAIHANG_FORESTRY),
            }),
            transferor: Party::Collective,
            fault: None,
        },
        Record {
            updated: at(jan5, 9, 0, 1),
            no: *b"JZ140781202300003",
            village: village("140781"),
            retired_county: false,
            category: Category::Facility,
            subject: 0, // 温室大棚
            method: Method::Auction,
            transfer: Some(Transfer::Sale),
            state: State::Contracted,
            area: Published::number(dec("1200")),
            area_unit: AreaUnit::SquareMetre,
            term: None,
            list_price: Published::number(dec("3.2")),
            deal: Some(Deal {
                price: Published::number(dec("3.05")),
                date: ymd(2023, 4, 15),
                date_style: DateStyle::Compact,
                transferee: Party::Named(&LI_ZHIQIANG),
            }),
            transferor: Party::Collective,
            fault: None,
        },
        Record {
            updated: at(jan6, 10, 30, 0),
            no: *b"JZ140728202300004",
            village: village("140728"),
            retired_county: false,
            category: Category::Wasteland,
            subject: 0, // 荒山使用权
            method: Method::Listing,
            transfer: Some(Transfer::Lease),
            state: State::Listed,
            area: Published::number(dec("120")),
            area_unit: AreaUnit::Mu,
            term: Some(Term::Years(20)),
            list_price: Published::number(dec("5.6")),
            deal: None,
            transferor: Party::Collective,
            fault: None,
        },
        Record {
            updated: at(jan6, 10, 30, 0),
            no: *b"JZ140727202300005",
            village: village("140727"),
            retired_county: false,
            category: Category::CollectiveAsset,
            subject: 0, // 集体厂房
            method: Method::Tender,
            transfer: Some(Transfer::Lease),
            state: State::Dealt,
            area: Published::number(dec("0.8")),
            area_unit: AreaUnit::Mu,
            term: Some(Term::Years(5)),
            list_price: Published::number(dec("1.5")),
            deal: Some(Deal {
                price: Published::number(dec("1.75")),
                date: ymd(2023, 5, 20),
                date_style: DateStyle::Iso,
                transferee: Party::Named(&XINSHENG_PROCESSING),
            }),
            transferor: Party::Collective,
            fault: None,
        },
    ]
}
