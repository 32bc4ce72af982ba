//! Personal data protection (PIPL): natural persons' ID numbers and phone numbers never
//! reach a topic in clear.
//!
//! - ID numbers and phones become keyed pseudonyms: HMAC-SHA256 over the canonical value
//!   (the 18-character ID, the phone's digits) under a key that stays with the operator.
//!   The same person links across records and sources without being readable; without
//!   the key, the small space of ID numbers cannot be brute-forced back.
//! - Persons' names are masked (`王**`) or dropped, as configured.
//! - [`Protector::redact_text`] finds phone and ID numbers inside free text (every text
//!   field of a record, a dead letter's raw record and message, a refused file's name and
//!   reason, the checkpoint's file names) and replaces them with pseudonym markers; the
//!   shapes it finds are listed in [`scan`]. [`Protector::native_id`] protects a record's
//!   native id, which becomes part of its Kafka keys.
//! - [`mask_personal`] does the same without a key (`[id]`, `[phone]`), for the log:
//!   [`logging::ProtectedWriter`] passes every log line through it and escapes control
//!   characters, so an upstream text can neither leak a number nor forge a log line.
//!
//! The key comes from an environment variable or a file, is held only here and is never
//! formatted: `Debug` prints a placeholder.

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::normalize::parse;

pub mod logging;
mod scan;

/// How a natural person's name is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMask {
    /// First character kept, the rest replaced by `*` one for one: 王建军 → 王**.
    KeepFirst,
    /// Not published at all.
    Drop,
}

/// Where the pseudonym key comes from (validated config; no I/O yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    /// Environment variable holding the key.
    pub env: String,
    /// File holding the key, used when set (takes precedence over `env`).
    pub file: Option<PathBuf>,
}

/// Why the key could not be had. Never contains the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("pseudonym key: environment variable {env} is not set (or not UTF-8); set it to a secret of at least {min} characters, or set privacy.hmac_key_file")]
    MissingEnv { env: String, min: usize },
    #[error("pseudonym key: cannot read {path}: {error}")]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("pseudonym key from {origin} is {len} bytes; at least {min} are needed")]
    TooShort {
        origin: String,
        len: usize,
        min: usize,
    },
}

/// Shortest key accepted: 256 bits, the HMAC-SHA256 block's security level.
pub const MIN_KEY_BYTES: usize = 32;

/// Pseudonymises and masks personal data with the operator's key.
#[derive(Clone)]
pub struct Protector {
    mac: Hmac<Sha256>,
    names: NameMask,
}

impl std::fmt::Debug for Protector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protector")
            .field("key", &"(secret)")
            .field("names", &self.names)
            .finish()
    }
}

/// What kind of value a pseudonym stands for; part of the MAC input so that an ID and a
/// phone with the same digits never share a pseudonym.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    IdNumber,
    Phone,
}

impl Personal {
    fn domain(self) -> &'static [u8] {
        match self {
            Personal::IdNumber => b"ruralsync/v1/id-number\0",
            Personal::Phone => b"ruralsync/v1/phone\0",
        }
    }
}

impl Protector {
    /// Load the key from its source.
    ///
    /// # Errors
    /// [`KeyError`] when the key is missing, unreadable or too short.
    pub fn load(source: &KeySource, names: NameMask) -> Result<Protector, KeyError> {
        let (key, origin) = match &source.file {
            Some(path) => {
                let text = std::fs::read(path).map_err(|error| KeyError::File {
                    path: path.clone(),
                    error,
                })?;
                (trim_ascii(&text).to_vec(), path.display().to_string())
            }
            None => {
                let value = std::env::var(&source.env).map_err(|_| KeyError::MissingEnv {
                    env: source.env.clone(),
                    min: MIN_KEY_BYTES,
                })?;
                (value.trim().as_bytes().to_vec(), format!("${}", source.env))
            }
        };
        Protector::from_key(&key, names).map_err(|len| KeyError::TooShort {
            origin,
            len,
            min: MIN_KEY_BYTES,
        })
    }

