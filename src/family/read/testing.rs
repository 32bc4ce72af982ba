//! Test helpers shared by the families' tests.

use apache_avro::types::Value as AvroValue;
use apache_avro::Schema;
use serde_json::Value;

use crate::family::{Context, RecordFamily, Words};
use crate::normalize::Rejection;
use crate::protect::{NameMask, Protector};
use crate::region::Divisions;
use crate::settings::{from_value, Invalid};

pub(crate) const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

pub(crate) fn protector() -> Protector {
    Protector::from_key(&[42; 32], NameMask::KeepFirst).unwrap()
}

/// The first village committee of a county, in table order.
pub(crate) fn first_village_of(county: &str) -> String {
    let t = Divisions::shanxi();
    t.children(county)
        .flat_map(|town| t.children(&town.code))
        .find(|v| v.is_village_committee())
        .unwrap()
        .code
        .clone()
}

/// Family `F`'s mapping from the text of a `[fields]` table and `[values]` words, as
/// the source at `key` (`sources.<name>`) would have them.
pub(crate) fn mapping<F: RecordFamily>(
    key: &str,
    fields: &str,
    words: &Words,
) -> Result<F::Fields, Invalid> {
    let table: toml::Table = toml::from_str(fields).unwrap();
    let raw: F::RawFields = from_value(toml::Value::Table(table), &format!("{key}.fields"))?;
    F::fields(raw, words, key)
}

/// Family `F`'s default mapping.
pub(crate) fn defaults<F: RecordFamily>() -> F::Fields {
    mapping::<F>("sources.s", "", &Words::new()).unwrap()
}

/// Normalise `record` of source `source` with `fields`, in Asia/Shanghai and [`FORMAT`].
pub(crate) fn normalise_with<F: RecordFamily>(
    source: &str,
    record: &Value,
    fields: &F::Fields,
) -> Result<F::Record, Rejection> {
    let protector = protector();
    let cx = Context {
        source,
        timezone: chrono_tz::Asia::Shanghai,
        time_format: FORMAT,
        protector: &protector,
    };
    F::normalise(record, fields, &cx)
}

/// Normalise `record` of source `source` with the default mapping.
pub(crate) fn normalise<F: RecordFamily>(
    source: &str,
    record: &Value,
) -> Result<F::Record, Rejection> {
    normalise_with::<F>(source, record, &defaults::<F>())
}

/// The pipeline's conventions: key, source, native_id first; source_updated_at
/// last (change detection strips it); the namespace carries the version.
pub(crate) fn assert_schema_conventions(text: &str) {
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(json["namespace"], "cn.ruralsync.v1");
    let names: Vec<&str> = json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..3], ["key", "source", "native_id"]);
    assert_eq!(names.last(), Some(&"source_updated_at"));
    let last = json["fields"].as_array().unwrap().last().unwrap();
    assert_eq!(last["type"]["logicalType"], "timestamp-millis");
    for f in json["fields"].as_array().unwrap() {
        assert!(f["doc"].as_str().is_some_and(|d| !d.is_empty()), "{f}");
        if f["type"].is_array() {
            assert_eq!(f["type"][0], "null", "{f}");
            assert!(f["default"].is_null() && f.get("default").is_some(), "{f}");
        }
    }
}

/// Encode `value` with the schema parsed from `text` and decode it back.
pub(crate) fn round_trip(text: &str, value: &AvroValue) -> AvroValue {
    let schema = Schema::parse_str(text).unwrap();
    let bytes = apache_avro::to_avro_datum(&schema, value.clone()).unwrap();
    apache_avro::from_avro_datum(&schema, &mut bytes.as_slice(), None).unwrap()
}
