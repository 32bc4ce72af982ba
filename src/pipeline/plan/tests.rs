//! Each rule of planning a page, without a broker.

use std::path::PathBuf;

use apache_avro::types::Value as AvroValue;
use serde_json::{json, Value};

use super::*;
use crate::avro::decode;
use crate::family::Family;
use crate::fingerprint::Fingerprints;
use crate::protect::testing::valid_ids_in;
use crate::protect::NameMask;
use crate::source::OnCommit;

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";
const PERSON_ID: &str = "11010519491231002X";

/// A valid upstream transaction of the simulator's shape.
fn record(id: &str, updated: &str) -> Value {
    json!({
        "项目编号": id, "项目名称": "鸣谦村耕地经营权出租", "交易品种": "农户承包土地经营权",
        "交易方式": "协议", "项目状态": "成交", "行政区划代码": "140702100200",
        "面积": "10", "面积单位": "亩", "成交价(万元)": "1.2", "更新时间": updated,
        "受让方": "王建军", "受让方类型": "自然人", "受让方证件号码": PERSON_ID
    })
}

/// `record` with a date no calendar has: a dead letter (`bad_date`).
fn bad(id: &str, updated: &str) -> Value {
    let mut r = record(id, updated);
    r["成交日期"] = json!("2023-02-30");
    r
}

fn page(records: Vec<Value>) -> Page {
    Page {
        number: 7,
        records,
        ..Page::default()
    }
}

fn at(text: &str) -> Position {
    Position {
        updated_at: crate::normalize::parse::local_timestamp(
            text,
            FORMAT,
            chrono_tz::Asia::Shanghai,
        )
        .unwrap(),
        native_id: "JZ-5".into(),
    }
}

/// What a plan needs, owned, so each test changes what its rule is about.
struct Fixture {
    binding: Binding,
    protector: Protector,
    topics: Topics,
    limits: SizeLimits,
    records: Framing,
    dead_letters: Framing,
    committed: Checkpoint,
    fingerprints: Fingerprints,
    window: Option<LagWindow>,
    state: Option<Value>,
}

impl Fixture {
    fn new() -> Fixture {
        let family = Family::PropertyRightsTransaction;
        Fixture {
            binding: family.with_defaults(),
            protector: Protector::from_key(&[9; 32], NameMask::KeepFirst).unwrap(),
            topics: Topics::new("t"),
            limits: SizeLimits::new(1 << 20),
            records: Framing::single_object(&family.schema().schema),
            dead_letters: Framing::single_object(&DEAD_LETTER.schema),
            committed: Checkpoint::empty("s"),
            fingerprints: Fingerprints::default(),
            window: None,
            state: None,
        }
    }

