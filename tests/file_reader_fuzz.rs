//! Property test of the `file_drop` readers (issue 10, "Must show"): random bytes, and
//! random mutations of a valid CSV and a valid XLSX from the simulator's export (bytes
//! flipped, cut, repeated; cells moved to far references, huge shared-string indices,
//! sizes declared wrong), read as CSV and as XLSX. Every read ends in records or a
//! refusal, never a panic, and allocates within a fixed bound: this binary counts every
//! allocation of the reading thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};

use proptest::prelude::*;
use ruralsync::source::file_drop::{read_file, FileDropConfig, RawFileDrop};
use ruralsync_sim::export::{csv_bytes, xlsx_bytes, CsvEncoding};
use ruralsync_sim::ledger::{Ledger, LedgerSpec};

/// Counts the bytes the current thread holds and the most it held.
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn track(grow: usize, shrink: usize) {
    let _ = HELD.try_with(|held| {
        let now = held.get().saturating_add(grow).saturating_sub(shrink);
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting only
// touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size(), 0);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        track(0, layout.size());
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size(), 0);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size, layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Caps of the reads: small, so that a read within them is cheap, and far below what
/// the hostile inputs would take unbounded.
const CAPS: &str = "max_file_bytes = 4194304\nmax_unpacked_bytes = 16777216\nmax_rows = 100000\nmax_columns = 256\nmax_cell_bytes = 65536\nmax_row_bytes = 262144";

/// Most a read may allocate beyond what the thread held before it.
const ALLOCATION_BOUND: usize = 96 << 20;

fn config() -> FileDropConfig {
    let raw: RawFileDrop = toml::from_str(&format!("dir = \"/unused\"\n{CAPS}")).unwrap();
    FileDropConfig::validate(&raw, chrono_tz::Asia::Shanghai, "sources.fuzz.file").unwrap()
}

fn ledger() -> Ledger {
    Ledger::generate(&LedgerSpec {
        seed: 3,
        rows: 12,
        village: Some("140702100200".into()),
        bad_rows: 2,
    })
    .unwrap()
}

/// Read `bytes` as a file called `name`: records or a refusal, and the peak of the
/// thread's allocations during the read.
fn read(name: &str, bytes: &[u8]) -> (Result<u64, String>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let columns = ["资产编码".to_owned(), "更新时间".to_owned()];
    let config = config();
    let before = HELD.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let mut seen = 0u64;
    let result = read_file(&path, &config, &columns, &mut |_, _| seen += 1);
    let peak = PEAK.with(Cell::get) - before;
    let outcome = match result {
        Ok(summary) => {
            assert_eq!(summary.records, seen, "every record handed out");
            Ok(seen)
        }
        Err(refusal) => {
            assert!(!refusal.message.is_empty());
            Err(refusal.message)
        }
    };
    (outcome, peak)
}

fn check(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let (outcome, peak) = read(name, bytes);
    prop_assert!(
        peak <= ALLOCATION_BOUND,
        "{name}: {} bytes allocated reading {} bytes ({outcome:?})",
        peak,
        bytes.len()
    );
    Ok(())
}

/// One edit of a file's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Repeat { at: usize, len: usize, times: usize },
    Cut { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        (at, any::<u8>()).prop_map(|(at, byte)| Edit::Flip { at, byte }),
        (at, interesting()).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (at, 1usize..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        (at, 1usize..64, 1usize..2000).prop_map(|(at, len, times)| Edit::Repeat { at, len, times }),
        at.prop_map(|at| Edit::Cut { at }),
    ]
}

/// Bytes that mean something to a CSV or sheet parser.
fn interesting() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..16),
        Just(b"\"".to_vec()),
        Just(b"\"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xFF\xFE".to_vec()),
        Just(b"\x81".to_vec()),
        Just("合计".as_bytes().to_vec()),
        Just(b"<c r=\"XFD1048576\"><v>1</v></c>".to_vec()),
        Just(b"<c r=\"A1048577\" t=\"s\"><v>4294967295</v></c>".to_vec()),
        Just(b"<row r=\"4294967295\">".to_vec()),
        Just(b"<c t=\"inlineStr\"><is><t>".to_vec()),
        Just(b"<dimension ref=\"A1:XFD1048576\"/>".to_vec()),
        Just(b"<f t=\"shared\" si=\"99999999\" ref=\"A1:XFD1048576\">A1</f>".to_vec()),
        Just(b"</sheetData>".to_vec()),
        Just(b"PK\x05\x06".to_vec()),
        Just(b"PK\x06\x06".to_vec()),
        Just(b"\xff\xff\xff\xff".to_vec()),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let at = |a: usize, len: usize| if len == 0 { 0 } else { a % (len + 1) };
    match edit {
        Edit::Flip { at: a, byte } if !bytes.is_empty() => {
            let i = a % bytes.len();
            bytes[i] ^= byte;
        }
        Edit::Flip { .. } => {}
        Edit::Insert { at: a, bytes: new } => {
            let i = at(*a, bytes.len());
            bytes.splice(i..i, new.iter().copied());
        }
        Edit::Delete { at: a, len } => {
            let i = at(*a, bytes.len());
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Edit::Repeat { at: a, len, times } => {
            let i = at(*a, bytes.len());
            let end = (i + len).min(bytes.len());
            let piece = bytes[i..end].to_vec();
            let copies: Vec<u8> = piece.repeat(*times);
            bytes.splice(end..end, copies);
        }
        Edit::Cut { at: a } => {
            let i = at(*a, bytes.len());
            bytes.truncate(i);
        }
    }
}

/// The workbook's parts, unpacked.
fn parts(xlsx: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_owned(), data)
        })
        .collect()
}

