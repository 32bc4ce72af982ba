//! XLSX workbooks, read within the caps.
//!
//! An `.xlsx` file is a zip archive of XML parts. Before calamine sees it, the archive
//! is checked ([`check_archive`]): it must be a zip (a password-protected workbook is an
//! OLE file, which calamine would parse by sizes it declares), declare a sane number of
//! entries (the zip reader reserves memory by that number), declare unpacked sizes
//! within `max_unpacked_bytes`, and unpack to no more than it declares — every entry is
//! unpacked once into nothing, counting, and refused the moment it passes its declared
//! size, so a zip bomb costs at most the cap. The sheet is then streamed cell by cell
//! (calamine's cell reader, never its `Range`, whose grid spans the furthest cell) and
//! each cell's position and size is checked as it arrives: a lone cell at XFD20000 is
//! refused on sight, without a sheet-sized grid. The `<dimension ref>` a sheet declares
//! is not trusted either way: writers leave it stale, and it may claim cells that
//! hold nothing.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use calamine::{DataType, Reader, Xlsx, XlsxError};

use super::cell;
use super::config::Limits;
use super::refusal::{human_bytes, Refusal};
use super::table::{column_name, RowVisit};

/// Most entries an archive may declare. A workbook has tens (a part per sheet, style,
/// relationship and picture); the zip reader reserves memory per declared entry.
const MAX_ZIP_ENTRIES: u64 = 10_000;

/// A worksheet's non-empty cells as text, in (row, column) order. Rows
/// `first_row..=last_row` (0-based) are those between the first and the last cell;
/// each row is handed out from column A to its own last cell.
///
/// Rendering each cell once and keeping only its text makes the two walks over a sheet
/// cheap, and memory proportional to what the sheet holds, not to its extent.
pub(crate) struct Sheet {
    text: String,
    cells: Vec<SheetCell>,
    first_row: u32,
    last_row: u32,
}

/// A cell of a [`Sheet`]: its 0-based position and its text, `text[start..end]`.
#[derive(Clone, Copy)]
struct SheetCell {
    row: u32,
    col: u32,
    start: u32,
    end: u32,
}

/// A workbook file whose archive passed [`check_archive`], open: calamine reads this
/// handle, so a file renamed over the checked one meanwhile is not what it reads.
#[derive(Debug)]
pub(crate) struct Checked(File);

/// Check the archive of the open workbook `file` ([`check_archive`]).
///
/// # Errors
/// As [`check_archive`].
pub(crate) fn check_file(mut file: File, limits: &Limits) -> Result<Checked, Refusal> {
    check_archive(&mut file, limits)?;
    Ok(Checked(file))
}

/// The worksheet `sheet` (or the first) of a checked `.xlsx` file, and its name.
///
/// # Errors
/// A refusal: not a workbook or cut short (incomplete), over a cap, no such sheet.
pub(crate) fn read_xlsx(
    checked: Checked,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<(Sheet, String), Refusal> {
    // calamine indexes by what the file says in places (a cell's shared-string number
    // past the table panics inside it). Such a file is refused like any unreadable
    // workbook, rather than failing the source at every poll. Nothing outlives the
    // closure but its result, so no state is left half-changed by an unwind.
    let Checked(file) = checked;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_cells(file, sheet, limits)))
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Refusal::malformed(format!(
                "is not a readable workbook (the XLSX reader stopped on it: {why}); open it in Excel and save it again as .xlsx"
            )))
        })
}

fn read_cells(
    mut file: File,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<(Sheet, String), Refusal> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Refusal::unreadable(&e))?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(BufReader::new(file))
        .map_err(|e| unreadable_workbook(&e))?;
    let name = pick_sheet(&book.sheet_names(), sheet)?;
    let mut builder = SheetBuilder::new(limits);
    match book.worksheet_cells_reader(&name) {
        Ok(mut reader) => {
            while let Some(cell) = reader.next_cell().map_err(|e| unreadable_sheet(&name, e))? {
                if !cell.get_value().is_empty() {
                    let (row, col) = cell.get_position();
                    builder.push(row, col, &cell::render_ref(cell.get_value()))?;
                }
            }
        }
        // A chart sheet: no cells.
        Err(XlsxError::NotAWorksheet(_)) => {}
        Err(e) => return Err(unreadable_sheet(&name, e)),
    }
    Ok((builder.finish(), name))
}

