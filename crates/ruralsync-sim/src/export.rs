//! Ledger exports as Chinese Windows writes them, for the `file_drop` source's tests and
//! benchmark and for demos: `ruralsync-sim export --out 资产台账.csv --rows 1000`.
//!
//! Both formats have the same layout: a title row (`晋中市…村集体资产台账`), a unit and
//! date row (`单位：元 填报日期：2024年3月1日`), the header ([`super::ledger::COLUMNS`]),
//! one row per ledger entry, then a 合计 row with the sums of the money columns.
//!
//! - CSV as Excel's "CSV (逗号分隔)" saves it on Chinese Windows: GBK (code page 936),
//!   CRLF line ends, cells as displayed (money `1,250,000.10`, quoted because of the
//!   thousands separators; dates `2015/6/30`). `utf-8` and `utf-8-bom` variants exist.
//! - XLSX (`rust_xlsxwriter`): numbers as numbers with number formats, dates and times
//!   as date cells, the title merged across the columns, the 合计 row as `SUM` formulas
//!   with their cached results, an error cell as a formula whose cached result is
//!   `#REF!`.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Formula, Workbook, XlsxError};

use super::ledger::{Ledger, LedgerRow, LedgerSpec, RowFault, COLUMNS};

pub mod hostile;

/// Rows above the header: the title and the unit/date row.
pub const TITLE_ROWS: u64 = 2;
/// Spreadsheet row number of the header.
pub const HEADER_ROW: u64 = TITLE_ROWS + 1;

/// Spreadsheet row number (as Excel shows it, from 1) of the ledger's `index`-th entry.
pub fn row_number(index: usize) -> u64 {
    HEADER_ROW + 1 + index as u64
}

/// `ruralsync-sim export …`: write a village's asset ledger as a CSV or XLSX export.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// File to write. Its extension (`.csv` or `.xlsx`) gives the format unless
    /// `--format` does.
    #[arg(long, short)]
    pub out: PathBuf,
    /// `csv` or `xlsx`.
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Ledger entries (rows between the header and the 合计 row).
    #[arg(long, default_value_t = 1000)]
    pub rows: usize,
    /// Seed of the generated ledger; the same seed, rows and village give the same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// 12-digit code of the Jinzhong village keeping the ledger (default: one picked
    /// by the seed), e.g. 140702100200 for 榆次区乌金山镇鸣谦村.
    #[arg(long)]
    pub village: Option<String>,
    /// Text encoding of a CSV export.
    #[arg(long, value_enum, default_value_t = CsvEncoding::Gbk)]
    pub encoding: CsvEncoding,
    /// Entries carrying a deliberate defect (impossible date, 净值 off by a fen, a
    /// `#REF!` cell), spread through the ledger; each must become a dead letter.
    #[arg(long, default_value_t = 0)]
    pub bad_rows: usize,
    /// Write a hostile file instead, to see `file_drop`'s caps refuse it: `far-cell`
    /// (the XLSX ledger with one more value at XFD20000), `zip-bomb` (an XLSX whose
    /// sheet unpacks to --hostile-mb MiB), `lying-zip-bomb` (the same, its zip
    /// directory declaring the sheet without the padding), `one-line-csv` (a header,
    /// then one line of --hostile-mb MiB).
    #[arg(long, value_enum)]
    pub hostile: Option<Hostile>,
    /// Size of a hostile file's padding, in MiB.
    #[arg(long, default_value_t = 1024)]
    pub hostile_mb: u64,
}

/// Hostile files ([`hostile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Hostile {
    FarCell,
    ZipBomb,
    LyingZipBomb,
    OneLineCsv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// Encodings of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CsvEncoding {
    /// Excel's "CSV (逗号分隔)" on Chinese Windows (code page 936).
    Gbk,
    Utf8,
    /// Excel's "CSV UTF-8": UTF-8 with a byte order mark.
    Utf8Bom,
}

