//! Settings of a `file_drop` source: the raw `[sources.<name>.file]` table and its pure
//! validation into [`FileDropConfig`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;

use crate::settings::Invalid;
use crate::source::{PullSettings, SharedKeys};

/// `[sources.<name>.file]`: CSV and XLSX exports dropped in a directory, polled on the
/// source's schedule. Each file is ingested once (by content checksum), then moved to
/// `done_dir`; a malformed file is refused as a whole and moved to `error_dir` with a
/// `.reason.txt` beside it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFileDrop {
    /// Directory polled for files (not recursive). Required.
    pub dir: String,
    /// File name patterns (`*` and `?`, case-insensitive) of the files to ingest.
    /// Default `["*.csv", "*.xlsx"]`. `.xlsx` and `.xlsm` files are read as workbooks,
    /// any other as CSV. `.xls`, `.xlsb` and `.ods` workbooks are refused (their readers
    /// size memory by what the file declares, which a crafted file can blow up): save
    /// them as `.xlsx`. Names starting with `.` or `~$` (Excel's lock files), and ready
    /// markers, are never ingested.
    #[serde(default = "default_patterns")]
    pub patterns: Vec<String>,
    /// Text encoding of CSV files: `auto` (default: a UTF-8 BOM or valid UTF-8 is UTF-8,
    /// anything else GB18030, the superset of GBK that Chinese Windows writes), `utf-8`,
    /// `gbk` or `gb18030` (`gbk` decodes as GB18030). A forced encoding refuses a file
    /// with bytes that are not valid in it.
    #[serde(default = "default_encoding")]
    pub encoding: String,
    /// Worksheet to read from workbooks, by name. Default "": the first sheet.
    #[serde(default)]
    pub sheet: String,
    /// Column names that identify the header row: the first row (of the first 30)
    /// holding all of them is the header; rows above it (titles such as
    /// `…村集体资产台账`, `单位：元`) are skipped. Default []: the family's id and
    /// update-time columns (`[sources.<name>.fields] id` and `updated_at`). A file whose
    /// header lacks one of them is refused.
    #[serde(default)]
    pub header_columns: Vec<String>,
    /// Rows holding one of these words in a cell (spaces and a trailing colon ignored,
    /// case-insensitive, also as the end of a short cell such as `本页合计`) are total rows:
    /// skipped and counted, like blank rows. Default `["合计", "总计", "小计", "total"]`.
    #[serde(default = "default_total_words")]
    pub total_words: Vec<String>,
    /// Seconds a file must have stayed unchanged before it is read, so a file still
    /// being copied in is left for the next poll. "Unchanged" is judged by the file's
    /// size and inode and by the later of its modification time and its change time
    /// (ctime, which every write and every date set by a copier moves, so a file copied
    /// with an old modification time is not taken for an old file), and across polls
    /// by the size and times seen at the previous poll: a file is read once nothing
    /// about it changed for this long. A modification time in the future is logged
    /// (WARN, once per file) and ignored. Default 5.
    #[serde(default = "default_min_age_secs")]
    pub min_age_secs: u64,
    /// Name suffix of a marker file the writer creates when a file is complete, e.g.
    /// ".done": `台账.csv` is read only once `台账.csv.done` exists (then without waiting
    /// for `min_age_secs`), and the marker moves with it. Default "": no marker; use one
    /// where writers pause longer than `min_age_secs` mid-file or the file system keeps
    /// no change times.
    #[serde(default)]
    pub ready_marker: String,
    /// Seconds a file that looks cut short (a workbook that is not a complete archive, a
    /// quote or character left open at the end of a CSV) is left in place and retried,
    /// while it may still be being written; once it has been unchanged this long it is
    /// refused into `error_dir`. With a `ready_marker` such a file is refused at once.
    /// Default 300.
    #[serde(default = "default_incomplete_retry_secs")]
    pub incomplete_retry_secs: u64,
    /// Largest file read, in bytes; a larger one is refused (reason `file_too_large`)
    /// without being read. Default 536870912 (512 MiB: more than a million-row ledger
    /// as GBK CSV).
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Largest total a workbook's parsed parts (its `.xml` and `.rels` entries) may
    /// unpack to, in bytes: the sizes the archive declares are checked before anything
    /// is unpacked, and enforced while unpacking in case they lie. Default 536870912
    /// (512 MiB: about 700,000 rows of a 21-column ledger).
    #[serde(default = "default_max_unpacked_bytes")]
    pub max_unpacked_bytes: u64,
    /// Highest row number a file may use, title, blank and total rows included.
    /// Default 1048576 (Excel's own limit).
    #[serde(default = "default_max_rows")]
    pub max_rows: u64,
    /// Most columns a row may have (in a workbook: the furthest column holding a
    /// value). Default 1024.
    #[serde(default = "default_max_columns")]
    pub max_columns: usize,
    /// Longest cell, in bytes of UTF-8 text. Default 131072 (more than Excel's 32,767
    /// characters of Chinese text).
    #[serde(default = "default_max_cell_bytes")]
    pub max_cell_bytes: usize,
    /// Longest row (a CSV line, line breaks inside quoted cells included; a sheet row's
    /// cells together), in bytes of UTF-8 text. Default 1048576 (1 MiB).
    #[serde(default = "default_max_row_bytes")]
    pub max_row_bytes: usize,
    /// Rows per Kafka transaction (each page commits the file's progress with it).
    /// Default 500; 1 to 10000.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Where ingested files are moved. Default "": `<dir>/done`. Relative paths are
    /// relative to `dir`.
    #[serde(default)]
    pub done_dir: String,
    /// Where refused files are moved, each with `<name>.reason.txt`. Default "":
    /// `<dir>/error`. Relative paths are relative to `dir`.
    #[serde(default)]
    pub error_dir: String,
    /// Field delimiter of CSV files, one ASCII character. Default `,`; `\t` for
    /// tab-separated exports.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// chrono format of update times in the files, in the source's time zone. Default
    /// `%Y-%m-%d %H:%M:%S` (what XLSX date-time cells are rendered as).
    #[serde(default = "default_time_format")]
    pub time_format: String,
    /// How many checksums of ingested or refused files the checkpoint remembers (the
    /// oldest are forgotten first). The checkpoint is one Kafka message rewritten with
    /// every page, so the manifest is also kept under 128 KiB of JSON, whichever bound
    /// is reached first (about 1,000 files with short names). A forgotten file dropped
    /// again is read again, and its records whose content did not change are not
    /// republished (change detection). Default 1000; 1 to 20000.
    #[serde(default = "default_manifest_max_files")]
    pub manifest_max_files: usize,
}

