//! The village a record belongs to: a 12-digit code, else a written place or the name of
//! its collective.

use super::Reader;
use crate::normalize::parse;
use crate::normalize::{Reason, Rejection};
use crate::region::{Division, Divisions, Level};

impl Reader<'_> {
    /// The owning village: a 12-digit code from `region_field`, else the place
    /// `place_field` names (an organisation's suffix and group part set aside).
    ///
    /// # Errors
    /// [`Reason::UnknownRegion`] when the code or place is not a village of the 2023
    /// table (or the place is ambiguous), [`Reason::MissingField`] when neither is
    /// published.
    pub fn village(
        &self,
        region_field: &str,
        place_field: &str,
    ) -> Result<&'static Division, Rejection> {
        if let Some(code) = self.optional(region_field) {
            return parse::village_code(&code)
                .map_err(|m| self.reject(region_field, Reason::UnknownRegion, m));
        }
        let Some(place) = self.optional(place_field) else {
            return Err(self.reject(
                region_field,
                Reason::MissingField,
                format!(
                    "neither the village code {region_field:?} nor the owner {place_field:?} is published"
                ),
            ));
        };
        let d = Divisions::shanxi()
            .resolve_place(&place_of(&place), None)
            .map_err(|m| self.reject(place_field, Reason::UnknownRegion, m))?;
        if d.level != Level::Village {
            return Err(self.reject(
                place_field,
                Reason::UnknownRegion,
                format!(
                    "{place:?} names {} ({}), not a village",
                    Divisions::shanxi().path(d),
                    d.code
                ),
            ));
        }
        Ok(d)
    }
}

/// Suffixes of collective economic organisations' names, longest first.
const COLLECTIVE_SUFFIXES: &[&str] = &[
    "股份经济合作联合社",
    "股份经济合作社",
    "经济合作联合社",
    "股份经济联合社",
    "经济联合社",
    "经济合作社",
    "股份合作社",
    "经济合作联社",
    "合作联社",
    "集体经济组织",
    "经济组织",
];

/// The place an organisation's name or an owner field names: the collective's
/// suffix set aside (`鸣谦村股份经济合作社` → `鸣谦村`) and a group's part too
/// (`鸣谦村第一村民小组` → `鸣谦村`), since the division table stops at villages.
pub(crate) fn place_of(name: &str) -> String {
    let mut s: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(base) = COLLECTIVE_SUFFIXES
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix).filter(|b| !b.is_empty()))
    {
        s = base.to_owned();
    }
    if let Some(base) = ["村民小组", "小组", "组"]
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix).filter(|b| !b.is_empty()))
    {
        let base = base.trim_end_matches(|c: char| {
            c.is_ascii_digit() || "第一二三四五六七八九十百零〇两０１２３４５６７８９".contains(c)
        });
        if !base.is_empty() {
            s = base.to_owned();
        }
    }
    s
}