/// Check the archive before anything of it is parsed (see the module's doc).
///
/// # Errors
/// Not a zip, or cut short (incomplete); too many entries; over `max_unpacked_bytes`,
/// declared or actual.
pub(crate) fn check_archive<R: Read + Seek>(input: &mut R, limits: &Limits) -> Result<(), Refusal> {
    let io = |e: std::io::Error| Refusal::unreadable(&e);
    let mut magic = [0u8; 8];
    let n = read_up_to(input, &mut magic).map_err(io)?;
    if !magic[..n].starts_with(b"PK\x03\x04") {
        if n == 8 && magic == *b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" {
            return Err(Refusal::malformed("is an OLE compound file, not an .xlsx archive: a password-protected workbook, or an .xls saved under an .xlsx name; remove the password or save it as .xlsx"));
        }
        if b"PK\x03\x04".starts_with(&magic[..n.min(4)]) {
            return Err(Refusal::incomplete("is not a readable workbook (it ends before its first zip entry); open it in Excel and save it again as .xlsx"));
        }
        return Err(Refusal::malformed("is not a readable workbook (not a zip archive, as .xlsx files are); open it in Excel and save it again as .xlsx"));
    }
    let declared = declared_entries(input).map_err(io)?;
    if declared > MAX_ZIP_ENTRIES {
        return Err(Refusal::malformed(format!(
            "is not a readable workbook: its zip directory declares {declared} entries (a workbook has tens; at most {MAX_ZIP_ENTRIES} are read)"
        )));
    }
    input.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut zip = zip::ZipArchive::new(&mut *input).map_err(|e| unreadable_workbook(&e))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| unreadable_workbook(&e))?;
        total = total.saturating_add(entry.size());
    }
    if total > limits.max_unpacked_bytes {
        let what = format!("unpacks to {} (its zip directory says)", human_bytes(total));
        return Err(Refusal::over(
            limits,
            what,
            "max_unpacked_bytes",
            limits.max_unpacked_bytes,
        ));
    }
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| unreadable_workbook(&e))?;
        let (name, size) = (entry.name().to_owned(), entry.size());
        let unpacked = std::io::copy(&mut entry.take(size + 1), &mut std::io::sink())
            .map_err(|e| unreadable_workbook(&format!("entry {name:?}: {e}")))?;
        if unpacked > size {
            let what = format!(
                "entry {name:?} unpacks to more than the {size} bytes it declares (a zip bomb, or a corrupt file)"
            );
            return Err(Refusal::over(
                limits,
                what,
                "max_unpacked_bytes",
                limits.max_unpacked_bytes,
            ));
        }
    }
    Ok(())
}

/// The largest entry count any end-of-central-directory record in the archive's tail
/// declares (zip64 records included), read before the zip reader trusts one.
fn declared_entries<R: Read + Seek>(input: &mut R) -> std::io::Result<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const LOCATOR: &[u8] = b"PK\x06\x07";
    const EOCD64: &[u8] = b"PK\x06\x06";
    let len = input.seek(SeekFrom::End(0))?;
    // The record is 22 bytes plus a comment of up to 65,535.
    let tail_len = len.min(22 + 65_535 + 20);
    input.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    input.read_exact(&mut tail)?;
    let mut most = 0u64;
    for at in (0..tail.len().saturating_sub(21)).filter(|&i| tail[i..].starts_with(EOCD)) {
        let entries = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
        most = most.max(u64::from(entries));
        let Some(loc) = at
            .checked_sub(20)
            .filter(|&l| tail[l..].starts_with(LOCATOR))
        else {
            continue;
        };
        let offset = u64::from_le_bytes(tail[loc + 8..loc + 16].try_into().unwrap_or([0; 8]));
        let mut record = [0u8; 40];
        if offset.saturating_add(40) <= len {
            input.seek(SeekFrom::Start(offset))?;
            input.read_exact(&mut record)?;
            if record.starts_with(EOCD64) {
                let n = u64::from_le_bytes(record[32..40].try_into().unwrap_or([0; 8]));
                most = most.max(n);
            }
        }
    }
    Ok(most)
}

