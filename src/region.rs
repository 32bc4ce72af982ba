//! Administrative divisions (行政区划): the bundled 2023 table of Shanxi's statistical
//! division codes, down to every village.
//!
//! The normaliser validates region codes against it; the simulator takes its geography
//! from it. The table is parsed once, on first use, from the CSV compiled into the binary
//! (`data/shanxi-divisions-2023.csv`, see `data/README.md` for its source).
//!
//! Codes: GB/T 2260 six digits for cities and counties, nine for towns, and the twelve-digit
//! statistics code (county 6 + town 3 + village 3) for villages.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE_CSV: &str = include_str!("../data/shanxi-divisions-2023.csv");

/// County codes retired since the table's sources were published, mapped to today's code.
/// 140726 太谷县 became 140703 太谷区 in 2019.
const RETIRED_COUNTY_CODES: &[(&str, &str)] = &[("140726", "140703")];

/// Level of a division in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
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

/// The whole table, indexed by code and by parent.
#[derive(Debug)]
pub struct Divisions {
    rows: Vec<Division>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
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
        let by_code = rows
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in rows.iter().enumerate() {
            children.entry(d.parent_code.clone()).or_default().push(i);
        }
        Ok(Divisions {
            rows,
            by_code,
            children,
        })
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
        let county = code.get(..6)?;
        let county = RETIRED_COUNTY_CODES
            .iter()
            .find(|(old, _)| *old == county)
            .map_or(county, |(_, new)| *new);
        Divisions::shanxi().get(county).map(|d| d.code.as_str())
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
        let (county, rest) = code.split_at(6);
        let mapped = RETIRED_COUNTY_CODES
            .iter()
            .find(|(old, _)| *old == county)
            .map(|(_, new)| format!("{new}{rest}"))?;
        self.get(&mapped).filter(|d| d.level == Level::Village)
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
}