fn default_patterns() -> Vec<String> {
    vec!["*.csv".into(), "*.xlsx".into()]
}
fn default_encoding() -> String {
    "auto".into()
}
fn default_total_words() -> Vec<String> {
    ["合计", "总计", "小计", "total"].map(String::from).to_vec()
}
fn default_min_age_secs() -> u64 {
    5
}
fn default_incomplete_retry_secs() -> u64 {
    300
}
fn default_max_file_bytes() -> u64 {
    512 << 20
}
fn default_max_unpacked_bytes() -> u64 {
    512 << 20
}
fn default_max_rows() -> u64 {
    1 << 20
}
fn default_max_columns() -> usize {
    1024
}
fn default_max_cell_bytes() -> usize {
    128 << 10
}
fn default_max_row_bytes() -> usize {
    1 << 20
}
fn default_page_size() -> usize {
    500
}
fn default_delimiter() -> String {
    ",".into()
}
fn default_time_format() -> String {
    "%Y-%m-%d %H:%M:%S".into()
}
fn default_manifest_max_files() -> usize {
    1000
}

/// Text encoding of CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// A UTF-8 BOM or valid UTF-8 → UTF-8; otherwise GB18030.
    Auto,
    Utf8,
    /// GBK and GB18030 decode alike: GB18030 is GBK's superset, and `encoding_rs`
    /// decodes both labels with one decoder.
    Gb18030,
}

/// The caps on a file ([`RawFileDrop`]'s `max_*` keys), with the config key they are
/// set under, so a refusal can name the key to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_unpacked_bytes: u64,
    pub max_rows: u64,
    pub max_columns: usize,
    pub max_cell_bytes: usize,
    pub max_row_bytes: usize,
    /// The `[sources.<name>.file]` table's dotted key, e.g. `sources.ledger.file`.
    pub key: String,
}

