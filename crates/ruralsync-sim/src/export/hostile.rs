//! Hostile files, to see `file_drop`'s caps refuse them (`ruralsync-sim export
//! --hostile …`, and the tests): each is what a broken or malicious exporter could drop.
//!
//! - [`far_cell_xlsx`]: a small ledger workbook with one more value at XFD20000, the
//!   sheet's extent blown up by one cell (6 KB).
//! - [`zip_bomb_xlsx`]: a ledger workbook whose sheet unpacks to a gigabyte or more of
//!   rows from a couple of megabytes, its zip directory declaring the true size or lying
//!   (the sheet's size without the padding).
//! - [`one_line_csv`]: a header, then one line of text without a line break.
//!
//! The bomb's sheet is deflated once per distinct piece: the rows are a 1 MiB chunk
//! deflated with a full flush (no reference to what precedes it), so the chunk's
//! compressed bytes repeat to make the stream, and its CRC-32 is combined, not
//! recomputed over the gigabyte.

use std::io::Read;

use flate2::{Compress, Compression, FlushCompress};
use rust_xlsxwriter::XlsxError;

use crate::ledger::Ledger;

/// The ledger's workbook with a value at XFD20000 (row 20,000, column 16,384).
///
/// # Errors
/// [`XlsxError`] when the workbook cannot be built.
pub fn far_cell_xlsx(ledger: &Ledger) -> Result<Vec<u8>, XlsxError> {
    let mut book = super::build_xlsx(ledger)?;
    book.worksheet_from_index(0)?
        .write_string(19_999, 16_383, "远")?;
    book.save_to_buffer()
}

/// A CSV: the ledger's header, then one line of `bytes` bytes without a line break.
pub fn one_line_csv(bytes: usize) -> Vec<u8> {
    let mut out = super::super::ledger::COLUMNS.join(",").into_bytes();
    out.extend_from_slice(b"\r\n");
    out.resize(out.len() + bytes, b'9');
    out
}

/// The ledger's workbook with rows padding its sheet to at least `unpacked` bytes.
/// With `honest`, the zip directory declares the sheet's true size; otherwise the size
/// of the sheet without the padding, so only unpacking tells.
///
/// # Errors
/// When the workbook cannot be built, or `unpacked` reaches 4 GiB (zip64 is not
/// written).
pub fn zip_bomb_xlsx(ledger: &Ledger, unpacked: u64, honest: bool) -> anyhow::Result<Vec<u8>> {
    let plain = super::xlsx_bytes(ledger)?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(plain))?;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        let name = file.name().to_owned();
        entries.push(if name == "xl/worksheets/sheet1.xml" {
            padded_sheet(name, &data, unpacked, honest)?
        } else {
            RawEntry::stored(name, data)
        });
    }
    Ok(write_zip(&entries))
}

/// An entry as it is written: its compressed bytes and what the headers declare.
struct RawEntry {
    name: String,
    deflated: bool,
    crc: u32,
    data: Vec<u8>,
    size: u32,
}

impl RawEntry {
    fn stored(name: String, data: Vec<u8>) -> RawEntry {
        RawEntry {
            name,
            deflated: false,
            crc: crc32fast::hash(&data),
            size: u32::try_from(data.len()).unwrap_or(u32::MAX),
            data,
        }
    }
}

