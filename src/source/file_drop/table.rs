//! A dropped file read as a table: rows of text cells, the header row found by its
//! column names below any title rows, blank and total rows told apart from records.
//!
//! A file is read twice. [`Table::check`] walks every row before anything is published
//! and either returns the file's [`Layout`] or the reason to refuse it as a whole
//! (unbalanced quote, no header, duplicate column names, values under no column).
//! [`Table::records`] walks it again and hands out the records from a given one on, so a
//! resumed ingest starts after the last committed page without holding the whole file's
//! records in memory.

use std::borrow::Cow;
use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::config::{FileDropConfig, Limits, UNBOUNDED_WORKBOOKS};
use super::decode::{Choice, Sniff, TextReader};
use super::refusal::Refusal;
use super::sheet::{self, Sheet};

/// The header must be within this many rows from the top of the sheet.
pub(crate) const HEADER_WITHIN_ROWS: u64 = 30;

/// How a file's rows are read once opened.
pub(crate) enum Table {
    /// A CSV file, streamed from disk on each walk.
    Csv {
        path: PathBuf,
        choice: Choice,
        delimiter: u8,
        limits: Limits,
    },
    /// A worksheet, its cells rendered to text once.
    Sheet(Sheet),
}

/// A file [`Table::prepare`]d: a workbook with its archive checked, or CSV.
pub(crate) struct Prepared(Option<sheet::Checked>);

/// Whether a file is read as a workbook (by its extension) or as CSV.
pub(crate) fn is_workbook(name: &str) -> bool {
    let lower = name.to_lowercase();
    [".xlsx", ".xlsm"]
        .iter()
        .chain(UNBOUNDED_WORKBOOKS.iter())
        .any(|ext| lower.ends_with(ext))
}

/// Which columns make the header row.
pub(crate) trait HeaderTest {
    /// The names of the required columns if `cells` (trimmed) is the header row.
    fn required(&self, cells: &[&str]) -> Option<Vec<String>>;
    /// Why no row qualified, given the row that came closest (its number and cells).
    fn explain(&self, closest: Option<(u64, &[String])>) -> String;
}

/// Header columns named in the config.
pub(crate) struct Named<'a>(pub &'a [String]);

impl HeaderTest for Named<'_> {
    fn required(&self, cells: &[&str]) -> Option<Vec<String>> {
        self.0
            .iter()
            .all(|c| cells.contains(&c.as_str()))
            .then(|| self.0.to_vec())
    }

    fn explain(&self, closest: Option<(u64, &[String])>) -> String {
        let wanted = self.0.join(", ");
        match closest.and_then(|(row, cells)| {
            let missing: Vec<&str> = self
                .0
                .iter()
                .filter(|c| !cells.contains(c))
                .map(String::as_str)
                .collect();
            (missing.len() < self.0.len()).then_some((row, missing))
        }) {
            Some((row, missing)) => format!(
                "row {row} looks like the header but lacks the column(s) {}; the header must name all of: {wanted} (header_columns)",
                missing.join(", ")
            ),
            None => format!(
                "no header row in the first {HEADER_WITHIN_ROWS} rows: none holds all of the columns {wanted} (header_columns)"
            ),
        }
    }
}

/// What the first pass found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Row number (as a spreadsheet shows it, from 1) of the header.
    pub header_row: u64,
    /// Column names by position; `None` for a column without a name.
    pub columns: Vec<Option<String>>,
    /// The header columns the file was recognised by.
    pub required: Vec<String>,
    pub records: u64,
    pub title_rows: u64,
    pub blank_rows: u64,
    pub total_rows: u64,
}

/// One record of the file.
pub(crate) struct Record {
    /// Row number as a spreadsheet shows it.
    pub row: u64,
    /// 0-based index among the file's records.
    pub index: u64,
    pub value: Value,
}

/// Receives a record row: its number, the column names and its cells.
type DataRow<'a> = dyn FnMut(u64, &[Option<String>], &[Cow<'_, str>]) -> ControlFlow<()> + 'a;