    fn plan(&self, page: &Page) -> Plan {
        let input = PlanInput {
            source: "s",
            binding: &self.binding,
            timezone: chrono_tz::Asia::Shanghai,
            time_format: FORMAT,
            window: self.window,
            protector: &self.protector,
            topics: &self.topics,
            limits: &self.limits,
            records: &self.records,
            dead_letters: &self.dead_letters,
            committed: &self.committed,
            fingerprints: &self.fingerprints,
            state: self.state.clone(),
            now: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        plan(page, &input).unwrap()
    }

    /// Commit `plan` as the runner would: its checkpoint and fingerprints.
    fn commit(&mut self, plan: &Plan) {
        if let Some((next, _)) = &plan.commit {
            self.committed = next.clone();
        }
        for (key, fingerprint) in &plan.staged {
            match fingerprint {
                Some(f) => self.fingerprints.insert(key, *f),
                None => self.fingerprints.remove(key),
            }
        }
    }
}

/// The topics of a plan's messages, in order, by their last part.
fn topics_of(plan: &Plan) -> Vec<&str> {
    plan.messages
        .iter()
        .map(|m| m.topic.rsplit('.').next().unwrap())
        .collect()
}

fn dead_letter(message: &Message) -> AvroValue {
    decode::single_object(&DEAD_LETTER.schema, &message.value).unwrap()
}

fn text_of(value: &AvroValue, field: &str) -> Option<String> {
    decode::string(decode::fields(value)[field]).map(str::to_owned)
}

#[test]
fn records_are_published_with_their_fingerprints_and_the_checkpoint() {
    let f = Fixture::new();
    let plan = f.plan(&page(vec![
        record("JZ-1", "2024-01-01 10:00:00"),
        record("JZ-2", "2024-01-01 10:00:05"),
    ]));
    assert_eq!(
        topics_of(&plan),
        ["_fingerprints", "v1", "_fingerprints", "v1"]
    );
    let record = &plan.messages[1];
    assert_eq!(
        (record.topic.as_str(), record.key.as_str(), record.schema),
        (
            "t.property_rights_transaction.v1",
            "s:JZ-1",
            "cn.ruralsync.v1.PropertyRightsTransaction"
        )
    );
    assert_eq!(plan.staged.len(), 2);
    assert_eq!((plan.counts.fetched, plan.counts.published), (2, 2));
    let (next, message) = plan.commit.as_ref().unwrap();
    assert_eq!(
        next.position,
        Some(Position {
            native_id: "JZ-2".into(),
            ..at("2024-01-01 10:00:05")
        })
    );
    assert_eq!((next.published_total, next.dead_letters_total), (2, 0));
    assert_eq!(
        (message.topic.as_str(), message.key.as_str()),
        ("t._checkpoints", "s")
    );
    assert_eq!(
        serde_json::from_slice::<Checkpoint>(&message.value).unwrap(),
        *next
    );
}

#[test]
fn the_skip_window_skips_what_an_earlier_cycle_published_and_rereads_the_lag() {
    let mut f = Fixture::new();
    f.committed.position = Some(at("2024-01-01 10:00:00"));
    let records = vec![
        record("JZ-1", "2024-01-01 09:58:00"),
        record("JZ-2", "2024-01-01 09:59:30"),
        record("JZ-6", "2024-01-01 10:00:00"),
    ];
    // Not incremental: nothing is skipped.
    assert_eq!(f.plan(&page(records.clone())).counts.published, 3);
    // Incremental without a window: at or before the position (JZ-6 sorts after JZ-5).
    f.window = Some(LagWindow::from_secs(0, "k").unwrap());
    let plan = f.plan(&page(records.clone()));
    assert_eq!(
        (plan.counts.already_published, plan.counts.published),
        (2, 1)
    );
    // A 60-second window reads 09:59:30 again.
    f.window = Some(LagWindow::from_secs(60, "k").unwrap());
    let plan = f.plan(&page(records));
    assert_eq!(
        (plan.counts.already_published, plan.counts.published),
        (1, 2)
    );
}

#[test]
fn an_unchanged_record_is_not_published_again_and_a_page_that_changes_nothing_needs_no_transaction()
{
    let mut f = Fixture::new();
    let p = page(vec![record("JZ-1", "2024-01-01 10:00:00")]);
    let first = f.plan(&p);
    f.commit(&first);
    let again = f.plan(&p);
    assert_eq!((again.counts.unchanged, again.counts.published), (1, 0));
    assert!(
        again.messages.is_empty() && again.commit.is_none(),
        "{again:?}"
    );
    // The same content with a touched update time is unchanged too, but moves the
    // position: a checkpoint alone.
    let touched = f.plan(&page(vec![record("JZ-1", "2024-01-01 11:00:00")]));
    assert_eq!(touched.counts.unchanged, 1);
    assert!(touched.messages.is_empty() && touched.commit.is_some());
}

#[test]
fn a_bad_record_is_dead_lettered_once_and_a_mended_one_forgets_its_dead_letter() {
    let mut f = Fixture::new();
    let p = page(vec![bad("JZ-1", "2024-01-01 10:00:00")]);
    let first = f.plan(&p);
    assert_eq!(topics_of(&first), ["_fingerprints", "v1"]);
    let letter = dead_letter(&first.messages[1]);
    assert_eq!(text_of(&letter, "reason").as_deref(), Some("bad_date"));
    assert_eq!(text_of(&letter, "field").as_deref(), Some("成交日期"));
    assert_eq!(
        text_of(&letter, "family").as_deref(),
        Some("property_rights_transaction")
    );
    assert_eq!(first.messages[1].key, "s:JZ-1");
    assert_eq!(first.staged[0].0, "s:JZ-1#dead_letter");
    assert_eq!(
        first.counts.dead_letters_by_reason,
        BTreeMap::from([("bad_date", 1)])
    );
    assert_eq!(first.commit.as_ref().unwrap().0.dead_letters_total, 1);
    assert!(matches!(
        &first.notes[..],
        [Note::Rejected {
            reason: "bad_date",
            ..
        }]
    ));
    f.commit(&first);
    // Read again exactly as it was: not dead-lettered again; the position stays.
    let again = f.plan(&p);
    assert_eq!(
        (
            again.counts.unchanged_dead_letters,
            again.counts.dead_letters
        ),
        (1, 0)
    );
    assert!(again.commit.is_none());
    // Mended upstream: published, and its dead letter forgotten (a tombstone).
    let mended = f.plan(&page(vec![record("JZ-1", "2024-01-01 10:00:00")]));
    assert_eq!(topics_of(&mended), ["_fingerprints", "_fingerprints", "v1"]);
    assert_eq!(mended.messages[0].key, "s:JZ-1#dead_letter");
    assert!(mended.messages[0].value.is_empty());
    assert_eq!(mended.staged[0], ("s:JZ-1#dead_letter".to_owned(), None));
    f.commit(&mended);
    // A relapse is dead-lettered again.
    assert_eq!(f.plan(&p).counts.dead_letters, 1);
}

#[test]
fn a_dead_letter_says_where_its_record_came_from() {
    let f = Fixture::new();
    let mut p = page(vec![bad("JZ-1", "2024-01-01 10:00:00")]);
    p.locations = vec!["台账.xlsx row 17".into()];
    let plan = f.plan(&p);
    let message = text_of(&dead_letter(&plan.messages[1]), "message").unwrap();
    assert!(message.starts_with("台账.xlsx row 17: "), "{message}");
}

#[test]
fn a_record_over_its_topics_limit_is_dead_lettered_as_too_large() {
    let mut f = Fixture::new();
    f.limits = SizeLimits::new(1 << 20).with_topic("t.property_rights_transaction.v1", 300);
    let plan = f.plan(&page(vec![record("JZ-1", "2024-01-01 10:00:00")]));
    assert_eq!(topics_of(&plan), ["_fingerprints", "v1"]);
    assert_eq!(plan.messages[1].topic, "t.dead_letter.v1");
    let letter = dead_letter(&plan.messages[1]);
    assert_eq!(text_of(&letter, "reason").as_deref(), Some(TOO_LARGE));
    assert!(text_of(&letter, "message")
        .unwrap()
        .contains("over the 300-byte limit"));
    assert_eq!((plan.counts.published, plan.counts.dead_letters), (0, 1));
    assert!(matches!(&plan.notes[..], [Note::TooLarge { .. }]));
}

#[test]
fn a_dead_letter_over_its_topics_limit_keeps_the_start_of_its_raw_record() {
    let mut f = Fixture::new();
    f.limits = SizeLimits::new(1 << 20).with_topic("t.dead_letter.v1", 700);
    let mut long = bad("JZ-1", "2024-01-01 10:00:00");
    long["坐落"] = json!("东坡".repeat(300));
    let plan = f.plan(&page(vec![long]));
    let letter = &plan.messages[1];
    assert!(
        SizeLimits::size(letter) <= 700,
        "{}",
        SizeLimits::size(letter)
    );
    let raw = text_of(&dead_letter(letter), "raw_record").unwrap();
    assert!(raw.contains("[cut to fit the topic: "), "{raw}");
}

#[test]
fn a_refused_input_is_dead_lettered_whole_with_its_origin_redacted() {
    let f = Fixture::new();
    let mut p = page(Vec::new());
    p.rejected = vec![RejectedInput {
        origin: format!("台账{PERSON_ID}.csv"),
        reason: "file_rejected",
        message: format!("row 3 quotes {PERSON_ID}"),
    }];
    let plan = f.plan(&p);
    assert_eq!(topics_of(&plan), ["v1"]);
    let letter = dead_letter(&plan.messages[0]);
    assert_eq!(text_of(&letter, "reason").as_deref(), Some("file_rejected"));
    assert_eq!(
        decode::nullable(decode::fields(&letter)["raw_record"]),
        None
    );
    assert_eq!(
        plan.counts.dead_letters_by_reason,
        BTreeMap::from([("file_rejected", 1)])
    );
    assert!(
        !plan.messages[0].key.contains(PERSON_ID),
        "{}",
        plan.messages[0].key
    );
    assert!(plan.commit.is_some());
}

#[test]
fn the_sources_state_and_effects_are_carried_into_the_checkpoint() {
    let mut f = Fixture::new();
    // A file's progress alone (no record): a transaction with the new state.
    f.state = Some(json!({"manifest": ["ab12"]}));
    let plan = f.plan(&page(Vec::new()));
    let (next, _) = plan.commit.as_ref().unwrap();
    assert_eq!(next.state, f.state);
    f.commit(&plan);
    assert!(f.plan(&page(Vec::new())).commit.is_none(), "nothing new");
    // A file to move once committed needs the transaction too.
    let mut moving = page(Vec::new());
    moving.on_commit = vec![OnCommit::MoveFile {
        from: PathBuf::from("/d/a.csv"),
        to: PathBuf::from("/d/done/a.csv"),
        reason: None,
    }];
    assert!(f.plan(&moving).commit.is_some());
}

#[test]
fn personal_data_is_never_in_clear_in_a_plan() {
    let mut f = Fixture::new();
    f.state = Some(json!({"file": "ok"}));
    let mut bad_phone = record(&format!("ID{PERSON_ID}"), "2024-01-01 10:00:00");
    bad_phone["受让方联系电话"] = json!(format!("call {PERSON_ID}"));
    let plan = f.plan(&page(vec![
        bad_phone,
        record(PERSON_ID, "2024-01-01 10:00:01"),
    ]));
    assert_eq!((plan.counts.published, plan.counts.dead_letters), (1, 1));
    let mut texts = Vec::new();
    for m in &plan.messages {
        texts.push(m.key.clone());
        for schema in [
            &DEAD_LETTER.schema,
            &Family::PropertyRightsTransaction.schema().schema,
        ] {
            if let Ok(value) = decode::single_object(schema, &m.value) {
                texts.push(format!("{value:?}"));
            }
        }
    }
    let (next, checkpoint) = plan.commit.as_ref().unwrap();
    texts.push(String::from_utf8(checkpoint.value.clone()).unwrap());
    texts.extend(plan.staged.iter().map(|(k, _)| k.clone()));
    for note in &plan.notes {
        texts.push(format!("{note:?}"));
    }
    for text in &texts {
        assert_eq!(valid_ids_in(text), Vec::<String>::new(), "{text}");
    }
    // The furthest record's id is a person's number: the checkpoint keeps its time only.
    assert_eq!(next.position.as_ref().unwrap().native_id, "");
    assert_eq!(plan.position.as_ref().unwrap().native_id, PERSON_ID);
}
