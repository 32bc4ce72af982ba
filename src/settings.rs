//! What every component's settings validation shares: the [`Invalid`] error (a dotted
//! key and what is wrong with it), the checks several tables make (time formats, lag
//! windows), and reading a TOML table into a serde type — tagged enums included — with
//! errors that name the key.
//!
//! A leaf: components (record families, source kinds) validate their own tables with it,
//! and [`crate::config`], which assembles them, imports them, never the other way round.

use std::time::Duration;

use chrono::TimeZone;
use chrono_tz::Tz;
use serde::de::DeserializeOwned;

/// A validation failure: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl Invalid {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A time format must render a time and read it back to the same second, or cursors
/// would drift.
///
/// # Errors
/// What is wrong with the format and what would be valid.
pub fn check_time_format(format: &str, tz: Tz) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "{format:?} is not a chrono time format; expected e.g. \"%Y-%m-%d %H:%M:%S\""
        ));
    }
    let sample = tz
        .with_ymd_and_hms(2023, 3, 31, 8, 9, 10)
        .single()
        .ok_or("time zone has no 2023-03-31 08:09:10")?;
    let text = sample.format(format).to_string();
    match crate::normalize::parse::local_timestamp(&text, format, tz) {
        Ok(back) if back == sample => Ok(()),
        _ => Err(format!(
            "{format:?} does not identify a time to the second (2023-03-31 08:09:10 renders as {text:?}); include date and %H:%M:%S"
        )),
    }
}

/// The longest lag window a source may reach back: 31 days. Longer windows re-read a
/// month of records on every pull, and absurd ones overflowed the date arithmetic (a
/// panic before this check existed).
pub const MAX_LAG_SECS: u64 = 31 * 24 * 3600;

/// A source's `lag_secs`, in range, as a duration.
///
/// # Errors
/// The value and the valid range.
pub fn check_lag_secs(secs: u64) -> Result<Duration, String> {
    if secs <= MAX_LAG_SECS {
        Ok(Duration::from_secs(secs))
    } else {
        Err(format!(
            "{secs} is out of range; expected 0 to {MAX_LAG_SECS} (31 days) seconds"
        ))
    }
}

/// Read `value`, the TOML value at `key`, as `T`. An error names the exact key at fault
/// (`key` and the path below it) and never quotes the value found, which may be a
/// secret: it says what kind of value it was and what was expected.
///
/// # Errors
/// [`Invalid`] at the key whose value does not fit `T`.
pub fn from_value<T: DeserializeOwned>(value: toml::Value, key: &str) -> Result<T, Invalid> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = match path.as_str() {
            "." | "" => key.to_owned(),
            path => format!("{key}.{path}"),
        };
        Invalid::new(at, without_values(e.inner().message()))
    })
}

/// A serde enum chosen by a tag key of a TOML table (`type = "sql"`, `kind = "bearer"`,
/// `family = "collective_asset"`): each variant holds what the table holds besides the
/// tag, and refuses keys it does not take.
///
/// [`tagged`] reads it. It hands serde the table as `{<tag value>: <the rest>}` —
/// serde's externally tagged form — rather than using `#[serde(tag = …)]`: the internally
/// tagged form buffers the variant before deserialising it, which loses the path of an
/// error inside it, so the message could not name the key at fault.
pub trait Tagged: DeserializeOwned {
    /// The tag's key, e.g. `type`.
    const TAG: &'static str;
    /// What the tag names, for messages: `unknown <WHAT> "x"; valid: …`.
    const WHAT: &'static str;
    /// The tag's valid values, as the variants are renamed, in the order messages list
    /// them.
    fn values() -> Vec<&'static str>;
    /// Checks of the table made once its tag is known to be valid, before serde reads
    /// it, for mistakes that deserve a message of their own.
    ///
    /// # Errors
    /// [`Invalid`] naming the key at fault.
    fn check(tag: &str, table: &toml::Table, key: &str) -> Result<(), Invalid> {
        let _ = (tag, table, key);
        Ok(())
    }
}

