//! The source's checkpoint state: which file contents (SHA-256) were ingested or refused,
//! and how far the file being ingested has got. It travels as [`Page::state`] and is
//! committed in the same Kafka transaction as the page's records, so what it says is
//! exactly what was published.
//!
//! The checkpoint is one message of a compacted topic, rewritten with every page, so the
//! remembered contents are a bounded window: the newest `manifest_max_files`, and never
//! more than [`MAX_FILES_JSON_BYTES`] of JSON (refusal messages cut to 300 characters).
//! Within the window a content is ingested exactly once, whatever its name; a content
//! dropped again after it left the window is read again, and the pipeline's per-record
//! fingerprints publish only the records whose content changed since. (Keeping every
//! content forever, e.g. under `<source>:file:<sha256>` keys of the `_fingerprints`
//! topic, would need the pipeline to hand the source a lookup; the window keeps the
//! source self-contained, and its edge is covered by change detection.)
//!
//! [`Page::state`]: crate::source::Page::state

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protect::Protector;

/// The state's format version.
const VERSION: u32 = 1;

/// Most JSON the remembered files take in the checkpoint. The checkpoint is one Kafka
/// message, rewritten with every page: it must stay far below the broker's message size
/// limit (1 MiB by default) and cheap to rewrite.
pub(crate) const MAX_FILES_JSON_BYTES: usize = 128 << 10;

/// Characters of a refusal's message kept in the manifest.
const MESSAGE_CHARS: usize = 300;

/// An entry's size in the manifest's JSON (with its separating comma).
fn json_len(entry: &Entry) -> usize {
    serde_json::to_string(entry).map_or(0, |s| s.len() + 1)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub version: u32,
    /// Files done with, oldest first.
    pub files: Vec<Entry>,
    /// The file being ingested, when a page of it is committed and more follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Progress>,
    /// Each of `files`' size in JSON, once measured (not part of the state).
    #[serde(skip)]
    sizes: Vec<usize>,
}

/// A file content the source is done with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's name when it was read.
    pub file: String,
    pub outcome: Outcome,
    /// Records published from it (to the record or dead-letter topic).
    pub records: u64,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Outcome {
    Ingested,
    Refused,
}

/// How far a file's ingest has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Progress {
    pub sha256: String,
    pub file: String,
    /// Records committed so far; the next page starts with this 0-based record index.
    pub records_done: u64,
    /// Spreadsheet row number of the next record, for people reading the checkpoint.
    pub next_row: u64,
}

/// Manifests are equal when their states are: the measured sizes are a cache.
impl PartialEq for Manifest {
    fn eq(&self, other: &Manifest) -> bool {
        (self.version, &self.files, &self.current) == (other.version, &other.files, &other.current)
    }
}

impl Eq for Manifest {}

impl Manifest {
    /// The manifest in a committed state; none is an empty one.
    ///
    /// # Errors
    /// When the state is not a file_drop manifest (the source's type was changed).
    pub(crate) fn from_state(state: Option<&Value>) -> Result<Manifest, String> {
        let Some(state) = state else {
            return Ok(Manifest {
                version: VERSION,
                ..Manifest::default()
            });
        };
        let manifest: Manifest =
            serde_json::from_value(state.clone()).map_err(|e| e.to_string())?;
        if manifest.version != VERSION {
            return Err(format!(
                "manifest version {} is not {VERSION}",
                manifest.version
            ));
        }
        Ok(manifest)
    }

    pub(crate) fn to_state(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub(crate) fn find(&self, sha256: &str) -> Option<&Entry> {
        self.files.iter().rev().find(|e| e.sha256 == sha256)
    }

    /// Record a file as done with, forgetting the oldest entries beyond `max` or beyond
    /// [`MAX_FILES_JSON_BYTES`] of JSON. A refusal's message is kept to its first
    /// [`MESSAGE_CHARS`] characters: the whole of it is in the dead letter and beside
    /// the file in `error_dir`.
    pub(crate) fn remember(&mut self, mut entry: Entry, max: usize) {
        if let Some(m) = &mut entry.message {
            *m = crate::protect::excerpt(m, MESSAGE_CHARS);
        }
        if self.sizes.len() != self.files.len() {
            self.sizes = self.files.iter().map(json_len).collect();
        }
        if let Some(i) = self.files.iter().position(|e| e.sha256 == entry.sha256) {
            self.files.remove(i);
            self.sizes.remove(i);
        }
        self.sizes.push(json_len(&entry));
        self.files.push(entry);
        let mut total: usize = self.sizes.iter().sum();
        let mut excess = self.files.len().saturating_sub(max);
        for size in &self.sizes[..excess] {
            total -= size;
        }
        // Keep the newest entry whatever its size: it is what the page commits.
        while total > MAX_FILES_JSON_BYTES && excess + 1 < self.files.len() {
            total -= self.sizes[excess];
            excess += 1;
        }
        self.files.drain(..excess);
        self.sizes.drain(..excess);
    }
}

/// The manifest as the checkpoint keeps it: every text in it — the names files were
/// read under, refusal messages quoting cells, and any name a later version keys a map
/// by — redacted, since a file may be named after a person (`11010519491231002X.csv`)
/// and a refused file's message quotes its cells. Checksums are kept: the source finds
/// files by them. The walk is over the JSON, not the struct, so a field added to the
/// manifest is redacted without anyone remembering to.
pub fn protect_state(state: Value, protector: &Protector) -> Value {
    match state {
        Value::String(text) => Value::String(protector.redact_text(&text)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| protect_state(item, protector))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| match name.as_str() {
                    "sha256" => (name, value),
                    _ => (
                        protector.redact_text(&name),
                        protect_state(value, protector),
                    ),
                })
                .collect(),
        ),
        other => other,
    }
}

