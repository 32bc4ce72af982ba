//! CSV rows, streamed: the file's text is decoded chunk by chunk and split into rows
//! (RFC 4180 quoting, as Excel writes and reads it), so memory holds one chunk and the
//! row being read, never the file. Every cap of [`Limits`] is checked as soon as it can
//! be passed: a 100 MB line is refused after `max_row_bytes`, not after reading it.
//!
//! Every line break outside quotes ends a row, so row numbers are those Excel shows
//! when it opens the file; empty lines are rows too. Quotes must pair up: a closing
//! quote followed by more text than a delimiter or line end is refused, naming the row
//! and line the cell started on (Excel would silently merge cells and rows instead); a
//! file ending inside a quoted cell looks cut short (incomplete). A quote inside an
//! unquoted cell is kept as text, as Excel does.

use std::borrow::Cow;
use std::io::Read;

use super::config::Limits;
use super::decode::TextReader;
use super::refusal::Refusal;
use super::table::RowVisit;

/// Hand each row of `text` to `visit` with its row number, until it breaks.
///
/// # Errors
/// Why the file is refused: unbalanced quotes, a cap passed, bad bytes; or whatever
/// `visit` refuses it for.
pub(crate) fn rows<R: Read>(
    mut text: TextReader<R>,
    delimiter: u8,
    limits: &Limits,
    visit: &mut RowVisit<'_>,
) -> Result<(), Refusal> {
    let mut buf = String::new();
    let mut start = 0usize;
    let (mut row, mut line) = (1u64, 1u64);
    let mut more = text.read_into(&mut buf)?;
    loop {
        let at = Place {
            row,
            line,
            delimiter,
            eof: !more,
        };
        match parse_row(&buf[start..], &at, limits)? {
            Step::Row { cells, len, lines } => {
                if row > limits.max_rows {
                    let what = format!("row {row}: the file has more rows than that");
                    return Err(Refusal::over(limits, what, "max_rows", limits.max_rows));
                }
                if visit(row, &cells)?.is_break() {
                    return Ok(());
                }
                start += len;
                row += 1;
                line += lines;
            }
            Step::End => return Ok(()),
            Step::NeedMore => {
                if buf.len() - start > limits.max_row_bytes {
                    return Err(long_row(limits, row, line));
                }
                buf.drain(..start);
                start = 0;
                more = text.read_into(&mut buf)?;
            }
        }
    }
}

/// Where the parser is, for its messages.
struct Place {
    row: u64,
    line: u64,
    delimiter: u8,
    /// No more text follows what the parser is given.
    eof: bool,
}

/// One step of the parser over the text not yet consumed.
enum Step<'a> {
    /// A whole row: its cells, the bytes it took (its line end included) and the lines.
    Row {
        cells: Vec<Cow<'a, str>>,
        len: usize,
        lines: u64,
    },
    /// The row may go on past the text read so far.
    NeedMore,
    /// The text is read to its end.
    End,
}

/// Parse the row at the start of `text`.
fn parse_row<'a>(text: &'a str, at: &Place, limits: &Limits) -> Result<Step<'a>, Refusal> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Ok(if at.eof { Step::End } else { Step::NeedMore });
    }
    let mut cells: Vec<Cow<'a, str>> = Vec::new();
    let (mut i, mut lines) = (0usize, 0u64);
    loop {
        let cell = if bytes.get(i) == Some(&b'"') {
            match quoted_cell(text, i, at, at.line + lines)? {
                Some((value, end, breaks)) => {
                    lines += breaks;
                    (value, end)
                }
                None => return Ok(Step::NeedMore),
            }
        } else {
            let k = bytes[i..]
                .iter()
                .position(|b| matches!(b, b'\n' | b'\r') || *b == at.delimiter)
                .map_or(bytes.len(), |p| i + p);
            if k == bytes.len() && !at.eof {
                return Ok(Step::NeedMore);
            }
            (Cow::Borrowed(&text[i..k]), k)
        };
        check_cell(&cell.0, cells.len(), at, limits)?;
        cells.push(cell.0);
        i = cell.1;
        if i > limits.max_row_bytes {
            return Err(long_row(limits, at.row, at.line));
        }
        match bytes.get(i) {
            Some(d) if *d == at.delimiter => i += 1,
            Some(b'\r') if i + 1 == bytes.len() && !at.eof => return Ok(Step::NeedMore),
            Some(b'\r' | b'\n') => {
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                let len = i + 1;
                return Ok(Step::Row {
                    cells,
                    len,
                    lines: lines + 1,
                });
            }
            _ => {
                return Ok(Step::Row {
                    cells,
                    len: i,
                    lines,
                })
            }
        }
    }
}

