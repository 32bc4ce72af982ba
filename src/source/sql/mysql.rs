//! MySQL and MariaDB: the wrapped query in their dialect, column types, values.
//!
//! The session's time zone is UTC (set at connect, whatever the URL says), so TIMESTAMP
//! columns are read and compared as instants; DATETIME columns are local times in the
//! source's zone. Zero dates (`0000-00-00`) are published as null.

use serde_json::Value;
use sqlx::mysql::{
    MySql, MySqlConnectOptions, MySqlConnection, MySqlRow, MySqlTypeInfo, MySqlValueRef,
};
use sqlx::{Column as _, Connection, Decode, Executor, Row, Statement, TypeInfo, ValueRef};

use super::pull::{Bind, Column, Dialect, RowAt, Run, SqlError};
use super::value::{self, Render, Stamp};

type Query<'q> = sqlx::query::Query<'q, MySql, sqlx::mysql::MySqlArguments>;

/// Run the pull on MySQL or MariaDB.
pub(super) async fn pull(run: &Run, options: &MySqlConnectOptions) -> Result<(), SqlError> {
    let Some(mut conn) = run.connect(MySqlConnection::connect_with(options)).await? else {
        return Ok(());
    };
    // The query is the operator's; ruralsync never writes upstream.
    (&mut conn)
        .execute("SET SESSION TRANSACTION READ ONLY")
        .await
        .map_err(|e| run.query_error("setting the session read-only", &e))?;
    let base = super::statement::wrap(&run.config.query);
    let statement = (&mut conn)
        .prepare(&base)
        .await
        .map_err(|e| run.query_error("preparing", &e))?;
    let columns: Vec<Column> = statement
        .columns()
        .iter()
        .map(|c| column(c.name(), c.type_info()))
        .collect();
    let (renders, updated) = run.check_columns(&columns)?;
    let sql = run.keyset_sql(&base, &DIALECT);
    tracing::debug!(source = %run.name, %sql, "sql query");
    let mut query = sqlx::query(&sql);
    for value in run.keyset_binds(updated) {
        query = match value {
            Bind::Stamp(at) => bind(query, at),
            Bind::Bytes(id) => query.bind(id),
        };
    }
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let updated_at = names.iter().position(|n| *n == run.config.updated_column);
    let (tz, format) = (run.config.timezone, run.config.pull.time_format.clone());
    let rows = query.fetch(&mut conn);
    run.page_rows(rows, |row, row_at| {
        render_row(row, &names, &renders, updated_at, tz, &format, row_at)
    })
    .await
}

/// MySQL/MariaDB: `` `identifiers` ``, `?` parameters.
const DIALECT: Dialect = Dialect {
    quote,
    param: |_| "?".to_owned(),
    id_bytes: |id| format!("CAST(CONVERT({id} USING utf8mb4) AS BINARY)"),
};

fn bind(query: Query<'_>, at: Stamp) -> Query<'_> {
    match at {
        Stamp::Naive(t) => query.bind(t),
        // Compared with TIMESTAMP columns in the session's zone, UTC.
        Stamp::Aware(t) => query.bind(t),
    }
}

/// An identifier in backticks.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn column(name: &str, ty: &MySqlTypeInfo) -> Column {
    Column {
        name: name.to_owned(),
        type_name: ty.name().to_owned(),
        render: render_for(ty.name()),
    }
}

fn render_for(type_name: &str) -> Option<Render> {
    Some(match type_name {
        "BOOLEAN" => Render::TinyBool,
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => Render::Int,
        "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "MEDIUMINT UNSIGNED" | "INT UNSIGNED"
        | "BIGINT UNSIGNED" => Render::UInt,
        "DECIMAL" => Render::Decimal,
        "FLOAT" => Render::Float32,
        "DOUBLE" => Render::Float64,
        "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            Render::Text
        }
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => Render::Bytes,
        "DATE" => Render::Date,
        "DATETIME" => Render::Timestamp,
        "TIMESTAMP" => Render::TimestampTz,
        "NULL" => Render::Null,
        // TIME (a duration), BIT, JSON (MySQL's binary form), GEOMETRY.
        _ => return None,
    })
}

fn render_row(
    row: &MySqlRow,
    names: &[String],
    renders: &[Render],
    updated_at: Option<usize>,
    tz: chrono_tz::Tz,
    format: &str,
    row_at: &RowAt<'_>,
) -> Result<(Value, Option<Stamp>), SqlError> {
    let mut object = serde_json::Map::with_capacity(names.len());
    let mut stamp = None;
    for (i, (name, render)) in names.iter().zip(renders).enumerate() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| row_at.value_error(name, "?", e.to_string()))?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            let type_name = raw.type_info().name().to_owned();
            let (value, at) = render_value(raw, *render, tz, format)
                .map_err(|message| row_at.value_error(name, &type_name, message))?;
            if Some(i) == updated_at {
                stamp = at;
            }
            value
        };
        object.insert(name.clone(), value);
    }
    Ok((Value::Object(object), stamp))
}

fn decode<'r, T: Decode<'r, MySql>>(raw: MySqlValueRef<'r>) -> Result<T, String> {
    T::decode(raw).map_err(|e| e.to_string())
}

/// `0000-00-00` (and a zero DATETIME): in the binary protocol a value of length 0.
fn is_zero_date(raw: &MySqlValueRef<'_>) -> Result<bool, String> {
    let bytes = decode::<&[u8]>(raw.clone())?;
    Ok(bytes.first() == Some(&0) || bytes.starts_with(b"0000-00-00"))
}

fn render_value(
    raw: MySqlValueRef<'_>,
    render: Render,
    tz: chrono_tz::Tz,
    format: &str,
) -> Result<(Value, Option<Stamp>), String> {
    let value = match render {
        Render::Null => Value::Null,
        Render::TinyBool | Render::Bool => match decode::<i64>(raw)? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            n => value::int(n),
        },
        Render::Int => value::int(decode(raw)?),
        Render::UInt => value::uint(decode(raw)?),
        // DECIMAL travels as its exact text in both protocols.
        Render::Decimal => Value::String(decode::<&str>(raw)?.to_owned()),
        Render::Float32 => value::float32(decode(raw)?),
        Render::Float64 => value::float64(decode(raw)?),
        Render::Text => Value::String(decode::<&str>(raw)?.to_owned()),
        Render::Bytes => match std::str::from_utf8(decode::<&[u8]>(raw)?) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => {
                return Err(
                    "binary data that is not UTF-8 text; convert it in the query (HEX(…) or TO_BASE64(…)) or leave it out"
                        .into(),
                )
            }
        },
        Render::Uuid => Value::String(decode::<&str>(raw)?.to_owned()),
        Render::Date if is_zero_date(&raw)? => Value::Null,
        Render::Date => value::date(decode(raw)?),
        Render::Timestamp | Render::TimestampTz if is_zero_date(&raw)? => Value::Null,
        Render::Timestamp => {
            let at = Stamp::Naive(decode(raw)?);
            return Ok((at.render(tz, format), Some(at)));
        }
        Render::TimestampTz => {
            let at = Stamp::Aware(decode(raw)?);
            return Ok((at.render(tz, format), Some(at)));
        }
    };
    Ok((value, None))
}
