//! Retired division codes (`data/division-code-changes.csv`): which code took over from
//! which, when, and whether the codes below a re-coded division kept their digits.
//!
//! Codes change: 140726 太谷县 became 140703 太谷区 in 2019, 大同's 城区 was split between
//! 平城区 and 云冈区 in 2018, townships are merged into towns. A record written before a
//! change still carries the old code, so the old code is mapped, never dropped and never
//! guessed:
//! - **recoded** (one old code, one new code, same territory) maps to the new code;
//! - **merged** (several old codes into one new) maps to the new code;
//! - **renamed** keeps its code (only the name changed; the old name still resolves);
//! - **split** (one old code, several new) cannot be mapped by code: the candidates are named;
//! - **abolished** (no successor named by the source) cannot be mapped by code.
//!
//! **The prefix rule.** A code below a changed division (a village's 12-digit code under a
//! re-coded county) maps by replacing the old prefix with the new one, keeping the rest,
//! only where the table says `prefix_rule = yes`: a recoded division whose sub-codes were
//! checked to keep their digits across the change (see `data/README.md`). Below a merged,
//! split, abolished or unchecked division the sub-codes were renumbered, and an old
//! sub-code is refused naming the change: the place must then be resolved by its name.

use std::collections::HashMap;

use super::Level;

const CHANGES_CSV: &str = include_str!("../../data/division-code-changes.csv");

/// How a retired code relates to its successors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// Same territory under a new code.
    Recoded,
    /// Joined with other divisions into the successor.
    Merged,
    /// Divided between several successors (one row per successor).
    Split,
    /// Dissolved; the source names no successor.
    Abolished,
    /// Same code, new name.
    Renamed,
}

/// One row of the code change table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChange {
    pub old_code: String,
    pub old_name: String,
    /// `None` for an abolished division.
    pub new_code: Option<String>,
    pub new_name: String,
    pub level: Level,
    pub effective_year: u16,
    pub kind: ChangeKind,
    /// Whether codes below `old_code` map by replacing the prefix (see the module doc).
    pub prefix_rule: bool,
    pub source: String,
    pub note: String,
}

impl CodeChange {
    /// `140726 太谷县 → 140703 太谷区 (2019)`, for messages.
    pub fn describe(&self) -> String {
        match &self.new_code {
            Some(new) if new != &self.old_code => format!(
                "{} {} → {} {} ({})",
                self.old_code, self.old_name, new, self.new_name, self.effective_year
            ),
            Some(_) => format!(
                "{} {} renamed {} ({})",
                self.old_code, self.old_name, self.new_name, self.effective_year
            ),
            None => format!(
                "{} {} abolished ({})",
                self.old_code, self.old_name, self.effective_year
            ),
        }
    }
}

/// The change table indexed by old code (a split has one row per successor).
#[derive(Debug, Default)]
pub struct CodeChanges {
    rows: Vec<CodeChange>,
    by_old: HashMap<String, Vec<usize>>,
}

impl CodeChanges {
    /// The bundled table.
    pub(super) fn bundled() -> Result<CodeChanges, String> {
        CodeChanges::parse(CHANGES_CSV)
    }

    fn parse(text: &str) -> Result<CodeChanges, String> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let r = record.map_err(|e| format!("division-code-changes.csv line {line}: {e}"))?;
            rows.push(row(&r).map_err(|e| format!("division-code-changes.csv line {line}: {e}"))?);
        }
        let mut by_old: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in rows.iter().enumerate() {
            by_old.entry(c.old_code.clone()).or_default().push(i);
        }
        Ok(CodeChanges { rows, by_old })
    }

    /// Every row, in the file's order (by year, then old code).
    pub fn all(&self) -> &[CodeChange] {
        &self.rows
    }

    /// The rows retiring exactly `old_code` (renames excluded: the code is still in use).
    pub fn retiring(&self, old_code: &str) -> Vec<&CodeChange> {
        self.by_old
            .get(old_code)
            .into_iter()
            .flatten()
            .map(|&i| &self.rows[i])
            .filter(|c| c.kind != ChangeKind::Renamed)
            .collect()
    }

    /// The longest proper prefix of `code` (9 or 6 digits) that the table retires, with
    /// its rows.
    pub fn retiring_prefix<'s, 'c>(
        &'s self,
        code: &'c str,
    ) -> Option<(&'c str, Vec<&'s CodeChange>)> {
        [9, 6]
            .into_iter()
            .filter(|&n| n < code.len())
            .map(|n| &code[..n])
            .find_map(|prefix| {
                let rows = self.retiring(prefix);
                (!rows.is_empty()).then_some((prefix, rows))
            })
    }
}

