//! Region codes at any level, and what a resolution answers: the division, its level, its
//! code padded to the 12-digit statistics form, and the code changes a retired code was
//! mapped through.
//!
//! A code's level is read from its significant digits: 12 (village), 9 (town), 6 (county),
//! 4 (city), 2 (province). Trailing zero groups are padding, as the statistics standard
//! writes a coarser division in 12 digits: `140702000000` is the county 140702,
//! `140702100000` the town 140702100, `140700` and `1407` the city, `140000` and `14` the
//! province. A field says the coarsest level it accepts; city- and province-wide records
//! (and so the 4- and 2-digit forms) are accepted only where a field says so.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::changes::{ChangeKind, CodeChange};
use super::{level_word, Division, Divisions, Level, CANDIDATES_SHOWN, MAX_CHAIN};

/// A division a code or a text resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The division as the 2023 table has it (for the province, [`Divisions::province`]).
    pub division: &'a Division,
    /// Its level: the most specific the code or text named.
    pub level: Level,
    /// Its code in the 12-digit statistics form, padded with zeros: 140702 →
    /// `140702000000`, 140702100 → `140702100000`, 山西省 → `140000000000`.
    pub code12: String,
    /// The changes a retired code was mapped through, oldest first (142429 → 140726 →
    /// 140703 is two); empty when the code was current or a name was resolved.
    pub mapped_through: Vec<&'a CodeChange>,
}

/// A division offered in a message: its code and its names from the city down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub code: String,
    pub path: String,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path, self.code)
    }
}

fn list(candidates: &[Candidate], more: usize) -> String {
    let mut shown: Vec<String> = candidates.iter().map(Candidate::to_string).collect();
    if more > 0 {
        shown.push(format!("and {more} more"));
    }
    shown.join(", ")
}

/// Why a code or a place did not resolve. Every message names the text read and what
/// would be valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    #[error("{text:?} is not a region code ({why}); expected {expected}")]
    NotACode {
        text: String,
        why: String,
        expected: String,
    },
    #[error("{text:?}: {why}")]
    Unknown { text: String, why: String },
    #[error("{text:?}: 140701 is the placeholder code of 晋中市's districts, not a real county")]
    Placeholder { text: String },
    #[error("{text:?}: {old} was split in {year} between {}; the old code cannot say which, so write the place's name or today's code", list(.candidates, 0))]
    Split {
        text: String,
        old: String,
        year: u16,
        candidates: Vec<Candidate>,
    },
    #[error("{text:?}: {old} was abolished in {year} and no successor is named; write the place's name or today's code")]
    Abolished {
        text: String,
        old: String,
        year: u16,
    },
    #[error("{text:?} lies under {change}, whose codes below were renumbered (no prefix rule holds for it, see data/README.md); write the place's name or today's code")]
    Renumbered { text: String, change: String },
    #[error("{text:?} names {found}, a {}; this field needs a {} or finer", level_word(*.level), level_word(*.coarsest))]
    TooCoarse {
        text: String,
        found: Candidate,
        level: Level,
        coarsest: Level,
    },
    #[error("{text:?} is ambiguous: it matches {count} divisions, {}; give the county or town", list(.candidates, .count - .candidates.len()))]
    Ambiguous {
        text: String,
        count: usize,
        candidates: Vec<Candidate>,
    },
    #[error("{text:?} names no division{}; expected a place such as 晋中市榆次区乌金山镇鸣谦村, or a region code", .scope.as_ref().map_or(String::new(), |s| format!(" in {s}")))]
    NoMatch { text: String, scope: Option<String> },
    #[error("scope {within:?} is not a code of the 2023 table")]
    Scope { within: String },
}

/// `code` padded with zeros to the 12-digit statistics form.
pub fn pad12(code: &str) -> String {
    format!("{code:0<12}")
}

/// The significant digits of a code and the level they name (see the module doc).
fn significant<'t>(text: &str, t: &'t str) -> Result<(&'t str, Level), RegionError> {
    let not = |why: String| {
        RegionError::NotACode {
        text: text.to_owned(),
        why,
        expected: "12 digits for a village (140702100200), 9 for a town (140702100), 6 for a county (140702), or 4 and 2 for a city and the province (1407, 14) where a field accepts them".to_owned(),
    }
    };
    if t.is_empty() {
        return Err(not("it is empty".to_owned()));
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not("it has characters other than digits".to_owned()));
    }
    let mut t = t;
    loop {
        let (padding, shorter, level) = match t.len() {
            12 => ("000", 9, Level::Village),
            9 => ("000", 6, Level::Town),
            6 => ("00", 4, Level::County),
            4 => ("00", 2, Level::City),
            2 => return Ok((t, Level::Province)),
            n => return Err(not(format!("it has {n} digits"))),
        };
        if t[shorter..] == *padding {
            t = &t[..shorter];
        } else {
            return Ok((t, level));
        }
    }
}

impl Divisions {
    /// 山西省 itself, level [`Level::Province`], code `140000`.
    pub fn province(&self) -> &Division {
        &self.province
    }

