//! Tests of every family through the object-safe face the pipeline uses.

use apache_avro::types::Value as AvroValue;
use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::avro::Framing;
use crate::protect::testing::valid_ids_in;
use crate::protect::{NameMask, Protector};

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn context(protector: &Protector) -> Context<'_> {
    Context {
        source: "s",
        timezone: chrono_tz::Asia::Shanghai,
        time_format: FORMAT,
        protector,
    }
}

/// Every upstream field name a mapping reads: the quoted strings of its `Debug` form
/// (the defaults are Chinese names without quotes in them).
fn field_names(binding: &Binding) -> Vec<String> {
    format!("{binding:?}")
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Values as upstreams publish them, persons' numbers in several spellings among them.
const PLAUSIBLE: &[&str] = &[
    "2024-01-01 10:00:00",
    "140702100200",
    "N2140702MFW8Q9FK61",
    "91350100M000100Y43",
    "35.5",
    "亩",
    "12.5万元",
    "500元/亩/年",
    "10年",
    "2023年3月31日",
    "是",
    "自然人",
    "法人",
    "资产/固定资产/房屋",
    "鸣谦村股份经济合作社",
    "11010519491231002X",
    "110105 19491231 002X",
    "１１０１０５１９４９１２３１００２Ｘ",
    "ID11010519491231002X",
    "王建军 身份证号:11010519491231002X 电话13800138000",
    "13800138000",
    "+86 138 0013 8000",
    "110105491231002",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,24}".prop_map(Value::String),
        prop::sample::select(PLAUSIBLE).prop_map(|s| Value::String(s.to_owned())),
        (
            prop::sample::select(PLAUSIBLE),
            prop::sample::select(PLAUSIBLE),
            "\\PC{0,6}"
        )
            .prop_map(|(a, b, c)| Value::String(format!("{a}{c}{b}"))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid record of each family, for random changes to start from: normalising
/// then gets past the first fields and into every reader.
fn sample(family: Family) -> Value {
    match family {
        Family::PropertyRightsTransaction => serde_json::json!({
            "项目编号": "JZ140702202300001", "项目名称": "鸣谦村耕地经营权出租",
            "交易品种": "农户承包土地经营权", "交易方式": "协议", "流转方式": "出租",
            "项目状态": "成交", "行政区划代码": "140702100200", "坐落": "鸣谦村东坡",
            "面积": "10", "面积单位": "亩", "流转期限": "10年", "挂牌价(万元)": "1",
            "成交价(万元)": "1.2", "成交日期": "2023-03-31", "更新时间": "2024-01-01 10:00:00",
            "转出方": "鸣谦村股份经济合作社", "转出方类型": "法人",
            "转出方证件号码": "N2140702MFW8Q9FK61", "受让方": "王建军", "受让方类型": "自然人",
            "受让方证件号码": "11010519491231002X", "受让方联系电话": "13800138000"
        }),
        Family::CollectiveAsset => serde_json::json!({
            "资产编码": "ZC140702-0001", "资产名称": "村委会办公楼",
            "资产类别": "资产/固定资产/房屋及建筑物", "是否经营性": "否",
            "取得日期": "2015年6月30日", "原值": "1,250,000.00", "累计折旧": "312500",
            "净值": "93.75万元", "数量": "1栋", "面积": "860", "面积单位": "㎡",
            "坐落": "鸣谦村村委会院内", "行政区划代码": "140702100200", "使用状态": "在用",
            "经营方式": "自营", "使用人": "张建国", "使用人类型": "自然人",
            "使用人证件号码": "11010519491231002X", "更新时间": "2024-03-01 10:30:00"
        }),
        Family::EconomicContract => serde_json::json!({
            "合同编号": "HT-1", "合同名称": "鸣谦村耕地承包合同", "合同类型": "承包合同",
            "甲方": "鸣谦村股份经济合作社", "甲方证件号码": "N2140702MFW8Q9FK61",
            "乙方": "张建国", "乙方类型": "自然人", "乙方证件号码": "11010519491231002X",
            "乙方联系电话": "13800138000", "标的": "东坡耕地", "面积": "50", "面积单位": "亩",
            "合同总金额": "25万元", "年租金": "500元/亩/年", "起始日期": "2020年1月1日",
            "终止日期": "2029/12/31", "合同期限": "10年", "已收金额": "100000",
            "欠收金额": "25000", "合同状态": "履行中", "行政区划代码": "140702100200",
            "更新时间": "2024-03-01 10:30:00"
        }),
        _ => serde_json::json!({
            "统一社会信用代码": "N2140702MFW8Q9FK61",
            "组织名称": "榆次区乌金山镇鸣谦村股份经济合作社",
            "住所": "山西省晋中市榆次区乌金山镇鸣谦村", "法定代表人": "王建军",
            "成员数": "1,236人", "户数": "412", "登记日期": "2019-11-20",
            "更新时间": "2024-03-01 10:30:00"
        }),
    }
}

fn strings(value: &AvroValue, out: &mut Vec<String>) {
    match value {
        AvroValue::String(s) | AvroValue::Enum(_, s) => out.push(s.clone()),
        AvroValue::Record(fields) => fields.iter().for_each(|(_, v)| strings(v, out)),
        AvroValue::Union(_, inner) => strings(inner, out),
        AvroValue::Array(items) => items.iter().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Each family's sample record publishes the very bytes it did before families were
/// components (`golden.txt`), its dead-letter form is unchanged, and its position is
/// read from it.
#[test]
fn each_family_publishes_the_bytes_it_did_before() {
    let golden = include_str!("golden.txt");
    let protector = Protector::from_key(&[3; 32], NameMask::KeepFirst).unwrap();
    let mut checked = 0;
    for family in Family::ALL {
        let binding = family.with_defaults();
        let record = sample(*family);
        let want = |kind: &str| {
            golden
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{kind} {} ", family.name())))
                .unwrap()
        };
        let framing = Framing::single_object(&family.schema().schema);
        let mut message = framing.start(512);
        let mut normaliser = binding.normaliser(context(&protector));
        let Ok(Outcome::Normalised(n)) = normaliser.normalise(&record, &mut message) else {
            panic!("{family:?}: the sample normalises")
        };
        assert_eq!(hex::encode(&message), want("message"), "{family:?}");
        assert_eq!(
            binding.protected_raw(&record, &protector),
            want("raw"),
            "{family:?}"
        );
        assert_eq!(
            Some(n.position),
            binding.position(&record, chrono_tz::Asia::Shanghai, FORMAT)
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// Vectors from fastavro's `fingerprint(to_parsing_canonical_form(...), "CRC-64-AVRO")`
/// over the shipped schema files: the header other Avro implementations expect. A
/// schema change changes its vector — on purpose: consumers see a new writer schema.
#[test]
fn fingerprints_are_those_of_the_avro_specifications_canonical_form() {
    let vectors = [
        (
            "cn.ruralsync.v1.PropertyRightsTransaction",
            "5408d0339138f037",
        ),
        ("cn.ruralsync.v1.DeadLetter", "aff501bfc711cd7a"),
        ("cn.ruralsync.v1.CollectiveAsset", "b14f967136ac94a1"),
        ("cn.ruralsync.v1.EconomicContract", "8393da70295ff4ed"),
        ("cn.ruralsync.v1.CollectiveOrganisation", "902b590cc980b812"),
    ];
    let schemas = all_schemas();
    assert_eq!(schemas.len(), vectors.len());
    for (name, want) in vectors {
        let shipped = schemas.iter().find(|s| s.full_name == name).unwrap();
        let reparsed = apache_avro::Schema::parse_str(shipped.text).unwrap();
        assert_eq!(
            hex::encode(crate::avro::fingerprint(&reparsed)),
            want,
            "{name}"
        );
    }
}

/// The list of families and their tagged selection agree: each name reads back as its
/// family with its defaults, and every family's defaults are valid.
#[test]
fn every_family_is_chosen_by_its_name() {
    for family in Family::ALL {
        let table = toml::Table::from_iter([("family".to_owned(), family.name().into())]);
        let raw: RawFamily = crate::settings::tagged(table, "sources.s").unwrap();
        assert_eq!(raw.bind("sources.s").unwrap().family(), *family);
        assert_eq!(Family::from_name(family.name()), Some(*family));
        assert_eq!(family.with_defaults().family(), *family);
        assert!(family.schema_name().starts_with("cn.ruralsync.v1."));
    }
    assert_eq!(all_schemas().len(), Family::ALL.len() + 1);
}

/// Words neither the source's map nor the built-in vocabulary knows are counted for every
/// family that has vocabulary fields, by field, with examples.
#[test]
fn unknown_words_are_counted_for_every_family() {
    let protector = Protector::from_key(&[3; 32], NameMask::KeepFirst).unwrap();
    let cases = [
        (
            Family::PropertyRightsTransaction,
            "交易方式",
            "摇号",
            "method",
        ),
        (
            Family::CollectiveAsset,
            "经营方式",
            "托管经营",
            "operating_mode",
        ),
        (
            Family::CollectiveAsset,
            "资产类别",
            "资产/神秘类",
            "sub_class",
        ),
        (
            Family::EconomicContract,
            "合同类型",
            "代管合同",
            "contract_type",
        ),
    ];
    for (family, field, word, counted) in cases {
        let binding = family.with_defaults();
        let mut record = sample(family);
        record[field] = Value::String(word.to_owned());
        let mut normaliser = binding.normaliser(context(&protector));
        let outcome = normaliser.normalise(&record, &mut Vec::new()).unwrap();
        assert!(matches!(outcome, Outcome::Normalised(_)), "{family:?}");
        let (n, examples) = &normaliser.unknown.by_field[counted];
        assert_eq!(*n, 1, "{family:?}");
        assert!(
            examples.iter().any(|e| word.ends_with(e.as_str())),
            "{examples:?}"
        );
        assert_eq!(
            normaliser.unknown.total(),
            1,
            "{family:?}: {:?}",
            normaliser.unknown
        );
    }
    // The samples' own words are all known.
    for family in Family::ALL {
        let binding = family.with_defaults();
        let mut normaliser = binding.normaliser(context(&protector));
        normaliser
            .normalise(&sample(*family), &mut Vec::new())
            .unwrap();
        assert_eq!(normaliser.unknown.total(), 0, "{family:?}");
    }
}

proptest! {
    /// Random records with each family's field names holding random strings,
    /// numbers, nulls and nested values: normalising never panics, and nothing it
    /// publishes (the record, or a dead letter's id, message and raw record) holds a
    /// valid ID number in clear.
    #[test]
    fn random_records_never_panic_nor_publish_an_id_number(
        family in 0..Family::ALL.len(),
        from_sample in any::<bool>(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), value()), 0..30),
        not_an_object in prop::option::weighted(0.05, value()),
    ) {
        let family = Family::ALL[family];
        let binding = family.with_defaults();
        let names = field_names(&binding);
        let mut record = if from_sample {
            sample(family)
        } else {
            Value::Object(serde_json::Map::new())
        };
        // From a sample, a few fields changed; from nothing, many set.
        let changes = if from_sample { picks.len().min(3) } else { picks.len() };
        for (i, v) in picks.into_iter().take(changes) {
            record[i.get(&names)] = v;
        }
        let record = not_an_object.unwrap_or(record);
        let protector = Protector::from_key(&[3; 32], NameMask::KeepFirst).unwrap();
        let _ = binding.position(&record, chrono_tz::Asia::Shanghai, FORMAT);
        let mut published = vec![binding.protected_raw(&record, &protector)];
        match binding.decoded(&record, context(&protector)) {
            Ok((key, value)) => {
                published.push(key);
                strings(&value, &mut published);
            }
            Err(rejection) => {
                published.push(protector.redact_text(&rejection.message));
                published.extend(rejection.native_id);
            }
        }
        for text in &published {
            prop_assert_eq!(valid_ids_in(text), Vec::<String>::new(), "{} in {}", text, record);
        }
    }
}