/// Whether `stored`, a file name from a manifest (redacted if it came from a committed
/// checkpoint), names the file `name` in the drop directory.
pub(crate) fn same_file(stored: &str, name: &str, protector: &Protector) -> bool {
    stored == name || stored == protector.redact_text(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8) -> Entry {
        Entry {
            sha256: format!("{n:064x}"),
            file: format!("{n}.csv"),
            outcome: Outcome::Ingested,
            records: u64::from(n),
            message: None,
        }
    }

    #[test]
    fn the_manifest_round_trips_through_the_checkpoint_and_stays_bounded() {
        let mut m = Manifest::from_state(None).unwrap();
        for n in 0..5 {
            m.remember(entry(n), 3);
        }
        assert_eq!(
            m.files.iter().map(|e| e.records).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        m.remember(
            Entry {
                outcome: Outcome::Refused,
                message: Some("row 3: no header".into()),
                ..entry(3)
            },
            3,
        );
        assert_eq!(m.find(&entry(3).sha256).unwrap().outcome, Outcome::Refused);
        assert_eq!(m.files.len(), 3);
        m.current = Some(Progress {
            sha256: entry(9).sha256,
            file: "9.xlsx".into(),
            records_done: 500,
            next_row: 504,
        });
        let state = m.to_state();
        assert_eq!(Manifest::from_state(Some(&state)).unwrap(), m);
        assert!(Manifest::from_state(Some(&serde_json::json!({"cursor": "abc"}))).is_err());
        assert!(
            Manifest::from_state(Some(&serde_json::json!({"version": 2, "files": []}))).is_err()
        );
    }

    #[test]
    fn the_checkpoint_keeps_no_persons_number_and_still_finds_the_file() {
        let protector = Protector::from_key(&[9; 32], crate::protect::NameMask::KeepFirst).unwrap();
        let name = "11010519491231002X.csv";
        let mut m = Manifest::from_state(None).unwrap();
        m.remember(
            Entry {
                outcome: Outcome::Refused,
                file: name.into(),
                message: Some("row 1: stray column 王建军 13800138000 110105 19491231 002X".into()),
                ..entry(1)
            },
            5,
        );
        m.current = Some(Progress {
            sha256: "11010519491231002X".repeat(3),
            file: format!("张三{name}"),
            records_done: 4,
            next_row: 6,
        });
        let state = protect_state(m.to_state(), &protector);
        let text = state.to_string();
        for secret in ["11010519491231002X.csv", "13800138000", "110105 19491231"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let back = Manifest::from_state(Some(&state)).unwrap();
        assert_eq!(back.files[0].sha256, m.files[0].sha256);
        let current = back.current.unwrap();
        assert_eq!(
            current.sha256,
            "11010519491231002X".repeat(3),
            "checksums kept"
        );
        assert!(same_file(&current.file, &format!("张三{name}"), &protector));
        assert!(!same_file(
            &current.file,
            "张三110105194912310021.csv",
            &protector
        ));
        assert!(same_file("台账.csv", "台账.csv", &protector));
    }

    #[test]
    fn thousands_of_long_named_files_keep_the_manifest_under_its_byte_bound() {
        let mut m = Manifest::from_state(None).unwrap();
        for n in 0..5000u32 {
            let long = "晋中市榆次区乌金山镇鸣谦村集体资产台账".repeat(4);
            m.remember(
                Entry {
                    sha256: format!("{n:064x}"),
                    file: format!("{long}-{n}.csv"),
                    outcome: Outcome::Refused,
                    records: 0,
                    message: Some("row 3: ".repeat(200)),
                },
                20_000,
            );
        }
        let json = serde_json::to_string(&m.to_state()).unwrap();
        assert!(json.len() <= MAX_FILES_JSON_BYTES + 100, "{}", json.len());
        assert!(m.files.len() > 100, "{}", m.files.len());
        // The newest are remembered, the oldest forgotten.
        assert!(m.find(&format!("{:064x}", 4999)).is_some());
        assert!(m.find(&format!("{:064x}", 0)).is_none());
        assert!(m
            .files
            .iter()
            .all(|e| e.message.as_ref().unwrap().chars().count() == 301));
    }
}