/// Validated settings of a `file_drop` source.
#[derive(Debug, Clone)]
pub struct FileDropConfig {
    pub dir: PathBuf,
    /// Lower-cased patterns.
    pub patterns: Vec<String>,
    pub encoding: Encoding,
    /// `None`: the first sheet.
    pub sheet: Option<String>,
    /// Empty: the family's id and update-time columns, resolved when a pull starts.
    pub header_columns: Vec<String>,
    /// Lower-cased, spaces removed.
    pub total_words: Vec<String>,
    pub min_age: Duration,
    /// Name suffix of the ready marker, if one is configured.
    pub ready_marker: Option<String>,
    pub incomplete_retry: Duration,
    pub limits: Limits,
    /// Page size and the format of update times; files are read whole each time (not
    /// incremental), one page ahead.
    pub pull: PullSettings,
    pub done_dir: PathBuf,
    pub error_dir: PathBuf,
    pub delimiter: u8,
    pub timezone: Tz,
    pub manifest_max_files: usize,
}

impl FileDropConfig {
    /// Validate `[sources.<name>.file]`; `key` is that table's dotted key.
    ///
    /// # Errors
    /// [`Invalid`] naming the key under `key` and what would be valid.
    pub fn validate(raw: &RawFileDrop, tz: Tz, key: &str) -> Result<FileDropConfig, Invalid> {
        let k = |name: &str| format!("{key}.{name}");
        if raw.dir.trim().is_empty() {
            return Err(Invalid::new(
                k("dir"),
                "is empty; expected the directory files are dropped in, e.g. \"/srv/ruralsync/drop/ledger\"",
            ));
        }
        let dir = PathBuf::from(&raw.dir);
        check_patterns(&raw.patterns, key)?;
        let encoding = encoding(&raw.encoding, key)?;
        check_columns(raw, key)?;
        let pull = SharedKeys {
            table: key,
            page_size: raw.page_size as u64,
            page_sizes: 1..=10_000,
            prefetch_pages: None,
            incremental: false,
            lag_secs: None,
            time_format: ("time_format", &raw.time_format),
        }
        .validate(tz)?;
        if !(1..=20_000).contains(&raw.manifest_max_files) {
            return Err(Invalid::new(
                k("manifest_max_files"),
                format!(
                    "{} is out of range; expected 1 to 20000 (the checkpoint carries every remembered checksum)",
                    raw.manifest_max_files
                ),
            ));
        }
        let delimiter = delimiter(&raw.delimiter, key)?;
        let limits = check_limits(raw, key)?;
        let ready_marker = check_marker(&raw.ready_marker, &raw.patterns, key)?;
        check_workbook_patterns(&raw.patterns).map_err(|m| Invalid::new(k("patterns"), m))?;
        let (done_dir, error_dir) = moved_to(raw, &dir, key)?;
        Ok(FileDropConfig {
            dir,
            patterns: (raw.patterns.iter())
                .map(|p| p.trim().to_lowercase())
                .collect(),
            encoding,
            sheet: Some(raw.sheet.clone()).filter(|s| !s.is_empty()),
            header_columns: (raw.header_columns.iter())
                .map(|c| c.trim().to_owned())
                .collect(),
            total_words: raw.total_words.iter().map(|w| squash(w)).collect(),
            min_age: Duration::from_secs(raw.min_age_secs),
            ready_marker,
            incomplete_retry: Duration::from_secs(raw.incomplete_retry_secs),
            limits,
            pull,
            done_dir,
            error_dir,
            delimiter,
            timezone: tz,
            manifest_max_files: raw.manifest_max_files,
        })
    }

    /// Whether a file called `name` in the drop directory is one to ingest.
    pub fn wants(&self, name: &str) -> bool {
        if name.starts_with('.') || name.starts_with("~$") {
            return false;
        }
        if self
            .ready_marker
            .as_deref()
            .is_some_and(|m| name.to_lowercase().ends_with(&m.to_lowercase()))
        {
            return false;
        }
        let lower = name.to_lowercase();
        self.patterns.iter().any(|p| glob(p, &lower))
    }
}

/// Workbook formats whose calamine readers allocate by what the file declares (a dense
/// grid up to the furthest cell, repeat counts, record counts) before anything can be
/// checked: a few kilobytes can claim gigabytes. They are refused, never read.
pub(crate) const UNBOUNDED_WORKBOOKS: [&str; 3] = [".xls", ".xlsb", ".ods"];

