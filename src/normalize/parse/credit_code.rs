//! Unified social credit codes (统一社会信用代码, GB 32100-2015): the identifier of every
//! organisation, including collective economic organisations (N1/N2/N3) and farmers'
//! cooperatives (93). Organisations are not personal data and keep their codes in clear.
//!
//! Layout (1-based): 1 registering authority, 2 kind, 3–8 region code (GB/T 2260),
//! 9–17 organisation code (GB 11714: 8 characters and their own check), 18 check.
//! Characters come from `0123456789ABCDEFGHJKLMNPQRTUWXY` (31; no I, O, S, V, Z).
//!
//! Both checks are verified. Lowercase letters, spaces, dashes and full-width characters
//! are normalised away (NFKC, uppercase); nothing else is "corrected" — an `O` for a `0`
//! is reported, not fixed, since guessing would attach a record to the wrong body.

use std::fmt;

use super::text::compact;

/// The 31 characters of GB 32100, in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Weights of the organisation code's 8 body characters (GB 11714).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

/// What the registering authority and kind characters (positions 1–2) say the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrganisationKind {
    /// `11` 机关 — government organ.
    GovernmentOrgan,
    /// `12` 事业单位 — public institution.
    PublicInstitution,
    /// `51` 社会团体 — social organisation.
    SocialOrganisation,
    /// `52` 民办非企业单位 — private non-enterprise unit.
    PrivateNonEnterprise,
    /// `53` 基金会 — foundation.
    Foundation,
    /// `91` 企业 — enterprise.
    Enterprise,
    /// `92` 个体工商户 — individual business.
    IndividualBusiness,
    /// `93` 农民专业合作社 — farmers' specialised cooperative.
    FarmersCooperative,
    /// `N1` 组级集体经济组织 — group-level collective economic organisation.
    GroupCollective,
    /// `N2` 村级集体经济组织 — village-level collective economic organisation.
    VillageCollective,
    /// `N3` 乡镇级集体经济组织 — township-level collective economic organisation.
    TownshipCollective,
    /// `N9` 其他农业农村部门登记的组织 — other, registered by agriculture departments.
    OtherAgricultural,
    /// Any other authority/kind pair; see [`CreditCode::authority`] and
    /// [`CreditCode::kind_code`].
    Other,
}

impl OrganisationKind {
    /// Whether this is a rural collective economic organisation (农村集体经济组织).
    pub fn is_collective_economic_organisation(self) -> bool {
        matches!(
            self,
            OrganisationKind::GroupCollective
                | OrganisationKind::VillageCollective
                | OrganisationKind::TownshipCollective
        )
    }
}