    /// A protector over `key` bytes; `Err(len)` if the key is too short.
    pub fn from_key(key: &[u8], names: NameMask) -> Result<Protector, usize> {
        if key.len() < MIN_KEY_BYTES {
            return Err(key.len());
        }
        // HMAC accepts keys of any length; the length was checked above.
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| key.len())?;
        Ok(Protector { mac, names })
    }

    /// The pseudonym of a canonical value: 64 lowercase hex digits.
    pub fn pseudonym(&self, kind: Personal, canonical: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(kind.domain());
        mac.update(canonical.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A person's name as configured.
    pub fn person_name(&self, name: &str) -> Option<String> {
        match self.names {
            NameMask::Drop => None,
            NameMask::KeepFirst => {
                let mut chars = name.trim().chars();
                let first = chars.next()?;
                Some(std::iter::once(first).chain(chars.map(|_| '*')).collect())
            }
        }
    }

    /// Replace every phone number and every ID-number-shaped run of characters in `text`
    /// with its pseudonym marker (`[id:<16 hex>]`, `[phone:<16 hex>]`), so free text can
    /// be published. What is found is listed in the [`scan`] module; markers already in
    /// the text are left as they are, so redacting twice changes nothing.
    pub fn redact_text(&self, text: &str) -> String {
        replace(text, scan::personal_numbers(text), |kind, number| {
            self.marker(kind, number)
        })
    }

    /// A record's native id as published (in its key, its `native_id`, its fingerprint
    /// and dead-letter keys): an id that holds a person's number beyond doubt — a valid
    /// 18-character ID number or a mobile number, whole or inside the id — has that
    /// number replaced by its pseudonym marker; any other id is kept as it is, so a
    /// 16-digit database key or a project number stays the consumers' key.
    pub fn native_id(&self, id: &str) -> String {
        let certain: Vec<scan::Found> = scan::personal_numbers(id)
            .into_iter()
            .filter(|f| f.certain)
            .collect();
        if certain.is_empty() {
            return id.to_owned();
        }
        replace(id, certain, |kind, number| self.marker(kind, number))
    }

    /// `[id:<16 hex>]` or `[phone:<16 hex>]`: the first 64 bits of the pseudonym of the
    /// number's canonical form, so every spelling of a number gets the same marker.
    fn marker(&self, kind: Personal, number: &str) -> String {
        let (tag, canonical) = match kind {
            Personal::Phone => (
                "phone",
                parse::phone(number).map_or_else(|| compact_number(number), |p| p.digits),
            ),
            Personal::IdNumber => (
                "id",
                parse::resident_id(number)
                    .map_or_else(|_| compact_number(number), |id| id.as_str().to_owned()),
            ),
        };
        format!("[{tag}:{}]", &self.pseudonym(kind, &canonical)[..16])
    }
}

/// Replace every phone number and ID number in `text` with `[phone]` or `[id]`, without
/// a key: for text written before the key is loaded or where no key is at hand (the log,
/// see [`logging`]). Finds what [`Protector::redact_text`] finds.
pub fn mask_personal(text: &str) -> String {
    replace(text, scan::personal_numbers(text), |kind, _| {
        match kind {
            Personal::IdNumber => "[id]",
            Personal::Phone => "[phone]",
        }
        .to_owned()
    })
}

/// At most `max_chars` characters of `text` for a message, with a `…` where it was cut.
/// The cut never falls inside a personal number (nor any run of digits): cutting one in
/// two would leave a part that no redactor downstream recognises, while a whole number
/// is pseudonymised where the message leaves the process.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let Some((mut cut, _)) = text.char_indices().nth(max_chars) else {
        return text.to_owned();
    };
    if let Some(inside) = scan::personal_numbers(text)
        .into_iter()
        .find(|f| f.range.start < cut && cut < f.range.end)
    {
        cut = inside.range.start;
    }
    let kept = text[..cut].trim_end_matches(|c: char| c.is_ascii_digit() || c == 'X' || c == 'x');
    format!("{kept}…")
}