fn row(r: &csv::StringRecord) -> Result<CodeChange, String> {
    let field = |i: usize| r.get(i).unwrap_or_default().trim().to_owned();
    let level = match field(4).as_str() {
        "city" => Level::City,
        "county" => Level::County,
        "town" => Level::Town,
        other => return Err(format!("level {other:?} is not city, county or town")),
    };
    let kind = match field(6).as_str() {
        "recoded" => ChangeKind::Recoded,
        "merged" => ChangeKind::Merged,
        "split" => ChangeKind::Split,
        "abolished" => ChangeKind::Abolished,
        "renamed" => ChangeKind::Renamed,
        other => {
            return Err(format!(
                "kind {other:?} is not recoded, merged, split, abolished or renamed"
            ))
        }
    };
    let prefix_rule = match field(7).as_str() {
        "yes" => true,
        "no" => false,
        other => return Err(format!("prefix_rule {other:?} is not yes or no")),
    };
    let new_code = Some(field(2)).filter(|c| !c.is_empty());
    if new_code.is_none() != (kind == ChangeKind::Abolished) {
        return Err("only an abolished division has no new_code".to_owned());
    }
    let effective_year = field(5)
        .parse()
        .map_err(|_| format!("effective_year {:?} is not a year", field(5)))?;
    Ok(CodeChange {
        old_code: field(0),
        old_name: field(1),
        new_code,
        new_name: field(3),
        level,
        effective_year,
        kind,
        prefix_rule,
        source: field(8),
        note: field(9),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_reads_and_says_what_it_knows() {
        let t = CodeChanges::bundled().unwrap();
        assert!(t.all().len() > 300, "{}", t.all().len());
        let taigu = t.retiring("140726");
        assert_eq!(taigu.len(), 1);
        assert_eq!(taigu[0].new_code.as_deref(), Some("140703"));
        assert_eq!(taigu[0].kind, ChangeKind::Recoded);
        assert!(taigu[0].prefix_rule);
        assert_eq!(taigu[0].effective_year, 2019);
        assert_eq!(taigu[0].describe(), "140726 太谷县 → 140703 太谷区 (2019)");
        let datong = t.retiring("140202");
        assert_eq!(datong.len(), 2);
        assert!(datong.iter().all(|c| c.kind == ChangeKind::Split));
        let (prefix, rows) = t.retiring_prefix("140726101200").unwrap();
        assert_eq!((prefix, rows.len()), ("140726", 1));
        let (prefix, rows) = t.retiring_prefix("140703100205").unwrap();
        assert_eq!((prefix, rows[0].kind), ("140703100", ChangeKind::Merged));
        assert!(t.retiring_prefix("140702100200").is_none());
        // Renamed towns keep their code: nothing retires it.
        assert!(t.retiring("140930100").is_empty());
    }

    #[test]
    fn malformed_rows_are_refused_naming_the_line() {
        let head = "old_code,old_name,new_code,new_name,level,effective_year,kind,prefix_rule,source,note\n";
        let cases: &[(&str, &str)] = &[
            ("1,a,2,b,village,2019,recoded,no,s,", "level \"village\""),
            ("1,a,2,b,county,2019,moved,no,s,", "kind \"moved\""),
            (
                "1,a,2,b,county,2019,recoded,maybe,s,",
                "prefix_rule \"maybe\"",
            ),
            ("1,a,,b,county,2019,recoded,no,s,", "only an abolished"),
            ("1,a,2,b,county,20x9,recoded,no,s,", "effective_year"),
        ];
        for (line, want) in cases {
            let err = CodeChanges::parse(&format!("{head}{line}\n")).unwrap_err();
            assert!(
                err.contains("line 2") && err.contains(want),
                "{line}: {err}"
            );
        }
    }
}