fn read_up_to<R: Read>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A workbook the zip or XML reader cannot open: perhaps still being copied in (the
/// zip directory comes last), so incomplete.
fn unreadable_workbook(e: &dyn std::fmt::Display) -> Refusal {
    Refusal::incomplete(format!(
        "is not a readable workbook ({e}); open it in Excel and save it again as .xlsx"
    ))
}

fn unreadable_sheet(name: &str, e: impl std::fmt::Display) -> Refusal {
    Refusal::incomplete(format!(
        "sheet {name:?} cannot be read ({e}); open it in Excel and save it again as .xlsx"
    ))
}

/// The configured sheet, or the first.
fn pick_sheet(names: &[String], sheet: Option<&str>) -> Result<String, Refusal> {
    match sheet {
        Some(wanted) => names.iter().find(|n| *n == wanted).cloned().ok_or_else(|| {
            Refusal::malformed(format!(
                "has no sheet {wanted:?} (sheet); its sheets: {}",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Refusal::malformed("has no worksheet")),
    }
}

impl Sheet {
    /// Hand each row to `visit` with its number as a spreadsheet shows it: its cells
    /// from column A to its last cell, none for a row without cells.
    pub(crate) fn rows(&self, visit: &mut RowVisit<'_>) -> Result<(), Refusal> {
        if self.cells.is_empty() {
            return Ok(());
        }
        let mut cells: Vec<Cow<'_, str>> = Vec::new();
        let mut next = self.cells.iter().peekable();
        for row in self.first_row..=self.last_row {
            cells.clear();
            while let Some(c) = next.next_if(|c| c.row == row) {
                let col = c.col as usize;
                if cells.len() <= col {
                    cells.resize(col + 1, Cow::Borrowed(""));
                }
                cells[col] = Cow::Borrowed(&self.text[c.start as usize..c.end as usize]);
            }
            if visit(u64::from(row) + 1, &cells)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// Collects a [`Sheet`]'s cells in any order, checking each against the caps.
struct SheetBuilder<'a> {
    limits: &'a Limits,
    text: String,
    cells: Vec<SheetCell>,
    /// The row of the last cell pushed, and its cells' bytes so far.
    row_bytes: (u32, usize),
}

impl<'a> SheetBuilder<'a> {
    fn new(limits: &'a Limits) -> SheetBuilder<'a> {
        SheetBuilder {
            limits,
            text: String::new(),
            cells: Vec::new(),
            row_bytes: (0, 0),
        }
    }

    /// # Errors
    /// A cell past `max_rows` or `max_columns`, longer than `max_cell_bytes`, or a row
    /// past `max_row_bytes`.
    fn push(&mut self, row: u32, col: u32, text: &str) -> Result<(), Refusal> {
        let l = self.limits;
        let at = || format!("cell {}{}", column_name(col as usize), u64::from(row) + 1);
        if u64::from(row) >= l.max_rows {
            let what = format!(
                "{}: row {} is past the last row read",
                at(),
                u64::from(row) + 1
            );
            return Err(Refusal::over(l, what, "max_rows", l.max_rows));
        }
        if col as usize >= l.max_columns {
            let what = format!("{}: column {} is past the last column read", at(), col + 1);
            return Err(Refusal::over(l, what, "max_columns", l.max_columns as u64));
        }
        if text.len() > l.max_cell_bytes {
            let what = format!("{}: a cell of {} bytes", at(), text.len());
            return Err(Refusal::over(
                l,
                what,
                "max_cell_bytes",
                l.max_cell_bytes as u64,
            ));
        }
        self.row_bytes = match self.row_bytes {
            (r, bytes) if r == row => (r, bytes + text.len()),
            _ => (row, text.len()),
        };
        if self.row_bytes.1 > l.max_row_bytes {
            let what = format!(
                "row {}: longer than {} bytes",
                u64::from(row) + 1,
                l.max_row_bytes
            );
            return Err(Refusal::over(
                l,
                what,
                "max_row_bytes",
                l.max_row_bytes as u64,
            ));
        }
        // Below 4 GiB: the sheet unpacked to at most max_unpacked_bytes (< 4 GiB).
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
        Sheet {
            first_row: self.cells.first().map_or(0, |c| c.row),
            last_row: self.cells.last().map_or(0, |c| c.row),
            text: self.text,
            cells: self.cells,
        }
    }
}

fn too_big() -> Refusal {
    Refusal::malformed("holds more than 4 GiB of text; split it into several files")
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};
    use std::ops::ControlFlow;
    use std::path::Path;
    use std::time::Instant;

    use rust_xlsxwriter::Workbook;

    use super::super::csv::tests::limits;
    use super::super::refusal::RefusalKind;
    use super::*;

    fn rows(sheet: &Sheet) -> Vec<(u64, Vec<String>)> {
        let mut got = Vec::new();
        sheet
            .rows(&mut |row, cells| {
                got.push((row, cells.iter().map(|c| c.to_string()).collect()));
                Ok(ControlFlow::Continue(()))
            })
            .unwrap();
        got
    }

    fn read(path: &Path, limits: &Limits) -> Result<(Sheet, String), Refusal> {
        let checked = check_file(File::open(path).unwrap(), limits)?;
        read_xlsx(checked, None, limits)
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// Reads a worksheet as calamine's `worksheet_range` has it, each row cut after its
    /// last non-empty cell.
    fn rows_of_range(bytes: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Sheet1").unwrap();
        let (first_row, first_col) = range.start().unwrap();
        range
            .rows()
            .enumerate()
            .map(|(i, row)| {
                let pad = std::iter::repeat_n(String::new(), first_col as usize);
                let mut cells: Vec<String> = pad
                    .chain(row.iter().map(|c| cell::render(c).into_owned()))
                    .collect();
                while cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                (u64::from(first_row) + i as u64 + 1, cells)
            })
            .collect()
    }

    #[test]
    fn a_streamed_xlsx_sheet_has_the_rows_of_calamines_range() {
        use rust_xlsxwriter::{ExcelDateTime, Format};
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

        let f = write(&bytes);
        let (sheet, name) = read(f.path(), &limits()).unwrap();
        assert_eq!(name, "Sheet1");
        let got = rows(&sheet);
        assert_eq!(got, rows_of_range(&bytes));
        assert_eq!(got[3].1[2..5], ["ZC-1", "1250000.1", "2024-03-01 10:30:00"]);
        assert_eq!((got.len(), got[0].0, got[6].1.len()), (7, 3, 7));
    }

    #[test]
    fn a_lone_cell_at_xfd20000_is_refused_at_once_without_a_grid() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "资产编码").unwrap();
        sheet.write_string(19_999, 16_383, "x").unwrap();
        let f = write(&book.save_to_buffer().unwrap());
        let started = Instant::now();
        let err = read(f.path(), &limits()).err().unwrap();
        assert!(
            started.elapsed().as_millis() < 500,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err.kind, RefusalKind::TooLarge);
        assert!(
            err.message.starts_with("cell XFD20000: column 16384 is past the last column read: over the cap sources.x.file.max_columns = 1024"),
            "{}",
            err.message
        );
        // Within the caps, such a sheet walks its rows without a sheet-wide grid.
        let wide = Limits {
            max_columns: 16_384,
            ..limits()
        };
        let (sheet, _) = read(f.path(), &wide).unwrap();
        let started = Instant::now();
        let got = rows(&sheet);
        assert!(
            started.elapsed().as_millis() < 500,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(got.len(), 20_000);
        assert_eq!(got[1].1.len(), 0);
        assert_eq!(got[19_999].1.len(), 16_384);
    }

    #[test]
    fn what_is_not_a_complete_zip_archive_is_told_apart() {
        let mut book = Workbook::new();
        book.add_worksheet().write_string(0, 0, "a").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let kind =
            |bytes: &[u8]| check_archive(&mut Cursor::new(bytes), &limits()).map_err(|r| r.kind);
        assert_eq!(kind(&bytes), Ok(()));
        assert_eq!(
            kind(&bytes[..bytes.len() / 2]),
            Err(RefusalKind::Incomplete)
        );
        assert_eq!(kind(b""), Err(RefusalKind::Incomplete));
        assert_eq!(kind(b"PK"), Err(RefusalKind::Incomplete));
        assert_eq!(
            kind(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"),
            Err(RefusalKind::Malformed)
        );
        assert_eq!(
            kind("资产编码,更新时间\n".as_bytes()),
            Err(RefusalKind::Malformed)
        );
        // An end record declaring a million entries is refused before the zip reader
        // reserves memory for them.
        let mut lying = bytes.clone();
        let eocd = lying.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
        lying[eocd + 10..eocd + 12].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(declared_entries(&mut Cursor::new(&lying)).unwrap(), 65_535);
        assert_eq!(kind(&lying), Err(RefusalKind::Malformed));
    }
}