/// # Errors
/// When the village is unknown, the format cannot be told, or the file cannot be written.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let format = match args.format {
        Some(f) => f,
        None => match args
            .out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => ExportFormat::Csv,
            Some("xlsx") => ExportFormat::Xlsx,
            _ => anyhow::bail!(
                "{}: cannot tell the format from the extension; name a .csv or .xlsx file or pass --format",
                args.out.display()
            ),
        },
    };
    let started = std::time::Instant::now();
    let ledger = Ledger::generate(&LedgerSpec {
        seed: args.seed,
        rows: args.rows,
        village: args.village.clone(),
        bad_rows: args.bad_rows,
    })?;
    if let Some(kind) = args.hostile {
        let mb = args.hostile_mb << 20;
        let bytes = match kind {
            Hostile::FarCell => hostile::far_cell_xlsx(&ledger)?,
            Hostile::ZipBomb => hostile::zip_bomb_xlsx(&ledger, mb, true)?,
            Hostile::LyingZipBomb => hostile::zip_bomb_xlsx(&ledger, mb, false)?,
            Hostile::OneLineCsv => hostile::one_line_csv(usize::try_from(mb)?),
        };
        std::fs::write(&args.out, &bytes)?;
        println!(
            "{}: hostile {kind:?} file, {} bytes",
            args.out.display(),
            bytes.len()
        );
        return Ok(());
    }
    match format {
        ExportFormat::Csv => {
            let file = std::fs::File::create(&args.out)?;
            write_csv(&ledger, std::io::BufWriter::new(file), args.encoding)?;
        }
        ExportFormat::Xlsx => write_xlsx(&ledger, &args.out)?,
    }
    println!(
        "{}: {} entries of {} ({}), {} with defects, in {:.1} s",
        args.out.display(),
        ledger.rows.len(),
        ledger.village.title(),
        ledger.village.code,
        ledger.rows.iter().filter(|r| r.fault.is_some()).count(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The 合计 row's sums: 原值, 累计折旧, 净值, 年收益.
fn totals(ledger: &Ledger) -> [Decimal; 4] {
    [
        ledger.total(|r| r.original.filter(|_| r.fault != Some(RowFault::ErrorCell))),
        ledger.total(|r| r.depreciation),
        ledger.total(|r| r.net),
        ledger.total(|r| r.annual_income),
    ]
}

/// Column index of a ledger column.
fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

fn unit_line(ledger: &Ledger) -> String {
    let d = ledger.report_date;
    format!(
        "单位：元 填报日期：{}年{}月{}日",
        d.year(),
        d.month(),
        d.day()
    )
}

/// Money as Excel displays `#,##0.00`: `1,250,000.10`.
pub fn money_display(d: Decimal) -> String {
    let text = format!("{:.2}", d.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!(
        "{}{grouped}.{frac}",
        if d.is_sign_negative() && !d.is_zero() {
            "-"
        } else {
            ""
        }
    )
}

/// The cells of one ledger row as a CSV saved from Excel shows them.
fn csv_cells(r: &LedgerRow, ledger: &Ledger) -> [String; 21] {
    let money = |d: Option<Decimal>| d.map(money_display).unwrap_or_default();
    [
        r.id.clone(),
        r.name.clone(),
        r.class_path.to_owned(),
        if r.operating { "是" } else { "否" }.to_owned(),
        r.acquired_text(),
        r.quantity.map(|q| q.to_string()).unwrap_or_default(),
        r.quantity_unit.unwrap_or("").to_owned(),
        r.area.map(|a| a.to_string()).unwrap_or_default(),
        r.area_unit.unwrap_or("").to_owned(),
        match r.fault {
            Some(RowFault::ErrorCell) => "#REF!".to_owned(),
            _ => money(r.original),
        },
        money(r.depreciation),
        money(r.net),
        r.location.clone(),
        ledger.village.collective(),
        ledger.village.code.clone(),
        r.certificate.clone().unwrap_or_default(),
        r.usage_status.to_owned(),
        r.operating_mode.to_owned(),
        money(r.annual_income),
        super::ledger::ACCOUNTING_SYSTEM.to_owned(),
        r.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
    ]
}

fn push_csv_row<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = cell.as_ref();
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// Write the ledger as a CSV export.
///
/// # Errors
/// When writing fails, or a character has no GBK form (never, for generated ledgers).
pub fn write_csv<W: Write>(
    ledger: &Ledger,
    mut out: W,
    encoding: CsvEncoding,
) -> std::io::Result<()> {
    let width = COLUMNS.len();
    let mut text = String::with_capacity(64 * 1024);
    let flush = |text: &mut String, out: &mut W| -> std::io::Result<()> {
        match encoding {
            CsvEncoding::Utf8 | CsvEncoding::Utf8Bom => out.write_all(text.as_bytes())?,
            CsvEncoding::Gbk => {
                let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
                if unmappable {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "a character has no GBK form",
                    ));
                }
                out.write_all(&bytes)?;
            }
        }
        text.clear();
        Ok(())
    };
    if encoding == CsvEncoding::Utf8Bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut title = vec![String::new(); width];
    title[0] = ledger.village.title();
    push_csv_row(&mut text, &title);
    title[0] = unit_line(ledger);
    push_csv_row(&mut text, &title);
    push_csv_row(&mut text, COLUMNS);
    for (i, r) in ledger.rows.iter().enumerate() {
        push_csv_row(&mut text, &csv_cells(r, ledger));
        if i % 1024 == 1023 {
            flush(&mut text, &mut out)?;
        }
    }
    let mut total = vec![String::new(); width];
    total[0] = "合计".to_owned();
    let [original, depreciation, net, income] = totals(ledger);
    let has_error = ledger
        .rows
        .iter()
        .any(|r| r.fault == Some(RowFault::ErrorCell));
    total[col("原值")] = if has_error {
        "#REF!".to_owned()
    } else {
        money_display(original)
    };
    total[col("累计折旧")] = money_display(depreciation);
    total[col("净值")] = money_display(net);
    total[col("年收益")] = money_display(income);
    push_csv_row(&mut text, &total);
    flush(&mut text, &mut out)?;
    out.flush()
}

/// The CSV export in memory.
pub fn csv_bytes(ledger: &Ledger, encoding: CsvEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to memory fails only on a character without a GBK form.
    write_csv(ledger, &mut out, encoding).expect("generated ledgers are GBK-encodable");
    out
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

fn excel_datetime(t: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    excel_date(t.date())?.and_hms(t.hour() as u16, t.minute() as u8, t.second())
}

fn number(d: Decimal) -> f64 {
    // The nearest double to a decimal of at most 15 significant digits, which is what
    // Excel stores when a person types it.
    d.to_f64().unwrap_or_default()
}

/// Write the ledger as an XLSX export.
///
/// # Errors
/// [`XlsxError`] when the workbook cannot be built or saved.
pub fn write_xlsx(ledger: &Ledger, path: &Path) -> Result<(), XlsxError> {
    let mut workbook = build_xlsx(ledger)?;
    workbook.save(path)
}

/// The XLSX export in memory.
///
/// # Errors
/// [`XlsxError`] when the workbook cannot be built.
pub fn xlsx_bytes(ledger: &Ledger) -> Result<Vec<u8>, XlsxError> {
    build_xlsx(ledger)?.save_to_buffer()
}

fn build_xlsx(ledger: &Ledger) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("资产台账")?;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let area_mu = Format::new().set_num_format("0.0");
    let area_m2 = Format::new().set_num_format("0.00");
    let whole = Format::new().set_num_format("0");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let last_col = (COLUMNS.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last_col, &ledger.village.title(), &title)?;
    sheet.merge_range(1, 0, 1, last_col, &unit_line(ledger), &Format::new())?;
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *name, &bold)?;
    }
    let c = |name: &str| col(name) as u16;
    let first = HEADER_ROW as u32; // 0-based row of the first entry
    for (i, r) in ledger.rows.iter().enumerate() {
        let row = first + i as u32;
        sheet.write_string(row, c("资产编码"), &r.id)?;
        sheet.write_string(row, c("资产名称"), &r.name)?;
        sheet.write_string(row, c("资产类别"), r.class_path)?;
        sheet.write_string(row, c("是否经营性"), if r.operating { "是" } else { "否" })?;
        match r.fault {
            // A person typed the impossible date as text.
            Some(RowFault::BadDate) => sheet.write_string(row, c("取得日期"), r.acquired_text())?,
            _ => sheet.write_datetime_with_format(
                row,
                c("取得日期"),
                excel_date(r.acquired)?,
                &date,
            )?,
        };
        if let Some(q) = r.quantity {
            sheet.write_number_with_format(row, c("数量"), f64::from(q), &whole)?;
        }
        if let Some(u) = r.quantity_unit {
            sheet.write_string(row, c("计量单位"), u)?;
        }
        if let (Some(a), Some(u)) = (r.area, r.area_unit) {
            let format = if u == "亩" { &area_mu } else { &area_m2 };
            sheet.write_number_with_format(row, c("面积"), number(a), format)?;
            sheet.write_string(row, c("面积单位"), u)?;
        }
        match (r.fault, r.original) {
            (Some(RowFault::ErrorCell), _) => {
                sheet.write_formula_with_format(
                    row,
                    c("原值"),
                    Formula::new("=SUM(#REF!)").set_result("#REF!"),
                    &money,
                )?;
            }
            (_, Some(v)) => {
                sheet.write_number_with_format(row, c("原值"), number(v), &money)?;
            }
            _ => {}
        }
        for (name, value) in [
            ("累计折旧", r.depreciation),
            ("净值", r.net),
            ("年收益", r.annual_income),
        ] {
            if let Some(v) = value {
                sheet.write_number_with_format(row, c(name), number(v), &money)?;
            }
        }
        sheet.write_string(row, c("坐落"), &r.location)?;
        sheet.write_string(row, c("所属单位"), ledger.village.collective())?;
        // A 12-digit code typed into a General cell is a number; exact as a double.
        let code: f64 = ledger.village.code.parse().unwrap_or_default();
        sheet.write_number_with_format(row, c("行政区划代码"), code, &whole)?;
        if let Some(cert) = &r.certificate {
            sheet.write_string(row, c("权证号"), cert)?;
        }
        sheet.write_string(row, c("使用状态"), r.usage_status)?;
        sheet.write_string(row, c("经营方式"), r.operating_mode)?;
        sheet.write_string(row, c("会计制度"), super::ledger::ACCOUNTING_SYSTEM)?;
        sheet.write_datetime_with_format(
            row,
            c("更新时间"),
            excel_datetime(r.updated_at)?,
            &datetime,
        )?;
    }
    let total_row = first + ledger.rows.len() as u32;
    sheet.write_string_with_format(total_row, 0, "合计", &bold)?;
    let [original, depreciation, net, income] = totals(ledger);
    let has_error = ledger
        .rows
        .iter()
        .any(|r| r.fault == Some(RowFault::ErrorCell));
    for (name, sum) in [
        ("原值", original),
        ("累计折旧", depreciation),
        ("净值", net),
        ("年收益", income),
    ] {
        let column = c(name);
        let letter = column_letter(column);
        let formula = Formula::new(format!(
            "=SUM({letter}{}:{letter}{})",
            first + 1,
            total_row.max(first + 1)
        ));
        let formula = if name == "原值" && has_error {
            formula.set_result("#REF!")
        } else {
            formula.set_result(sum.to_string())
        };
        sheet.write_formula_with_format(total_row, column, formula, &money)?;
    }
    Ok(workbook)
}