/// Read `table`, the TOML table at `key`, as the tagged enum `T`.
///
/// # Errors
/// [`Invalid`] at `<key>.<tag>` for a missing or unknown tag (naming the valid ones), or
/// at the key inside the table that the chosen variant refuses or cannot read.
pub fn tagged<T: Tagged>(mut table: toml::Table, key: &str) -> Result<T, Invalid> {
    let tag_key = format!("{key}.{}", T::TAG);
    let valid = || T::values().join(", ");
    let tag = match table.remove(T::TAG) {
        Some(toml::Value::String(tag)) if T::values().contains(&tag.as_str()) => tag,
        Some(toml::Value::String(other)) => {
            return Err(Invalid::new(
                tag_key,
                format!("unknown {} {other:?}; valid: {}", T::WHAT, valid()),
            ))
        }
        Some(other) => {
            return Err(Invalid::new(
                tag_key,
                format!(
                    "expected a string naming one of: {}; found {}",
                    valid(),
                    other.type_str()
                ),
            ))
        }
        None => {
            return Err(Invalid::new(
                tag_key,
                format!("is missing; expected one of: {}", valid()),
            ))
        }
    };
    T::check(&tag, &table, key)?;
    let outer = toml::Table::from_iter([(tag.clone(), toml::Value::Table(table))]);
    from_value(toml::Value::Table(outer), key).map_err(|mut e| {
        // The path starts with the tag value serde was handed as the variant's name.
        let rest = e
            .key
            .strip_prefix(&format!("{key}.{tag}"))
            .map(str::to_owned);
        if let Some(rest) = rest {
            // A key of the table itself (not of a table below it) that the variant
            // does not take.
            let own = rest.matches('.').count() == 1;
            if let Some(unknown) = e.message.strip_prefix("unknown field ").filter(|_| own) {
                e.message = format!(
                    "is not used by {} = {tag:?}: unknown field {unknown}",
                    T::TAG
                );
            }
            e.key = format!("{key}{rest}");
        }
        e
    })
}

/// serde's type errors quote the value found (`invalid type: string "…", expected u32`);
/// keep what kind of value it was and what was expected. toml's syntax messages name
/// expected tokens only; their lines are joined.
pub fn without_values(message: &str) -> String {
    let message = message.lines().collect::<Vec<_>>().join("; ");
    for prefix in ["invalid type: ", "invalid value: ", "invalid length: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
            let kind = found.split(['"', '`']).next().unwrap_or("").trim();
            return format!("{prefix}{kind} (value not shown), expected {expected}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        return format!("unknown variant (value not shown), expected {expected}");
    }
    message
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    enum Shape {
        Circle { radius: u32 },
        Square { side: u32, colour: Option<String> },
    }

    impl Tagged for Shape {
        const TAG: &'static str = "kind";
        const WHAT: &'static str = "shape";
        fn values() -> Vec<&'static str> {
            vec!["circle", "square"]
        }
    }

    fn read(text: &str) -> Result<Shape, Invalid> {
        tagged(toml::from_str(text).unwrap(), "shapes.a")
    }

    #[test]
    fn a_tagged_table_is_read_with_errors_naming_the_key() {
        assert_eq!(
            read("kind = \"circle\"\nradius = 3").unwrap(),
            Shape::Circle { radius: 3 }
        );
        let cases = [
            (
                "radius = 3",
                "shapes.a.kind",
                "is missing; expected one of: circle, square",
            ),
            (
                "kind = \"oval\"",
                "shapes.a.kind",
                "unknown shape \"oval\"; valid: circle, square",
            ),
            (
                "kind = 3",
                "shapes.a.kind",
                "expected a string naming one of: circle, square; found integer",
            ),
            (
                "kind = \"circle\"\nside = 2",
                "shapes.a.side",
                "is not used by kind = \"circle\": unknown field `side`, expected `radius`",
            ),
            (
                "kind = \"square\"\nside = \"secret\"",
                "shapes.a.side",
                "invalid type: string (value not shown), expected u32",
            ),
            ("kind = \"square\"", "shapes.a", "missing field `side`"),
        ];
        for (text, key, message) in cases {
            assert_eq!(
                read(text).unwrap_err(),
                Invalid::new(key, message),
                "{text}"
            );
        }
    }

    #[test]
    fn the_lag_window_is_bounded() {
        assert_eq!(check_lag_secs(60), Ok(Duration::from_secs(60)));
        assert_eq!(
            check_lag_secs(MAX_LAG_SECS),
            Ok(Duration::from_secs(2_678_400))
        );
        assert!(check_lag_secs(MAX_LAG_SECS + 1)
            .unwrap_err()
            .contains("expected 0 to 2678400 (31 days)"));
    }
}