/// `text` with each found number replaced by what `marker` makes of it.
fn replace(
    text: &str,
    found: Vec<scan::Found>,
    marker: impl Fn(Personal, &str) -> String,
) -> String {
    if found.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.range.start]);
        let number = f.digits.as_deref().unwrap_or(&text[f.range.clone()]);
        out.push_str(&marker(f.kind, number));
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A number's characters without spaces and dashes, full-width as ASCII, uppercase: the
/// canonical form of a number that is not a valid ID or phone.
fn compact_number(number: &str) -> String {
    number
        .chars()
        .map(parse::phone::scan_char)
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase()
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// What the tests of every module hold the redactor to.
#[cfg(test)]
pub(crate) mod testing {
    use crate::normalize::parse;

    /// Valid ID numbers in `text` as a reader would see them: NFKC, digits in groups
    /// joined by single spaces or dashes, any whole groups together making 18
    /// characters that pass GB 11643. (An ID inside a longer run of digits is not one.)
    pub(crate) fn valid_ids_in(text: &str) -> Vec<String> {
        use unicode_normalization::UnicodeNormalization;
        let chars: Vec<char> = text.nfkc().collect();
        let mut sequences: Vec<Vec<String>> = vec![Vec::new()];
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let mut group: String = chars[start..i].iter().collect();
            if i - start <= 17 && chars.get(i).is_some_and(|c| matches!(c, 'X' | 'x')) {
                group.push('X');
                i += 1;
            }
            let joined = matches!(chars.get(i), Some(' ' | '-'))
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && !group.ends_with('X');
            sequences.last_mut().unwrap().push(group);
            if !joined {
                sequences.push(Vec::new());
            }
        }
        let mut found = Vec::new();
        for groups in sequences {
            for start in 0..groups.len() {
                let mut number = String::new();
                for g in &groups[start..] {
                    number.push_str(g);
                    if number.len() == 18 && parse::resident_id(&number).is_ok() {
                        found.push(number.clone());
                    }
                    if number.len() >= 18 {
                        break;
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::testing::valid_ids_in;
    use super::*;

    #[test]
    fn an_excerpt_never_keeps_part_of_a_number() {
        let cell = format!("{}11010519491231002X and more", "户主".repeat(12));
        let cut = excerpt(&cell, 30);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(!cut.chars().any(|c| c.is_ascii_digit()), "{cut}");
        // A number cut in two is dropped whole, one written in groups too; a whole one
        // is kept for the redactor where the message leaves the process.
        assert_eq!(excerpt("面积 1234567890123", 8), "面积 …");
        assert_eq!(excerpt("证 110105 19491231 002X", 12), "证 …");
        let whole = "身份证 11010519491231002X";
        assert_eq!(excerpt(whole, 40), whole);
        assert_eq!(excerpt("short", 40), "short");
    }

    fn protector() -> Protector {
        Protector::from_key(b"0123456789abcdef0123456789abcdef", NameMask::KeepFirst).unwrap()
    }

    #[test]
    fn pseudonyms_are_keyed_stable_and_separated_by_kind() {
        let p = protector();
        let a = p.pseudonym(Personal::IdNumber, "11010519491231002X");
        assert_eq!(a.len(), 64);
        assert_eq!(a, p.pseudonym(Personal::IdNumber, "11010519491231002X"));
        assert_ne!(a, p.pseudonym(Personal::Phone, "11010519491231002X"));
        let other =
            Protector::from_key(b"another key of at least 32 bytes!", NameMask::KeepFirst).unwrap();
        assert_ne!(a, other.pseudonym(Personal::IdNumber, "11010519491231002X"));
        // RFC 4231-style check that this really is HMAC-SHA256 (test case 2 key/data).
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn short_keys_are_refused_and_the_key_is_never_printed() {
        assert_eq!(
            Protector::from_key(b"short", NameMask::Drop).unwrap_err(),
            5
        );
        let shown = format!("{:?}", protector());
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn names_are_masked_one_star_per_character_or_dropped() {
        assert_eq!(protector().person_name("王建军").as_deref(), Some("王**"));
        assert_eq!(
            protector().person_name("欧阳娜娜").as_deref(),
            Some("欧***")
        );
        assert_eq!(protector().person_name("  ").as_deref(), None);
        let drop = Protector::from_key(&[7; 32], NameMask::Drop).unwrap();
        assert_eq!(drop.person_name("王建军"), None);
    }

    #[test]
    fn free_text_loses_its_phones_and_id_numbers() {
        let p = protector();
        let text = r#"{"受让方":"王建军","证件":"11010519491231002X","电话":"138-0013-8000","旧证":"110105491231002","面积":"35.5","编号":"JZ140702202300001"}"#;
        let red = p.redact_text(text);
        for secret in ["11010519491231002X", "138-0013-8000", "110105491231002"] {
            assert!(!red.contains(secret), "{secret} in {red}");
        }
        assert!(red.contains("[id:"), "{red}");
        assert!(red.contains("[phone:"), "{red}");
        assert!(
            red.contains("JZ140702202300001"),
            "project numbers are not personal: {red}"
        );
        assert!(red.contains("35.5"));
        // The same phone in another spelling redacts to the same marker; so does an ID.
        assert_eq!(
            p.redact_text("13800138000"),
            p.redact_text("+86 138 0013 8000")
        );
        let id = p.redact_text("11010519491231002X");
        for spelling in [
            "110105 19491231 002x",
            "１１０１０５\\u{3000}１９４９１２３１\\u{3000}００２Ｘ",
            "110105491231002",
        ] {
            assert_eq!(p.redact_text(spelling), id, "{spelling}");
        }
    }

    #[test]
    fn native_ids_lose_only_numbers_beyond_doubt() {
        let p = protector();
        let marker = |kind, n: &str| {
            format!(
                "[{}:{}]",
                match kind {
                    Personal::IdNumber => "id",
                    Personal::Phone => "phone",
                },
                &p.pseudonym(kind, n)[..16]
            )
        };
        // 10 cases
        let cases: &[(&str, String)] = &[
            (
                "11010519491231002X",
                marker(Personal::IdNumber, "11010519491231002X"),
            ),
            (
                "110105 19491231 002x",
                marker(Personal::IdNumber, "11010519491231002X"),
            ),
            ("13800138000", marker(Personal::Phone, "13800138000")),
            (
                "JZ-11010519491231002X-01",
                format!("JZ-{}-01", marker(Personal::IdNumber, "11010519491231002X")),
            ),
            ("JZ140702202300001", "JZ140702202300001".into()),
            ("ZC140702100200-00001", "ZC140702100200-00001".into()),
            ("1234567890123456", "1234567890123456".into()),
            ("110105194912310021", "110105194912310021".into()),
            ("03541234567", "03541234567".into()),
            ("140702100200", "140702100200".into()),
        ];
        for (id, want) in cases {
            assert_eq!(&p.native_id(id), want, "{id}");
        }
    }

    #[test]
    fn the_keyless_mask_finds_what_the_redactor_finds() {
        let text = "身份证 110105 19491231 002X，电话１３８００１３８０００，编号JZ140702202300001";
        assert_eq!(
            mask_personal(text),
            "身份证 [id]，电话[phone]，编号JZ140702202300001"
        );
        let red = protector().redact_text(text);
        assert_eq!(mask_personal(&red), red, "markers are left alone");
        assert_eq!(
            protector().redact_text(&red),
            red,
            "redacting twice changes nothing"
        );
    }

    /// A valid ID number from its parts, in one of the ways people write one.
    fn spelled_id(province: usize, days: i64, sequence: u32, spelling: usize) -> String {
        const PROVINCES: [&str; 6] = ["11", "14", "31", "44", "65", "91"];
        let born =
            chrono::NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(days);
        let body = format!(
            "{}0105{}{sequence:03}",
            PROVINCES[province % PROVINCES.len()],
            born.format("%Y%m%d")
        );
        let id = format!("{body}{}", parse::resident_id_check_char(&body).unwrap());
        let full_width = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
                    'X' => 'Ｘ',
                    c => c,
                })
                .collect()
        };
        let (a, b, c) = (&id[..6], &id[6..14], &id[14..]);
        match spelling % 9 {
            0 => id.clone(),
            1 => id.to_lowercase(),
            2 => format!("{a} {b} {c}"),
            3 => format!("{a}-{b}-{c}"),
            4 => full_width(&id),
            5 => format!(
                "{}\u{3000}{}\u{3000}{}",
                full_width(a),
                full_width(b),
                full_width(c)
            ),
            6 => format!("ID{id}"),
            7 => format!("身份证号:{id}"),
            _ => format!("{} {} {} {}", &id[..4], &id[4..10], &id[10..14], c),
        }
    }

    proptest::proptest! {
        /// Random text with valid ID numbers spelled every way inside it: the
        /// redactors never panic, never let a valid ID through, and are idempotent.
        #[test]
        fn redacted_text_never_holds_a_valid_id_number(
            parts in proptest::collection::vec(
                (
                    "[0-9a-zA-Z \\-:：，,。()（）身份证号码电话ID０-９Ｘｘ\u{3000}]{0,14}",
                    0usize..6,
                    0i64..36_000,
                    0u32..1000,
                    0usize..9,
                ),
                0..6,
            ),
            tail in "[0-9a-zA-Z \\-:：，０-９Ｘ\u{3000}]{0,14}",
        ) {
            let mut text = String::new();
            for (noise, province, days, sequence, spelling) in &parts {
                text.push_str(noise);
                text.push_str(&spelled_id(*province, *days, *sequence, *spelling));
            }
            text.push_str(&tail);
            let p = protector();
            let red = p.redact_text(&text);
            proptest::prop_assert_eq!(valid_ids_in(&red), Vec::<String>::new(), "{} -> {}", text, red);
            let masked = mask_personal(&text);
            proptest::prop_assert_eq!(valid_ids_in(&masked), Vec::<String>::new(), "{} -> {}", text, masked);
            proptest::prop_assert_eq!(&p.redact_text(&red), &red);
            proptest::prop_assert_eq!(&mask_personal(&masked), &masked);
        }

        /// Any text at all: no panic, and no valid ID number survives.
        #[test]
        fn any_text_is_redacted_without_panic(text in "\\PC{0,80}") {
            let red = protector().redact_text(&text);
            proptest::prop_assert_eq!(valid_ids_in(&red), Vec::<String>::new());
            let _ = mask_personal(&text);
            let _ = protector().native_id(&text);
        }
    }
}