/// A workbook of `parts`, deflated.
fn pack(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The exports the mutations start from.
struct Samples {
    gbk: Vec<u8>,
    utf8_bom: Vec<u8>,
    xlsx: Vec<u8>,
    /// The workbook's parts, unpacked.
    parts: Vec<(String, Vec<u8>)>,
}

fn samples() -> &'static Samples {
    static SAMPLES: std::sync::OnceLock<Samples> = std::sync::OnceLock::new();
    SAMPLES.get_or_init(|| {
        let l = ledger();
        let xlsx = xlsx_bytes(&l).unwrap();
        Samples {
            gbk: csv_bytes(&l, CsvEncoding::Gbk),
            utf8_bom: csv_bytes(&l, CsvEncoding::Utf8Bom),
            parts: parts(&xlsx),
            xlsx,
        }
    })
}

#[test]
fn the_unmutated_exports_read_to_their_records() {
    let Samples {
        gbk,
        utf8_bom,
        xlsx,
        parts,
    } = samples();
    for (name, bytes) in [("a.csv", gbk), ("b.csv", utf8_bom), ("c.xlsx", xlsx)] {
        let (outcome, peak) = read(name, bytes);
        assert_eq!(outcome, Ok(12), "{name}");
        assert!(peak < 8 << 20, "{name}: {peak}");
    }
    assert_eq!(read("d.xlsx", &pack(parts)).0, Ok(12));
}

/// Regression found by the property below: a cell whose shared-string number is past
/// the table made calamine index out of bounds and panic. The file is refused instead.
#[test]
fn a_shared_string_number_past_the_table_is_refused_not_a_panic() {
    let mut parts = samples().parts.clone();
    let sheet = parts
        .iter_mut()
        .find(|(name, _)| name == "xl/worksheets/sheet1.xml")
        .unwrap();
    let xml = String::from_utf8(sheet.1.clone()).unwrap();
    let at = xml.find("t=\"s\"><v>").unwrap() + "t=\"s\"><v>".len();
    let end = at + xml[at..].find('<').unwrap();
    sheet.1 = format!("{}99999{}", &xml[..at], &xml[end..]).into_bytes();
    let (outcome, _) = read("strings.xlsx", &pack(&parts));
    let message = outcome.unwrap_err();
    assert!(
        message.starts_with(
            "is not a readable workbook (the XLSX reader stopped on it: index out of bounds"
        ),
        "{message}"
    );
}

proptest! {
    // 400 cases each by default; PROPTEST_CASES=5000 for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_read_as_csv_or_xlsx_end_in_rows_or_a_refusal(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        prefix in prop_oneof![Just(Vec::new()), Just(b"PK\x03\x04".to_vec()), Just(b"\xEF\xBB\xBF".to_vec())],
    ) {
        let bytes = [prefix, bytes].concat();
        check("random.csv", &bytes)?;
        check("random.xlsx", &bytes)?;
    }

    #[test]
    fn mutated_csv_exports_end_in_rows_or_a_refusal(
        utf8 in any::<bool>(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let s = samples();
        let mut bytes = if utf8 { s.utf8_bom.clone() } else { s.gbk.clone() };
        for e in &edits {
            apply(&mut bytes, e);
        }
        check("mutated.csv", &bytes)?;
    }

    #[test]
    fn mutated_xlsx_exports_end_in_rows_or_a_refusal(
        edits in proptest::collection::vec(edit(), 1..6),
        inside in any::<bool>(),
        part in any::<usize>(),
    ) {
        let Samples { xlsx, parts, .. } = samples();
        let bytes = if inside {
            // Edit one part's XML and pack it again: past the archive, into the parsers.
            let mut parts = parts.clone();
            let i = part % parts.len();
            for e in &edits {
                apply(&mut parts[i].1, e);
            }
            pack(&parts)
        } else {
            let mut bytes = xlsx.clone();
            for e in &edits {
                apply(&mut bytes, e);
            }
            bytes
        };
        check("mutated.xlsx", &bytes)?;
    }
}

/// The hostile files of the simulator (a cell at XFD20000, a 1 GiB zip bomb, honest and
/// lying) end in a refusal at a small cost.
#[test]
fn hostile_exports_are_refused_within_the_bound() {
    use ruralsync_sim::export::hostile::{far_cell_xlsx, zip_bomb_xlsx};
    let l = ledger();
    for (name, bytes) in [
        ("far.xlsx", far_cell_xlsx(&l).unwrap()),
        ("bomb.xlsx", zip_bomb_xlsx(&l, 1 << 30, true).unwrap()),
        ("lying.xlsx", zip_bomb_xlsx(&l, 1 << 30, false).unwrap()),
    ] {
        let started = std::time::Instant::now();
        let (outcome, peak) = read(name, &bytes);
        let took = started.elapsed();
        eprintln!("{name}: {outcome:?}: {peak} bytes allocated, {took:?}");
        assert!(outcome.is_err(), "{name}");
        assert!(peak < 16 << 20, "{name}: {peak}");
    }
}
