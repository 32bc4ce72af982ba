//! A place named inside free text: a location (`晋中市榆次区乌金山镇鸣谦村东侧`), a project
//! name (`榆次区乌金山镇鸣谦村2023年耕地经营权出租项目`) or an owner's name
//! (`太谷区胡村镇胡村股份经济合作社`).
//!
//! **Longest match.** The place may start at the beginning of the text or wherever a city,
//! county or town name starts (`位于榆次区…`), and ends wherever its last name ends. It is
//! read city → county → town → village with levels left out as
//! [`Divisions::resolve_place`] allows, and with retired names (太谷县, 明星镇, an abolished
//! township's name, which says no more than its county). Of every reading, the longest
//! wins: `胡村镇胡村庄东` is 胡村庄, not 胡村. Readings of the longest length that name
//! different divisions are an ambiguity listing them, never a guess.
//!
//! A village name is matched by [`super::village_key`] on a prefix of what follows; in free
//! text the prefix must say it is a village or community (`…村`, `…社区`, `…村委会`) or be
//! at least two characters, so a stray character is not taken for a one-character village.
//! A village alone (no county or town before it) is read only at the very start of the
//! text. Only the first [`MAX_TEXT_CHARS`] characters are searched.

use super::code::{pad12, RegionError, Resolved};
use super::{village_key, Divisions, Level};

/// How much of a text is searched for a place, in characters (spaces removed first).
pub const MAX_TEXT_CHARS: usize = 200;

/// The longest village name tried, in characters (the table's longest is under 20).
const MAX_VILLAGE_CHARS: usize = 24;

/// A reading: how many characters of the text it consumed, and the division it named.
type Found = (usize, usize);

