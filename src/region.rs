//! Administrative divisions (行政区划): the bundled 2023 table of Shanxi's statistical
//! division codes, down to every village.
//!
//! The normaliser validates region codes against it; the simulator reads the same CSV
//! with its own loader. The table is parsed once, on first use, from the CSV compiled into
//! the binary (`data/shanxi-divisions-2023.csv`, see `data/README.md` for its source).
//!
//! Codes: GB/T 2260 six digits for cities and counties, nine for towns, and the twelve-digit
//! statistics code (county 6 + town 3 + village 3) for villages.
//!
//! Codes at any level resolve with [`Divisions::resolve_code_at_any_level`]: 12, 9 and 6
//! digits (and the 4- and 2-digit city and province forms where a field accepts them),
//! padded codes read at their significant level, retired codes mapped through the table of
//! code changes ([`changes`], `data/division-code-changes.csv`), and the answer says its
//! [`Level`] and its code padded to 12 digits.
//!
//! Names resolve to codes too ([`Divisions::resolve_place`], [`Divisions::resolve_names`],
//! and [`Divisions::resolve_in_text`] for a place inside free text).
//! Village-level names in the table carry the committee's suffix (`鸣谦村委会`,
//! `胡村村民委员会`, `羊毫街社区居民委员会`) while people write the place (`鸣谦村`, `胡村`,
//! `羊毫街社区`); both sides are reduced to the same key — see [`village_key`]. Village
//! names repeat (Jinzhong alone has 150 names shared by two to six villages), so a name
//! resolves only when it is unique within the context given, and otherwise fails listing
//! the candidates.

use std::collections::HashMap;
use std::sync::LazyLock;

use changes::CodeChanges as Changes;

const TABLE_CSV: &str = include_str!("../data/shanxi-divisions-2023.csv");

pub mod changes;
mod code;
mod free_text;

pub use changes::{ChangeKind, CodeChange, CodeChanges};
pub use code::{pad12, Candidate, RegionError, Resolved};
pub use free_text::MAX_TEXT_CHARS;

/// Suffixes of village committee names, longest first. Besides the standard 村民委员会 and
/// 村委会, the 2023 table has a few misspellings, kept here so those villages resolve too:
/// 崇串村村委员会, 高庄村村民委会, 岚峪村村民委员, 郝开村民员委会 (榆社县, 平遥县, 介休市),
/// 东南村村委 (临县).
const VILLAGE_SUFFIXES: &[&str] = &[
    "村民委员会",
    "村民员委会",
    "村委员会",
    "村民委会",
    "村民委员",
    "村委会",
    "村委",
];

/// Suffixes of neighbourhood committee names, longest first; 社区居委会区 is one misspelt
/// row (马脊梁社区居委会区, 大同).
const COMMUNITY_SUFFIXES: &[&str] = &[
    "社区居民委员会",
    "社区居委会区",
    "社区居委会",
    "居民委员会",
    "居委会",
];

/// Suffixes a town-level name may be written without in separately given names.
const TOWN_SUFFIXES: &[&str] = &["镇", "乡", "街道", "街道办事处"];
/// Suffixes a county-level name may be written without in separately given names.
const COUNTY_SUFFIXES: &[&str] = &["区", "县", "市"];

/// How many candidates an ambiguity message lists.
const CANDIDATES_SHOWN: usize = 5;

/// The province the table covers, in the GB/T 2260 form and by name.
const PROVINCE_CODE: &str = "140000";
const PROVINCE_NAME: &str = "山西省";

/// The longest chain of code changes followed (142429 → 140726 → 140703 is two).
const MAX_CHAIN: usize = 8;

/// Whether a village-level name is a village (村) or a neighbourhood (社区/居委会).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    Village,
    Community,
}

