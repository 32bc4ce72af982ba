//! The `file_drop` source against the real broker: village ledger exports as Chinese
//! Windows saves them (GBK CSV, XLSX, title rows, a 合计 row) dropped in a directory,
//! ingested through the real binary, read back from Kafka and compared field by field
//! with the generator's expected values.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::*;
use ruralsync_sim::export::{csv_bytes, row_number, xlsx_bytes, CsvEncoding};
use ruralsync_sim::ledger::{ExpectedAsset, Ledger, LedgerSpec};

const SOURCE: &str = "drop";

fn ledger(seed: u64, rows: usize, village: &str, bad_rows: usize) -> Ledger {
    Ledger::generate(&LedgerSpec {
        seed,
        rows,
        village: Some(village.into()),
        bad_rows,
    })
    .unwrap()
}

/// A config with one `file_drop` source of the asset ledger family polling `drop`.
fn config(dir: &Path, prefix: &str, drop: &Path, page_size: usize, schedule: &str) -> String {
    config_with(dir, prefix, drop, page_size, schedule, "")
}

/// [`config`] with more lines in the source's `[file]` table.
fn config_with(
    dir: &Path,
    prefix: &str,
    drop: &Path,
    page_size: usize,
    schedule: &str,
    file_extra: &str,
) -> String {
    let path = dir.join("ruralsync.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[kafka]
bootstrap_servers = "{}"
topic_prefix = "{prefix}"
transactional_id_prefix = "{prefix}"
topic_partitions = 2

[sources.{SOURCE}]
type = "file_drop"
family = "collective_asset"
schedule = "{schedule}"

[sources.{SOURCE}.file]
dir = "{}"
min_age_secs = 0
page_size = {page_size}
{file_extra}
"#,
            bootstrap(),
            drop.display()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

async fn once(config: &str) -> String {
    let out = ruralsync(&["once", "--config", config]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    stdout
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn optional_string(d: &Decoded, name: &str) -> Option<String> {
    d.str(name)
}

/// Compare a decoded ledger entry with what the generator says it must be.
fn assert_matches(d: &Decoded, want: &ExpectedAsset) {
    use ruralsync::avro::decode;
    let id = &want.native_id;
    assert_eq!(d.key, format!("{SOURCE}:{id}"));
    let strings: [(&str, Option<String>); 14] = [
        ("native_id", Some(want.native_id.clone())),
        ("asset_name", Some(want.asset_name.clone())),
        ("class_path", Some(want.class_path.clone())),
        ("top_class", Some(want.top_class.to_owned())),
        ("sub_class", Some(want.sub_class.to_owned())),
        ("quantity_unit", want.quantity_unit.clone()),
        ("area_unit_published", want.area_unit_published.clone()),
        ("location", Some(want.location.clone())),
        ("region_code", Some(want.region_code.clone())),
        ("county_code", Some(want.county_code.clone())),
        ("certificate_number", want.certificate_number.clone()),
        ("usage_status", Some(want.usage_status.clone())),
        ("operating_mode", Some(want.operating_mode.to_owned())),
        ("accounting_system", Some(want.accounting_system.to_owned())),
    ];
    for (field, value) in strings {
        assert_eq!(optional_string(d, field), value, "{id}: {field}");
    }
    let decimals = [
        ("original_value_yuan", &want.original_value_yuan),
        (
            "accumulated_depreciation_yuan",
            &want.accumulated_depreciation_yuan,
        ),
        ("net_value_yuan", &want.net_value_yuan),
        ("area_m2", &want.area_m2),
        ("annual_income_yuan", &want.annual_income_yuan),
    ];
    for (field, value) in decimals {
        assert_eq!(d.decimal(field).as_ref(), value.as_ref(), "{id}: {field}");
    }
    let quantity =
        decode::nullable(d.get("quantity")).map(|v| decode::decimal(v, 4).unwrap().to_string());
    assert_eq!(quantity, want.quantity, "{id}: quantity");
    assert_eq!(
        d.date("acquired_date"),
        Some(want.acquired_date.clone()),
        "{id}: acquired_date"
    );
    let operating = decode::nullable(d.get("operating")).map(|v| match v {
        apache_avro::types::Value::Boolean(b) => *b,
        other => panic!("operating is {other:?}"),
    });
    assert_eq!(operating, Some(want.operating), "{id}: operating");
    let local =
        chrono::NaiveDateTime::parse_from_str(&want.updated_at, "%Y-%m-%d %H:%M:%S").unwrap();
    let utc = (local - chrono::Duration::hours(8)).and_utc().to_rfc3339();
    assert_eq!(
        d.timestamp("source_updated_at"),
        utc,
        "{id}: source_updated_at"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gbk_csv_and_xlsx_exports_with_titles_and_totals_ingest_to_exact_values() {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    let csv = ledger(1, 60, "140702100200", 0);
    let xlsx = ledger(2, 60, "140702100201", 0);
    std::fs::write(
        drop.join("鸣谦村资产台账.csv"),
        csv_bytes(&csv, CsvEncoding::Gbk),
    )
    .unwrap();
    std::fs::write(drop.join("资产台账.xlsx"), xlsx_bytes(&xlsx).unwrap()).unwrap();
    let prefix = unique_prefix("filedrop-exact");
    let config = config(dir.path(), &prefix, &drop, 25, "0 0 3 * * *");
    let stdout = once(&config).await;
    assert!(
        stdout.contains(&format!(
            "{SOURCE}: ok: 6 pages, 120 fetched, 120 published, 0 dead letters"
        )),
        "{stdout}"
    );
    assert_eq!(files_in(&drop), Vec::<String>::new());
    assert_eq!(
        files_in(&drop.join("done")),
        ["资产台账.xlsx", "鸣谦村资产台账.csv"]
    );

    let landed = read_family(&prefix, "collective_asset").await;
    assert_eq!(landed.len(), 120);
    let by_key: BTreeMap<&str, &Decoded> = landed.iter().map(|d| (d.key.as_str(), d)).collect();
    for l in [&csv, &xlsx] {
        for row in &l.rows {
            let want = row.expected(&l.village).unwrap();
            let d = by_key
                .get(format!("{SOURCE}:{}", row.id).as_str())
                .unwrap_or_else(|| panic!("{} not published", row.id));
            assert_matches(d, &want);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_files_are_refused_whole_with_a_reason_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    // A CSV whose 30th entry opens a quote that is never closed: its first 29 entries
    // are fine, and none of them may be published.
    let bad = ledger(3, 40, "140702100202", 0);
    let text = String::from_utf8(csv_bytes(&bad, CsvEncoding::Utf8)).unwrap();
    let broken_row = row_number(29);
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
    lines[broken_row as usize - 1] = lines[broken_row as usize - 1].replacen(',', ",\"", 1);
    std::fs::write(drop.join("坏台账.csv"), lines.join("\r\n")).unwrap();
    // A workbook cut short in transfer.
    let truncated = xlsx_bytes(&bad).unwrap();
    std::fs::write(drop.join("截断.xlsx"), &truncated[..truncated.len() / 2]).unwrap();
    let good = ledger(4, 10, "140702100200", 0);
    std::fs::write(drop.join("好台账.csv"), csv_bytes(&good, CsvEncoding::Gbk)).unwrap();

    let prefix = unique_prefix("filedrop-refused");
    // The truncated workbook is refused at once, not retried as maybe still being
    // written (see a_file_cut_short_is_retried_until_stable_then_refused).
    let config = config_with(
        dir.path(),
        &prefix,
        &drop,
        5,
        "0 0 3 * * *",
        "incomplete_retry_secs = 0",
    );
    let stdout = once(&config).await;
    assert!(stdout.contains("10 published, 2 dead letters"), "{stdout}");
    assert!(stdout.contains("dead letters file_rejected: 2"), "{stdout}");
    let error = drop.join("error");
    assert_eq!(
        files_in(&error),
        [
            "坏台账.csv",
            "坏台账.csv.reason.txt",
            "截断.xlsx",
            "截断.xlsx.reason.txt"
        ]
    );
    let reason = std::fs::read_to_string(error.join("坏台账.csv.reason.txt")).unwrap();
    assert!(
        reason.starts_with(&format!("坏台账.csv: row {broken_row} (line {broken_row}): a quoted cell opened there closes before")),
        "{reason}"
    );
    let reason = std::fs::read_to_string(error.join("截断.xlsx.reason.txt")).unwrap();
    assert!(
        reason.starts_with("截断.xlsx: is not a readable workbook"),
        "{reason}"
    );
    assert_eq!(files_in(&drop.join("done")), ["好台账.csv"]);

    let landed = read_family(&prefix, "collective_asset").await;
    assert_eq!(landed.len(), 10);
    assert!(
        landed.iter().all(|d| d.key.contains("ZC140702100200-")),
        "nothing of the refused files is published"
    );
    let dead = read_family(&prefix, "dead_letter").await;
    let mut refusals: Vec<(String, String, String)> = dead
        .iter()
        .map(|d| {
            (
                d.key.clone(),
                d.str("reason").unwrap(),
                d.str("message").unwrap(),
            )
        })
        .collect();
    refusals.sort();
    assert_eq!(refusals.len(), 2);
    assert_eq!(refusals[0].0, format!("{SOURCE}:坏台账.csv"));
    assert_eq!(refusals[0].1, "file_rejected");
    assert!(
        refusals[0]
            .2
            .starts_with(&format!("坏台账.csv: row {broken_row}")),
        "{}",
        refusals[0].2
    );
    assert_eq!(refusals[1].0, format!("{SOURCE}:截断.xlsx"));

    // Dropped again, the refused content is recognised and goes straight to error/.
    std::fs::copy(error.join("坏台账.csv"), drop.join("坏台账-重发.csv")).unwrap();
    let stdout = once(&config).await;
    assert!(
        stdout.contains("0 fetched, 0 published, 0 dead letters"),
        "{stdout}"
    );
    assert!(files_in(&error).contains(&"坏台账-重发.csv".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_content_dropped_again_under_another_name_is_published_once() {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    let l = ledger(5, 30, "140702100200", 0);
    let bytes = xlsx_bytes(&l).unwrap();
    std::fs::write(drop.join("资产台账.xlsx"), &bytes).unwrap();
    let prefix = unique_prefix("filedrop-twice");
    let config = config(dir.path(), &prefix, &drop, 10, "0 0 3 * * *");
    let stdout = once(&config).await;
    assert!(stdout.contains("30 published"), "{stdout}");
    std::fs::write(drop.join("资产台账(1).xlsx"), &bytes).unwrap();
    // And the original name again, as a second copy of the same export.
    std::fs::write(drop.join("资产台账.xlsx"), &bytes).unwrap();
    let stdout = once(&config).await;
    assert!(
        stdout.contains("0 fetched, 0 published, 0 dead letters"),
        "{stdout}"
    );
    let done = files_in(&drop.join("done"));
    assert_eq!(done.len(), 3, "{done:?}");
    assert!(done.contains(&"资产台账(1).xlsx".to_owned()), "{done:?}");
    assert_eq!(files_in(&drop), Vec::<String>::new());
    let landed = read_family(&prefix, "collective_asset").await;
    assert_eq!(landed.len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_dead_lettered_with_their_row_and_the_good_rows_published() {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    let l = ledger(6, 45, "140702100200", 3);
    std::fs::write(drop.join("台账.xlsx"), xlsx_bytes(&l).unwrap()).unwrap();
    let prefix = unique_prefix("filedrop-badrows");
    let config = config(dir.path(), &prefix, &drop, 20, "0 0 3 * * *");
    let stdout = once(&config).await;
    assert!(
        stdout.contains("45 fetched, 42 published, 3 dead letters"),
        "{stdout}"
    );

    let landed = read_family(&prefix, "collective_asset").await;
    let by_key: BTreeMap<&str, &Decoded> = landed.iter().map(|d| (d.key.as_str(), d)).collect();
    let dead = read_family(&prefix, "dead_letter").await;
    assert_eq!(dead.len(), 3);
    let mut faults = 0;
    for (i, row) in l.rows.iter().enumerate() {
        match row.expected(&l.village) {
            Ok(want) => assert_matches(by_key[format!("{SOURCE}:{}", row.id).as_str()], &want),
            Err((reason, field)) => {
                faults += 1;
                let d = dead
                    .iter()
                    .find(|d| d.str("native_id").as_deref() == Some(row.id.as_str()))
                    .unwrap_or_else(|| panic!("no dead letter for {}", row.id));
                assert_eq!(d.str("reason").as_deref(), Some(reason));
                assert_eq!(d.str("field").as_deref(), Some(field));
                let message = d.str("message").unwrap();
                assert!(
                    message.starts_with(&format!("台账.xlsx row {}: ", row_number(i))),
                    "{message}"
                );
                assert!(!by_key.contains_key(format!("{SOURCE}:{}", row.id).as_str()));
            }
        }
    }
    assert_eq!(faults, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_killed_between_pages_resumes_and_ends_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    let rows = 3000;
    let l = ledger(7, rows, "140702100200", 0);
    std::fs::write(drop.join("大台账.csv"), csv_bytes(&l, CsvEncoding::Gbk)).unwrap();
    let prefix = unique_prefix("filedrop-resume");
    let config = config(dir.path(), &prefix, &drop, 20, "* * * * * *");
    let mut daemon = Daemon::spawn(&["run", "--config", &config], dir.path().join("daemon.log"));
    daemon
        .wait_for_log("page committed", Duration::from_secs(20))
        .await;
    daemon.signal(libc::SIGKILL);
    let _ = daemon.child.wait().await;
    assert_eq!(
        files_in(&drop),
        ["大台账.csv"],
        "killed mid-file: {}",
        daemon
            .log_text()
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );

    let stdout = once(&config).await;
    assert!(stdout.contains("0 dead letters"), "{stdout}");
    assert_eq!(files_in(&drop.join("done")), ["大台账.csv"]);
    let landed = read_family(&prefix, "collective_asset").await;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &landed {
        *seen.entry(d.key.as_str()).or_default() += 1;
    }
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    assert_eq!(
        (seen.len(), duplicated),
        (rows, 0),
        "every entry exactly once"
    );
    // The second run resumed: it did not read the file from the start.
    let fetched: usize = stdout
        .split(" fetched")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(fetched < rows, "{stdout}");
}