/// The quoted cell starting at `open`: its value, where it ends (after the closing
/// quote) and the line breaks inside it; `None` if the text read so far ends first.
fn quoted_cell<'a>(
    text: &'a str,
    open: usize,
    at: &Place,
    open_line: u64,
) -> Result<Option<(Cow<'a, str>, usize, u64)>, Refusal> {
    let bytes = text.as_bytes();
    let start = open + 1;
    let (mut j, mut piece) = (start, start);
    let mut owned: Option<String> = None;
    loop {
        let Some(q) = bytes[j..].iter().position(|b| *b == b'"').map(|p| j + p) else {
            if !at.eof {
                return Ok(None);
            }
            return Err(Refusal::incomplete(format!(
                "row {} (line {open_line}): a quoted cell opened there is never closed; quotes inside a cell must be doubled (\"\"), as Excel writes them",
                at.row
            )));
        };
        // A quote at the end of the text read so far may be the first of a pair, and
        // what follows a closing quote is needed for the message should it be wrong.
        if q + EXCERPT_BYTES >= bytes.len() && !at.eof {
            return Ok(None);
        }
        if bytes.get(q + 1) == Some(&b'"') {
            owned
                .get_or_insert_with(String::new)
                .push_str(&text[piece..=q]);
            piece = q + 2;
            j = q + 2;
            continue;
        }
        let value = match owned {
            Some(mut s) => {
                s.push_str(&text[piece..q]);
                Cow::Owned(s)
            }
            None => Cow::Borrowed(&text[start..q]),
        };
        // A closing quote ends the cell: anything but a delimiter or a line end after
        // it means the quotes do not pair up.
        let k = q + 1;
        if k < bytes.len() && !matches!(bytes[k], b'\n' | b'\r') && bytes[k] != at.delimiter {
            let after: String = text[k..].chars().take(20).collect();
            return Err(Refusal::malformed(format!(
                "row {} (line {open_line}): a quoted cell opened there closes before {after:?}; the quotes do not pair up (an unbalanced quote?). A quote inside a cell must be doubled (\"\") and the whole cell quoted, as Excel writes it",
                at.row
            )));
        }
        let breaks = bytes[start..q].iter().filter(|b| **b == b'\n').count() as u64;
        return Ok(Some((value, k, breaks)));
    }
}

/// Bytes of look-ahead kept after a closing quote: the 20 characters an error quotes.
const EXCERPT_BYTES: usize = 20 * 4 + 1;

fn check_cell(cell: &str, index: usize, at: &Place, limits: &Limits) -> Result<(), Refusal> {
    if index >= limits.max_columns {
        let what = format!(
            "row {} (line {}): more than {} columns",
            at.row, at.line, limits.max_columns
        );
        return Err(Refusal::over(
            limits,
            what,
            "max_columns",
            limits.max_columns as u64,
        ));
    }
    if cell.len() > limits.max_cell_bytes {
        let what = format!(
            "row {} (line {}), column {}: a cell of {} bytes",
            at.row,
            at.line,
            super::table::column_name(index),
            cell.len()
        );
        return Err(Refusal::over(
            limits,
            what,
            "max_cell_bytes",
            limits.max_cell_bytes as u64,
        ));
    }
    Ok(())
}

