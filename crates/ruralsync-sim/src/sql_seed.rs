//! Seeding a real database with the simulated exchange's projects (`ruralsync-sim
//! seed-sql`), for the `sql` source's tests and demos.
//!
//! The table is what a county exchange's database looks like: pinyin-abbreviated column
//! names, 更新时间 a TIMESTAMP (DATETIME in MySQL), amounts in 万元 as NUMERIC(18,4), the
//! area NUMERIC (DECIMAL(18,4) in MySQL, which has no unconstrained decimal), 成交日期 a
//! DATE, the rest text; primary key 项目编号, and an index on (更新时间, 项目编号) for the
//! source's keyset. [`select_query`] aliases the columns back to the platform's field
//! names, as an operator would write the source's query.
//!
//! The rows are the HTTP simulator's dataset for the same seed and size (clean profile:
//! the dirty profile's faults do not fit typed columns).

use std::str::FromStr;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor, QueryBuilder};

use super::config::SimConfig;
use super::simulator::{Simulator, Window};

/// `ruralsync-sim seed-sql`: (re)create a table of the simulated exchange's projects in
/// PostgreSQL or MySQL/MariaDB and fill it. Prints the query a `sql` source runs on it.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Database URL, `postgres://user:password@host:5432/db` or `mysql://…`. From the
    /// environment by default, so the password stays out of the process list.
    #[arg(long, env = "RURALSYNC_SIM_DB_URL", hide_env_values = true)]
    pub url: String,
    /// Table to create; an existing table of that name is dropped first.
    #[arg(long, default_value = "jy_xm")]
    pub table: String,
    /// Seed of the generated data; the same seed and size give the HTTP simulator's data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of projects, including the five anchor records.
    #[arg(long, default_value_t = 5000)]
    pub records: usize,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    #[error("{0:?} is not a table name; use letters, digits and _")]
    TableName(String),
    #[error("the URL is not a postgres:// or mysql:// URL")]
    Scheme,
    #[error("{stage}: {error}")]
    Sql {
        stage: &'static str,
        error: sqlx::Error,
    },
    #[error("record {id}: field {field}: {message}")]
    Record {
        id: String,
        field: &'static str,
        message: String,
    },
}

/// Column types, by dialect.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text(u16),
    /// NUMERIC(18,4): amounts in 万元.
    Amount,
    /// NUMERIC, keeping the published scale (DECIMAL(18,4) in MySQL).
    Area,
    Date,
    Timestamp,
}

/// The table's columns: platform field, column name, type.
const COLUMNS: &[(&str, &str, Kind)] = &[
    ("项目编号", "xmbh", Kind::Text(32)),
    ("项目名称", "xmmc", Kind::Text(200)),
    ("交易品种", "jypz", Kind::Text(50)),
    ("交易方式", "jyfs", Kind::Text(20)),
    ("流转方式", "lzfs", Kind::Text(20)),
    ("项目状态", "xmzt", Kind::Text(20)),
    ("行政区划代码", "xzqhdm", Kind::Text(12)),
    ("坐落", "zl", Kind::Text(200)),
    ("面积", "mj", Kind::Area),
    ("面积单位", "mjdw", Kind::Text(10)),
    ("流转期限", "lzqx", Kind::Text(20)),
    ("挂牌价(万元)", "gpj", Kind::Amount),
    ("成交价(万元)", "cjj", Kind::Amount),
    ("成交日期", "cjrq", Kind::Date),
    ("转出方", "zcf", Kind::Text(200)),
    ("转出方类型", "zcflx", Kind::Text(10)),
    ("转出方证件号码", "zcfzjhm", Kind::Text(32)),
    ("转出方联系电话", "zcflxdh", Kind::Text(32)),
    ("受让方", "srf", Kind::Text(200)),
    ("受让方类型", "srflx", Kind::Text(10)),
    ("受让方证件号码", "srfzjhm", Kind::Text(32)),
    ("受让方联系电话", "srflxdh", Kind::Text(32)),
    ("更新时间", "gxsj", Kind::Timestamp),
];

/// Rows per INSERT statement.
const BATCH_ROWS: usize = 500;

/// 更新时间 as the simulator publishes it.
const UPDATED_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Every project of the simulator for `seed` and `records` (clean profile), as the HTTP
/// API serves them, in its order (更新时间, 项目编号).
pub fn dataset(seed: u64, records: usize) -> Vec<Value> {
    let sim = Simulator::new(SimConfig {
        seed,
        records,
        ..SimConfig::default()
    });
    let page = sim.page(
        None,
        Window::Offset {
            offset: 0,
            limit: usize::MAX,
        },
    );
    // The simulator renders valid JSON objects separated by commas.
    serde_json::from_str(&format!("[{}]", page.records)).expect("simulator renders valid JSON")
}

