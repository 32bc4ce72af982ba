//! `scripts/bench` helper — L_http: the fastest plain fetch of every page of the paged
//! JSON API, discarding the bodies. The floor under any pipeline that reads this API.
//!
//! One keep-alive `reqwest` client (the daemon's HTTP stack), pages 1, 2, … of
//! `pageSize` records with no `updatedSince` (a sync from an empty cursor). The number of
//! pages comes from the `total` of the first page. With `--concurrency N` N workers fetch
//! pages in parallel, each on its own connection, to show what parallel fetch would buy.
//!
//! Prints one JSON line: pages, records, bytes (of JSON bodies), seconds.
//!
//! ```sh
//! cargo run --release --example bench_http -- --url http://127.0.0.1:8480/api/v1/transactions
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    /// The API's transactions endpoint.
    #[arg(long)]
    url: String,
    /// Records per page.
    #[arg(long, default_value_t = 1000)]
    page_size: u64,
    /// Pages fetched at once (1 = sequential, as the daemon does).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::builder().gzip(true).build()?;
    let started = Instant::now();

    let first = fetch(&client, &args.url, 1, args.page_size).await?;
    let total = total_of(&first).context("first page has no data.total")?;
    let pages = total.div_ceil(args.page_size).max(1);
    let bytes = Arc::new(AtomicU64::new(first.len() as u64));
    drop(first);

    let next = Arc::new(AtomicU64::new(2));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, url, next, bytes) = (
            client.clone(),
            args.url.clone(),
            next.clone(),
            bytes.clone(),
        );
        let page_size = args.page_size;
        workers.spawn(async move {
            loop {
                let page = next.fetch_add(1, Ordering::Relaxed);
                if page > pages {
                    return anyhow::Ok(());
                }
                let body = fetch(&client, &url, page, page_size).await?;
                bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "pages": pages,
            "records": total,
            "bytes": bytes.load(Ordering::Relaxed),
            "secs": secs,
            "concurrency": args.concurrency,
        })
    );
    Ok(())
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
    page: u64,
    size: u64,
) -> anyhow::Result<impl std::ops::Deref<Target = [u8]>> {
    let response = client
        .get(url)
        .query(&[("pageNo", page), ("pageSize", size)])
        .send()
        .await
        .with_context(|| format!("page {page}"))?;
    if !response.status().is_success() {
        bail!("page {page}: HTTP {}", response.status());
    }
    Ok(response.bytes().await?)
}

/// `data.total` from the page's envelope, read without parsing the records.
fn total_of(body: &[u8]) -> Option<u64> {
    let head = String::from_utf8_lossy(body.get(..body.len().min(200))?);
    let rest = &head[head.find("\"total\":")? + 8..];
    rest[..rest.find(|c: char| !c.is_ascii_digit())?]
        .parse()
        .ok()
}
