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
use std::io::Cursor;
use std::ops::ControlFlow;

use calamine::{Data, DataType, Range, Reader, Xlsx, XlsxError};
use serde_json::{Map, Value};

use super::cell;
use super::config::FileDropConfig;

/// The header must be within this many rows from the top of the sheet.
pub(crate) const HEADER_WITHIN_ROWS: u64 = 30;

/// How a file's rows are stored once opened.
pub(crate) enum Table {
    /// Decoded CSV text.
    Csv { text: String, delimiter: u8 },
    /// A worksheet, its cells rendered to text once.
    Sheet(Sheet),
}

/// A worksheet's non-empty cells as text. Rows `first_row..=last_row` (0-based) are the
/// rows of the range calamine would read (it trims empty rows above and below); every
/// row has `width` cells from column A, so column letters stay true.
///
/// Rendering each cell once and keeping only its text makes the two walks over a sheet
/// cheap: a `Range<Data>` holds every cell, empty or not, as a 32-byte value and a string
/// of its own, and the cells would be rendered again on each walk.
pub(crate) struct Sheet {
    text: String,
    /// In (row, column) order.
    cells: Vec<SheetCell>,
    first_row: u32,
    last_row: u32,
    width: usize,
}

/// A cell of a [`Sheet`]: its 0-based position and its text, `text[start..end]`.
#[derive(Clone, Copy)]
struct SheetCell {
    row: u32,
    col: u32,
    start: u32,
    end: u32,
}

/// Whether a file is read as a workbook (by its extension) or as CSV.
pub(crate) fn is_workbook(name: &str) -> bool {
    let lower = name.to_lowercase();
    [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"]
        .iter()
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
type RowVisit<'a> = dyn FnMut(u64, &[Cow<'_, str>]) -> Result<ControlFlow<()>, String> + 'a;

/// What a row is, once the header is known.
enum Kind {
    Title,
    Header,
    Blank,
    Total,
    Data,
}

impl Table {
    /// Open a file's bytes: decode CSV text, or read the worksheet of a workbook.
    ///
    /// # Errors
    /// Why the file cannot be read (undecodable bytes, not a workbook, no such sheet).
    pub(crate) fn open(
        name: &str,
        bytes: &[u8],
        config: &FileDropConfig,
    ) -> Result<(Table, String), String> {
        if !is_workbook(name) {
            let (text, encoding) = super::decode::decode(bytes, config.encoding)?;
            return Ok((
                Table::Csv {
                    text,
                    delimiter: config.delimiter,
                },
                format!("CSV, {encoding}"),
            ));
        }
        let lower = name.to_lowercase();
        let cursor = Cursor::new(bytes);
        let sheet = config.sheet.as_deref();
        let (sheet, sheet_name) = if lower.ends_with(".xls") {
            read_range::<calamine::Xls<_>>(cursor, sheet)?
        } else if lower.ends_with(".xlsb") {
            read_range::<calamine::Xlsb<_>>(cursor, sheet)?
        } else if lower.ends_with(".ods") {
            read_range::<calamine::Ods<_>>(cursor, sheet)?
        } else {
            read_xlsx(cursor, sheet)?
        };
        Ok((
            Table::Sheet(sheet),
            format!("workbook, sheet {sheet_name:?}"),
        ))
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
    ) -> Result<Layout, String> {
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
    ) -> Result<(), String> {
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
    ) -> Result<Layout, String> {
        let mut layout: Option<Layout> = None;
        let mut closest: Option<(u64, Vec<String>, usize)> = None;
        let mut titles = 0u64;
        let mut seen = 0u64;
        let mut visit = |row: u64, cells: &[Cow<'_, str>]| -> Result<ControlFlow<()>, String> {
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
                                return Err(header.explain(
                                    closest.as_ref().map(|(r, cells, _)| (*r, cells.as_slice())),
                                ));
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
            Table::Csv { text, delimiter } => csv_rows(text, *delimiter, &mut visit)?,
            Table::Sheet(sheet) => sheet.rows(&mut visit)?,
        }
        layout.ok_or_else(|| {
            header.explain(closest.as_ref().map(|(r, cells, _)| (*r, cells.as_slice())))
        })
    }
}

/// A worksheet of an `.xls`, `.xlsb` or `.ods` workbook, read whole by calamine.
fn read_range<'a, R>(
    cursor: Cursor<&'a [u8]>,
    sheet: Option<&str>,
) -> Result<(Sheet, String), String>
where
    R: Reader<Cursor<&'a [u8]>>,
    R::Error: std::fmt::Display,
{
    let mut book: R = open_book(cursor)?;
    let name = pick_sheet(&book.sheet_names(), sheet)?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| unreadable_sheet(&name, e))?;
    Ok((Sheet::from_range(&range)?, name))
}