/// The query a `sql` source runs on the seeded `table`: the columns aliased back to the
/// platform's field names. Double-quoted aliases work in PostgreSQL and MySQL alike.
pub fn select_query(table: &str) -> String {
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(field, column, _)| format!("{column} AS \"{field}\""))
        .collect();
    format!("SELECT {} FROM {table}", columns.join(", "))
}

/// A connection to either database.
enum Db {
    Postgres(PgConnection),
    MySql(MySqlConnection),
}

impl Db {
    async fn connect(url: &str) -> Result<Db, SeedError> {
        let sql = |error| SeedError::Sql {
            stage: "connecting",
            error,
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::Postgres(PgConnection::connect(url).await.map_err(sql)?))
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            let url = url.replacen("mariadb://", "mysql://", 1);
            Ok(Db::MySql(
                MySqlConnection::connect(&url).await.map_err(sql)?,
            ))
        } else {
            Err(SeedError::Scheme)
        }
    }

    async fn execute(&mut self, stage: &'static str, sql: &str) -> Result<(), SeedError> {
        let done = match self {
            Db::Postgres(c) => c.execute(sql).await.map(drop),
            Db::MySql(c) => c.execute(sql).await.map(drop),
        };
        done.map_err(|error| SeedError::Sql { stage, error })
    }

    fn column_type(&self, kind: Kind) -> String {
        let postgres = matches!(self, Db::Postgres(_));
        match kind {
            Kind::Text(n) => format!("VARCHAR({n})"),
            Kind::Amount => "NUMERIC(18,4)".into(),
            Kind::Area if postgres => "NUMERIC".into(),
            Kind::Area => "DECIMAL(18,4)".into(),
            Kind::Date => "DATE".into(),
            Kind::Timestamp if postgres => "TIMESTAMP".into(),
            Kind::Timestamp => "DATETIME".into(),
        }
    }
}

/// One cell, typed for binding.
enum Cell {
    Text(Option<String>),
    Decimal(Option<Decimal>),
    Date(Option<NaiveDate>),
    Timestamp(Option<NaiveDateTime>),
}

fn cells(record: &Value) -> Result<Vec<Cell>, SeedError> {
    let id = record["项目编号"].as_str().unwrap_or("?").to_owned();
    COLUMNS
        .iter()
        .map(|&(field, _, kind)| {
            let text = match &record[field] {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                other => Some(other.to_string()),
            };
            let bad = |message: String| SeedError::Record {
                id: id.clone(),
                field,
                message,
            };
            Ok(match kind {
                Kind::Text(_) => Cell::Text(text),
                Kind::Amount | Kind::Area => Cell::Decimal(
                    text.map(|t| Decimal::from_str(&t).map_err(|e| bad(format!("{t:?}: {e}"))))
                        .transpose()?,
                ),
                Kind::Date => {
                    Cell::Date(text.map(|t| published_date(&t).map_err(bad)).transpose()?)
                }
                Kind::Timestamp => Cell::Timestamp(
                    text.map(|t| {
                        NaiveDateTime::parse_from_str(&t, UPDATED_FORMAT)
                            .map_err(|e| bad(format!("{t:?}: {e}")))
                    })
                    .transpose()?,
                ),
            })
        })
        .collect()
}

/// The clean profile's 成交日期 styles, as `record` writes them.
const DATE_FORMATS: &[&str] = &["%Y年%m月%d日", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d", "%Y.%m.%d"];

/// 成交日期 as the simulator publishes it, read back into a date for the typed column.
/// The simulator reads its own five styles: the daemon's date parser is what the `sql`
/// source's tests check against these rows, so it must not be the one that made them.
pub(crate) fn published_date(text: &str) -> Result<NaiveDate, String> {
    DATE_FORMATS
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("{text:?} is not a date in one of the styles {DATE_FORMATS:?}"))
}

fn check_table(table: &str) -> Result<(), SeedError> {
    if table.is_empty()
        || !table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(SeedError::TableName(table.to_owned()));
    }
    Ok(())
}

