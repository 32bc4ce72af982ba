//! Personal data protection (PIPL): natural persons' ID numbers and phone numbers never
//! reach a topic in clear.
//!
//! - ID numbers and phones become keyed pseudonyms: HMAC-SHA256 over the canonical value
//!   (the 18-character ID, the phone's digits) under a key that stays with the operator.
//!   The same person links across records and sources without being readable; without
//!   the key, the small space of ID numbers cannot be brute-forced back.
//! - Persons' names are masked (`王**`) or dropped, as configured.
//! - [`Protector::redact_text`] finds phone and ID numbers inside free text (a dead
//!   letter's raw record, its message) and replaces them with their pseudonyms.
//!
//! The key comes from an environment variable or a file, is held only here and is never
//! formatted: `Debug` prints a placeholder.

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::normalize::parse;

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
    /// with a pseudonym marker, so free text can be published.
    pub fn redact_text(&self, text: &str) -> String {
        let mut spans: Vec<(std::ops::Range<usize>, String)> = parse::find_phones(text)
            .into_iter()
            .map(|r| {
                let digits = parse::phone(&text[r.clone()])
                    .map_or_else(|| text[r.clone()].to_owned(), |p| p.digits);
                let marker = format!(
                    "[phone:{}]",
                    &self.pseudonym(Personal::Phone, &digits)[..16]
                );
                (r, marker)
            })
            .collect();
        for r in id_like_runs(text) {
            if spans
                .iter()
                .any(|(s, _)| s.start < r.end && r.start < s.end)
            {
                continue;
            }
            let canonical = parse::resident_id(&text[r.clone()]).map_or_else(
                |_| text[r.clone()].to_ascii_uppercase(),
                |id| id.as_str().to_owned(),
            );
            let marker = format!(
                "[id:{}]",
                &self.pseudonym(Personal::IdNumber, &canonical)[..16]
            );
            spans.push((r, marker));
        }
        spans.sort_by_key(|(r, _)| r.start);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (r, marker) in spans {
            out.push_str(&text[at..r.start]);
            out.push_str(&marker);
            at = r.end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Runs of 15 to 18 ASCII digits (the 18th may be X) standing alone, not part of a longer
/// token such as a project number `JZ140702202300001`: the shapes of resident ID numbers,
/// valid or not.
fn id_like_runs(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i < bytes.len() && matches!(bytes[i], b'X' | b'x') && i - start == 17 {
            i += 1;
        }
        let alone = |at: Option<&u8>| at.is_none_or(|b| !b.is_ascii_alphanumeric());
        let before = start.checked_sub(1).and_then(|j| bytes.get(j));
        if (15..=18).contains(&(i - start)) && alone(before) && alone(bytes.get(i)) {
            runs.push(start..i);
        }
    }
    runs
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // The same phone in another spelling redacts to the same marker.
        assert_eq!(
            p.redact_text("13800138000"),
            p.redact_text("+86 138 0013 8000")
        );
    }
}
