//! The division table the simulator's geography comes from: the same file the daemon
//! bundles (`data/shanxi-divisions-2023.csv`, the National Bureau of Statistics' 2023
//! codes; see `data/README.md`), shared as data and read here by the simulator's own
//! loader, so no code of the daemon's region module stands between the table and the
//! generated records.
//!
//! The file is four plain columns, `code,name,level,parent_code`, with a header and no
//! quoting (no name contains a comma; a test keeps it so). It is compiled in.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The table, compiled in from the workspace's `data/`.
const TABLE_CSV: &str = include_str!("../../../data/shanxi-divisions-2023.csv");

/// The header the loader expects.
const HEADER: &str = "code,name,level,parent_code";

/// Level of a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    City,
    County,
    Town,
    Village,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Division {
    /// 6 digits (city, county), 9 (town), 12 (village level).
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub parent: &'static str,
}

impl Division {
    /// A village-level unit whose three village digits are 2xx–4xx is a village committee
    /// (村民委员会, or a unit numbered as one); 0xx–1xx are neighbourhood committees
    /// (居民委员会), which hold no farmland.
    pub fn is_village_committee(&self) -> bool {
        self.level == Level::Village && matches!(self.code.as_bytes().get(9), Some(b'2'..=b'4'))
    }
}

/// The rows in file order, indexed by parent (and by code, for the tests' lookups).
#[derive(Debug)]
pub(crate) struct Table {
    rows: Vec<Division>,
    children: HashMap<&'static str, Vec<usize>>,
    #[cfg(test)]
    by_code: HashMap<&'static str, usize>,
}

static SHANXI: LazyLock<Table> = LazyLock::new(|| {
    // The file is compiled in and read by a test; failing here is a build defect.
    Table::parse(TABLE_CSV).expect("the bundled division table is well formed")
});

impl Table {
    /// The bundled Shanxi 2023 table, read on first use.
    pub fn shanxi() -> &'static Table {
        &SHANXI
    }

    fn parse(text: &'static str) -> Result<Table, String> {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(format!("the first line is not {HEADER:?}"));
        }
        let rows = lines
            .enumerate()
            .map(|(i, line)| row(line).map_err(|e| format!("line {}: {e}: {line:?}", i + 2)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, d) in rows.iter().enumerate() {
            children.entry(d.parent).or_default().push(i);
        }
        Ok(Table {
            #[cfg(test)]
            by_code: rows.iter().enumerate().map(|(i, d)| (d.code, i)).collect(),
            rows,
            children,
        })
    }

    /// The division with exactly this code.
    #[cfg(test)]
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code).map(|&i| &self.rows[i])
    }

    /// Direct children of a division, in file order.
    pub fn children(&self, code: &str) -> impl Iterator<Item = &Division> {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .map(|&i| &self.rows[i])
    }
}

/// One line: four fields, a known level, a code of that level's length.
fn row(line: &'static str) -> Result<Division, String> {
    let fields: Vec<&'static str> = line.split(',').collect();
    let [code, name, level, parent] = fields[..] else {
        return Err(format!("{} fields, not 4", fields.len()));
    };
    let (level, digits) = match level {
        "city" => (Level::City, 6),
        "county" => (Level::County, 6),
        "town" => (Level::Town, 9),
        "village" => (Level::Village, 12),
        other => {
            return Err(format!(
                "level {other:?} is not city, county, town or village"
            ))
        }
    };
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("code {code:?} is not {digits} digits"));
    }
    Ok(Division {
        code,
        name,
        level,
        parent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_reads_whole() {
        let table = Table::parse(TABLE_CSV).unwrap();
        assert_eq!(table.rows.len(), TABLE_CSV.lines().count() - 1);
        assert!(!TABLE_CSV.contains('"'), "the loader does not unquote");
        let jinzhong = table.get("140700").unwrap();
        assert_eq!((jinzhong.name, jinzhong.level), ("晋中市", Level::City));
        assert_eq!(table.children("140700").count(), 11);
        let village = table.get("140702100200").unwrap();
        assert_eq!(village.name, "鸣谦村委会");
        assert!(village.is_village_committee());
        assert_eq!(village.parent, "140702100");
        // Every parent of a county, town or village is in the table.
        for d in &table.rows {
            if d.level != Level::City {
                assert!(table.get(d.parent).is_some(), "{d:?}");
            }
        }
    }

    #[test]
    fn malformed_lines_are_refused_with_their_line_number() {
        let err = Table::parse(
            "code,name,level,parent_code\n140700,晋中市,city,14\n1407,x,county,140700\n",
        )
        .unwrap_err();
        assert!(
            err.starts_with("line 3: code \"1407\" is not 6 digits"),
            "{err}"
        );
        let err =
            Table::parse("code,name,level,parent_code\n140700,晋中市,province,14\n").unwrap_err();
        assert!(err.contains("level \"province\""), "{err}");
        let err =
            Table::parse("code,name,level,parent_code\n140700,晋中,市,city,14\n").unwrap_err();
        assert!(err.contains("5 fields"), "{err}");
        assert!(Table::parse("id,name\n").is_err());
    }

    #[test]
    fn committees_are_told_from_neighbourhoods_by_the_village_digits() {
        let unit = |code| Division {
            code,
            name: "",
            level: Level::Village,
            parent: "",
        };
        assert!(unit("140702100200").is_village_committee());
        assert!(unit("140702100499").is_village_committee());
        assert!(!unit("140702100001").is_village_committee());
        assert!(!unit("140702100199").is_village_committee());
        assert!(!unit("140702100500").is_village_committee());
    }
}
