//! The `sql` source against real PostgreSQL and MariaDB (`scripts/db`) and the real
//! broker: seeded rows land exactly once with exactly their content; changed and
//! late-committed rows are published on the next run, nothing twice; an interrupted run
//! resumes and ends exactly once; column values are rendered exactly.
//!
//! Databases come from `RURALSYNC_TEST_PG_URL` and `RURALSYNC_TEST_MYSQL_URL`
//! (`scripts/test` starts both and sets them). Unset, a test prints a SKIPPED line.

mod common;
mod sql_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use apache_avro::types::Value as Avro;
use common::*;
use ruralsync::source::sql::{RawSql, SqlConfig, SqlSource};
use ruralsync::source::{Page, Resume};
use ruralsync_sim::sql_seed;
use serde_json::{json, Value};
use sql_common::*;
use tokio_util::sync::CancellationToken;

const SOURCE: &str = "exchange_db";
const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Every committed record message of the run's topic: (partition, offset) → key, value.
async fn landed(prefix: &str) -> BTreeMap<(i32, i64), (String, Avro)> {
    let schema = schema_file("property_rights_transaction.avsc");
    let topic = format!("{prefix}.property_rights_transaction.v1");
    ruralsync::inspect::read_topic(&kafka_config(prefix), &topic, Duration::from_secs(60))
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            let bytes = m.value.unwrap();
            let value = apache_avro::from_avro_datum(&schema, &mut &bytes[10..], None).unwrap();
            ((m.partition, m.offset), (m.key.unwrap(), value))
        })
        .collect()
}

/// What the pipeline publishes for rows as the database prints them, by key.
fn normalised(rows: &[Value]) -> BTreeMap<String, Avro> {
    rows.iter()
        .map(|raw| transaction_record(SOURCE, raw).unwrap_or_else(|e| panic!("{raw}: {e:?}")))
        .collect()
}

async fn once(config: &str) -> String {
    let started = std::time::Instant::now();
    let out = ruralsync(&["once", "--config", config]).await;
    let log = text(&out.stderr);
    assert!(out.status.success(), "once failed:\n{log}");
    assert!(
        !log.contains(":ruralsync@"),
        "the URL's password may be in the log:\n{log}"
    );
    eprintln!("once took {:?}", started.elapsed());
    text(&out.stdout)
}