/// Drop and create `table` with its index, then insert `records` (simulator records, as
/// [`dataset`] returns them). Returns the number of rows inserted.
///
/// # Errors
/// [`SeedError`] for a bad table name or URL, a database error, or a record whose
/// amounts, dates or times do not fit the typed columns.
pub async fn seed(url: &str, table: &str, records: &[Value]) -> Result<u64, SeedError> {
    check_table(table)?;
    let mut db = Db::connect(url).await?;
    db.execute(
        "dropping the table",
        &format!("DROP TABLE IF EXISTS {table}"),
    )
    .await?;
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|&(_, column, kind)| {
            let not_null = if column == "xmbh" { " PRIMARY KEY" } else { "" };
            format!("{column} {}{not_null}", db.column_type(kind))
        })
        .collect();
    db.execute(
        "creating the table",
        &format!("CREATE TABLE {table} ({})", columns.join(", ")),
    )
    .await?;
    db.execute(
        "creating the index",
        &format!("CREATE INDEX {table}_gxsj_xmbh ON {table} (gxsj, xmbh)"),
    )
    .await?;
    insert_into(&mut db, table, records).await
}

/// Insert `records` (simulator records) into a table [`seed`] created.
///
/// # Errors
/// As [`seed`].
pub async fn insert(url: &str, table: &str, records: &[Value]) -> Result<u64, SeedError> {
    check_table(table)?;
    let mut db = Db::connect(url).await?;
    insert_into(&mut db, table, records).await
}

async fn insert_into(db: &mut Db, table: &str, records: &[Value]) -> Result<u64, SeedError> {
    let head = format!(
        "INSERT INTO {table} ({}) ",
        COLUMNS.iter().map(|c| c.1).collect::<Vec<_>>().join(", ")
    );
    let mut inserted = 0;
    for batch in records.chunks(BATCH_ROWS) {
        let rows = batch.iter().map(cells).collect::<Result<Vec<_>, _>>()?;
        let sql = |error| SeedError::Sql {
            stage: "inserting rows",
            error,
        };
        // The same statement for either driver; only sqlx's database type differs.
        macro_rules! insert {
            ($db:ty, $conn:expr) => {{
                let mut q = QueryBuilder::<$db>::new(&head);
                q.push_values(rows, |mut b, row| {
                    for cell in row {
                        match cell {
                            Cell::Text(v) => b.push_bind(v),
                            Cell::Decimal(v) => b.push_bind(v),
                            Cell::Date(v) => b.push_bind(v),
                            Cell::Timestamp(v) => b.push_bind(v),
                        };
                    }
                });
                q.build()
                    .execute(&mut *$conn)
                    .await
                    .map_err(sql)?
                    .rows_affected()
            }};
        }
        inserted += match db {
            Db::Postgres(c) => insert!(sqlx::Postgres, c),
            Db::MySql(c) => insert!(sqlx::MySql, c),
        };
    }
    Ok(inserted)
}

/// `ruralsync-sim seed-sql`.
///
/// # Errors
/// When the database cannot be reached or the rows cannot be written.
pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let records = dataset(args.seed, args.records);
    let inserted = seed(&args.url, &args.table, &records)
        .await
        .with_context(|| format!("cannot seed table {}", args.table))?;
    tracing::info!(
        table = %args.table,
        rows = inserted,
        seed = args.seed,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "table seeded"
    );
    println!("{}", select_query(&args.table));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_simulated_record_fits_the_typed_columns() {
        let records = dataset(7, 300);
        assert_eq!(records.len(), 300);
        for record in &records {
            let row = cells(record).unwrap();
            assert_eq!(row.len(), COLUMNS.len());
        }
        // Every field the simulator publishes has a column.
        let fields: std::collections::BTreeSet<&str> = COLUMNS.iter().map(|c| c.0).collect();
        for key in records[0].as_object().unwrap().keys() {
            assert!(fields.contains(key.as_str()), "no column for {key}");
        }
    }

    #[test]
    fn deal_dates_read_back_in_every_published_style() {
        let want = NaiveDate::from_ymd_opt(2023, 3, 31).unwrap();
        for text in [
            "2023年3月31日",
            "2023/3/31",
            "20230331",
            "2023-03-31",
            "2023.3.31",
        ] {
            assert_eq!(published_date(text), Ok(want), "{text}");
        }
        let err = published_date("2023年2月30日").unwrap_err();
        assert!(err.starts_with("\"2023年2月30日\" is not a date"), "{err}");
    }

    #[test]
    fn the_query_aliases_columns_to_platform_fields() {
        let q = select_query("jy_xm");
        assert!(
            q.starts_with("SELECT xmbh AS \"项目编号\", xmmc AS \"项目名称\""),
            "{q}"
        );
        assert!(q.ends_with("gxsj AS \"更新时间\" FROM jy_xm"), "{q}");
        assert!(matches!(
            check_table("jy_xm; DROP"),
            Err(SeedError::TableName(_))
        ));
    }
}