/// The sheet `xml` with rows inserted before `</sheetData>` up to `unpacked` bytes.
fn padded_sheet(name: String, xml: &[u8], unpacked: u64, honest: bool) -> anyhow::Result<RawEntry> {
    let end = xml
        .windows(12)
        .position(|w| w == b"</sheetData>")
        .ok_or_else(|| anyhow::anyhow!("the sheet has no </sheetData>"))?;
    let (head, tail) = xml.split_at(end);
    let row =
        "<row><c t=\"inlineStr\"><is><t>晋中市榆次区乌金山镇鸣谦村集体资产台账</t></is></c></row>";
    let chunk = row.repeat((1 << 20) / row.len()).into_bytes();
    let copies = unpacked.div_ceil(chunk.len() as u64);
    let total = head.len() as u64 + copies * chunk.len() as u64 + tail.len() as u64;
    anyhow::ensure!(
        total < 1 << 32,
        "{total} bytes need zip64, which is not written"
    );
    let mut deflate = Compress::new(Compression::best(), false);
    let (d_head, d_chunk) = (
        deflated(&mut deflate, head, FlushCompress::Full)?,
        deflated(&mut deflate, &chunk, FlushCompress::Full)?,
    );
    let d_tail = deflated(&mut deflate, tail, FlushCompress::Finish)?;
    let mut data = d_head;
    data.reserve(d_chunk.len() * copies as usize + d_tail.len());
    for _ in 0..copies {
        data.extend_from_slice(&d_chunk);
    }
    data.extend_from_slice(&d_tail);
    let mut crc = crc32fast::Hasher::new();
    crc.update(head);
    crc.combine(&repeated_crc(&chunk, copies));
    crc.update(tail);
    let declared = if honest {
        total
    } else {
        (head.len() + tail.len()) as u64
    };
    Ok(RawEntry {
        name,
        deflated: true,
        crc: crc.finalize(),
        data,
        size: declared as u32,
    })
}

/// Raw deflate of `input`, ended with `flush`.
fn deflated(c: &mut Compress, input: &[u8], flush: FlushCompress) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 1024);
    let start = c.total_in();
    loop {
        let done = (c.total_in() - start) as usize;
        out.reserve(input.len() / 2 + 1024);
        let status = c.compress_vec(&input[done..], &mut out, flush)?;
        let consumed = (c.total_in() - start) as usize == input.len();
        let spare = out.capacity() > out.len();
        if consumed
            && spare
            && (status == flate2::Status::StreamEnd || !matches!(flush, FlushCompress::Finish))
        {
            return Ok(out);
        }
    }
}

/// The CRC-32 state of `chunk` repeated `copies` times, by doubling.
fn repeated_crc(chunk: &[u8], copies: u64) -> crc32fast::Hasher {
    let mut power = crc32fast::Hasher::new();
    power.update(chunk);
    let mut result = crc32fast::Hasher::new();
    let mut n = copies;
    while n > 0 {
        if n & 1 == 1 {
            result.combine(&power);
        }
        let twice = power.clone();
        power.combine(&twice);
        n >>= 1;
    }
    result
}

/// A zip archive of `entries`, local headers, central directory and end record.
fn write_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            out.extend_from_slice(&(if e.deflated { 8u16 } else { 0 }).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // time
            out.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            out.extend_from_slice(&e.crc.to_le_bytes());
            out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&e.size.to_le_bytes());
            out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra field
        };
        out.extend_from_slice(b"PK\x03\x04");
        fields(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let start = out.len() as u32;
    let n = entries.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]); // disks
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerSpec;

    fn ledger() -> Ledger {
        Ledger::generate(&LedgerSpec {
            seed: 5,
            rows: 3,
            village: Some("140702100200".into()),
            bad_rows: 0,
        })
        .unwrap()
    }

    #[test]
    fn the_bomb_is_a_valid_archive_that_unpacks_to_what_it_is_built_for() {
        let unpacked = 64 << 20;
        let bytes = zip_bomb_xlsx(&ledger(), unpacked, true).unwrap();
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut sheet = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
        let declared = sheet.size();
        let mut n = 0u64;
        let mut buf = vec![0; 1 << 16];
        loop {
            // The CRC is checked when the entry ends: a wrong one fails the read.
            let k = sheet.read(&mut buf).unwrap();
            if k == 0 {
                break;
            }
            n += k as u64;
        }
        assert_eq!(n, declared);
        assert!(n >= unpacked);
        // Lying, it declares the sheet without its padding.
        let bytes = zip_bomb_xlsx(&ledger(), unpacked, false).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        assert!(zip.by_name("xl/worksheets/sheet1.xml").unwrap().size() < 1 << 20);
    }

    #[test]
    fn the_far_cell_workbook_is_small_and_the_one_line_csv_has_one_line_after_its_header() {
        let bytes = far_cell_xlsx(&ledger()).unwrap();
        assert!(bytes.len() < 16 << 10, "{}", bytes.len());
        let csv = one_line_csv(1000);
        assert_eq!(csv.iter().filter(|b| **b == b'\n').count(), 1);
    }
}
