//! The simulator's geography: Jinzhong's counties, towns and village committees, taken
//! once from the bundled division table (read by the simulator's own `divisions` module
//! from the CSV the daemon bundles too) and flattened into index-addressed vectors so a
//! record can refer to its village by a `u16`.
//!
//! Public so the daemon's contract tests can walk every village the simulator may use.
//!
//! Only village committees (村民委员会) are kept: neighbourhood committees (居委会) and the
//! few development-zone "virtual communities" that carry village-committee codes do not
//! own farmland, so a rural exchange would not list projects for them.

use std::sync::LazyLock;

use crate::divisions::Table;

/// 晋中市 — the city whose exchange the simulator imitates.
pub const CITY_CODE: &str = "140700";

/// 太谷区 and the county code it had until 2019 (太谷县). Old county platforms still
/// publish the retired code, so a share of generated records carries it.
pub const TAIGU_CODE: &str = "140703";
pub const TAIGU_RETIRED_CODE: &str = "140726";
pub const TAIGU_RETIRED_NAME: &str = "太谷县";

/// A county (区/县/市) of Jinzhong.
#[derive(Debug)]
pub struct County {
    /// Six-digit GB/T 2260 code.
    pub code: &'static str,
    pub name: &'static str,
    /// Indices into [`Geography::villages`] of this county's village committees; villages
    /// are stored county by county, so this is a contiguous range.
    pub villages: std::ops::Range<usize>,
}

/// A township-level unit (乡/镇/街道).
#[derive(Debug)]
pub struct Town {
    pub name: &'static str,
}

/// A village committee.
#[derive(Debug)]
pub struct Village {
    /// Twelve-digit statistics code as the 2023 table has it.
    pub code: &'static str,
    /// Short name as people write it in an address: "鸣谦村", not "鸣谦村委会".
    pub name: String,
    /// Index into [`Geography::towns`].
    pub town: usize,
    /// Index into [`Geography::counties`].
    pub county: usize,
}

/// Jinzhong's village committees, county by county in table order.
#[derive(Debug)]
pub struct Geography {
    pub counties: Vec<County>,
    pub towns: Vec<Town>,
    pub villages: Vec<Village>,
}

static JINZHONG: LazyLock<Geography> = LazyLock::new(|| Geography::build(Table::shanxi()));

impl Geography {
    /// Jinzhong, built on first use.
    pub fn jinzhong() -> &'static Geography {
        &JINZHONG
    }

    fn build(table: &'static Table) -> Geography {
        let mut counties = Vec::new();
        let mut towns = Vec::new();
        let mut villages = Vec::new();
        for county in table.children(CITY_CODE) {
            let county_index = counties.len();
            let first_village = villages.len();
            for town in table.children(county.code) {
                let town_index = towns.len();
                let mut has_village = false;
                for village in table.children(town.code) {
                    if !village.is_village_committee() || village.name.ends_with("社区") {
                        continue;
                    }
                    has_village = true;
                    villages.push(Village {
                        code: village.code,
                        name: short_village_name(village.name),
                        town: town_index,
                        county: county_index,
                    });
                }
                if has_village {
                    towns.push(Town { name: town.name });
                }
            }
            counties.push(County {
                code: county.code,
                name: county.name,
                villages: first_village..villages.len(),
            });
        }
        Geography {
            counties,
            towns,
            villages,
        }
    }

    /// Index of the county with this code.
    pub fn county_index(&self, code: &str) -> Option<usize> {
        self.counties.iter().position(|c| c.code == code)
    }

    /// The first village committee of a county in table order (the anchors' villages).
    pub fn first_village_of(&self, county_code: &str) -> Option<usize> {
        let county = &self.counties[self.county_index(county_code)?];
        (!county.villages.is_empty()).then_some(county.villages.start)
    }
}

/// Committee names carry a suffix in several spellings ("村民委员会", "村委会", and typos
/// such as "村民委会" in the official table); strip it and keep the village's own name,
/// which ends in 村 ("胡村村民委员会" → "胡村", "鸣谦村委会" → "鸣谦村").
fn short_village_name(committee: &str) -> String {
    // Longest first, so "村民委员会" is not cut as "…村民委员" + "会".
    const SUFFIXES: &[&str] = &[
        "村民委员会",
        "村村委员会",
        "村民员委会",
        "村民委员",
        "村民委会",
        "村委员会",
        "村委会",
        "民委员会",
        "委员会",
    ];
    let stem = SUFFIXES
        .iter()
        .find_map(|s| committee.strip_suffix(s))
        .unwrap_or(committee);
    if stem.ends_with('村') {
        stem.to_owned()
    } else {
        format!("{stem}村")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_names_lose_the_committee_suffix() {
        assert_eq!(short_village_name("胡村村民委员会"), "胡村");
        assert_eq!(short_village_name("鸣谦村委会"), "鸣谦村");
        assert_eq!(short_village_name("崇串村村委员会"), "崇串村");
        assert_eq!(short_village_name("郝开村民员委会"), "郝开村");
        assert_eq!(short_village_name("西刘屯村民委会"), "西刘屯村");
        assert_eq!(short_village_name("岚峪村村民委员"), "岚峪村");
    }

    #[test]
    fn jinzhong_geography_has_all_counties_and_only_committees() {
        let geo = Geography::jinzhong();
        assert_eq!(geo.counties.len(), 11);
        assert!(
            (1900..2000).contains(&geo.villages.len()),
            "{}",
            geo.villages.len()
        );
        for county in &geo.counties {
            assert!(!county.villages.is_empty(), "{}", county.code);
            for v in &geo.villages[county.villages.clone()] {
                assert!(v.code.starts_with(county.code));
                assert!(v.name.ends_with('村'), "{}", v.name);
                assert!(!v.name.contains("委"), "{}", v.name);
            }
        }
    }
}