/// `patterns`: file name patterns, without directories.
fn check_patterns(patterns: &[String], key: &str) -> Result<(), Invalid> {
    let k = format!("{key}.patterns");
    if patterns.is_empty() {
        return Err(Invalid::new(
            k,
            "is empty; expected file name patterns such as [\"*.csv\", \"*.xlsx\"]",
        ));
    }
    for p in patterns {
        if p.trim().is_empty() || p.contains(['/', '\\']) {
            return Err(Invalid::new(
                k,
                format!("{p:?} is not a file name pattern; expected a name with * and ? wildcards such as \"*.csv\", without directories"),
            ));
        }
    }
    Ok(())
}

/// `encoding`, by its usual names.
fn encoding(text: &str, key: &str) -> Result<Encoding, Invalid> {
    match text.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(Encoding::Auto),
        "utf-8" | "utf8" => Ok(Encoding::Utf8),
        "gbk" | "gb18030" | "cp936" | "gb2312" => Ok(Encoding::Gb18030),
        other => Err(Invalid::new(
            format!("{key}.encoding"),
            format!("{other:?} is not a supported encoding; valid: auto, utf-8, gbk, gb18030"),
        )),
    }
}

/// `header_columns` named once each, and no empty total word.
fn check_columns(raw: &RawFileDrop, key: &str) -> Result<(), Invalid> {
    let k = |name: &str| format!("{key}.{name}");
    let mut seen = std::collections::BTreeSet::new();
    for c in &raw.header_columns {
        if c.trim().is_empty() {
            return Err(Invalid::new(
                k("header_columns"),
                "holds an empty name; expected column names as the header row has them, e.g. [\"资产编码\", \"资产名称\"]",
            ));
        }
        if !seen.insert(c.trim()) {
            return Err(Invalid::new(
                k("header_columns"),
                format!("names {c:?} twice; list each column once"),
            ));
        }
    }
    if raw.total_words.iter().any(|w| w.trim().is_empty()) {
        return Err(Invalid::new(
            k("total_words"),
            "holds an empty word; every row would be a total row. Expected words such as [\"合计\", \"小计\"], or [] for none",
        ));
    }
    Ok(())
}

/// `delimiter`: one ASCII character (`\t` written as such).
fn delimiter(text: &str, key: &str) -> Result<u8, Invalid> {
    match text {
        "\\t" => Ok(b'\t'),
        d if d.len() == 1 && d.is_ascii() && d != "\"" && d != "\n" && d != "\r" => {
            Ok(d.as_bytes()[0])
        }
        d => Err(Invalid::new(
            format!("{key}.delimiter"),
            format!("{d:?} is not a delimiter; expected one ASCII character other than a quote or line break, e.g. \",\", \";\" or \"\\t\""),
        )),
    }
}

/// `done_dir` and `error_dir`: two directories other than `dir` and each other.
fn moved_to(raw: &RawFileDrop, dir: &Path, key: &str) -> Result<(PathBuf, PathBuf), Invalid> {
    let under = |name: &str, value: &str, default: &str| -> Result<PathBuf, Invalid> {
        let path = match value.trim() {
            "" => dir.join(default),
            v if Path::new(v).is_absolute() => PathBuf::from(v),
            v => dir.join(v),
        };
        if same_path(&path, dir) {
            return Err(Invalid::new(
                format!("{key}.{name}"),
                format!(
                    "{} is the drop directory itself; expected another directory such as {:?}",
                    path.display(),
                    dir.join(default)
                ),
            ));
        }
        Ok(path)
    };
    let done_dir = under("done_dir", &raw.done_dir, "done")?;
    let error_dir = under("error_dir", &raw.error_dir, "error")?;
    if same_path(&done_dir, &error_dir) {
        return Err(Invalid::new(
            format!("{key}.error_dir"),
            format!(
                "{} is also done_dir; refused files must be told from ingested ones",
                error_dir.display()
            ),
        ));
    }
    Ok((done_dir, error_dir))
}

fn check_workbook_patterns(patterns: &[String]) -> Result<(), String> {
    for p in patterns {
        let lower = p.trim().to_lowercase();
        if let Some(ext) = UNBOUNDED_WORKBOOKS.iter().find(|e| lower.ends_with(*e)) {
            return Err(format!(
                "{p:?} selects {ext} workbooks, which cannot be read within bounded memory (their reader sizes memory by what the file declares); save them as .xlsx (or CSV) and match \"*.xlsx\""
            ));
        }
    }
    Ok(())
}