fn long_row(limits: &Limits, row: u64, line: u64) -> Refusal {
    let what = format!(
        "row {row} (line {line}): longer than {} bytes (a line without end, or a quote left open?)",
        limits.max_row_bytes
    );
    Refusal::over(limits, what, "max_row_bytes", limits.max_row_bytes as u64)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::ops::ControlFlow;

    use super::super::config::Encoding;
    use super::super::decode::Sniff;
    use super::super::refusal::RefusalKind;
    use super::*;

    pub(crate) fn limits() -> Limits {
        Limits {
            max_file_bytes: 1 << 30,
            max_unpacked_bytes: 1 << 30,
            max_rows: 1 << 20,
            max_columns: 1024,
            max_cell_bytes: 128 << 10,
            max_row_bytes: 1 << 20,
            key: "sources.x.file".into(),
        }
    }

    fn rows_with(text: &str, limits: &Limits) -> Result<Vec<(u64, Vec<String>)>, Refusal> {
        let mut sniff = Sniff::default();
        sniff.feed(text.as_bytes());
        let reader = TextReader::new(text.as_bytes(), sniff.choose(Encoding::Utf8)?);
        let mut out = Vec::new();
        rows(reader, b',', limits, &mut |row, cells| {
            out.push((row, cells.iter().map(|c| c.to_string()).collect()));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    pub(crate) fn csv_rows(text: &str) -> Result<Vec<(u64, Vec<String>)>, String> {
        rows_with(text, &limits()).map_err(|r| r.message)
    }

    #[test]
    fn csv_rows_follow_excel_quoting_and_numbering() {
        let got = csv_rows("a,\"b,1\",\"say \"\"hi\"\"\"\r\n\r\n\"two\r\nlines\",x\"y\nlast,\"q\"")
            .unwrap();
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
            csv_rows("a,b\n").unwrap(),
            vec![(1, vec!["a".into(), "b".into()])]
        );
        assert_eq!(
            csv_rows("a,\n").unwrap(),
            vec![(1, vec!["a".into(), "".into()])]
        );
        assert!(csv_rows("").unwrap().is_empty());
        let err = csv_rows("h1,h2\nok,1\n\"open,2\nmore,3\n").unwrap_err();
        assert!(
            err.starts_with("row 3 (line 3): a quoted cell opened there is never closed"),
            "{err}"
        );
        let err = csv_rows("h1,h2\n\"a\nb\",1\n\"stray,\"1,000\"\n").unwrap_err();
        assert!(
            err.starts_with(
                "row 3 (line 4): a quoted cell opened there closes before \"1,000\\\"\\n\""
            ),
            "{err}"
        );
    }

    #[test]
    fn rows_split_across_chunks_read_as_in_one_piece() {
        // Rows, quoted cells with doubled quotes and CRLFs straddle every chunk edge.
        let row = "ZC-1,\"村委会\"\"办公楼\"\"\r\n二层\",35000\r\n";
        let text = row.repeat(20_000);
        let got = csv_rows(&text).unwrap();
        assert_eq!(got.len(), 20_000);
        assert!(got.iter().all(|(_, c)| c[1] == "村委会\"办公楼\"\r\n二层"));
        assert_eq!(got[19_999].0, 20_000);
    }

    #[test]
    fn every_place_a_chunk_can_end_in_a_row_reads_the_same() {
        // Regression: a chunk ending right after a delimiter indexed past the text.
        let tail = "a,\"b\"\"c\",\"\r\n\",d\r\ne\r";
        for shift in 0..=tail.len() + 1 {
            let text = format!(
                "{}\n{tail}",
                "x".repeat(super::super::decode::CHUNK - shift)
            );
            let got = csv_rows(&text).unwrap();
            assert_eq!(got.len(), 3, "shift {shift}");
            assert_eq!(got[1].1, ["a", "b\"c", "\r\n", "d"], "shift {shift}");
            assert_eq!(got[2], (3, vec!["e".to_owned()]), "shift {shift}");
        }
    }

    #[test]
    fn each_cap_refuses_as_soon_as_it_is_passed() {
        let small = Limits {
            max_rows: 3,
            max_columns: 3,
            max_cell_bytes: 8,
            max_row_bytes: 64,
            ..limits()
        };
        let cases = [
            (
                "a\nb\nc\nd\n",
                "row 4: the file has more rows",
                "max_rows = 3",
            ),
            (
                "a,b,c,d\n",
                "row 1 (line 1): more than 3 columns",
                "max_columns = 3",
            ),
            (
                "a,123456789\n",
                "row 1 (line 1), column B: a cell of 9 bytes",
                "max_cell_bytes = 8",
            ),
            (
                &format!("a\n{}\n", "x,".repeat(40)),
                "row 2 (line 2): more than 3 columns",
                "max_columns",
            ),
            (
                &format!("a\n\"{}", "x".repeat(100_000)),
                "row 2 (line 2): longer than 64 bytes",
                "max_row_bytes = 64",
            ),
        ];
        for (text, what, cap) in cases {
            let err = rows_with(text, &small).unwrap_err();
            assert_eq!(err.kind, RefusalKind::TooLarge, "{}", err.message);
            assert!(err.message.starts_with(what), "{}", err.message);
            assert!(
                err.message.contains(&format!("sources.x.file.{cap}")),
                "{}",
                err.message
            );
        }
        // A quote left open at the end may be a file still being written.
        let err = rows_with("a,\"b\n", &small).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Incomplete);
    }
}
