//! Region resolution (行政区划): a 12-digit village code validated against the bundled
//! 2023 table, or place names resolved to their division, on top of
//! [`crate::region::Divisions`] (whose indexes are built once with the table).
//!
//! For records at any level ([`region_code`], [`region_in_text`], [`region`]): 12-, 9- and
//! 6-digit codes (4 and 2 digits, and city- or province-wide records, only where a field's
//! `coarsest` level allows them), retired codes mapped through
//! `data/division-code-changes.csv`, and the answer's [`Level`] and 12-digit padded code.
//!
//! Codes go through NFKC (full-width digits); names do not — they keep their characters,
//! only spaces are dropped. 140726 太谷县 (retired in 2019) maps to 140703 太谷区, by code
//! and by name. A name that is not unique in its context is an error listing candidates:
//! picking one would attach a record to the wrong village.

use crate::region::{Division, Divisions, Level, RegionError, Resolved};

use super::text::compact;

/// A 12-digit village code (统计用区划代码) that the 2023 table has, with the retired
/// 140726 prefix mapped to 140703: `140702100200`, `１４０７０２１００２００`.
///
/// # Errors
/// When the text is not 12 digits, or the table has no such village; the message says
/// which part is unknown (county, town or village), and recognises the 140701
/// placeholder and town codes padded with `000`.
pub fn village_code(text: &str) -> Result<&'static Division, String> {
    let table = Divisions::shanxi();
    let t = compact(text);
    let n = t.chars().count();
    if n != 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{text:?} is not a 12-digit village code (county 6 + town 3 + village 3, e.g. 140702100200); it has {n} characters"
        ));
    }
    if let Some(v) = table.resolve_village(&t) {
        return Ok(v);
    }
    let county = &t[..6];
    if county == "140701" {
        return Err(format!(
            "{text:?}: 140701 is the placeholder code of 晋中市's districts, not a real county"
        ));
    }
    let Some(county) = table
        .resolve_code(county)
        .filter(|d| d.level == Level::County)
    else {
        return Err(format!(
            "{text:?}: county {county} is not in the 2023 table of Shanxi"
        ));
    };
    let town_code = format!("{}{}", county.code, &t[6..9]);
    let Some(town) = table.get(&town_code) else {
        return Err(format!(
            "{text:?}: town {town_code} is not in {} ({})",
            county.name, county.code
        ));
    };
    if &t[9..] == "000" {
        return Err(format!(
            "{text:?} is the town {} ({}) padded to 12 digits, not a village",
            town.name, town.code
        ));
    }
    Err(format!(
        "{text:?}: village {} is not in {} ({}) in the 2023 table",
        &t[9..],
        table.path(town),
        town.code
    ))
}

/// The division a written place names, anywhere in Shanxi: `榆次区乌金山镇鸣谦村`,
/// `晋中市榆次区乌金山镇鸣谦村`, `太谷县胡村镇胡村`. See
/// [`Divisions::resolve_place`] for the rules, and use it directly to restrict the
/// search to one city or county.
///
/// # Errors
/// When nothing matches or the text is ambiguous (the message lists candidates).
pub fn resolve_place(text: &str) -> Result<&'static Division, String> {
    Divisions::shanxi().resolve_place(text, None)
}

/// The division named by separate county, town and village fields, each optional and
/// each a name or a code, anywhere in Shanxi. See [`Divisions::resolve_names`].
///
/// # Errors
/// When a level matches nothing, or the result is ambiguous (the message lists
/// candidates).
pub fn resolve_names(
    county: Option<&str>,
    town: Option<&str>,
    village: Option<&str>,
) -> Result<&'static Division, String> {
    Divisions::shanxi().resolve_names(None, county, town, village)
}

/// A region code at any level down to `coarsest`: `140702100200` (village), `140702100`
/// (town), `140702` or `140702000000` (county), `１４０７２６` (full-width; retired 太谷县,
/// mapped to 140703), and, where `coarsest` allows, `1407`/`140700` (city) and
/// `14`/`140000` (province). See [`Divisions::resolve_code_at_any_level`].
///
/// # Errors
/// [`RegionError`], naming the code and what would be valid.
pub fn region_code(text: &str, coarsest: Level) -> Result<Resolved<'static>, RegionError> {
    Divisions::shanxi().resolve_code_at_any_level(text, coarsest)
}