impl CreditCode {
    /// The 18 characters, uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registering authority (`1` 机构编制, `5` 民政, `9` 市场监管 (工商),
    /// `N` 农业农村, `Y` 其他 …).
    pub fn authority(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// Positions 1–2, e.g. `91`, `93`, `N2`.
    pub fn kind_code(&self) -> &str {
        &self.0[..2]
    }

    /// What positions 1–2 say the body is.
    pub fn kind(&self) -> OrganisationKind {
        use OrganisationKind::*;
        match self.kind_code() {
            "11" => GovernmentOrgan,
            "12" => PublicInstitution,
            "51" => SocialOrganisation,
            "52" => PrivateNonEnterprise,
            "53" => Foundation,
            "91" => Enterprise,
            "92" => IndividualBusiness,
            "93" => FarmersCooperative,
            "N1" => GroupCollective,
            "N2" => VillageCollective,
            "N3" => TownshipCollective,
            "N9" => OtherAgricultural,
            _ => Other,
        }
    }

    /// Positions 3–8: the GB/T 2260 code of the registering administration's region.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17: the organisation code (组织机构代码) with its check character.
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

/// The check character (position 18) for the first 17 characters, which must come from
/// the alphabet. `None` if one does not.
pub fn credit_code_check_char(body: &str) -> Option<char> {
    let b = body.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (&c, w) in b.iter().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    // The outer mod 31 maps a remainder of 0 to check value 0, not 31.
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

/// The check character of a GB 11714 organisation code's 8-character body. Digits count
/// as themselves and letters A–Z as 10–35.
pub fn organisation_code_check_char(body: &str) -> Option<char> {
    let b = body.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (&c, w) in b.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from(b'0' + c as u8),
    })
}

/// A unified social credit code: `91350100M000100Y43`, `91350100m000100y43`,
/// `9135 0100 M000 100Y 43`, full-width.
///
/// # Errors
/// When the text is not 18 characters of the alphabet, the region code is not 6 digits,
/// or either check character is wrong; the message says which character was expected.
/// Text shaped like a resident ID number (15–18 digits, perhaps ending in `X`) — a
/// person's number typed where an organisation's code belongs — is never quoted, not
/// even in part (its characters 9–17 would be the "organisation code"): the message says
/// only what it looks like.
pub fn credit_code(text: &str) -> Result<CreditCode, String> {
    let t: String = compact(text)
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    checked(text, &t).map_err(|message| {
        if shaped_like_id(&t) {
            format!(
                "is shaped like a resident ID number ({} characters, a person's identifier, not shown), not a unified social credit code (18 characters such as 91350100M000100Y43 with valid check characters)",
                t.chars().count()
            )
        } else {
            message
        }
    })
}

/// 15 to 18 digits, the 18th perhaps `X`: the shape of a resident ID number.
fn shaped_like_id(t: &str) -> bool {
    let digits = t.strip_suffix('X').filter(|d| d.len() == 17).unwrap_or(t);
    (15..=18).contains(&t.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The checks of [`credit_code`] on the normal form `t` of `text`.
fn checked(text: &str, t: &str) -> Result<CreditCode, String> {
    let t = t.to_owned();
    let n = t.chars().count();
    if n != 18 {
        return Err(format!(
            "{text:?} has {n} characters; a unified social credit code has 18 (e.g. 91350100M000100Y43)"
        ));
    }
    if let Some((i, c)) = t
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii() || value_of(*c as u8).is_none())
    {
        let hint = match c {
            'I' => " (I is not used; 1?)",
            'O' => " (O is not used; 0?)",
            'S' => " (S is not used; 5?)",
            'Z' => " (Z is not used; 2?)",
            'V' => " (V is not used)",
            _ => "",
        };
        return Err(format!(
            "{text:?}: character {} is {c:?}{hint}; valid characters are 0-9 and ABCDEFGHJKLMNPQRTUWXY",
            i + 1
        ));
    }
    // All ASCII from here on.
    if !t[2..8].bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{text:?}: characters 3–8 ({}) must be a 6-digit region code",
            &t[2..8]
        ));
    }
    let org_expected = organisation_code_check_char(&t[8..16])
        .ok_or_else(|| format!("{text:?}: characters 9–16 are not an organisation code body"))?;
    let org_found = char::from(t.as_bytes()[16]);
    if org_found != org_expected {
        return Err(format!(
            "{text:?}: the organisation code {} has check character {org_found:?} at position 17, expected {org_expected:?}",
            &t[8..17]
        ));
    }
    let expected =
        credit_code_check_char(&t[..17]).ok_or_else(|| format!("{text:?} is not a credit code"))?;
    let found = char::from(t.as_bytes()[17]);
    if found != expected {
        return Err(format!(
            "{text:?}: check character (position 18) is {found:?}, expected {expected:?} for {}; the code is mistyped",
            &t[..17]
        ));
    }
    Ok(CreditCode(t))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A valid code from 16 chosen characters (positions 1–16): computes both checks.
    fn complete(first16: &str) -> String {
        let org = organisation_code_check_char(&first16[8..16]).unwrap();
        let body = format!("{first16}{org}");
        let check = credit_code_check_char(&body).unwrap();
        format!("{body}{check}")
    }

    #[test]
    fn valid_codes_and_what_they_say() {
        // 10 cases
        let village = complete("N2140702MA0B1C2D");
        let coop = complete("93140702MA0K3L4P");
        let cases: &[(&str, &str, OrganisationKind, &str)] = &[
            (
                "91350100M000100Y43",
                "91350100M000100Y43",
                OrganisationKind::Enterprise,
                "350100",
            ),
            (
                "91350100m000100y43",
                "91350100M000100Y43",
                OrganisationKind::Enterprise,
                "350100",
            ),
            (
                " 91350100M000100Y43 ",
                "91350100M000100Y43",
                OrganisationKind::Enterprise,
                "350100",
            ),
            (
                "9135 0100 M000 100Y 43",
                "91350100M000100Y43",
                OrganisationKind::Enterprise,
                "350100",
            ),
            (
                "９１３５０１００Ｍ０００１００Ｙ４３",
                "91350100M000100Y43",
                OrganisationKind::Enterprise,
                "350100",
            ),
            (
                "91350100-M000100Y4-3",
                "91350100M000100Y43",
                OrganisationKind::Enterprise,
                "350100",
            ),
            (
                &village,
                &village,
                OrganisationKind::VillageCollective,
                "140702",
            ),
            (&coop, &coop, OrganisationKind::FarmersCooperative, "140702"),
            (
                &complete("N1140702MA0B1C2E"),
                &complete("N1140702MA0B1C2E"),
                OrganisationKind::GroupCollective,
                "140702",
            ),
            (
                &complete("N3140702MA0B1C2F"),
                &complete("N3140702MA0B1C2F"),
                OrganisationKind::TownshipCollective,
                "140702",
            ),
        ];
        for (text, code, kind, region) in cases {
            let c = credit_code(text).unwrap();
            assert_eq!(c.as_str(), *code, "{text}");
            assert_eq!(c.kind(), *kind, "{text}");
            assert_eq!(c.region_code(), *region, "{text}");
        }
        let c = credit_code("91350100M000100Y43").unwrap();
        assert_eq!(c.authority(), '9');
        assert_eq!(c.kind_code(), "91");
        assert_eq!(c.organisation_code(), "M000100Y4");
        assert!(credit_code(&village)
            .unwrap()
            .kind()
            .is_collective_economic_organisation());
    }

    #[test]
    fn invalid_codes_say_what_is_wrong() {
        // 10 cases
        let cases: &[(&str, &str)] = &[
            ("91350100M000100Y44", "is '4', expected '3'"),
            ("91350100M000100Y4", "has 17 characters"),
            ("91350100M000100Y433", "has 19 characters"),
            ("", "has 0 characters"),
            ("91350100M000100O43", "(O is not used; 0?)"),
            ("9135010OM000100Y43", "(O is not used; 0?)"),
            ("91350100M000100I43", "(I is not used; 1?)"),
            ("913501A0M000100Y43", "6-digit region code"),
            (
                "91350100M000100Y53",
                "check character '5' at position 17, expected '4'",
            ),
            ("91350100M0001中0Y43", "character 14"),
        ];
        for (text, want) in cases {
            let err = credit_code(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn a_persons_id_number_in_the_field_is_never_quoted() {
        // 6 cases: valid, mistyped, old form, spaced, full-width, 17 digits.
        for text in [
            "11010519491231002X",
            "110105194912310021",
            "110105491231002",
            "110105 19491231 002X",
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002",
        ] {
            let err = credit_code(text).unwrap_err();
            assert!(
                err.contains("shaped like a resident ID number"),
                "{text}: {err}"
            );
            for leak in ["110105", "49123100", "491231002", "1949"] {
                assert!(!err.contains(leak), "{text}: {err}");
            }
        }
        // An organisation's code still says what is wrong with it.
        let err = credit_code("91350100M000100Y44").unwrap_err();
        assert!(err.contains("91350100M000100Y44"), "{err}");
    }

    fn alphabet_char() -> impl Strategy<Value = char> {
        (0usize..31).prop_map(|i| char::from(ALPHABET[i]))
    }

    proptest! {
        #[test]
        fn the_check_character_is_the_only_one_accepted(
            head in proptest::collection::vec(alphabet_char(), 2),
            region in 100_000u32..999_999,
            org in proptest::collection::vec(alphabet_char(), 8),
        ) {
            let head: String = head.into_iter().collect();
            let org: String = org.into_iter().collect();
            let code = complete(&format!("{head}{region}{org}"));
            prop_assert!(credit_code(&code).is_ok(), "{}", code);
            for &c in ALPHABET.iter() {
                let c = char::from(c);
                if c != code.chars().last().unwrap() {
                    let wrong = format!("{}{c}", &code[..17]);
                    let err = credit_code(&wrong).unwrap_err();
                    let expected = format!("expected {:?}", code.chars().last().unwrap());
                    prop_assert!(err.contains(&expected), "{}", err);
                }
            }
        }
    }
}
