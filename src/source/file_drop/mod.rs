//! `file_drop`: CSV and XLSX exports dropped in a directory (Excel saves of village
//! ledgers: GBK CSV with title rows and a 合计 row, or XLSX), polled on the source's
//! schedule and each ingested exactly once.
//!
//! - [`config`]: `[sources.<name>.file]` ([`RawFileDrop`]) and its validation
//!   ([`FileDropConfig`]).
//! - `decode`: CSV bytes → text (BOM / UTF-8 / GB18030 sniffing, or a forced encoding).
//! - `cell`: workbook cells → the text a person typed (numbers, dates, error cells).
//! - `table`: rows → header, title, blank, total and record rows; whole-file checks.
//! - `manifest`: the checkpoint state: checksums of files done with, the file in progress.
//! - `poll`: [`FileDropSource`]: listing, checksums, pages, moves to `done/` and `error/`.
//!
//! Data flow: directory listing → bytes + SHA-256 → manifest lookup → table check (the
//! whole file, before any row is published) → pages of `page_size` records, each with
//! the manifest in [`crate::source::Page::state`] → after the last page commits, the file
//! moves to `done_dir`; a refused file's single page carries its dead letter and moves
//! it to `error_dir`.

mod cell;
pub mod config;
mod csv;
mod decode;
mod manifest;
mod poll;
mod ready;
pub mod refusal;
mod sheet;
mod table;

pub use config::{Encoding, FileDropConfig, RawFileDrop};
pub use poll::{FileDropSource, FileError, FILE_REJECTED, FILE_TOO_LARGE};
