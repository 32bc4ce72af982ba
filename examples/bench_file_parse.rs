//! B3's parse side, for profiling `src/source/file_drop/` (no Kafka): one poll of a
//! `file_drop` source over a directory holding one ledger export, every page taken and
//! dropped, as `ruralsync once` would poll it (header found through the asset family's
//! mapping, pages of 1000).
//!
//! ```sh
//! ruralsync-sim export --out /tmp/drop/ledger.csv --rows 200000 --encoding gbk
//! cargo run --release --example bench_file_parse -- /tmp/drop
//! ```
//!
//! Prints one JSON object: records, pages, `first_page_s` (read, checksum, decode or
//! load, and the whole-file check, until the first page is ready) and `total_s`. The
//! file is not moved: moves happen once a page commits, and nothing commits here.

use std::sync::Arc;
use std::time::Instant;

use ruralsync::family::Family;
use ruralsync::source::file_drop::{FileDropConfig, FileDropSource, RawFileDrop};
use ruralsync::source::{PositionOf, Resume};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: bench_file_parse DIR"))?;
    let tz = chrono_tz::Asia::Shanghai;
    let raw: RawFileDrop = toml::from_str(&format!(
        "dir = {dir:?}\nmin_age_secs = 0\npage_size = 1000\n"
    ))?;
    let config = FileDropConfig::validate(&raw, tz, "sources.bench.file")
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // Any key: nothing is published, file names are only compared.
    let protector =
        ruralsync::protect::Protector::from_key(&[0; 32], ruralsync::protect::NameMask::KeepFirst)
            .map_err(|len| anyhow::anyhow!("key of {len} bytes"))?;
    let source = FileDropSource::new("bench", config, protector)?;
    let binding = Family::CollectiveAsset.with_defaults();
    let position_of: PositionOf = Arc::new(move |r| binding.position(r, tz, "%Y-%m-%d %H:%M:%S"));

    let started = Instant::now();
    let (mut pages, task) = source.spawn_pages(
        Resume {
            position: None,
            state: None,
        },
        position_of,
        CancellationToken::new(),
    );
    let (mut records, mut count, mut first_page_s) = (0usize, 0u64, None);
    while let Some(page) = pages.recv().await {
        let page = page?;
        first_page_s.get_or_insert(started.elapsed().as_secs_f64());
        anyhow::ensure!(page.rejected.is_empty(), "refused: {:?}", page.rejected);
        records += page.records.len();
        count += 1;
    }
    task.await?;
    println!(
        "{{\"records\":{records},\"pages\":{count},\"first_page_s\":{:.3},\"total_s\":{:.3}}}",
        first_page_s.unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