/// The place a free text names (a location, a project name, an owner's name), by longest
/// match, within `within` (a code) when given, at `coarsest` or finer. See
/// [`Divisions::resolve_in_text`].
///
/// # Errors
/// [`RegionError`]: no place, an ambiguous one (listing candidates), or too coarse a one.
pub fn region_in_text(
    text: &str,
    within: Option<&str>,
    coarsest: Level,
) -> Result<Resolved<'static>, RegionError> {
    Divisions::shanxi().resolve_in_text(text, within, coarsest)
}

/// Where a record's region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionFrom<'f> {
    /// The code field.
    Code,
    /// The named place field (location, project name, owner …).
    Place(&'f str),
}

/// A record's region: its code when it has one, else the first of `places` (field name,
/// text), in the configured order, that names a place. A place field that names no place
/// is passed over; one that is ambiguous or too coarse decides (an error), since the next
/// field could only guess past it.
///
/// # Errors
/// The code's [`RegionError`]; for places, the first ambiguity or level error, else the
/// last field's [`RegionError::NoMatch`]; with neither a code nor a place text,
/// [`RegionError::NoMatch`] on an empty text.
pub fn region<'f>(
    code: Option<&str>,
    places: &[(&'f str, &str)],
    within: Option<&str>,
    coarsest: Level,
) -> Result<(Resolved<'static>, RegionFrom<'f>), RegionError> {
    if let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) {
        return region_code(code, coarsest).map(|r| (r, RegionFrom::Code));
    }
    let mut last = RegionError::NoMatch {
        text: String::new(),
        scope: None,
    };
    for (field, text) in places.iter().filter(|(_, t)| !t.trim().is_empty()) {
        match region_in_text(text, within, coarsest) {
            Ok(r) => return Ok((r, RegionFrom::Place(field))),
            Err(e @ RegionError::NoMatch { .. }) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    type CodeCase<'a> = (&'a str, Level, &'a str, Level, usize);

    #[test]
    fn codes_at_any_level_resolve_with_their_level_and_padded_code() {
        use Level::*;
        // (text, coarsest accepted, code12, level, changes mapped through) — 22 cases
        let cases: &[CodeCase] = &[
            ("140702100200", Village, "140702100200", Village, 0),
            ("140702100", County, "140702100000", Town, 0),
            ("140702", County, "140702000000", County, 0),
            ("140702000000", County, "140702000000", County, 0),
            ("140702100000", Town, "140702100000", Town, 0),
            ("140702000", County, "140702000000", County, 0),
            ("１４０７０２", County, "140702000000", County, 0),
            (" 140702 ", County, "140702000000", County, 0),
            ("140726", County, "140703000000", County, 1), // 太谷县 → 太谷区 (2019)
            ("140726101", County, "140703101000", Town, 1), // its towns by prefix
            ("140726101200", Village, "140703101200", Village, 1), // and villages
            ("142429", County, "140703000000", County, 2), // 太谷县 of 晋中地区 (1999), then 2019
            ("140227100200", Village, "140215100200", Village, 1), // 大同县 → 云州区 (2018)
            ("140411", County, "140403000000", County, 1), // 长治 郊区 merged into 潞州区
            ("140822209", Town, "140822104000", Town, 1),  // 裴庄乡 → 裴庄镇 (2019)
            ("140822209201", Village, "140822104201", Village, 1), // prefix rule checked for it
            ("140703100", Town, "140703103000", Town, 1),  // 明星镇 merged into 水秀镇 (2021)
            ("1407", City, "140700000000", City, 0),
            ("140700", City, "140700000000", City, 0),
            ("142400", City, "140700000000", City, 1), // 晋中地区 → 晋中市 (1999)
            ("14", Province, "140000000000", Province, 0),
            ("140000000000", Province, "140000000000", Province, 0),
        ];
        for (text, coarsest, code12, level, via) in cases {
            let got = region_code(text, *coarsest).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (got.code12.as_str(), got.level, got.mapped_through.len()),
                (*code12, *level, *via),
                "{text}"
            );
            assert_eq!(got.division.level, got.level, "{text}");
        }
    }

    #[test]
    fn codes_that_cannot_be_mapped_are_refused_saying_why() {
        use Level::*;
        // (text, coarsest, what the message must say) — 20 cases
        let cases: &[(&str, Level, &[&str])] = &[
            ("1407021", County, &["\"1407021\" is not a region code", "it has 7 digits", "12 digits for a village"]),
            ("14070X", County, &["characters other than digits"]),
            ("", County, &["it is empty"]),
            ("140799", County, &["county 140799 is not in the 2023 table"]),
            ("140702999", Town, &["town 140702999 is not in 榆次区 (140702)"]),
            ("140702100999", Village, &["village 999 is not in 晋中市榆次区乌金山镇 (140702100)"]),
            ("140701", County, &["140701 is the placeholder"]),
            ("140701100200", Village, &["placeholder"]),
            ("11", Province, &["province 11 is not Shanxi"]),
            ("140202", County, &["140202 城区 was split in 2018", "平城区 (140213)", "云冈区 (140214)", "write the place's name or today's code"]),
            ("140202001005", Village, &["lies under 140202 城区, split in 2018 between 140213 平城区, 140214 云冈区"]),
            ("140411100200", Village, &["lies under 140411 郊区 → 140403 潞州区 (2018)", "renumbered"]),
            ("140726100205", Village, &["lies under 140703100 明星镇 → 140703103 水秀镇 (2021)"]),
            ("140722203", Town, &["140722203 粟城乡 was abolished in 2021", "no successor"]),
            ("140726999", Town, &["town 140703999 is not in 太谷区", "read as 140703999 after 140726 太谷县 → 140703 太谷区 (2019)"]),
            ("140702100000", Village, &["names 晋中市榆次区乌金山镇 (140702100), a town; this field needs a village or finer"]),
            ("140702", Town, &["names 晋中市榆次区 (140702), a county; this field needs a town"]),
            ("1407", County, &["names 晋中市 (140700), a city; this field needs a county"]),
            ("140700000000", County, &["a city"]),
            ("14", City, &["names 山西省 (140000), a province; this field needs a city"]),
        ];
        for (text, coarsest, wants) in cases {
            let err = region_code(text, *coarsest).unwrap_err().to_string();
            for want in *wants {
                assert!(err.contains(want), "{text}: {err}");
            }
        }
    }

    #[test]
    fn places_in_free_text_resolve_by_longest_match() {
        use Level::*;
        // (text, code12, level) — 18 cases
        let cases: &[(&str, &str, Level)] = &[
            (
                "晋中市榆次区乌金山镇鸣谦村东侧耕地",
                "140702100200",
                Village,
            ),
            (
                "榆次区乌金山镇鸣谦村2023年集体耕地经营权出租项目",
                "140702100200",
                Village,
            ),
            (
                "山西省晋中市榆次区乌金山镇鸣谦村村民委员会",
                "140702100200",
                Village,
            ),
            ("位于榆次区乌金山镇鸣谦村南", "140702100200", Village),
            ("晋中市 榆次区 乌金山镇 鸣谦村", "140702100200", Village),
            ("太谷区胡村镇胡村股份经济合作社", "140703101200", Village),
            ("太谷县胡村镇胡村村民委员会", "140703101200", Village), // retired county name
            ("胡村镇胡村庄东", "140703101209", Village),             // 胡村庄, not 胡村
            ("太谷县明星镇贺家堡村", "140703103218", Village),       // merged town's old name
            ("太谷县水秀乡霍家堡村集体机动地", "140703103210", Village),
            ("鸣谦村东侧", "140702100200", Village),
            ("榆次区乌金山镇集体林地", "140702100000", Town),
            (
                "坐落：榆次区北关街道办事处羊毫街社区",
                "140702001002",
                Village,
            ),
            ("左权县粟城乡", "140722000000", County), // abolished township: only its county
            ("左权县芹泉镇下庄村东", "140722103210", Village),
            ("祁县昭馀镇北关村委会", "140727100216", Village),
            ("晋中市太谷区", "140703000000", County),
            ("介休市义棠镇西刘屯村", "140781106217", Village),
        ];
        for (text, code12, level) in cases {
            let got = region_in_text(text, None, Village.min(*level))
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (got.code12.as_str(), got.level),
                (*code12, *level),
                "{text}"
            );
        }
    }

    #[test]
    fn free_text_that_names_no_single_place_is_refused_listing_candidates() {
        use Level::*;
        // (text, within, coarsest, what the message must say) — 11 cases
        type Case<'a> = (&'a str, Option<&'a str>, Level, &'a [&'a str]);
        let cases: &[Case] = &[
            (
                "榆次区修文镇修文",
                None,
                Village,
                &[
                    "ambiguous",
                    "matches 2 divisions",
                    "140702105200",
                    "140702105001",
                ],
            ),
            (
                "胡村",
                None,
                Village,
                &["ambiguous", "matches 4 divisions", "140703101200"],
            ),
            (
                "榆次区小赵村耕地",
                None,
                Village,
                &["ambiguous", "140702104212", "140702402209"],
            ),
            (
                "南庄村集体耕地",
                None,
                Village,
                &["ambiguous", "and ", "more"],
            ),
            (
                "某某农业开发有限公司",
                None,
                Village,
                &["names no division", "晋中市榆次区乌金山镇鸣谦村"],
            ),
            (
                "鸣谦村",
                Some("140703"),
                Village,
                &["names no division in 晋中市太谷区"],
            ),
            (
                "晋中市",
                None,
                County,
                &["names 晋中市 (140700), a city; this field needs a county or finer"],
            ),
            (
                "榆次区乌金山镇",
                None,
                Village,
                &["a town; this field needs a village"],
            ),
            ("山西省", None, County, &["山西省 (140000), a province"]),
            ("鸣谦村", Some("149999"), Village, &["scope \"149999\""]),
            ("", None, Village, &["names no division"]),
        ];
        for (text, within, coarsest, wants) in cases {
            let err = match region_in_text(text, *within, *coarsest) {
                Ok(r) => panic!("{text}: resolved to {}", r.code12),
                Err(e) => e.to_string(),
            };
            for want in *wants {
                assert!(err.contains(want), "{text}: {err}");
            }
        }
        let province = region_in_text("山西省", None, Province).unwrap();
        assert_eq!(
            (province.code12.as_str(), province.level),
            ("140000000000", Province)
        );
    }

    #[test]
    fn a_record_takes_its_code_else_the_first_field_naming_a_place() {
        let places = [
            ("坐落", ""),
            ("项目名称", "集体耕地出租"),
            ("转出方", "榆次区乌金山镇鸣谦村股份经济合作社"),
        ];
        let (r, from) = region(None, &places, None, Level::Village).unwrap();
        assert_eq!(
            (r.code12.as_str(), from),
            ("140702100200", RegionFrom::Place("转出方"))
        );
        let (r, from) = region(Some("140726"), &places, None, Level::County).unwrap();
        assert_eq!(
            (r.code12.as_str(), from),
            ("140703000000", RegionFrom::Code)
        );
        let (_, from) = region(Some("  "), &places, None, Level::Village).unwrap();
        assert_eq!(from, RegionFrom::Place("转出方"));
        // An ambiguous field decides: the next one is not consulted.
        let ambiguous = [("坐落", "胡村"), ("转出方", "榆次区乌金山镇鸣谦村")];
        assert!(matches!(
            region(None, &ambiguous, None, Level::Village),
            Err(RegionError::Ambiguous { count: 4, .. })
        ));
        assert!(matches!(
            region(None, &[("坐落", "集体耕地")], None, Level::Village),
            Err(RegionError::NoMatch { .. })
        ));
        assert!(region(None, &[], None, Level::Village).is_err());
    }

    #[test]
    fn village_codes_are_validated_with_what_is_unknown() {
        // 14 cases
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("140702100200", Ok("140702100200")),
            (" 140702100200 ", Ok("140702100200")),
            ("１４０７０２１００２００", Ok("140702100200")),
            ("140726101200", Ok("140703101200")), // retired 太谷县 prefix
            ("140703101200", Ok("140703101200")),
            ("140701000000", Err("placeholder")),
            ("140701100200", Err("placeholder")),
            ("14070210020", Err("it has 11 characters")),
            ("1407021002000", Err("it has 13 characters")),
            ("14070210020X", Err("not a 12-digit village code")),
            (
                "140702100999",
                Err("village 999 is not in 晋中市榆次区乌金山镇"),
            ),
            ("140702999200", Err("town 140702999 is not in 榆次区")),
            (
                "149999100200",
                Err("county 149999 is not in the 2023 table"),
            ),
            ("140702100000", Err("town 乌金山镇 (140702100) padded")),
        ];
        for (text, want) in cases {
            match (village_code(text), want) {
                (Ok(d), Ok(code)) => assert_eq!(d.code, *code, "{text}"),
                (Err(e), Err(msg)) => assert!(e.contains(msg), "{text}: {e}"),
                (got, _) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn written_places_resolve_to_one_division() {
        // 30 cases
        let cases: &[(&str, &str)] = &[
            ("榆次区乌金山镇鸣谦村", "140702100200"),
            ("晋中市榆次区乌金山镇鸣谦村", "140702100200"),
            ("山西省晋中市榆次区乌金山镇鸣谦村", "140702100200"),
            ("晋中榆次区乌金山镇鸣谦村", "140702100200"),
            ("榆次区乌金山镇鸣谦村委会", "140702100200"),
            ("榆次区乌金山镇鸣谦村村民委员会", "140702100200"),
            ("榆次区乌金山镇鸣谦", "140702100200"),
            ("乌金山镇鸣谦村", "140702100200"),
            ("鸣谦村", "140702100200"),
            ("榆次区 乌金山镇 鸣谦村", "140702100200"),
            ("太谷县胡村镇胡村", "140703101200"),
            ("晋中市太谷县胡村镇胡村", "140703101200"),
            ("太谷区胡村镇胡村", "140703101200"),
            ("胡村镇胡村", "140703101200"),
            ("胡村镇胡村庄", "140703101209"),
            ("榆次区北关街道羊毫街社区", "140702001002"),
            ("榆次区北关街道办事处羊毫街社区", "140702001002"),
            ("榆次区北关街道羊毫街社区居委会", "140702001002"),
            ("榆次区修文镇修文村", "140702105200"),
            ("榆次区修文镇修文社区", "140702105001"),
            ("左权县芹泉镇下庄村", "140722103210"),
            ("左权县城区康宁社区", "140722400001"),
            ("祁县昭馀镇北关村", "140727100216"),
            ("榆社县云簇镇崇串村", "140721101215"), // table: 崇串村村委员会
            ("榆社县郝北镇岚峪村", "140721102228"), // table: 岚峪村村民委员
            ("平遥县襄垣乡郝开村", "140728206208"), // table: 郝开村民员委会
            ("介休市义棠镇西刘屯村", "140781106217"), // table: 西刘屯村民委会
            ("榆次区乌金山镇", "140702100"),
            ("榆次区", "140702"),
            ("晋中市", "140700"),
        ];
        for (text, want) in cases {
            match resolve_place(text) {
                Ok(d) => assert_eq!(d.code, *want, "{text}"),
                Err(e) => panic!("{text}: {e}"),
            }
        }
    }

    #[test]
    fn ambiguous_or_unknown_places_fail_listing_candidates() {
        // 10 cases
        let cases: &[(&str, &[&str])] = &[
            (
                "胡村",
                &[
                    "ambiguous",
                    "matches 4 divisions",
                    "140703101200",
                    "140822205206",
                ],
            ),
            (
                "榆次区小赵村",
                &["ambiguous", "140702104212", "140702402209"],
            ),
            (
                "榆次区修文镇修文",
                &["ambiguous", "140702105200", "140702105001"],
            ),
            (
                "榆次区后沟村",
                &["ambiguous", "140702100233", "140702203222"],
            ),
            ("南庄村", &["ambiguous", "and ", "more"]),
            ("康宁社区", &["ambiguous", "matches 4 divisions"]),
            ("榆次区乌金山镇不存在村", &["matches no division"]),
            ("太原市榆次区乌金山镇鸣谦村", &["matches no division"]),
            ("山西省", &["names no place"]),
            ("", &["names no place"]),
        ];
        for (text, wants) in cases {
            let err = resolve_place(text).unwrap_err();
            for want in *wants {
                assert!(err.contains(want), "{text}: {err}");
            }
        }
    }

    #[test]
    fn a_context_makes_a_repeated_name_unique() {
        let t = Divisions::shanxi();
        assert_eq!(
            t.resolve_place("胡村", Some("140700")).unwrap().code,
            "140703101200"
        );
        assert_eq!(
            t.resolve_place("晋中市太谷区胡村镇胡村", Some("140703"))
                .unwrap()
                .code,
            "140703101200"
        );
        assert!(t
            .resolve_place("鸣谦村", Some("140703"))
            .unwrap_err()
            .contains("matches no division in 晋中市太谷区"));
        assert!(t
            .resolve_place("胡村", Some("140799"))
            .unwrap_err()
            .contains("scope"));
    }

    #[test]
    fn separate_names_resolve_within_each_other() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);
        // 14 cases
        let cases: &[Case] = &[
            (
                Some("榆次区"),
                Some("乌金山镇"),
                Some("鸣谦村"),
                "140702100200",
            ),
            (Some("榆次"), Some("乌金山"), Some("鸣谦"), "140702100200"),
            (
                Some("140702"),
                Some("乌金山镇"),
                Some("鸣谦村委会"),
                "140702100200",
            ),
            (
                Some("140702"),
                Some("140702100"),
                Some("鸣谦村"),
                "140702100200",
            ),
            (Some("太谷县"), Some("胡村镇"), Some("胡村"), "140703101200"),
            (Some("140726"), None, Some("胡村"), "140703101200"),
            (Some("太谷"), None, Some("胡村庄"), "140703101209"),
            (None, Some("胡村镇"), Some("胡村"), "140703101200"),
            (None, None, Some("140702100200"), "140702100200"),
            (Some("祁县"), Some("昭馀镇"), Some("北关村"), "140727100216"),
            (None, Some("北关街道"), Some("羊毫街社区"), "140702001002"),
            (
                Some("榆次区"),
                Some("北关街道办事处"),
                Some("羊毫街"),
                "140702001002",
            ),
            (Some("榆次区"), Some("乌金山镇"), None, "140702100"),
            (Some(" 榆次区 "), Some(""), None, "140702"),
        ];
        for (county, town, village, want) in cases {
            match resolve_names(*county, *town, *village) {
                Ok(d) => assert_eq!(d.code, *want, "{county:?} {town:?} {village:?}"),
                Err(e) => panic!("{county:?} {town:?} {village:?}: {e}"),
            }
        }
    }

    #[test]
    fn separate_names_that_do_not_resolve_say_why() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);
        // 9 cases
        let cases: &[Case] = &[
            (Some("祁县"), None, Some("北关村"), "ambiguous"),
            (None, Some("北关街道"), None, "ambiguous"),
            (None, None, Some("胡村"), "ambiguous"),
            (
                Some("榆次区"),
                Some("胡村镇"),
                Some("胡村"),
                "no town named \"胡村镇\" in 晋中市榆次区",
            ),
            (
                Some("榆次区"),
                Some("乌金山镇"),
                Some("胡村"),
                "no village named \"胡村\"",
            ),
            (Some("不存在县"), None, None, "no county named"),
            (Some("榆次区"), None, Some("140703101200"), "is not in"),
            (None, None, Some("140799100200"), "not a village code"),
            (None, None, None, "no place given"),
        ];
        for (county, town, village, want) in cases {
            let err = resolve_names(*county, *town, *village).unwrap_err();
            assert!(err.contains(want), "{county:?} {town:?} {village:?}: {err}");
        }
    }
}