/// Receives each row of a file with its number; an error refuses the file.
pub(crate) type RowVisit<'a> =
    dyn FnMut(u64, &[Cow<'_, str>]) -> Result<ControlFlow<()>, Refusal> + 'a;

/// What a row is, once the header is known.
enum Kind {
    Title,
    Header,
    Blank,
    Total,
    Data,
}

impl Table {
    /// What can be told before the file is hashed, cheaply: whether it is a format
    /// that is read at all, and a workbook's archive ([`sheet::check_archive`]: entry
    /// count, declared and actual unpacked sizes), so that a zip bomb is refused
    /// without reading the rest.
    ///
    /// # Errors
    /// Why the file is refused (see [`Refusal`]).
    pub(crate) fn prepare(
        path: &Path,
        name: &str,
        config: &FileDropConfig,
    ) -> Result<Prepared, Refusal> {
        if !is_workbook(name) {
            return Ok(Prepared(None));
        }
        let lower = name.to_lowercase();
        if let Some(ext) = UNBOUNDED_WORKBOOKS.iter().find(|e| lower.ends_with(*e)) {
            return Err(Refusal::malformed(format!(
                "is an {ext} workbook, which is not read: its reader sizes memory by what the file declares, so a crafted file could exhaust it; save it as .xlsx"
            )));
        }
        let file = File::open(path).map_err(|e| Refusal::unreadable(&e))?;
        let checked = sheet::check_file(file, &config.limits)?;
        Ok(Prepared(Some(checked)))
    }

    /// Open the prepared file at `path`: a CSV file with the encoding its bytes
    /// (`sniff`) and the config choose, or the worksheet of a workbook, read whole
    /// within the caps.
    ///
    /// # Errors
    /// Why the file cannot be read (see [`Refusal`]).
    pub(crate) fn open(
        path: &Path,
        prepared: Prepared,
        config: &FileDropConfig,
        sniff: &Sniff,
    ) -> Result<(Table, String), Refusal> {
        let Prepared(Some(checked)) = prepared else {
            let choice = sniff.choose(config.encoding)?;
            return Ok((
                Table::Csv {
                    path: path.to_owned(),
                    choice,
                    delimiter: config.delimiter,
                    limits: config.limits.clone(),
                },
                format!("CSV, {}", choice.label),
            ));
        };
        let sheet_name = config.sheet.as_deref();
        let (sheet, name) = sheet::read_xlsx(checked, sheet_name, &config.limits)?;
        Ok((Table::Sheet(sheet), format!("workbook, sheet {name:?}")))
    }

    /// Walk every row and check the file's structure.
    ///
    /// # Errors
    /// Why the file is refused as a whole, naming the row and column.
    pub(crate) fn check(
        &self,
        header: &dyn HeaderTest,
        total_words: &[String],
        stop: &dyn Fn() -> bool,
    ) -> Result<Layout, Refusal> {
        self.walk(header, total_words, stop, &mut |_, _, _| {
            ControlFlow::Continue(())
        })
    }

    /// Hand each record from index `from` on to `each`, until it breaks.
    ///
    /// # Errors
    /// As [`Table::check`] (the file passed it, so only if it changed in memory).
    pub(crate) fn records(
        &self,
        header: &dyn HeaderTest,
        total_words: &[String],
        from: u64,
        each: &mut dyn FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), Refusal> {
        let mut index = 0u64;
        self.walk(
            header,
            total_words,
            &|| false,
            &mut |row, columns, cells| {
                let this = index;
                index += 1;
                if this < from {
                    return ControlFlow::Continue(());
                }
                let mut object = Map::new();
                for (name, cell) in columns
                    .iter()
                    .zip(cells.iter().map(Some).chain(std::iter::repeat(None)))
                {
                    let Some(name) = name else { continue };
                    let value = match cell.map(|c| c.as_ref()) {
                        Some(text) if !text.trim().is_empty() => Value::String(text.to_owned()),
                        _ => Value::Null,
                    };
                    object.insert(name.clone(), value);
                }
                each(Record {
                    row,
                    index: this,
                    value: Value::Object(object),
                })
            },
        )
        .map(|_| ())
    }

    /// Classify every row; call `data` with each record row's number, the column names
    /// and its cells. `data` may stop the walk early; so may `stop`, asked every few
    /// thousand rows (the layout is then incomplete).
    fn walk(
        &self,
        header: &dyn HeaderTest,
        total_words: &[String],
        stop: &dyn Fn() -> bool,
        data: &mut DataRow<'_>,
    ) -> Result<Layout, Refusal> {
        let mut layout: Option<Layout> = None;
        let mut closest: Option<(u64, Vec<String>, usize)> = None;
        let mut titles = 0u64;
        let mut seen = 0u64;
        let mut visit = |row: u64, cells: &[Cow<'_, str>]| -> Result<ControlFlow<()>, Refusal> {
            seen += 1;
            let kind = match &mut layout {
                None => {
                    let trimmed: Vec<&str> = cells.iter().map(|c| c.trim()).collect();
                    match header.required(&trimmed) {
                        Some(required) => {
                            layout = Some(header_layout(row, &trimmed, required, titles)?);
                            Kind::Header
                        }
                        None => {
                            let filled = trimmed.iter().filter(|c| !c.is_empty()).count();
                            if closest.as_ref().is_none_or(|(_, _, n)| filled > *n) {
                                closest = Some((
                                    row,
                                    trimmed.iter().map(|c| (*c).to_owned()).collect(),
                                    filled,
                                ));
                            }
                            if seen >= HEADER_WITHIN_ROWS {
                                return Err(Refusal::malformed(header.explain(
                                    closest.as_ref().map(|(r, cells, _)| (*r, cells.as_slice())),
                                )));
                            }
                            titles += 1;
                            Kind::Title
                        }
                    }
                }
                Some(layout) => {
                    let kind = classify(cells, total_words);
                    match kind {
                        Kind::Blank => layout.blank_rows += 1,
                        Kind::Total => layout.total_rows += 1,
                        _ => {
                            check_cells(row, cells, layout)?;
                            layout.records += 1;
                        }
                    }
                    kind
                }
            };
            if seen % 4096 == 0 && stop() {
                return Ok(ControlFlow::Break(()));
            }
            Ok(match (kind, &layout) {
                (Kind::Data, Some(layout)) => data(row, &layout.columns, cells),
                _ => ControlFlow::Continue(()),
            })
        };
        match self {
            Table::Csv {
                path,
                choice,
                delimiter,
                limits,
            } => {
                let file = File::open(path).map_err(|e| Refusal::unreadable(&e))?;
                super::csv::rows(
                    TextReader::new(file, *choice),
                    *delimiter,
                    limits,
                    &mut visit,
                )?
            }
            Table::Sheet(sheet) => sheet.rows(&mut visit)?,
        }
        layout.ok_or_else(|| {
            Refusal::malformed(
                header.explain(closest.as_ref().map(|(r, cells, _)| (*r, cells.as_slice()))),
            )
        })
    }
}

fn header_layout(
    row: u64,
    cells: &[&str],
    required: Vec<String>,
    titles: u64,
) -> Result<Layout, String> {
    let mut columns: Vec<Option<String>> = Vec::with_capacity(cells.len());
    for (i, name) in cells.iter().enumerate() {
        if name.is_empty() {
            columns.push(None);
            continue;
        }
        if let Some(first) = columns.iter().position(|c| c.as_deref() == Some(*name)) {
            return Err(format!(
                "row {row} (the header): columns {} and {} are both named {name:?}; each column needs its own name",
                column_name(first),
                column_name(i)
            ));
        }
        columns.push(Some((*name).to_owned()));
    }
    Ok(Layout {
        header_row: row,
        columns,
        required,
        records: 0,
        title_rows: titles,
        blank_rows: 0,
        total_rows: 0,
    })
}

fn classify(cells: &[Cow<'_, str>], total_words: &[String]) -> Kind {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Kind::Blank;
    }
    if cells.iter().any(|c| is_total(c, total_words)) {
        Kind::Total
    } else {
        Kind::Data
    }
}

/// Longest cell that can be a total label, in characters.
const TOTAL_LABEL_MAX_CHARS: usize = 12;

/// Whether a cell is a total label: once squashed ([`super::config::squash`]) and
/// stripped of trailing colons, one of `total_words` (squashed too) or a short phrase
/// ending in one (`本页合计：`), of at most [`TOTAL_LABEL_MAX_CHARS`] characters.
fn is_total(cell: &str, total_words: &[String]) -> bool {
    // This runs for every cell of every row, twice. The cell is squashed lazily from its
    // end: almost every cell differs from every word in its last character, so little
    // is lower-cased and nothing is allocated.
    let reversed = cell
        .chars()
        .rev()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_lowercase().rev())
        .skip_while(|c| matches!(c, ':' | '：'));
    let ends_in_word = total_words.iter().any(|w| {
        let mut rest = reversed.clone();
        // At most 4 characters before the word.
        w.chars().rev().all(|c| rest.next() == Some(c)) && rest.count() <= 4
    });
    // Short cells only: a total label, not an asset's description.
    ends_in_word && cell.chars().count() <= TOTAL_LABEL_MAX_CHARS
}

/// A value under no column name would be lost: refuse the file instead.
fn check_cells(row: u64, cells: &[Cow<'_, str>], layout: &Layout) -> Result<(), String> {
    for (i, cell) in cells.iter().enumerate() {
        if cell.trim().is_empty() {
            continue;
        }
        match layout.columns.get(i) {
            Some(Some(_)) => {}
            Some(None) => {
                return Err(format!(
                    "row {row}, column {}: holds {:?} but the header (row {}) gives that column no name; name the column or clear the cell",
                    column_name(i),
                    excerpt(cell),
                    layout.header_row
                ))
            }
            None => {
                return Err(format!(
                    "row {row}, column {}: holds {:?} right of the header's last column ({}, row {}); a stray value, or in a CSV an unbalanced quote or an unquoted delimiter inside a cell",
                    column_name(i),
                    excerpt(cell),
                    column_name(layout.columns.len().saturating_sub(1)),
                    layout.header_row
                ))
            }
        }
    }
    Ok(())
}

fn excerpt(text: &str) -> String {
    crate::protect::excerpt(text, 40)
}

/// Spreadsheet column letters of a 0-based index: 0 → A, 26 → AA.
pub(crate) fn column_name(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        letters.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::file_drop::config::RawFileDrop;

    fn config() -> FileDropConfig {
        let raw: RawFileDrop = toml::from_str("dir = \"/d\"").unwrap();
        FileDropConfig::validate(&raw, chrono_tz::Asia::Shanghai, "k").unwrap()
    }

    const LEDGER: &str = "晋中市榆次区乌金山镇鸣谦村集体资产台账,,,\r\n单位：元 填报日期：2024年3月1日,,,\r\n资产编码,资产名称,原值,更新时间\r\nZC-1,办公楼,\"1,250,000.10\",2024-03-01 10:30:00\r\n,,,\r\nZC-2,拖拉机,35000,2024-03-01 10:31:00\r\n合 计：,,\"1,285,000.10\",\r\n";

    /// A CSV table over `text`, written to a file that lives as long as the test.
    fn open(text: &str) -> Table {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        let mut sniff = Sniff::default();
        sniff.feed(text.as_bytes());
        let c = config();
        let prepared = Table::prepare(f.path(), "t.csv", &c).unwrap();
        let table = Table::open(f.path(), prepared, &c, &sniff).unwrap().0;
        KEEP.with(|k| k.borrow_mut().push(f));
        table
    }

    thread_local! {
        /// The files of the test's tables, removed when the test's thread ends.
        static KEEP: std::cell::RefCell<Vec<tempfile::NamedTempFile>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }

    fn named() -> Vec<String> {
        vec!["资产编码".into(), "更新时间".into()]
    }

    #[test]
    fn title_rows_blank_rows_and_totals_are_skipped_and_counted() {
        let c = config();
        let cols = named();
        let table = open(LEDGER);
        let layout = table
            .check(&Named(&cols), &c.total_words, &|| false)
            .unwrap();
        assert_eq!(
            (
                layout.header_row,
                layout.title_rows,
                layout.records,
                layout.blank_rows,
                layout.total_rows
            ),
            (3, 2, 2, 1, 1)
        );
        let mut got = Vec::new();
        table
            .records(&Named(&cols), &c.total_words, 1, &mut |r| {
                got.push((r.row, r.index, r.value));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(
            got,
            vec![(
                6,
                1,
                serde_json::json!({"资产编码": "ZC-2", "资产名称": "拖拉机", "原值": "35000", "更新时间": "2024-03-01 10:31:00"})
            )]
        );
    }

    #[test]
    fn malformed_tables_are_refused_naming_row_and_column() {
        let c = config();
        let cols = named();
        let check = |text: &str| {
            open(text)
                .check(&Named(&cols), &c.total_words, &|| false)
                .map_err(|r| r.message)
        };
        let err = check("标题\n资产编码,名称,原值\nZC-1,a,1\n").unwrap_err();
        assert!(
            err.starts_with("row 2 looks like the header but lacks the column(s) 更新时间"),
            "{err}"
        );
        let err = check("标题\n").unwrap_err();
        assert!(
            err.starts_with("no header row in the first 30 rows"),
            "{err}"
        );
        let err = check(&"x\n".repeat(40)).unwrap_err();
        assert!(
            err.starts_with("no header row in the first 30 rows"),
            "{err}"
        );
        let err = check("资产编码,更新时间,原值,原值\n").unwrap_err();
        assert!(
            err.contains("columns C and D are both named \"原值\""),
            "{err}"
        );
        let err = check("资产编码,更新时间,,备注\nZC-1,t,stray,ok\n").unwrap_err();
        assert!(err.starts_with("row 2, column C: holds \"stray\""), "{err}");
        let err = check("资产编码,更新时间\nZC-1,t,extra\n").unwrap_err();
        assert!(
            err.starts_with(
                "row 2, column C: holds \"extra\" right of the header's last column (B"
            ),
            "{err}"
        );
        // Empty cells right of the header are no data.
        assert_eq!(check("资产编码,更新时间\nZC-1,t,,\n").unwrap().records, 1);
    }

    proptest::proptest! {
        /// The test from the cell's end agrees with squashing it into a String, as it was done.
        #[test]
        fn total_test_without_allocating_agrees_with_squash(cell in "[合计小总本页 :：Total İ]{0,14}") {
            let words = config().total_words;
            let s = super::super::config::squash(&cell);
            let s = s.trim_end_matches([':', '：']);
            let by_squash = cell.chars().count() <= 12
                && words.iter().any(|w| s == w || (s.ends_with(w.as_str()) && s.chars().count() <= w.chars().count() + 4));
            proptest::prop_assert_eq!(is_total(&cell, &words), by_squash);
        }
    }

    #[test]
    fn total_words_match_short_cells_only() {
        let words = config().total_words;
        let kind = |cells: &[&str]| {
            let cells: Vec<Cow<'_, str>> = cells.iter().map(|c| Cow::Borrowed(*c)).collect();
            matches!(classify(&cells, &words), Kind::Total)
        };
        assert!(kind(&["合计", "", "100"]));
        assert!(kind(&["", "本页合计：", "100"]));
        assert!(kind(&["TOTAL:", "100"]));
        assert!(kind(&["小 计", "100"]));
        assert!(!kind(&["ZC-1", "合计算机房及附属设施设备", "100"]));
        assert!(!kind(&["ZC-1", "total station 全站仪", "100"]));
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
    }
}