/// A worksheet of an `.xlsx` workbook, its cells streamed: the same cells as calamine's
/// `worksheet_range`, without holding them all as [`Data`] first.
fn read_xlsx(cursor: Cursor<&[u8]>, sheet: Option<&str>) -> Result<(Sheet, String), String> {
    let mut book: Xlsx<_> = open_book(cursor)?;
    let name = pick_sheet(&book.sheet_names(), sheet)?;
    let mut builder = SheetBuilder::default();
    match book.worksheet_cells_reader(&name) {
        Ok(mut reader) => {
            while let Some(cell) = reader.next_cell().map_err(|e| unreadable_sheet(&name, e))? {
                if !cell.get_value().is_empty() {
                    let (row, col) = cell.get_position();
                    builder.push(row, col, &cell::render_ref(cell.get_value()))?;
                }
            }
        }
        // A chart sheet: no cells, as `worksheet_range` has it.
        Err(XlsxError::NotAWorksheet(_)) => {}
        Err(e) => return Err(unreadable_sheet(&name, e)),
    }
    Ok((builder.finish(), name))
}

fn open_book<'a, R>(cursor: Cursor<&'a [u8]>) -> Result<R, String>
where
    R: Reader<Cursor<&'a [u8]>>,
    R::Error: std::fmt::Display,
{
    calamine::open_workbook_from_rs(cursor).map_err(|e| {
        format!("is not a readable workbook ({e}); open it in Excel and save it again as .xlsx")
    })
}

fn unreadable_sheet(name: &str, e: impl std::fmt::Display) -> String {
    format!("sheet {name:?} cannot be read ({e}); open it in Excel and save it again as .xlsx")
}