/// Each cap must be at least 1 and at most what the reader can count.
fn check_limits(raw: &RawFileDrop, key: &str) -> Result<Limits, Invalid> {
    let k = |name: &str| format!("{key}.{name}");
    let caps: [(&str, u64, u64); 6] = [
        (
            "max_file_bytes",
            raw.max_file_bytes,
            u64::from(u32::MAX) * 4,
        ),
        (
            "max_unpacked_bytes",
            raw.max_unpacked_bytes,
            u64::from(u32::MAX),
        ),
        ("max_rows", raw.max_rows, u64::from(u32::MAX)),
        ("max_columns", raw.max_columns as u64, 16_384),
        ("max_cell_bytes", raw.max_cell_bytes as u64, 64 << 20),
        ("max_row_bytes", raw.max_row_bytes as u64, 256 << 20),
    ];
    for (name, value, most) in caps {
        if !(1..=most).contains(&value) {
            return Err(Invalid::new(
                k(name),
                format!("{value} is out of range; expected 1 to {most}"),
            ));
        }
    }
    if raw.max_cell_bytes > raw.max_row_bytes {
        return Err(Invalid::new(
            k("max_cell_bytes"),
            format!(
                "{} is more than max_row_bytes ({}); a cell is part of a row",
                raw.max_cell_bytes, raw.max_row_bytes
            ),
        ));
    }
    Ok(Limits {
        max_file_bytes: raw.max_file_bytes,
        max_unpacked_bytes: raw.max_unpacked_bytes,
        max_rows: raw.max_rows,
        max_columns: raw.max_columns,
        max_cell_bytes: raw.max_cell_bytes,
        max_row_bytes: raw.max_row_bytes,
        key: key.to_owned(),
    })
}

/// A marker is a name suffix that no ingested file can end in.
fn check_marker(marker: &str, patterns: &[String], key: &str) -> Result<Option<String>, Invalid> {
    if marker.is_empty() {
        return Ok(None);
    }
    let invalid = |why: String| Invalid::new(format!("{key}.ready_marker"), why);
    if marker.trim() != marker || marker.contains(['/', '\\', '*', '?']) {
        return Err(invalid(format!(
            "{marker:?} is not a file name suffix; expected e.g. \".done\" (台账.csv is read once 台账.csv.done exists)"
        )));
    }
    let lower = marker.to_lowercase();
    if let Some(p) = patterns.iter().find(|p| {
        let p = p.trim().to_lowercase();
        p.ends_with(&lower) && !p.ends_with('*')
    }) {
        return Err(invalid(format!(
            "{marker:?} is how the pattern {p:?} ends: data files would be taken for markers"
        )));
    }
    Ok(Some(marker.to_owned()))
}

/// The marker file of `path`, e.g. `台账.csv.done`.
pub(crate) fn marker_path(path: &Path, marker: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(marker);
    PathBuf::from(name)
}

/// A cell's text as total words are compared: spaces removed, lower-cased.
pub(crate) fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lexical comparison only (validation does no I/O): `a/./b` and `a/b/` are the same.
fn same_path(a: &Path, b: &Path) -> bool {
    a.components().eq(b.components())
}