/// The key a village-level name is matched by: the place's own name without the
/// committee suffix and without the generic 村 or 社区, plus what kind of unit the name
/// says it is (`None` when it says neither).
///
/// The table and the records are reduced the same way, so `鸣谦村委会`, `鸣谦村` and
/// `鸣谦` meet at `鸣谦`, and `胡村村民委员会` and `胡村` at `胡`. The kind keeps
/// `修文村委会` (a village) apart from `修文社区居民委员会` (a neighbourhood in the same
/// town); a bare `修文` matches both, and is then ambiguous.
pub fn village_key(name: &str) -> (String, Option<UnitKind>) {
    let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    let strip = |s: &str, suffix: &str| -> Option<String> {
        s.strip_suffix(suffix)
            .filter(|rest| !rest.is_empty())
            .map(str::to_owned)
    };
    for suffix in VILLAGE_SUFFIXES {
        if let Some(base) = strip(&name, suffix) {
            let base = strip(&base, "村").unwrap_or(base);
            return (base, Some(UnitKind::Village));
        }
    }
    for suffix in COMMUNITY_SUFFIXES {
        if let Some(base) = strip(&name, suffix) {
            let base = strip(&base, "社区").unwrap_or(base);
            return (base, Some(UnitKind::Community));
        }
    }
    if let Some(base) = strip(&name, "社区") {
        return (base, Some(UnitKind::Community));
    }
    if let Some(base) = strip(&name, "村") {
        return (base, Some(UnitKind::Village));
    }
    (name, None)
}

/// Level of a division in the hierarchy, coarsest first: `Province < City < … < Village`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// 省 — the whole province; not a row of the table (see [`Divisions::province`]).
    Province,
    City,
    County,
    Town,
    Village,
}

/// One row of the division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: String,
}

impl Division {
    /// A village-level unit whose village digits are 2xx–4xx is a village committee
    /// (村民委员会); 0xx–1xx are neighbourhood committees (居委会).
    pub fn is_village_committee(&self) -> bool {
        self.level == Level::Village && matches!(self.code.as_bytes()[9], b'2'..=b'4')
    }
}

/// The whole table, indexed by code, by parent and by name.
#[derive(Debug)]
pub struct Divisions {
    rows: Vec<Division>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    /// Cities, counties and towns by full name, plus written aliases (晋中, 太谷县,
    /// 北关街道办事处).
    by_name: HashMap<String, Vec<usize>>,
    /// Village-level units by [`village_key`].
    villages_by_key: HashMap<String, Vec<usize>>,
    /// Names of towns abolished without a named successor, mapped to their county: a
    /// text may still name one (`榆次区什贴镇…`), and it then says no more than the county.
    abolished_names: HashMap<String, Vec<usize>>,
    /// Length of the longest name in `by_name`, in chars: bounds prefix matching.
    longest_name: usize,
    /// Retired codes and what became of them.
    changes: Changes,
    /// 山西省 itself, which the table has no row for.
    province: Division,
}

static SHANXI: LazyLock<Divisions> = LazyLock::new(|| {
    // The CSV is compiled in and covered by tests; failing to parse it is a build defect.
    Divisions::parse(TABLE_CSV).expect("bundled division table is well formed")
});

