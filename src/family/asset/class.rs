//! The class path of a ledger entry (`资源性资产/农用地/耕地`): the ledger it belongs to
//! and its most specific known class.

use super::AssetValues;
use crate::normalize::vocab::{AssetClass, AssetTopClass};

/// What a class path says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Classification {
    pub(super) top: AssetTopClass,
    pub(super) top_raw: Option<String>,
    pub(super) sub: Option<AssetClass>,
    pub(super) sub_raw: Option<String>,
    /// 经营性资产 / 非经营性资产 as a segment.
    pub(super) operating: Option<bool>,
}

/// Separators of class path segments: `资源性资产/农用地/耕地`, `资产>固定资产`,
/// `资源-农用地-耕地`, full-width forms included.
const PATH_SEPARATORS: &[char] = &[
    '/', '／', '\\', '＼', '>', '＞', '》', '→', '|', '｜', '-', '－', '—',
];

/// Read a class path. The top class comes from the separate field when published, else
/// from a first segment the vocabulary knows as a ledger, else from the class. The class
/// is the most specific segment (last first) the source's words or the built-in words
/// know; a path whose segments below the ledger are all unknown is `Other`.
pub(super) fn classify(
    path: &str,
    top_field: Option<&str>,
    values: &AssetValues,
) -> Classification {
    let segments: Vec<&str> = path
        .split(PATH_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let is_top = |s: &str| {
        values.top_class.contains(s) || AssetTopClass::from_word(s) != AssetTopClass::Other
    };
    let top_segment = segments.first().copied().filter(|s| is_top(s));
    let below: &[&str] = if top_segment.is_some() {
        &segments[1..]
    } else {
        &segments
    };
    let knows_class =
        |s: &str| values.sub_class.contains(s) || AssetClass::from_word(s) != AssetClass::Other;
    let sub = (!below.is_empty()).then(|| {
        below
            .iter()
            .rev()
            .find(|s| knows_class(s))
            .map_or(AssetClass::Other, |s| {
                values.sub_class.map(s, AssetClass::from_word)
            })
    });
    let (top, top_raw) = match top_field.or(top_segment) {
        Some(word) => (
            values.top_class.map(word, AssetTopClass::from_word),
            Some(word.to_owned()),
        ),
        None => (
            sub.and_then(AssetClass::top_class)
                .unwrap_or(AssetTopClass::Other),
            None,
        ),
    };
    let operating = segments.iter().find_map(|s| match *s {
        "经营性资产" | "经营性固定资产" => Some(true),
        "非经营性资产" | "非经营性固定资产" => Some(false),
        _ => None,
    });
    Classification {
        top,
        top_raw,
        sub,
        sub_raw: below.last().map(|s| (*s).to_owned()),
        operating,
    }
}
