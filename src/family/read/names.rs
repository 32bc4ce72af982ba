//! Checks of a family's `[fields]` table: names that must be set, and units.

use crate::normalize::parse::{AreaUnit, MoneyUnit};
use crate::settings::Invalid;

/// Every named field name must be set.
///
/// # Errors
/// [`Invalid`] at `<key>.<name>` for the first empty one.
pub fn require_names(key: &str, names: &[(&str, &String)]) -> Result<(), Invalid> {
    match names.iter().find(|(_, v)| v.trim().is_empty()) {
        Some((name, _)) => Err(Invalid::new(
            format!("{key}.{name}"),
            "is empty; expected the upstream field name",
        )),
        None => Ok(()),
    }
}

/// At least one of two alternative field names must be set.
///
/// # Errors
/// [`Invalid`] at the first one when both are empty.
pub fn require_one_of(key: &str, a: (&str, &String), b: (&str, &String)) -> Result<(), Invalid> {
    if a.1.trim().is_empty() && b.1.trim().is_empty() {
        return Err(Invalid::new(
            format!("{key}.{}", a.0),
            format!(
                "is empty and so is {}; one of them must name an upstream field",
                b.0
            ),
        ));
    }
    Ok(())
}

/// A money unit from config: `元` or `万元`.
///
/// # Errors
/// [`Invalid`] at `<key>.<name>` for another unit.
pub fn money_unit(key: &str, name: &str, text: &str) -> Result<MoneyUnit, Invalid> {
    MoneyUnit::from_text(text).ok_or_else(|| {
        Invalid::new(
            format!("{key}.{name}"),
            format!("unknown money unit {text:?}; valid: 元, 万元"),
        )
    })
}

/// An area unit from config; empty is none.
///
/// # Errors
/// [`Invalid`] at `<key>.<name>` for an unknown unit.
pub fn area_unit(key: &str, name: &str, text: &str) -> Result<Option<AreaUnit>, Invalid> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    AreaUnit::from_text(text).map(Some).ok_or_else(|| {
        Invalid::new(
            format!("{key}.{name}"),
            format!("unknown area unit {text:?}; valid: 亩, 分, 公顷, 平方米, 平方公里, or empty"),
        )
    })
}
