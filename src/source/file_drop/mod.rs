//! `file_drop`: CSV and XLSX exports dropped in a directory (Excel saves of village
//! ledgers: GBK CSV with title rows and a 合计 row, or XLSX), polled on the source's
//! schedule and each ingested exactly once, every file read within caps.
//!
//! - [`config`]: `[sources.<name>.file]` ([`RawFileDrop`]) and its validation
//!   ([`FileDropConfig`], with the caps in [`config::Limits`]).
//! - `ready`: whether a file is complete (quiet by its clocks or across polls, or its
//!   ready marker present).
//! - `refusal`: why a file is not ingested ([`Refusal`]) and what becomes of it.
//! - `decode`: CSV bytes → text, streamed (BOM / UTF-8 / GB18030 sniffing, or forced).
//! - `csv`: CSV rows, streamed, each cap checked as soon as it can be passed.
//! - `sheet`: XLSX archives checked before parsing, cells streamed within the caps.
//! - `cell`: workbook cells → the text a person typed (numbers, dates, error cells).
//! - `table`: rows → header, title, blank, total and record rows; whole-file checks.
//! - `manifest`: the checkpoint state: checksums of files done with (bounded), the file
//!   in progress.
//! - `poll`: [`FileDropSource`]: listing, checksums, pages, moves to `done/` and `error/`.
//!
//! Data flow: directory listing → ready? → size cap → SHA-256 (streamed) → manifest
//! lookup → table check (the whole file, before any row is published) → pages of
//! `page_size` records, each with the manifest in [`crate::source::Page::state`] → after
//! the last page commits, the file moves to `done_dir`; a refused file's single page
//! carries its dead letter and moves it to `error_dir`; a file that looks cut short is
//! left for the next polls until it has been quiet for `incomplete_retry_secs`.

mod cell;
pub mod config;
mod csv;
mod decode;
mod manifest;
mod poll;
mod ready;
mod refusal;
mod sheet;
mod table;

pub use config::{Encoding, FileDropConfig, RawFileDrop};
pub use manifest::protect_state;
pub use poll::{read_file, FileDropSource, FileError, FileSummary, FILE_REJECTED, FILE_TOO_LARGE};
pub use refusal::{Refusal, RefusalKind};
