//! Helpers of the `sql` source's tests: which databases to use, configs, and the seeded
//! rows as the database itself prints them (the expectation the source's own decoding
//! is compared with).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sqlx::{Connection, Row};

/// A database under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Postgres,
    MariaDb,
}

impl Db {
    /// Environment variable holding its URL; `scripts/test` sets both.
    pub fn env_var(self) -> &'static str {
        match self {
            Db::Postgres => "RURALSYNC_TEST_PG_URL",
            Db::MariaDb => "RURALSYNC_TEST_MYSQL_URL",
        }
    }

    /// The URL, or `None` after printing why the test is skipped. A set variable whose
    /// database does not answer fails the test (when it connects), never skips it.
    pub fn url(self, test: &str) -> Option<String> {
        match std::env::var(self.env_var()) {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                eprintln!(
                    "SKIPPED {test}: {} is not set; run scripts/test (it starts the database with scripts/db and sets it)",
                    self.env_var()
                );
                None
            }
        }
    }
}

/// A table name no other test or run uses.
pub fn unique_table(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("t_{test}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// Write a config with one `sql` source reading `table` (seeded by
/// `ruralsync_sim::sql_seed`), its URL from `db`'s environment variable.
pub fn write_sql_config(
    dir: &Path,
    prefix: &str,
    source: &str,
    db: Db,
    table: &str,
    page_size: u32,
    sql_extra: &str,
) -> PathBuf {
    let path = dir.join("ruralsync.toml");
    let query = ruralsync_sim::sql_seed::select_query(table);
    std::fs::write(
        &path,
        format!(
            r#"
[kafka]
bootstrap_servers = "{bootstrap}"
topic_prefix = "{prefix}"
transactional_id_prefix = "{prefix}"
topic_partitions = 2
transaction_timeout_ms = 10000

[sources.{source}]
type = "sql"
family = "property_rights_transaction"
schedule = "0 0 * * * *"

[sources.{source}.sql]
url_env = "{var}"
query = '''{query}'''
updated_column = "更新时间"
id_column = "项目编号"
page_size = {page_size}
{sql_extra}
"#,
            bootstrap = super::common::bootstrap(),
            var = db.env_var(),
        ),
    )
    .unwrap();
    path
}

/// Platform field, column, and how the database prints it as text.
const COLUMNS: &[(&str, &str, Print)] = &[
    ("项目编号", "xmbh", Print::Text),
    ("项目名称", "xmmc", Print::Text),
    ("交易品种", "jypz", Print::Text),
    ("交易方式", "jyfs", Print::Text),
    ("流转方式", "lzfs", Print::Text),
    ("项目状态", "xmzt", Print::Text),
    ("行政区划代码", "xzqhdm", Print::Text),
    ("坐落", "zl", Print::Text),
    ("面积", "mj", Print::Cast),
    ("面积单位", "mjdw", Print::Text),
    ("流转期限", "lzqx", Print::Text),
    ("挂牌价(万元)", "gpj", Print::Cast),
    ("成交价(万元)", "cjj", Print::Cast),
    ("成交日期", "cjrq", Print::Date),
    ("转出方", "zcf", Print::Text),
    ("转出方类型", "zcflx", Print::Text),
    ("转出方证件号码", "zcfzjhm", Print::Text),
    ("转出方联系电话", "zcflxdh", Print::Text),
    ("受让方", "srf", Print::Text),
    ("受让方类型", "srflx", Print::Text),
    ("受让方证件号码", "srfzjhm", Print::Text),
    ("受让方联系电话", "srflxdh", Print::Text),
    ("更新时间", "gxsj", Print::Time),
];

#[derive(Debug, Clone, Copy)]
enum Print {
    Text,
    Cast,
    Date,
    Time,
}

/// Every row of `table` with the platform's field names, each value as the database
/// prints it (decimals by CAST to text, dates and times by the database's formatter),
/// sorted in the pipeline's position order (更新时间, then 项目编号 as text).
pub async fn rows_as_printed(db: Db, url: &str, table: &str) -> Vec<Value> {
    let select: Vec<String> = COLUMNS
        .iter()
        .map(|(_, c, print)| match (db, print) {
            (_, Print::Text) => c.to_string(),
            (Db::Postgres, Print::Cast) => format!("CAST({c} AS TEXT)"),
            (Db::Postgres, Print::Date) => format!("to_char({c}, 'YYYY-MM-DD')"),
            (Db::Postgres, Print::Time) => format!("to_char({c}, 'YYYY-MM-DD HH24:MI:SS')"),
            (Db::MariaDb, Print::Cast) => format!("CAST({c} AS CHAR)"),
            (Db::MariaDb, Print::Date) => format!("DATE_FORMAT({c}, '%Y-%m-%d')"),
            (Db::MariaDb, Print::Time) => format!("DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s')"),
        })
        .collect();
    let sql = format!("SELECT {} FROM {table}", select.join(", "));
    let texts: Vec<Vec<Option<String>>> = match db {
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(&sql)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| (0..COLUMNS.len()).map(|i| r.get(i)).collect())
                .collect()
        }
        Db::MariaDb => {
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::query(&sql)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| (0..COLUMNS.len()).map(|i| r.get(i)).collect())
                .collect()
        }
    };
    let mut rows: Vec<Value> = texts
        .into_iter()
        .map(|values| {
            let object: Map<String, Value> = COLUMNS
                .iter()
                .zip(values)
                .map(|((field, _, _), v)| (field.to_string(), v.map_or(Value::Null, Value::String)))
                .collect();
            Value::Object(object)
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &Value| {
            (
                r["更新时间"].as_str().unwrap().to_owned(),
                r["项目编号"].as_str().unwrap().to_owned(),
            )
        };
        key(a).cmp(&key(b))
    });
    rows
}

/// Run a statement against `url`.
pub async fn execute(db: Db, url: &str, sql: &str) {
    match db {
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Db::MariaDb => {
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}