impl Divisions {
    /// The division a free text names, by longest match (see the module doc), restricted
    /// to `within` (a code) when given, at `coarsest` or finer.
    ///
    /// # Errors
    /// [`RegionError::NoMatch`] when no place is named, [`RegionError::Ambiguous`] listing
    /// the candidates, [`RegionError::TooCoarse`] when the text names only a coarser
    /// division than the field accepts, [`RegionError::Scope`] for an unknown `within`.
    pub fn resolve_in_text(
        &self,
        text: &str,
        within: Option<&str>,
        coarsest: Level,
    ) -> Result<Resolved<'_>, RegionError> {
        let scope = self.scope(within).map_err(|_| RegionError::Scope {
            within: within.unwrap_or_default().to_owned(),
        })?;
        let chars: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(MAX_TEXT_CHARS)
            .collect();
        let mut found = Vec::new();
        // The longest reading of the province's own name (山西省 or 山西) at a start.
        let mut province_len = 0;
        for start in self.starts(&chars) {
            let rest = &chars[start..];
            let province = ["山西省", "山西"]
                .iter()
                .find_map(|p| rest.strip_prefix(p).map(|r| (p.chars().count(), r)));
            let at_start = start == 0;
            self.read_prefix(rest, Level::City, scope, None, 0, at_start, &mut found);
            if let Some((n, r)) = province {
                province_len = province_len.max(n);
                self.read_prefix(r, Level::City, scope, None, n, true, &mut found);
            }
        }
        let longest = found.iter().map(|f| f.0).max().unwrap_or(0);
        // A text whose longest reading is the province's name names the province (山西省
        // is not the village 山西村 of 原平市).
        if longest == 0 || province_len >= longest {
            return self.province_or_nothing(text, province_len, scope, coarsest);
        }
        let mut rows: Vec<usize> = found
            .iter()
            .filter(|f| f.0 == longest)
            .map(|f| f.1)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        let [i] = rows.as_slice() else {
            return Err(RegionError::Ambiguous {
                text: text.to_owned(),
                count: rows.len(),
                candidates: self.candidates(&rows),
            });
        };
        let d = &self.rows[*i];
        let resolved = Resolved {
            division: d,
            level: d.level,
            code12: pad12(&d.code),
            mapped_through: Vec::new(),
        };
        self.not_coarser(text, resolved, coarsest)
    }

    /// A text naming only the province is the province where the field accepts it.
    fn province_or_nothing(
        &self,
        text: &str,
        province_len: usize,
        scope: Option<usize>,
        coarsest: Level,
    ) -> Result<Resolved<'_>, RegionError> {
        if province_len > 0 && scope.is_none() {
            let province = Resolved {
                division: &self.province,
                level: Level::Province,
                code12: pad12(&self.province.code),
                mapped_through: Vec::new(),
            };
            return self.not_coarser(text, province, coarsest);
        }
        Err(RegionError::NoMatch {
            text: text.to_owned(),
            scope: scope.map(|s| self.path(&self.rows[s])),
        })
    }

    /// Byte offsets where a place may start: the beginning, and every city, county or
    /// town name (current, retired or abolished) in the text.
    fn starts(&self, chars: &str) -> Vec<usize> {
        let mut starts = vec![0];
        for (at, _) in chars.char_indices().skip(1) {
            let rest = &chars[at..];
            let names_here = rest
                .char_indices()
                .skip(1)
                .map(|(end, _)| end)
                .chain([rest.len()])
                .take(self.longest_name)
                .any(|end| {
                    let name = &rest[..end];
                    self.by_name.contains_key(name) || self.abolished_names.contains_key(name)
                });
            if names_here || rest.starts_with("山西") {
                starts.push(at);
            }
        }
        starts
    }

    /// Every reading of a prefix of `rest` from `level` down, pushing what each names
    /// with the characters consumed so far. Unlike [`Divisions::resolve_place`]'s
    /// reading, text may remain after the place.
    #[allow(clippy::too_many_arguments)]
    fn read_prefix(
        &self,
        rest: &str,
        level: Level,
        scope: Option<usize>,
        last: Option<usize>,
        consumed: usize,
        at_start: bool,
        found: &mut Vec<Found>,
    ) {
        if let Some(l) = last {
            found.push((consumed, l));
        }
        if rest.is_empty() {
            return;
        }
        let next = match level {
            Level::Province => Level::City,
            Level::City => Level::County,
            Level::County => Level::Town,
            Level::Town => Level::Village,
            Level::Village => {
                if last.is_some() || at_start {
                    self.read_village_prefix(rest, scope, consumed, found);
                }
                return;
            }
        };
        for (end, _) in rest
            .char_indices()
            .skip(1)
            .chain([(rest.len(), ' ')])
            .take(self.longest_name)
        {
            let (name, after) = rest.split_at(end);
            let n = consumed + name.chars().count();
            for (i, narrowed) in self.named_at(name, level, scope) {
                self.read_prefix(after, next, Some(narrowed), Some(i), n, false, found);
            }
        }
        self.read_prefix(rest, next, scope, last, consumed, at_start, found);
    }

    /// Rows `name` names at `level` consistent with `scope`, each with the scope it
    /// narrows to; at the town level an abolished township's name names its county.
    pub(super) fn named_at(
        &self,
        name: &str,
        level: Level,
        scope: Option<usize>,
    ) -> Vec<(usize, usize)> {
        let current = self
            .by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter(|&&i| self.rows[i].level == level);
        let abolished = self
            .abolished_names
            .get(name)
            .into_iter()
            .flatten()
            .filter(|_| level == Level::Town);
        current
            .chain(abolished)
            // A name above the scope (晋中市 when the scope is 榆次区) is consistent if it
            // contains it; the scope then stays the narrower one.
            .filter_map(|&i| match scope {
                None => Some((i, i)),
                Some(s) if self.contains(s, i) => Some((i, i)),
                Some(s) if self.contains(i, s) => Some((i, s)),
                Some(_) => None,
            })
            .collect()
    }

    fn read_village_prefix(
        &self,
        rest: &str,
        scope: Option<usize>,
        consumed: usize,
        found: &mut Vec<Found>,
    ) {
        let scopes: Vec<usize> = scope.into_iter().collect();
        for (end, _) in rest
            .char_indices()
            .skip(1)
            .chain([(rest.len(), ' ')])
            .take(MAX_VILLAGE_CHARS)
        {
            let name = &rest[..end];
            let (key, kind) = village_key(name);
            if kind.is_none() && key.chars().count() < 2 {
                continue;
            }
            let n = consumed + name.chars().count();
            found.extend(
                self.villages_named(name, &scopes)
                    .into_iter()
                    .map(|i| (n, i)),
            );
        }
    }
}