impl Divisions {
    /// The bundled Shanxi 2023 table.
    pub fn shanxi() -> &'static Divisions {
        &SHANXI
    }

    fn parse(csv_text: &str) -> Result<Divisions, String> {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| format!("row {}: {e}", i + 2))?;
            let level = match &record[2] {
                "city" => Level::City,
                "county" => Level::County,
                "town" => Level::Town,
                "village" => Level::Village,
                other => return Err(format!("row {}: unknown level {other:?}", i + 2)),
            };
            rows.push(Division {
                code: record[0].to_owned(),
                name: record[1].to_owned(),
                level,
                parent_code: record[3].to_owned(),
            });
        }
        let by_code: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in rows.iter().enumerate() {
            children.entry(d.parent_code.clone()).or_default().push(i);
        }
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut villages_by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in rows.iter().enumerate() {
            match d.level {
                Level::Village => {
                    villages_by_key
                        .entry(village_key(&d.name).0)
                        .or_default()
                        .push(i);
                }
                Level::City => {
                    by_name.entry(d.name.clone()).or_default().push(i);
                    if let Some(short) = d.name.strip_suffix('市') {
                        by_name.entry(short.to_owned()).or_default().push(i);
                    }
                }
                Level::County => by_name.entry(d.name.clone()).or_default().push(i),
                // The table's level column has no province (see `parse`'s level match).
                Level::Province => {}
                Level::Town => {
                    by_name.entry(d.name.clone()).or_default().push(i);
                    if d.name.ends_with("街道") {
                        by_name
                            .entry(format!("{}办事处", d.name))
                            .or_default()
                            .push(i);
                    }
                }
            }
        }
        let mut divisions = Divisions {
            rows,
            by_code,
            children,
            by_name,
            villages_by_key,
            abolished_names: HashMap::new(),
            longest_name: 0,
            changes: Changes::bundled()?,
            province: Division {
                code: PROVINCE_CODE.to_owned(),
                name: PROVINCE_NAME.to_owned(),
                level: Level::Province,
                parent_code: String::new(),
            },
        };
        divisions.index_retired_names()?;
        divisions.longest_name = divisions
            .by_name
            .keys()
            .chain(divisions.abolished_names.keys())
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        Ok(divisions)
    }

    /// Names from the change table that records still write: a retired county, town or
    /// city name resolves to its successors (太谷县 → 太谷区, 明星镇 → 水秀镇, 城区 of
    /// 大同 → 平城区 and 云冈区), and an abolished town's name to its county.
    fn index_retired_names(&mut self) -> Result<(), String> {
        let mut named: Vec<(String, usize)> = Vec::new();
        let mut abolished: Vec<(String, usize)> = Vec::new();
        for change in self.changes.all() {
            let Some(new) = &change.new_code else {
                let county = self.current_code(&change.old_code[..6]);
                let i = county
                    .and_then(|c| self.by_code.get(&c).copied())
                    .ok_or_else(|| {
                        format!(
                            "abolished {} is in no county of the table",
                            change.describe()
                        )
                    })?;
                abolished.push((change.old_name.clone(), i));
                continue;
            };
            let i = self
                .current_code(new)
                .and_then(|c| self.by_code.get(&c).copied())
                .ok_or_else(|| format!("{} leads to no code of the table", change.describe()))?;
            if self.rows[i].name != change.old_name {
                named.push((change.old_name.clone(), i));
            }
        }
        for (name, i) in named {
            let rows = self.by_name.entry(name).or_default();
            if !rows.contains(&i) {
                rows.push(i);
            }
        }
        for (name, i) in abolished {
            let rows = self.abolished_names.entry(name).or_default();
            if !rows.contains(&i) {
                rows.push(i);
            }
        }
        Ok(())
    }

    /// Today's code for a code that is current or was recoded, merged or renamed (a chain
    /// such as 142429 → 140726 → 140703 followed to its end); `None` for a split, an
    /// abolished code or one the tables do not know.
    fn current_code(&self, code: &str) -> Option<String> {
        let mut code = code.to_owned();
        // Each step follows one row, and the table has fewer rows than this bound.
        for _ in 0..MAX_CHAIN {
            if self.by_code.contains_key(&code) {
                return Some(code);
            }
            match self.changes.retiring(&code).as_slice() {
                [one] => code = one.new_code.clone()?,
                _ => return None,
            }
        }
        None
    }

    /// The division with exactly this code, if the table has it.
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code).map(|&i| &self.rows[i])
    }

    /// Direct children of a division (counties of a city, towns of a county, …).
    pub fn children(&self, code: &str) -> impl Iterator<Item = &Division> {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .map(|&i| &self.rows[i])
    }

    /// The county a 12-digit village code or 9-digit town code belongs to, with retired
    /// county codes mapped to today's.
    pub fn county_code_of(code: &str) -> Option<&'static str> {
        let table = Divisions::shanxi();
        let county = table.current_code(code.get(..6)?)?;
        table.get(&county).map(|d| d.code.as_str())
    }

    /// Resolve a 12-digit village code, mapping a retired county prefix (140726 → 140703)
    /// to today's. Returns the division as the 2023 table has it.
    pub fn resolve_village(&self, code: &str) -> Option<&Division> {
        if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(d) = self.get(code).filter(|d| d.level == Level::Village) {
            return Some(d);
        }
        self.resolve_code_at_any_level(code, Level::Village)
            .ok()
            .map(|r| r.division)
            .filter(|d| d.level == Level::Village)
    }

    /// The division a code names at any level (6, 9 or 12 digits), with retired county
    /// prefixes mapped to today's.
    pub fn resolve_code(&self, code: &str) -> Option<&Division> {
        self.index_of_code(code).map(|i| &self.rows[i])
    }

    fn index_of_code(&self, code: &str) -> Option<usize> {
        if let Some(&i) = self.by_code.get(code) {
            return Some(i);
        }
        self.map_code(code, code).ok().map(|(i, _)| i)
    }

    /// The names from the city down to `d`: `晋中市榆次区乌金山镇鸣谦村委会`.
    pub fn path(&self, d: &Division) -> String {
        let mut names = vec![d.name.as_str()];
        let mut parent = d.parent_code.as_str();
        while let Some(p) = self.get(parent) {
            names.push(p.name.as_str());
            parent = p.parent_code.as_str();
        }
        names.reverse();
        names.concat()
    }

    /// Resolve a written place (坐落) to the most specific division it names:
    /// `榆次区乌金山镇鸣谦村`, `晋中市榆次区乌金山镇鸣谦村`, `山西省晋中市…`,
    /// `太谷县胡村镇胡村` (the retired county name), `乌金山镇鸣谦村`, `榆次区乌金山镇`.
    /// Levels may be left out, but those given must be in order, city → county → town →
    /// village, and city, county and town names must be written in full (the village is
    /// matched by [`village_key`]). `within` restricts the search to a division's
    /// subtree (a source that only covers 晋中市 passes `Some("140700")`).
    ///
    /// Every way of reading the text is tried; the answer must be the same division for
    /// all readings that match.
    ///
    /// # Errors
    /// When nothing matches, or several divisions do (the message lists a few with
    /// their codes), or `within` is not a known code.
    pub fn resolve_place(&self, text: &str, within: Option<&str>) -> Result<&Division, String> {
        let scope = self.scope(within)?;
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if matches!(compact.as_str(), "" | "山西" | "山西省") {
            return Err(format!(
                "{text:?} names no place below the province; expected e.g. 榆次区乌金山镇鸣谦村"
            ));
        }
        // The province may be written or not; a name may also begin with 山西 itself
        // (山西转型综合改革示范区), so both readings are tried.
        let readings = [
            Some(compact.as_str()),
            compact.strip_prefix("山西省"),
            compact.strip_prefix("山西"),
        ];
        let mut found = Vec::new();
        for rest in readings.into_iter().flatten().filter(|r| !r.is_empty()) {
            self.read_place(rest, Level::City, scope, None, &mut found);
        }
        self.one(text, found, scope)
    }

    /// Resolve a place given as separate fields (县/区, 乡镇/街道, 村/社区), each optional
    /// and each a name or a code. Names may leave out their suffix (`榆次` for 榆次区,
    /// `乌金山` for 乌金山镇); the village is matched by [`village_key`]. The answer is the
    /// most specific division named, and must be unique within `within` and the levels
    /// given: `resolve_names(None, None, Some("胡村镇"), Some("胡村"))` is unique in
    /// Shanxi, `Some("胡村")` alone is not.
    ///
    /// # Errors
    /// When a level matches nothing within the others, the result is ambiguous (the
    /// message lists candidates), or no level is given.
    pub fn resolve_names(
        &self,
        within: Option<&str>,
        county: Option<&str>,
        town: Option<&str>,
        village: Option<&str>,
    ) -> Result<&Division, String> {
        let scope = self.scope(within)?;
        fn given(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        let (county, town, village) = (given(county), given(town), given(village));
        let described = [county, town, village]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" / ");
        let mut scopes: Vec<usize> = match scope {
            Some(i) => vec![i],
            None => Vec::new(),
        };
        let mut deepest: Option<Vec<usize>> = None;
        for (name, level, suffixes) in [
            (county, Level::County, COUNTY_SUFFIXES),
            (town, Level::Town, TOWN_SUFFIXES),
        ] {
            let Some(name) = name else { continue };
            let matches: Vec<usize> = self
                .named(name, level, suffixes)
                .into_iter()
                .filter(|&i| scopes.is_empty() || scopes.iter().any(|&s| self.contains(s, i)))
                .collect();
            if matches.is_empty() {
                let context = if scopes.is_empty() {
                    "Shanxi".to_owned()
                } else {
                    self.describe(&scopes)
                };
                return Err(format!(
                    "{described}: no {} named {name:?} in {context}",
                    level_word(level)
                ));
            }
            scopes = matches.clone();
            deepest = Some(matches);
        }
        let candidates = match village {
            Some(v) if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) => {
                let i = self
                    .index_of_code(v)
                    .filter(|&i| self.rows[i].level == Level::Village)
                    .ok_or_else(|| format!("{v:?} is not a village code in the 2023 table"))?;
                if !scopes.is_empty() && !scopes.iter().any(|&s| self.contains(s, i)) {
                    return Err(format!(
                        "{described}: village {v} is not in {}",
                        self.describe(&scopes)
                    ));
                }
                vec![i]
            }
            Some(v) => {
                let found = self.villages_named(v, &scopes);
                if found.is_empty() {
                    let context = if scopes.is_empty() {
                        "Shanxi".to_owned()
                    } else {
                        self.describe(&scopes)
                    };
                    return Err(format!("{described}: no village named {v:?} in {context}"));
                }
                found
            }
            None => deepest.ok_or_else(|| {
                "no place given: expected a county, town or village name".to_owned()
            })?,
        };
        self.one(&described, candidates, scope)
    }

    /// The row index of `within`'s division, `None` for all of Shanxi.
    fn scope(&self, within: Option<&str>) -> Result<Option<usize>, String> {
        within
            .map(|code| {
                self.index_of_code(code.trim())
                    .ok_or_else(|| format!("scope {code:?} is not a code in the 2023 table"))
            })
            .transpose()
    }

    /// Whether row `inner` is `outer` or below it.
    fn contains(&self, outer: usize, inner: usize) -> bool {
        let (o, i) = (&self.rows[outer], &self.rows[inner]);
        let significant = match o.level {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Town => 9,
            Level::Village => 12,
        };
        i.code.starts_with(&o.code[..significant.min(o.code.len())])
    }

    /// Rows at `level` called `name`, or `name` plus one of `suffixes`.
    fn named(&self, name: &str, level: Level, suffixes: &[&str]) -> Vec<usize> {
        if name.bytes().all(|b| b.is_ascii_digit()) {
            return self
                .index_of_code(name)
                .filter(|&i| self.rows[i].level == level)
                .into_iter()
                .collect();
        }
        let exact = |n: &str| {
            self.by_name
                .get(n)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| self.rows[i].level == level)
                .collect::<Vec<_>>()
        };
        let found = exact(name);
        if !found.is_empty() {
            return found;
        }
        let mut found: Vec<usize> = suffixes
            .iter()
            .flat_map(|s| exact(&format!("{name}{s}")))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Village-level rows matching `name` by key and kind, within any of `scopes` (all
    /// of the table when empty).
    fn villages_named(&self, name: &str, scopes: &[usize]) -> Vec<usize> {
        let (key, kind) = village_key(name);
        self.villages_by_key
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| kind.is_none() || village_key(&self.rows[i].name).1 == kind)
            .filter(|&i| scopes.is_empty() || scopes.iter().any(|&s| self.contains(s, i)))
            .collect()
    }

    /// Every reading of `rest` from `level` down, pushing the divisions it can name.
    /// `scope` is the innermost division named so far (or `within`); `last` the
    /// division the text named last, which is the answer when the text ends.
    fn read_place(
        &self,
        rest: &str,
        level: Level,
        scope: Option<usize>,
        last: Option<usize>,
        found: &mut Vec<usize>,
    ) {
        if rest.is_empty() {
            found.extend(last);
            return;
        }
        let next = match level {
            Level::Province => Level::City,
            Level::City => Level::County,
            Level::County => Level::Town,
            Level::Town => Level::Village,
            Level::Village => {
                let scopes: Vec<usize> = scope.into_iter().collect();
                found.extend(self.villages_named(rest, &scopes));
                return;
            }
        };
        // Name this level with a prefix of `rest`…
        for (end, _) in rest.char_indices().skip(1).take(self.longest_name) {
            self.read_named(&rest[..end], &rest[end..], level, next, scope, found);
        }
        self.read_named(rest, "", level, next, scope, found);
        // …or leave it out.
        self.read_place(rest, next, scope, last, found);
    }

    fn read_named(
        &self,
        name: &str,
        rest: &str,
        level: Level,
        next: Level,
        scope: Option<usize>,
        found: &mut Vec<usize>,
    ) {
        for (i, narrowed) in self.named_at(name, level, scope) {
            self.read_place(rest, next, Some(narrowed), Some(i), found);
        }
    }

    /// The single division among `found`, or a message saying there is none or several.
    fn one(
        &self,
        text: &str,
        mut found: Vec<usize>,
        scope: Option<usize>,
    ) -> Result<&Division, String> {
        found.sort_unstable();
        found.dedup();
        match found.as_slice() {
            [i] => Ok(&self.rows[*i]),
            [] => Err(format!(
                "{text:?} matches no division{}; expected e.g. 榆次区乌金山镇鸣谦村 or a 12-digit village code",
                scope.map_or(String::new(), |s| format!(" in {}", self.path(&self.rows[s])))
            )),
            many => Err(format!(
                "{text:?} is ambiguous: it matches {} divisions, e.g. {}; give the county or town",
                many.len(),
                self.describe(many)
            )),
        }
    }

    /// `晋中市榆次区乌金山镇鸣谦村委会 (140702100200), …` for the first few of `rows`.
    fn describe(&self, rows: &[usize]) -> String {
        let mut shown: Vec<String> = rows
            .iter()
            .take(CANDIDATES_SHOWN)
            .map(|&i| format!("{} ({})", self.path(&self.rows[i]), self.rows[i].code))
            .collect();
        if rows.len() > CANDIDATES_SHOWN {
            shown.push(format!("and {} more", rows.len() - CANDIDATES_SHOWN));
        }
        shown.join(", ")
    }
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Province => "province",
        Level::City => "city",
        Level::County => "county",
        Level::Town => "town",
        Level::Village => "village",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jinzhong_has_its_eleven_counties_and_villages() {
        let t = Divisions::shanxi();
        let counties: Vec<_> = t.children("140700").map(|d| d.code.as_str()).collect();
        assert_eq!(
            counties,
            [
                "140702", "140703", "140721", "140722", "140723", "140724", "140725", "140727",
                "140728", "140729", "140781"
            ]
        );
        let towns: Vec<_> = counties.iter().flat_map(|c| t.children(c)).collect();
        assert_eq!(towns.len(), 130);
        let villages: Vec<_> = towns
            .iter()
            .flat_map(|town| t.children(&town.code))
            .collect();
        assert_eq!(villages.len(), 2201);
        let committees = villages.iter().filter(|v| v.is_village_committee()).count();
        assert!((1900..2000).contains(&committees), "{committees}");
    }

    #[test]
    fn retired_taigu_county_code_maps_to_the_district() {
        let t = Divisions::shanxi();
        let village = t
            .children("140703")
            .flat_map(|town| t.children(&town.code))
            .next()
            .unwrap();
        let old = format!("140726{}", &village.code[6..]);
        assert_eq!(t.resolve_village(&old).unwrap().code, village.code);
        assert_eq!(Divisions::county_code_of(&old), Some("140703"));
        assert!(t.resolve_village("140701000000").is_none());
        assert!(t.resolve_village("14070212").is_none());
    }

    #[test]
    fn committee_names_and_written_names_meet_at_one_key() {
        use UnitKind::{Community, Village};
        // 20 cases
        let cases: &[(&str, &str, Option<UnitKind>)] = &[
            ("鸣谦村委会", "鸣谦", Some(Village)),
            ("鸣谦村", "鸣谦", Some(Village)),
            ("鸣谦", "鸣谦", None),
            ("胡村村民委员会", "胡", Some(Village)),
            ("胡村", "胡", Some(Village)),
            ("胡村庄村民委员会", "胡村庄", Some(Village)),
            ("胡村庄", "胡村庄", None),
            ("朝阳村民委员会", "朝阳", Some(Village)),
            ("崇串村村委员会", "崇串", Some(Village)),
            ("高庄村村民委会", "高庄", Some(Village)),
            ("岚峪村村民委员", "岚峪", Some(Village)),
            ("郝开村民员委会", "郝开", Some(Village)),
            ("东南村村委", "东南", Some(Village)),
            ("羊毫街社区居民委员会", "羊毫街", Some(Community)),
            ("羊毫街社区居委会", "羊毫街", Some(Community)),
            ("羊毫街社区", "羊毫街", Some(Community)),
            ("白文居委会", "白文", Some(Community)),
            ("马脊梁社区居委会区", "马脊梁", Some(Community)),
            ("金沙滩林场虚拟生活区", "金沙滩林场虚拟生活区", None),
            ("村", "村", None),
        ];
        for (name, key, kind) in cases {
            assert_eq!(village_key(name), ((*key).to_owned(), *kind), "{name}");
        }
    }

    /// Every village-level unit of Shanxi resolves from its own county, town and village
    /// names, both as one text and as separate fields.
    #[test]
    fn every_village_resolves_from_its_own_names() {
        let t = Divisions::shanxi();
        let mut checked = 0;
        for village in t.rows.iter().filter(|d| d.level == Level::Village) {
            let town = t.get(&village.parent_code).unwrap();
            let county = t.get(&town.parent_code).unwrap();
            let by_fields = t
                .resolve_names(
                    None,
                    Some(&county.code),
                    Some(&town.name),
                    Some(&village.name),
                )
                .map(|d| d.code.as_str());
            assert_eq!(by_fields, Ok(village.code.as_str()), "{}", t.path(village));
            let text = format!("{}{}{}", county.name, town.name, village.name);
            let by_text = t
                .resolve_place(&text, Some(&county.code))
                .map(|d| d.code.as_str());
            assert_eq!(by_text, Ok(village.code.as_str()), "{text}");
            checked += 1;
        }
        assert!(checked > 20_000, "{checked}");
    }
}