fn column_letter(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut s = Vec::new();
    while n > 0 {
        s.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Ledger {
        Ledger::generate(&LedgerSpec {
            seed: 3,
            rows: 20,
            village: Some("140702100200".into()),
            bad_rows: 3,
        })
        .unwrap()
    }

    #[test]
    fn the_csv_is_gbk_with_crlf_titles_header_rows_and_totals() {
        let l = ledger();
        let bytes = csv_bytes(&l, CsvEncoding::Gbk);
        assert!(std::str::from_utf8(&bytes).is_err(), "GBK, not UTF-8");
        let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
        assert!(!bad);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines.len(),
            2 + 1 + 20 + 1 + 1,
            "titles, header, rows, 合计, final CRLF"
        );
        assert!(lines[0].starts_with("晋中市榆次区乌金山镇鸣谦村集体资产台账,,"));
        assert!(lines[1].starts_with("单位：元 填报日期：2024年3月1日,"));
        assert!(lines[2].starts_with("资产编码,资产名称,资产类别"));
        assert!(lines[3].starts_with("ZC140702100200-00001,"));
        assert!(lines[23].starts_with("合计,"));
        assert_eq!(lines[24], "");
        let utf8 = csv_bytes(&l, CsvEncoding::Utf8Bom);
        assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(money_display(Decimal::new(125_000_010, 2)), "1,250,000.10");
        assert_eq!(money_display(Decimal::new(-99_999, 2)), "-999.99");
        assert_eq!(money_display(Decimal::ZERO), "0.00");
    }

    #[test]
    fn the_xlsx_reads_back_with_numbers_dates_and_an_error_cell() {
        use calamine::{Data, Reader};
        let l = ledger();
        let bytes = xlsx_bytes(&l).unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("资产台账").unwrap();
        assert_eq!(
            range.get_value((0, 0)),
            Some(&Data::String(l.village.title()))
        );
        let header: Vec<String> = (0..COLUMNS.len() as u32)
            .map(|c| range.get_value((2, c)).unwrap().to_string())
            .collect();
        assert_eq!(header, COLUMNS);
        let first = &l.rows[0];
        assert!(matches!(
            range.get_value((3, col("取得日期") as u32)),
            Some(Data::DateTime(_))
        ));
        assert_eq!(
            range.get_value((3, col("行政区划代码") as u32)),
            Some(&Data::Float(140_702_100_200.0))
        );
        assert_eq!(
            range.get_value((3, 0)),
            Some(&Data::String(first.id.clone()))
        );
        let error_row = l
            .rows
            .iter()
            .position(|r| r.fault == Some(RowFault::ErrorCell))
            .unwrap();
        assert!(matches!(
            range.get_value((3 + error_row as u32, col("原值") as u32)),
            Some(Data::Error(calamine::CellErrorType::Ref))
        ));
        assert_eq!(range.get_value((23, 0)), Some(&Data::String("合计".into())));
    }
}