/// `*` (any run) and `?` (one character) against a whole name.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(extra: &str) -> RawFileDrop {
        toml::from_str(&format!("dir = \"/srv/drop\"\n{extra}")).unwrap()
    }

    fn validate(extra: &str) -> Result<FileDropConfig, Invalid> {
        FileDropConfig::validate(&raw(extra), chrono_tz::Asia::Shanghai, "sources.x.file")
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = validate("").unwrap();
        assert_eq!(c.patterns, ["*.csv", "*.xlsx"]);
        assert_eq!(c.encoding, Encoding::Auto);
        assert_eq!(c.sheet, None);
        assert!(c.header_columns.is_empty());
        assert_eq!(c.total_words, ["合计", "总计", "小计", "total"]);
        assert_eq!(c.min_age, Duration::from_secs(5));
        assert_eq!(c.pull.page_size, 500);
        assert_eq!(c.done_dir, PathBuf::from("/srv/drop/done"));
        assert_eq!(c.error_dir, PathBuf::from("/srv/drop/error"));
        assert_eq!(c.delimiter, b',');
        assert_eq!(c.pull.time_format, "%Y-%m-%d %H:%M:%S");
        assert_eq!(c.manifest_max_files, 1000);
        assert_eq!(c.ready_marker, None);
        assert_eq!(c.incomplete_retry, Duration::from_secs(300));
        assert_eq!(
            c.limits,
            Limits {
                max_file_bytes: 512 << 20,
                max_unpacked_bytes: 512 << 20,
                max_rows: 1_048_576,
                max_columns: 1024,
                max_cell_bytes: 131_072,
                max_row_bytes: 1_048_576,
                key: "sources.x.file".into(),
            }
        );
        let c = validate("done_dir = \"ok\"\nerror_dir = \"/var/bad\"\ndelimiter = \"\\\\t\"\nencoding = \"GBK\"").unwrap();
        assert_eq!(c.done_dir, PathBuf::from("/srv/drop/ok"));
        assert_eq!(c.error_dir, PathBuf::from("/var/bad"));
        assert_eq!(c.delimiter, b'\t');
        assert_eq!(c.encoding, Encoding::Gb18030);
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            ("patterns = []", "patterns"),
            ("patterns = [\"in/*.csv\"]", "patterns"),
            ("encoding = \"big5\"", "encoding"),
            (
                "header_columns = [\"资产编码\", \"资产编码\"]",
                "header_columns",
            ),
            ("header_columns = [\" \"]", "header_columns"),
            ("total_words = [\"\"]", "total_words"),
            ("page_size = 0", "page_size"),
            ("page_size = 10001", "page_size"),
            ("manifest_max_files = 0", "manifest_max_files"),
            ("delimiter = \";;\"", "delimiter"),
            ("delimiter = '\"'", "delimiter"),
            ("time_format = \"%Y-%m-%d\"", "time_format"),
            ("time_format = \"%Q\"", "time_format"),
            ("done_dir = \".\"", "done_dir"),
            ("done_dir = \"x\"\nerror_dir = \"x\"", "error_dir"),
            ("patterns = [\"*.xls\"]", "patterns"),
            ("patterns = [\"*.ODS\"]", "patterns"),
            ("max_file_bytes = 0", "max_file_bytes"),
            ("max_columns = 16385", "max_columns"),
            ("max_rows = 0", "max_rows"),
            (
                "max_cell_bytes = 2048\nmax_row_bytes = 1024",
                "max_cell_bytes",
            ),
            ("ready_marker = \"*.ok\"", "ready_marker"),
            ("ready_marker = \".csv\"", "ready_marker"),
        ];
        for (text, key) in cases {
            let err = validate(text).unwrap_err();
            assert_eq!(err.key, format!("sources.x.file.{key}"), "{text}: {err:?}");
        }
        let err = FileDropConfig::validate(
            &toml::from_str("dir = \"\"").unwrap(),
            chrono_tz::Asia::Shanghai,
            "sources.x.file",
        )
        .unwrap_err();
        assert_eq!(err.key, "sources.x.file.dir");
        assert!(toml::from_str::<RawFileDrop>("dir = \"d\"\ncolour = 1").is_err());
    }

    #[test]
    fn patterns_match_whole_names_ignoring_case_and_skip_lock_files() {
        let c = validate("patterns = [\"*.csv\", \"资产*.xlsx\", \"ledger-????.txt\"]").unwrap();
        for name in ["a.csv", "台账.CSV", "资产台账.xlsx", "ledger-2024.txt"] {
            assert!(c.wants(name), "{name}");
        }
        for name in [
            "a.csv.part",
            "台账.xlsx",
            "~$资产台账.xlsx",
            ".资产.csv",
            "ledger-24.txt",
            "csv",
        ] {
            assert!(!c.wants(name), "{name}");
        }
        let c = validate("ready_marker = \".done\"").unwrap();
        assert!(c.wants("台账.csv") && !c.wants("台账.csv.done") && !c.wants("台账.CSV.DONE"));
        assert_eq!(
            marker_path(Path::new("/d/台账.csv"), ".done"),
            PathBuf::from("/d/台账.csv.done")
        );
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYbc"));
        assert!(!glob("a*b", "ab c"));
    }
}