/// The configured sheet, or the first.
fn pick_sheet(names: &[String], sheet: Option<&str>) -> Result<String, String> {
    match sheet {
        Some(wanted) => names.iter().find(|n| *n == wanted).cloned().ok_or_else(|| {
            format!(
                "has no sheet {wanted:?} (sheet); its sheets: {}",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| "has no worksheet".to_owned()),
    }
}

impl Sheet {
    /// # Errors
    /// As [`SheetBuilder::push`].
    fn from_range(range: &Range<Data>) -> Result<Sheet, String> {
        let mut builder = SheetBuilder::default();
        let (first_row, first_col) = range.start().unwrap_or_default();
        for (row, col, value) in range.used_cells() {
            builder.push(
                first_row + row as u32,
                first_col + col as u32,
                &cell::render(value),
            )?;
        }
        let mut sheet = builder.finish();
        // The range's own bounds, which may take in empty cells at its edges.
        if let (Some(start), Some(end)) = (range.start(), range.end()) {
            (sheet.first_row, sheet.last_row, sheet.width) = (start.0, end.0, end.1 as usize + 1);
        }
        Ok(sheet)
    }

    /// Hand each row to `visit` with its number as a spreadsheet shows it.
    fn rows(&self, visit: &mut RowVisit<'_>) -> Result<(), String> {
        if self.width == 0 {
            return Ok(()); // no cells
        }
        let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(self.width);
        let mut next = self.cells.iter().peekable();
        for row in self.first_row..=self.last_row {
            cells.clear();
            cells.resize(self.width, Cow::Borrowed(""));
            while let Some(c) = next.next_if(|c| c.row == row) {
                cells[c.col as usize] = Cow::Borrowed(&self.text[c.start as usize..c.end as usize]);
            }
            if visit(u64::from(row) + 1, &cells)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// Collects a [`Sheet`]'s cells in any order; the sheet's bounds are those of its cells.
#[derive(Default)]
struct SheetBuilder {
    text: String,
    cells: Vec<SheetCell>,
}

impl SheetBuilder {
    /// # Errors
    /// When the sheet's text passes 4 GiB.
    fn push(&mut self, row: u32, col: u32, text: &str) -> Result<(), String> {
        let too_big = || "holds more than 4 GiB of text; split it into several files".to_owned();
        let start = u32::try_from(self.text.len()).map_err(|_| too_big())?;
        self.text.push_str(text);
        let end = u32::try_from(self.text.len()).map_err(|_| too_big())?;
        self.cells.push(SheetCell {
            row,
            col,
            start,
            end,
        });
        Ok(())
    }

    fn finish(mut self) -> Sheet {
        // Writers put cells in order; should one not, a stable sort keeps the last of two
        // cells at the same place last, and so the one that counts, as in calamine.
        if !self.cells.is_sorted_by_key(|c| (c.row, c.col)) {
            self.cells.sort_by_key(|c| (c.row, c.col));
        }
        let width = self
            .cells
            .iter()
            .map(|c| c.col as usize + 1)
            .max()
            .unwrap_or(0);
        Sheet {
            first_row: self.cells.first().map_or(0, |c| c.row),
            last_row: self.cells.last().map_or(0, |c| c.row),
            width,
            text: self.text,
            cells: self.cells,
        }
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
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    s
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

/// Split CSV text into rows (RFC 4180 quoting, as Excel writes and reads it) and hand
/// each to `visit` with its row number. Every line break outside quotes ends a row, so
/// row numbers are those Excel shows when it opens the file; empty lines are rows too.
///
/// Quotes must pair up: a file ending inside a quoted cell, or a closing quote followed
/// by more text than a delimiter or line end, is refused, naming the row and line the
/// cell started on (Excel would silently merge cells and rows instead). A quote inside
/// an unquoted cell is kept as text, as Excel does.
fn csv_rows(text: &str, delimiter: u8, visit: &mut RowVisit<'_>) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(32);
    let (mut i, mut row, mut line) = (0usize, 1u64, 1u64);
    if bytes.is_empty() {
        return Ok(());
    }
    loop {
        // One cell starting at i.
        let end_of_cell;
        if bytes.get(i) == Some(&b'"') {
            let open_line = line;
            let start = i + 1;
            let mut j = start;
            let mut owned: Option<String> = None;
            let mut piece = start;
            loop {
                match memchr_quote(bytes, j) {
                    None => {
                        return Err(format!(
                            "row {row} (line {open_line}): a quoted cell opened there is never closed; quotes inside a cell must be doubled (\"\"), as Excel writes them"
                        ))
                    }
                    Some(q) => {
                        line += bytes[j..q].iter().filter(|b| **b == b'\n').count() as u64;
                        if bytes.get(q + 1) == Some(&b'"') {
                            let s = owned.get_or_insert_with(String::new);
                            s.push_str(&text[piece..=q]);
                            piece = q + 2;
                            j = q + 2;
                        } else {
                            let value = match owned {
                                Some(mut s) => {
                                    s.push_str(&text[piece..q]);
                                    Cow::Owned(s)
                                }
                                None => Cow::Borrowed(&text[start..q]),
                            };
                            // A closing quote ends the cell: anything but a delimiter or
                            // a line end after it means the quotes do not pair up.
                            let k = q + 1;
                            if k < bytes.len() && !matches!(bytes[k], b'\n' | b'\r') && bytes[k] != delimiter {
                                let after: String = text[k..].chars().take(20).collect();
                                return Err(format!(
                                    "row {row} (line {open_line}): a quoted cell opened there closes before {after:?}; the quotes do not pair up (an unbalanced quote?). A quote inside a cell must be doubled (\"\") and the whole cell quoted, as Excel writes it"
                                ));
                            }
                            cells.push(value);
                            end_of_cell = k;
                            break;
                        }
                    }
                }
            }
        } else {
            let mut k = i;
            while k < bytes.len() && !matches!(bytes[k], b'\n' | b'\r') && bytes[k] != delimiter {
                k += 1;
            }
            cells.push(Cow::Borrowed(&text[i..k]));
            end_of_cell = k;
        }
        i = end_of_cell;
        match bytes.get(i) {
            Some(d) if *d == delimiter => i += 1,
            Some(b'\r') | Some(b'\n') => {
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
                if visit(row, &cells)?.is_break() {
                    return Ok(());
                }
                cells.clear();
                row += 1;
                line += 1;
                if i >= bytes.len() {
                    return Ok(());
                }
            }
            _ => {
                let _ = visit(row, &cells)?;
                return Ok(());
            }
        }
    }
}

fn memchr_quote(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|b| *b == b'"')
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::file_drop::config::RawFileDrop;

    fn config() -> FileDropConfig {
        let raw: RawFileDrop = toml::from_str("dir = \"/d\"").unwrap();
        FileDropConfig::validate(&raw, chrono_tz::Asia::Shanghai, "k").unwrap()
    }

    fn rows(text: &str) -> Result<Vec<(u64, Vec<String>)>, String> {
        let mut out = Vec::new();
        csv_rows(text, b',', &mut |row, cells| {
            out.push((row, cells.iter().map(|c| c.to_string()).collect()));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    #[test]
    fn csv_rows_follow_excel_quoting_and_numbering() {
        let got =
            rows("a,\"b,1\",\"say \"\"hi\"\"\"\r\n\r\n\"two\r\nlines\",x\"y\nlast,\"q\"").unwrap();
        assert_eq!(
            got,
            vec![
                (1, vec!["a".into(), "b,1".into(), "say \"hi\"".into()]),
                (2, vec!["".into()]),
                (3, vec!["two\r\nlines".into(), "x\"y".into()]),
                (4, vec!["last".into(), "q".into()]),
            ]
        );
        assert_eq!(
            rows("a,b\n").unwrap(),
            vec![(1, vec!["a".into(), "b".into()])]
        );
        assert_eq!(
            rows("a,\n").unwrap(),
            vec![(1, vec!["a".into(), "".into()])]
        );
        assert!(rows("").unwrap().is_empty());
        let err = rows("h1,h2\nok,1\n\"open,2\nmore,3\n").unwrap_err();
        assert!(
            err.starts_with("row 3 (line 3): a quoted cell opened there is never closed"),
            "{err}"
        );
        let err = rows("h1,h2\n\"a\nb\",1\n\"stray,\"1,000\"\n").unwrap_err();
        assert!(
            err.starts_with(
                "row 3 (line 4): a quoted cell opened there closes before \"1,000\\\"\\n\""
            ),
            "{err}"
        );
    }

    const LEDGER: &str = "晋中市榆次区乌金山镇鸣谦村集体资产台账,,,\r\n单位：元 填报日期：2024年3月1日,,,\r\n资产编码,资产名称,原值,更新时间\r\nZC-1,办公楼,\"1,250,000.10\",2024-03-01 10:30:00\r\n,,,\r\nZC-2,拖拉机,35000,2024-03-01 10:31:00\r\n合 计：,,\"1,285,000.10\",\r\n";

    fn open(text: &str) -> Table {
        Table::Csv {
            text: text.into(),
            delimiter: b',',
        }
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
        let check = |text: &str| open(text).check(&Named(&cols), &c.total_words, &|| false);
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

    /// Reads a worksheet as the range walk did before sheets were streamed: calamine's
    /// `worksheet_range`, padded on the left to column A, every cell rendered.
    fn rows_of_range(bytes: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Sheet1").unwrap();
        let (first_row, first_col) = range.start().unwrap();
        range
            .rows()
            .enumerate()
            .map(|(i, row)| {
                let pad = std::iter::repeat_n(String::new(), first_col as usize);
                let cells = pad.chain(row.iter().map(|c| cell::render(c).into_owned()));
                (u64::from(first_row) + i as u64 + 1, cells.collect())
            })
            .collect()
    }

    #[test]
    fn a_streamed_xlsx_sheet_has_the_rows_of_calamines_range() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        // Nothing in rows 1–2 nor columns A–B; a gap row; a cell out on the right.
        sheet.write_string(2, 2, "村集体资产台账").unwrap();
        sheet.write_string(4, 2, "资产编码").unwrap();
        sheet.write_string(4, 3, "原值").unwrap();
        sheet.write_string(4, 4, "更新时间").unwrap();
        sheet.write_string(5, 2, "ZC-1").unwrap();
        sheet.write_number(5, 3, 1_250_000.1).unwrap();
        let at = ExcelDateTime::from_ymd(2024, 3, 1)
            .unwrap()
            .and_hms(10, 30, 0)
            .unwrap();
        sheet.write_datetime_with_format(5, 4, &at, &date).unwrap();
        sheet.write_string(6, 2, "").unwrap();
        sheet.write_boolean(8, 6, true).unwrap();
        let bytes = book.save_to_buffer().unwrap();

        let (sheet, name) = read_xlsx(Cursor::new(&bytes), None).unwrap();
        assert_eq!(name, "Sheet1");
        let mut got = Vec::new();
        sheet
            .rows(&mut |row, cells| {
                got.push((row, cells.iter().map(|c| c.to_string()).collect::<Vec<_>>()));
                Ok(ControlFlow::Continue(()))
            })
            .unwrap();
        let want = rows_of_range(&bytes);
        assert_eq!(got, want);
        assert_eq!(got[3].1[2..5], ["ZC-1", "1250000.1", "2024-03-01 10:30:00"]);
        assert_eq!((got.len(), got[0].0, got[0].1.len()), (7, 3, 7));
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