    /// A region code at any level down to `coarsest` (see the module doc), with retired
    /// codes mapped through the change table: `140702100200`, `140702100`, `140702`,
    /// `140702000000`, `140726101200` (→ 140703101200), `140726` (→ 140703). Full-width
    /// digits are read as digits (NFKC) and spaces are ignored.
    ///
    /// # Errors
    /// [`RegionError`]: not digits or a wrong length, a part the table does not know
    /// (saying which), the 140701 placeholder, a split or abolished division, a code under
    /// a renumbered division, or a level coarser than `coarsest`.
    pub fn resolve_code_at_any_level(
        &self,
        text: &str,
        coarsest: Level,
    ) -> Result<Resolved<'_>, RegionError> {
        let t: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
        let (digits, level) = significant(text, &t)?;
        let (division, mapped_through) = match level {
            Level::Province if digits == "14" => (&self.province, Vec::new()),
            Level::Province => {
                return Err(RegionError::Unknown {
                    text: text.to_owned(),
                    why: format!(
                        "province {digits} is not Shanxi (14), the only province the table covers"
                    ),
                })
            }
            Level::City => self.division_of(text, &format!("{digits}00"))?,
            _ => self.division_of(text, digits)?,
        };
        let resolved = Resolved {
            division,
            level: division.level,
            code12: pad12(&division.code),
            mapped_through,
        };
        self.not_coarser(text, resolved, coarsest)
    }

    /// `resolved`, unless its level is coarser than `coarsest`.
    pub(super) fn not_coarser<'a>(
        &self,
        text: &str,
        resolved: Resolved<'a>,
        coarsest: Level,
    ) -> Result<Resolved<'a>, RegionError> {
        if resolved.level >= coarsest {
            return Ok(resolved);
        }
        Err(RegionError::TooCoarse {
            text: text.to_owned(),
            found: self.candidate(resolved.division),
            level: resolved.level,
            coarsest,
        })
    }

    fn division_of(
        &self,
        text: &str,
        code: &str,
    ) -> Result<(&Division, Vec<&CodeChange>), RegionError> {
        if code.starts_with("140701") {
            return Err(RegionError::Placeholder {
                text: text.to_owned(),
            });
        }
        let (i, via) = self.map_code(text, code)?;
        Ok((&self.rows[i], via))
    }

    /// The row today's table has for `code`, following retired codes (exactly, or by the
    /// prefix rule) to their successor.
    pub(super) fn map_code(
        &self,
        text: &str,
        code: &str,
    ) -> Result<(usize, Vec<&CodeChange>), RegionError> {
        let mut code = code.to_owned();
        let mut via = Vec::new();
        for _ in 0..MAX_CHAIN {
            if let Some(&i) = self.by_code.get(&code) {
                return Ok((i, via));
            }
            let rows = self.changes.retiring(&code);
            if let Some(first) = rows.first() {
                code = self.successor(text, &rows)?;
                via.push(*first);
                continue;
            }
            match self.changes.retiring_prefix(&code) {
                Some((prefix, rows)) => match rows.as_slice() {
                    [one] if one.kind == ChangeKind::Recoded && one.prefix_rule => {
                        let new = one.new_code.as_deref().unwrap_or_default();
                        code = format!("{new}{}", &code[prefix.len()..]);
                        via.push(*one);
                    }
                    _ => {
                        return Err(RegionError::Renumbered {
                            text: text.to_owned(),
                            change: self.describe_change(&rows),
                        })
                    }
                },
                None => return Err(self.unknown(text, &code, &via)),
            }
        }
        Err(self.unknown(text, &code, &via))
    }

    /// The one code a retired code continues as, or why there is none.
    fn successor(&self, text: &str, rows: &[&CodeChange]) -> Result<String, RegionError> {
        match rows {
            [one] => one.new_code.clone().ok_or_else(|| RegionError::Abolished {
                text: text.to_owned(),
                old: format!("{} {}", one.old_code, one.old_name),
                year: one.effective_year,
            }),
            many => Err(RegionError::Split {
                text: text.to_owned(),
                old: format!("{} {}", many[0].old_code, many[0].old_name),
                year: many[0].effective_year,
                candidates: many
                    .iter()
                    .filter_map(|c| c.new_code.as_deref())
                    .filter_map(|new| self.current_code(new))
                    .filter_map(|new| self.get(&new))
                    .map(|d| self.candidate(d))
                    .collect(),
            }),
        }
    }

    fn describe_change(&self, rows: &[&CodeChange]) -> String {
        match rows {
            [one] => one.describe(),
            many => format!(
                "{} {}, split in {} between {}",
                many[0].old_code,
                many[0].old_name,
                many[0].effective_year,
                many.iter()
                    .map(|c| format!("{} {}", c.new_code.as_deref().unwrap_or("?"), c.new_name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Which part of `code` the table does not know: its county, its town or its village.
    fn unknown(&self, text: &str, code: &str, via: &[&CodeChange]) -> RegionError {
        let mapped = if via.is_empty() {
            String::new()
        } else {
            format!(
                " (read as {code} after {})",
                via.iter()
                    .map(|c| c.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let county = &code[..code.len().min(6)];
        let why = match self.get(county) {
            None if code.len() == 6 => format!("county {county} is not in the 2023 table of Shanxi nor in its table of code changes"),
            None => format!("county {county} is not in the 2023 table of Shanxi"),
            Some(c) if code.len() == 9 => format!("town {code} is not in {} ({})", c.name, c.code),
            Some(c) => match self.get(&code[..9]) {
                None => format!("town {} is not in {} ({})", &code[..9], c.name, c.code),
                Some(town) => format!(
                    "village {} is not in {} ({}) in the 2023 table",
                    &code[9..],
                    self.path(town),
                    town.code
                ),
            },
        };
        RegionError::Unknown {
            text: text.to_owned(),
            why: format!("{why}{mapped}"),
        }
    }

    pub(super) fn candidate(&self, d: &Division) -> Candidate {
        let path = if d.level == Level::Province {
            d.name.clone()
        } else {
            self.path(d)
        };
        Candidate {
            code: d.code.clone(),
            path,
        }
    }

    /// The first few of `rows` as candidates, and how many there are in all.
    pub(super) fn candidates(&self, rows: &[usize]) -> Vec<Candidate> {
        rows.iter()
            .take(CANDIDATES_SHOWN)
            .map(|&i| self.candidate(&self.rows[i]))
            .collect()
    }
}
