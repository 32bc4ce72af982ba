//! Region resolution (行政区划): a 12-digit village code validated against the bundled
//! 2023 table, or place names resolved to their division, on top of
//! [`crate::region::Divisions`] (whose indexes are built once with the table).
//!
//! Codes go through NFKC (full-width digits); names do not — they keep their characters,
//! only spaces are dropped. 140726 太谷县 (retired in 2019) maps to 140703 太谷区, by code
//! and by name. A name that is not unique in its context is an error listing candidates:
//! picking one would attach a record to the wrong village.

use crate::region::{Division, Divisions, Level};

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

#[cfg(test)]
mod tests {
    use super::*;

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