/// Seed → everything once; change rows and commit one late → exactly those; again →
/// nothing.
async fn changes_and_late_rows_are_published_once(db: Db) {
    let test = format!("incremental_{db:?}").to_lowercase();
    let Some(url) = db.url(&test) else { return };
    let table = unique_table(&test);
    let records = sql_seed::dataset(11, 120);
    assert_eq!(sql_seed::seed(&url, &table, &records).await.unwrap(), 120);
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(&test);
    let config = write_sql_config(
        dir.path(),
        &prefix,
        SOURCE,
        db,
        &table,
        25,
        "lag_secs = 120",
    );
    let config = config.to_str().unwrap();

    once(config).await;
    let rows = rows_as_printed(db, &url, &table).await;
    let kafka = kafka_config(&prefix);
    let (n, lost, duplicated) = assert_exactly_once(&kafka, SOURCE, &rows).await;
    assert_eq!((n, lost, duplicated), (120, 0, 0));
    let first = landed(&prefix).await;
    let last = rows.last().unwrap().clone();

    // Three projects move on (one with a four-decimal price), and a project committed
    // late: its 更新时间 30 s before the committed position, inside the 120 s window.
    let changed: Vec<String> = [5, 40, 77]
        .iter()
        .map(|&i| rows[i]["项目编号"].as_str().unwrap().to_owned())
        .collect();
    for (i, id) in changed.iter().enumerate() {
        execute(
            db,
            &url,
            &format!(
                "UPDATE {table} SET xmzt = '终止', gpj = 123.456{i}, gxsj = '2024-07-01 10:00:0{i}' WHERE xmbh = '{id}'"
            ),
        )
        .await;
    }
    let committed =
        chrono::NaiveDateTime::parse_from_str(last["更新时间"].as_str().unwrap(), FORMAT).unwrap();
    let mut late = records[60].clone();
    late["项目编号"] = json!("JZ140702202499999");
    late["更新时间"] = json!((committed - chrono::Duration::seconds(30))
        .format(FORMAT)
        .to_string());
    sql_seed::insert(&url, &table, &[late]).await.unwrap();

    once(config).await;
    let rows = rows_as_printed(db, &url, &table).await;
    let expected = normalised(&rows);
    let second = landed(&prefix).await;
    let new: Vec<&(String, Avro)> = second
        .iter()
        .filter(|(at, _)| !first.contains_key(at))
        .map(|(_, m)| m)
        .collect();
    let keys: BTreeSet<String> = new.iter().map(|(k, _)| k.clone()).collect();
    let mut want: BTreeSet<String> = changed.iter().map(|id| format!("{SOURCE}:{id}")).collect();
    want.insert(format!("{SOURCE}:JZ140702202499999"));
    assert_eq!(keys, want, "published on the second run");
    assert_eq!(new.len(), want.len(), "each once");
    for (key, value) in &new {
        assert_eq!(value, &expected[key], "content of {key}");
    }

    once(config).await;
    assert_eq!(
        landed(&prefix).await.len(),
        second.len(),
        "a third run publishes nothing"
    );
    execute(db, &url, &format!("DROP TABLE {table}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_changes_and_late_rows_are_published_once() {
    changes_and_late_rows_are_published_once(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_changes_and_late_rows_are_published_once() {
    changes_and_late_rows_are_published_once(Db::MariaDb).await;
}

/// A run stopped after a few pages (SIGTERM, or SIGKILL mid-transaction) resumes from
/// its checkpoint: in the end every row once, nothing twice.
async fn interrupted_run_resumes_exactly_once(db: Db, signal: i32) {
    let test = format!("interrupted_{db:?}").to_lowercase();
    let Some(url) = db.url(&test) else { return };
    let table = unique_table(&test);
    let records = sql_seed::dataset(12, 1500);
    sql_seed::seed(&url, &table, &records).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(&test);
    let config = write_sql_config(dir.path(), &prefix, SOURCE, db, &table, 15, "");
    let config = config.to_str().unwrap();

    let mut daemon = Daemon::spawn(&["once", "--config", config], dir.path().join("first.log"));
    daemon
        .wait_for_log("page=3 published", Duration::from_secs(20))
        .await;
    daemon.signal(signal);
    let status = tokio::time::timeout(Duration::from_secs(20), daemon.child.wait())
        .await
        .expect("the interrupted run exits")
        .unwrap();
    let log = daemon.log_text();
    assert!(
        !log.contains("fetched=1500"),
        "the run was not interrupted:\n{log}"
    );
    if signal == libc::SIGTERM {
        assert!(
            status.success(),
            "SIGTERM is a clean stop: {status:?}\n{log}"
        );
        assert!(log.contains("stopping after the page in flight"), "{log}");
    }

    once(config).await;
    let rows = rows_as_printed(db, &url, &table).await;
    let (n, lost, duplicated) = assert_exactly_once(&kafka_config(&prefix), SOURCE, &rows).await;
    assert_eq!((n, lost, duplicated), (1500, 0, 0));
    execute(db, &url, &format!("DROP TABLE {table}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigterm_mid_run_resumes_exactly_once() {
    interrupted_run_resumes_exactly_once(Db::Postgres, libc::SIGTERM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_kill_9_mid_run_resumes_exactly_once() {
    interrupted_run_resumes_exactly_once(Db::MariaDb, libc::SIGKILL).await;
}

/// Pull every row of `query` in-process and return the records.
async fn pull_all(db: Db, query: &str, updated: &str, id: &str) -> Result<Vec<Value>, String> {
    let raw: RawSql = toml::from_str(&format!(
        "url_env = \"{}\"\nquery = '''{query}'''\nupdated_column = \"{updated}\"\nid_column = \"{id}\"\npage_size = 2",
        db.env_var()
    ))
    .unwrap();
    let config = SqlConfig::validate(&raw, chrono_tz::Asia::Shanghai, "sources.x.sql").unwrap();
    let source = SqlSource::new("x", config).unwrap();
    let (mut pages, task) = source.spawn_pages(
        Resume::default(),
        Arc::new(|_| None),
        CancellationToken::new(),
    );
    let mut records = Vec::new();
    while let Some(page) = pages.recv().await {
        let page: Page = page.map_err(|e| e.to_string())?;
        records.extend(page.records);
    }
    task.await.unwrap();
    Ok(records)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_values_are_rendered_exactly() {
    let Some(url) = Db::Postgres.url("postgres_values_are_rendered_exactly") else {
        return;
    };
    let t = unique_table("values");
    execute(
        Db::Postgres,
        &url,
        &format!(
            "CREATE TABLE {t} (id INT8, n NUMERIC, a NUMERIC(18,4), i2 INT2, i4 INT4, f4 FLOAT4, f8 FLOAT8, b BOOL, \
             s TEXT, c CHAR(6), u UUID, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ)"
        ),
    )
    .await;
    execute(
        Db::Postgres,
        &url,
        &format!(
            "INSERT INTO {t} VALUES \
             (1, 12345678901234567890123456789.0123456789, 8.3456, -2, 70000, 0.1, 0.30000000000000004, true, \
              '王建军', 'JZ1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2023-03-31', '2023-03-31 08:09:10.75', '2023-03-31 00:09:10+00'), \
             (2, NULL, -0.0500, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, '2023-03-31 08:09:11', NULL)"
        ),
    )
    .await;
    let records = pull_all(Db::Postgres, &format!("SELECT * FROM {t}"), "ts", "id")
        .await
        .unwrap();
    assert_eq!(
        records,
        vec![
            json!({"id": 1, "n": "12345678901234567890123456789.0123456789", "a": "8.3456", "i2": -2, "i4": 70000,
                   "f4": "0.1", "f8": "0.30000000000000004", "b": true, "s": "王建军", "c": "JZ1",
                   "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "d": "2023-03-31",
                   "ts": "2023-03-31 08:09:10", "tz": "2023-03-31 08:09:10"}),
            json!({"id": 2, "n": null, "a": "-0.0500", "i2": null, "i4": null, "f4": null, "f8": null,
                   "b": false, "s": null, "c": null, "u": null, "d": null, "ts": "2023-03-31 08:09:11", "tz": null}),
        ]
    );
    // Decimals are exactly the text PostgreSQL prints.
    let printed = rows_as_printed_numeric(&url, &t).await;
    assert_eq!(
        printed,
        vec!["12345678901234567890123456789.0123456789".to_owned()]
    );

    let e = pull_all(
        Db::Postgres,
        &format!("SELECT id, ts, ts - ts AS span FROM {t}"),
        "ts",
        "id",
    )
    .await
    .unwrap_err();
    assert!(e.contains("column \"span\" has type INTERVAL"), "{e}");
    let e = pull_all(Db::Postgres, &format!("SELECT * FROM {t}"), "d", "id")
        .await
        .unwrap_err();
    assert!(e.contains("sql.updated_column \"d\" has type DATE"), "{e}");
    let e = pull_all(Db::Postgres, &format!("SELECT * FROM {t}"), "gxsj", "id")
        .await
        .unwrap_err();
    assert!(
        e.contains("sql.updated_column = \"gxsj\" is not a column"),
        "{e}"
    );
    execute(Db::Postgres, &url, &format!("DROP TABLE {t}")).await;
}

async fn rows_as_printed_numeric(url: &str, table: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(&format!(
        "SELECT CAST(n AS TEXT) FROM {table} WHERE n IS NOT NULL"
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_values_are_rendered_exactly() {
    let Some(url) = Db::MariaDb.url("mariadb_values_are_rendered_exactly") else {
        return;
    };
    let t = unique_table("values");
    execute(
        Db::MariaDb,
        &url,
        &format!(
            "CREATE TABLE {t} (id BIGINT, a DECIMAL(18,4), big DECIMAL(38,10), u BIGINT UNSIGNED, i TINYINT, \
             flag BOOLEAN, f FLOAT, g DOUBLE, s VARCHAR(20), sb VARCHAR(20) COLLATE utf8mb4_bin, e ENUM('出租','转让'), \
             d DATE, dt DATETIME(3), ts TIMESTAMP NULL, y YEAR, span TIME)"
        ),
    )
    .await;
    execute(
        Db::MariaDb,
        &url,
        &format!(
            "INSERT INTO {t} VALUES \
             (1, 8.3456, 1234567890123456789012345678.0123456789, 18446744073709551615, -5, TRUE, 0.1, 0.30000000000000004, \
              '王建军', 'JZ1', '转让', '2023-03-31', '2023-03-31 08:09:10.750', '2023-03-31 00:09:10', 2023, '01:00:00'), \
             (2, -0.05, NULL, 0, NULL, FALSE, NULL, NULL, NULL, NULL, NULL, NULL, '2023-03-31 08:09:11', NULL, NULL, NULL)"
        ),
    )
    .await;
    let query = format!("SELECT id, a, big, u, i, flag, f, g, s, sb, e, d, dt, ts, y FROM {t}");
    let records = pull_all(Db::MariaDb, &query, "dt", "id").await.unwrap();
    assert_eq!(
        records,
        vec![
            json!({"id": 1, "a": "8.3456", "big": "1234567890123456789012345678.0123456789",
                   "u": 18446744073709551615u64, "i": -5, "flag": true, "f": "0.1", "g": "0.30000000000000004",
                   "s": "王建军", "sb": "JZ1", "e": "转让", "d": "2023-03-31", "dt": "2023-03-31 08:09:10",
                   "ts": "2023-03-31 08:09:10", "y": 2023}),
            json!({"id": 2, "a": "-0.0500", "big": null, "u": 0, "i": null, "flag": false, "f": null, "g": null,
                   "s": null, "sb": null, "e": null, "d": null, "dt": "2023-03-31 08:09:11", "ts": null, "y": null}),
        ]
    );
    let e = pull_all(
        Db::MariaDb,
        &format!("SELECT id, dt, span FROM {t}"),
        "dt",
        "id",
    )
    .await
    .unwrap_err();
    assert!(e.contains("column \"span\" has type TIME"), "{e}");
    execute(Db::MariaDb, &url, &format!("DROP TABLE {t}")).await;
}

/// Regression: a query ending in a `-- comment` (after its `;`, or instead of one)
/// swallowed the wrapper's `) AS src WHERE … ORDER BY …`. The first run (no keyset
/// condition) and an incremental run (the keyset condition after the checkpoint) both
/// read the rows exactly once.
async fn a_query_ending_in_a_line_comment_keeps_its_keyset(db: Db) {
    let test = format!("line_comment_{db:?}").to_lowercase();
    let Some(url) = db.url(&test) else { return };
    let table = unique_table(&test);
    let records = sql_seed::dataset(13, 40);
    sql_seed::seed(&url, &table, &records).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(&test);
    let config = write_sql_config(dir.path(), &prefix, SOURCE, db, &table, 15, "");
    let plain = sql_seed::select_query(&table);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains(&plain));
    let with_comment = |end: &str| {
        let query = format!("-- 产权交易项目 ({table}); newest last\n{plain}{end}");
        std::fs::write(&config, text.replace(&plain, &query)).unwrap();
    };
    with_comment(" -- every project");
    let config_path = config.clone();
    let config = config_path.to_str().unwrap();

    let stdout = once(config).await;
    assert!(stdout.contains("40 published"), "{stdout}");
    let kafka = kafka_config(&prefix);
    let rows = rows_as_printed(db, &url, &table).await;
    assert_eq!(assert_exactly_once(&kafka, SOURCE, &rows).await, (40, 0, 0));

    // Three projects listed after the checkpoint: the second run's keyset condition
    // (after the committed position) must reach the database intact.
    let last = rows.last().unwrap()["更新时间"]
        .as_str()
        .unwrap()
        .to_owned();
    let after = chrono::NaiveDateTime::parse_from_str(&last, FORMAT).unwrap();
    let new: Vec<Value> = (0..3)
        .map(|i| {
            let mut r = records[i].clone();
            r["项目编号"] = json!(format!("JZ14070220249990{i:02}"));
            r["更新时间"] = json!((after + chrono::Duration::minutes(5 + i as i64))
                .format(FORMAT)
                .to_string());
            r
        })
        .collect();
    sql_seed::insert(&url, &table, &new).await.unwrap();
    with_comment("; -- every project, a semicolon before the comment");
    let stdout = once(config).await;
    assert!(stdout.contains("3 published"), "{stdout}");
    let rows = rows_as_printed(db, &url, &table).await;
    assert_eq!(assert_exactly_once(&kafka, SOURCE, &rows).await, (43, 0, 0));
    execute(db, &url, &format!("DROP TABLE {table}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_query_ending_in_a_line_comment_keeps_its_keyset() {
    a_query_ending_in_a_line_comment_keeps_its_keyset(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_a_query_ending_in_a_line_comment_keeps_its_keyset() {
    a_query_ending_in_a_line_comment_keeps_its_keyset(Db::MariaDb).await;
}
