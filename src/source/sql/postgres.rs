//! PostgreSQL: the wrapped query in its dialect, its column types, its values.

use serde_json::Value;
use sqlx::postgres::{
    PgConnectOptions, PgConnection, PgRow, PgTypeInfo, PgTypeKind, PgValueFormat, PgValueRef,
    Postgres,
};
use sqlx::{Column as _, Connection, Decode, Executor, Row, Statement, TypeInfo, ValueRef};

use super::pull::{Bind, Column, Dialect, RowAt, Run, SqlError};
use super::value::{self, Render, Stamp};

type Query<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// Run the pull on PostgreSQL.
pub(super) async fn pull(run: &Run, options: &PgConnectOptions) -> Result<(), SqlError> {
    let Some(mut conn) = run.connect(PgConnection::connect_with(options)).await? else {
        return Ok(());
    };
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

/// PostgreSQL: `"identifiers"`, `$n` parameters.
const DIALECT: Dialect = Dialect {
    quote,
    param: |n| format!("${n}"),
    id_bytes: |id| format!("convert_to(CAST({id} AS TEXT), 'UTF8')"),
};

fn bind(query: Query<'_>, at: Stamp) -> Query<'_> {
    match at {
        Stamp::Naive(t) => query.bind(t),
        Stamp::Aware(t) => query.bind(t),
    }
}

/// An identifier in double quotes.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column(name: &str, ty: &PgTypeInfo) -> Column {
    Column {
        name: name.to_owned(),
        type_name: ty.name().to_owned(),
        render: render_for(ty),
    }
}

fn render_for(ty: &PgTypeInfo) -> Option<Render> {
    Some(match ty.name() {
        "BOOL" => Render::Bool,
        "INT2" | "INT4" | "INT8" => Render::Int,
        "NUMERIC" => Render::Decimal,
        "FLOAT4" => Render::Float32,
        "FLOAT8" => Render::Float64,
        // CHAR is bpchar; `UNKNOWN` a bare literal.
        "TEXT" | "VARCHAR" | "CHAR" | "NAME" | "UNKNOWN" | "citext" => Render::Text,
        "UUID" => Render::Uuid,
        "DATE" => Render::Date,
        "TIMESTAMP" => Render::Timestamp,
        "TIMESTAMPTZ" => Render::TimestampTz,
        "VOID" => Render::Null,
        _ => match ty.kind() {
            PgTypeKind::Enum(_) => Render::Text,
            PgTypeKind::Domain(base) => return render_for(base),
            _ => return None,
        },
    })
}

fn render_row(
    row: &PgRow,
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

fn decode<'r, T: Decode<'r, Postgres>>(raw: PgValueRef<'r>) -> Result<T, String> {
    T::decode(raw).map_err(|e| e.to_string())
}

fn render_value(
    raw: PgValueRef<'_>,
    render: Render,
    tz: chrono_tz::Tz,
    format: &str,
) -> Result<(Value, Option<Stamp>), String> {
    let binary = raw.format() == PgValueFormat::Binary;
    let value = match render {
        Render::Null => Value::Null,
        Render::Bool => Value::Bool(decode(raw)?),
        Render::Int if binary => {
            let b = raw.as_bytes().map_err(|e| e.to_string())?;
            value::int(match b.len() {
                2 => i64::from(i16::from_be_bytes([b[0], b[1]])),
                4 => i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
                8 => i64::from_be_bytes(b.try_into().map_err(|_| "bad integer")?),
                n => return Err(format!("an integer of {n} bytes")),
            })
        }
        Render::Int => value::int(decode::<&str>(raw)?.parse().map_err(|e| format!("{e}"))?),
        Render::UInt => value::uint(decode::<&str>(raw)?.parse().map_err(|e| format!("{e}"))?),
        Render::Decimal if binary => Value::String(value::pg_numeric_text(
            raw.as_bytes().map_err(|e| e.to_string())?,
        )?),
        Render::Decimal => Value::String(decode::<&str>(raw)?.to_owned()),
        Render::Float32 => value::float32(decode(raw)?),
        Render::Float64 => value::float64(decode(raw)?),
        Render::Text | Render::TinyBool => {
            let text = decode::<&str>(raw.clone())?;
            // bpchar pads with spaces PostgreSQL itself ignores (CAST(… AS TEXT) drops them).
            if raw.type_info().name() == "CHAR" {
                Value::String(text.trim_end_matches(' ').to_owned())
            } else {
                Value::String(text.to_owned())
            }
        }
        Render::Bytes => Value::String(decode::<String>(raw)?),
        Render::Uuid if binary => value::uuid(raw.as_bytes().map_err(|e| e.to_string())?)?,
        Render::Uuid => Value::String(decode::<&str>(raw)?.to_owned()),
        Render::Date => value::date(decode(raw)?),
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
