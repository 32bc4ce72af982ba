//! Identifiers and phone numbers of the parties (转出方, 受让方): unified social credit
//! codes (GB 32100) of organisations, resident ID numbers (GB 11643) and mobiles of natural
//! persons, landlines of organisations.
//!
//! Nothing here is stored in a record or drawn from the dataset's random streams: each
//! value is a pure function of what the record already holds (the village, a company's
//! name parts, a person's key), so adding these fields left every other generated value
//! where it was, and the same organisation has the same code on every record. Check
//! characters come from the simulator's own [`crate::check`], written from the standards;
//! the daemon's contract tests (`tests/simulator_contract.rs`) read every kind of
//! identifier made here with the daemon's parsers, which is why this module is public.
//!
//! - Village collective economic organisation (股份经济合作社): `N2` + the village's
//!   county code (140703 for the old platform's 140726 records: the code of today's
//!   county) + an organisation code unique per village (its body is a permutation of the
//!   village's code).
//! - Company (有限公司): `91` + a Jinzhong region (the city 140700 or a county, fixed per
//!   company name) + an organisation code unique per name.
//! - Farmers' cooperative (专业合作社): `93` + the county code of the record's village
//!   (it is named after that county) + an organisation code unique per name and county.
//! - Natural person: an 18-digit ID of a Jinzhong county (mostly the record's own),
//!   born 1950-01-01 … 1999-12-31 (so the old 15-digit form exists for everyone), and a
//!   mobile `1[3-9]` + 9 digits.
//! - Organisations have a landline `0354-` + 7 digits (Jinzhong's area code), or none
//!   (about a third, fixed per organisation).

use chrono::{Datelike, Duration, NaiveDate};

use super::geography::{Geography, CITY_CODE};
use super::record::ProjectNo;
use crate::check::{
    credit_code_check, organisation_code_check, resident_id_check, CREDIT_ALPHABET,
};
/// GB 11643 check characters, in value order.
const ID_CHECKS: &[u8; 11] = b"0123456789X";
/// 31^6: the number of six-character organisation code tails.
const TAILS: u64 = 887_503_681;
/// First day of the persons' birth dates; the range holds 50 years.
const FIRST_BIRTH: (i32, u32, u32) = (1950, 1, 1);
const BIRTH_DAYS: u64 = 18_262; // 1950-01-01 ..= 1999-12-31
/// Share (in 1/100) of persons registered in the record's own county.
const LOCAL_PERCENT: u64 = 80;
/// Share (in 1/3) of organisations without a published landline.
const NO_LANDLINE_IN_THREE: u64 = 1;

/// Which side of the deal a party is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// 转出方
    Transferor,
    /// 受让方
    Transferee,
}

impl Role {
    /// The field name prefix: `转出方` or `受让方`.
    pub fn label(self) -> &'static str {
        match self {
            Role::Transferor => "转出方",
            Role::Transferee => "受让方",
        }
    }
}

/// splitmix64's finaliser: a fast, well-mixed bijection of u64.
pub(crate) fn mix(z: u64) -> u64 {
    let z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of a natural person party: a pure function of the seed, the project number
/// and the side, so it neither shifts the dataset's random draws nor changes when a
/// project moves along its lifecycle.
pub(crate) fn person_key(seed: u64, no: &ProjectNo, role: Role) -> u32 {
    let digits = no[2..]
        .iter()
        .fold(0u64, |n, &b| n * 10 + u64::from(b.wrapping_sub(b'0') % 10));
    let side = match role {
        Role::Transferor => 0,
        Role::Transferee => 1,
    };
    // Keep the low 32 bits; the mixing makes every bit equally good.
    mix(mix(seed ^ 0x5EED_1D00) ^ (digits << 1 | side)) as u32
}

/// What a person's ID number says: region, birth date, sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonId {
    pub region: &'static str,
    pub birth: NaiveDate,
    /// 0–999; odd for men.
    pub seq: u16,
}

impl PersonId {
    /// The ID of the person with `key`, on a record of the county at `local_county`.
    pub fn of(key: u32, local_county: usize, geo: &Geography) -> PersonId {
        let h = mix(u64::from(key) | 1 << 40);
        let county = if h % 100 < LOCAL_PERCENT {
            local_county
        } else {
            (h >> 8) as usize % geo.counties.len()
        };
        let (y, m, d) = FIRST_BIRTH;
        // A literal, valid date.
        let first = NaiveDate::from_ymd_opt(y, m, d).expect("valid literal date");
        let day = (h >> 16) % BIRTH_DAYS;
        PersonId {
            region: geo.counties[county].code,
            birth: first + Duration::days(day as i64),
            seq: ((h >> 40) % 1000) as u16,
        }
    }

    /// The 18-character number with its check character.
    pub fn number(&self) -> [u8; 18] {
        let mut id = [b'0'; 18];
        id[..6].copy_from_slice(&self.region.as_bytes()[..6]);
        let b = self.birth;
        put_digits(&mut id[6..10], b.year() as u64);
        put_digits(&mut id[10..12], u64::from(b.month()));
        put_digits(&mut id[12..14], u64::from(b.day()));
        put_digits(&mut id[14..17], u64::from(self.seq));
        id[17] = check_of_id(&id[..17]);
        id
    }

    /// The old 15-digit form (region, `yymmdd`, sequence, no check), which GB 11643
    /// readers upgrade to [`PersonId::number`] (every person here was born in the 1900s).
    pub fn old_number(&self) -> [u8; 15] {
        let full = self.number();
        let mut old = [b'0'; 15];
        old[..6].copy_from_slice(&full[..6]);
        old[6..15].copy_from_slice(&full[8..17]);
        old
    }
}

/// The check character of 17 ID digits.
fn check_of_id(first17: &[u8]) -> u8 {
    // `number` writes 17 ASCII digits.
    resident_id_check(first17).expect("17 ASCII digits")
}

/// `number` with its last character replaced by another valid-looking check character
/// (`shift` in 0..: which one), so only the check is wrong.
pub fn wrong_id_check(mut number: [u8; 18], shift: u8) -> [u8; 18] {
    let at = ID_CHECKS.iter().position(|&c| c == number[17]).unwrap_or(0);
    number[17] = ID_CHECKS[(at + 1 + usize::from(shift) % 10) % 11];
    number
}

/// A person's mobile number `1[3-9]xxxxxxxxx`.
pub fn mobile(key: u32) -> [u8; 11] {
    let h = mix(u64::from(key) | 2 << 40);
    let mut phone = [b'1'; 11];
    phone[1] = b"3456789"[(h % 7) as usize];
    put_digits(&mut phone[2..], (h >> 8) % 1_000_000_000);
    phone
}

/// An organisation: its kind (`N2`, `91`, `93`), registration region and a number
/// unique among organisations of that kind and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Organisation {
    pub kind: [u8; 2],
    pub region: &'static str,
    pub number: u32,
}

impl Organisation {
    /// The collective economic organisation of the village at `village`.
    pub fn collective(geo: &Geography, village: usize) -> Organisation {
        let v = &geo.villages[village];
        // County (as its offset in the city), town and village digits: unique, and below
        // 100 × 10^6, so every village gets its own tail.
        let county: u32 = v.code[4..6].parse().unwrap_or(0);
        let number = county * 1_000_000 + v.code[6..12].parse::<u32>().unwrap_or(0);
        Organisation {
            kind: *b"N2",
            region: geo.counties[v.county].code,
            number,
        }
    }

    /// A company, by the indices of its name parts.
    pub fn company(geo: &Geography, brand: u8, trade: u8) -> Organisation {
        let number = 1_000_000 + u32::from(brand) * 64 + u32::from(trade);
        let h = mix(u64::from(number) | 3 << 40) as usize;
        // The city itself or one of its counties.
        let pick = h % (geo.counties.len() + 1);
        Organisation {
            kind: *b"91",
            region: geo.counties.get(pick).map_or(CITY_CODE, |c| c.code),
            number,
        }
    }

    /// A farmers' cooperative of the county at `county`, by the indices of its name parts.
    pub fn cooperative(geo: &Geography, county: usize, brand: u8, trade: u8) -> Organisation {
        Organisation {
            kind: *b"93",
            region: geo.counties[county].code,
            number: 2_000_000 + u32::from(brand) * 64 + u32::from(trade),
        }
    }

    /// The 18-character unified social credit code with both check characters.
    pub fn credit_code(&self) -> [u8; 18] {
        let mut code = [b'0'; 18];
        code[..2].copy_from_slice(&self.kind);
        code[2..8].copy_from_slice(&self.region.as_bytes()[..6]);
        // New registrations' organisation codes: M, a letter, then six characters.
        code[8] = b'M';
        code[9] = if self.kind == *b"N2" { b'F' } else { b'A' };
        // An affine map mod 31^6 is a bijection (the factor is prime to 31), so distinct
        // numbers give distinct tails that do not look sequential.
        let mut tail = (u64::from(self.number) * 387_420_489 + 123_456_789) % TAILS;
        for slot in code[10..16].iter_mut().rev() {
            *slot = CREDIT_ALPHABET[(tail % 31) as usize];
            tail /= 31;
        }
        // Characters 9–16 are capitals and digits, and all of 1–17 (the kind, the region's
        // digits, M, A or F, the tail, the organisation check 0–9 or X) are in the
        // alphabet, so both checks exist.
        code[16] = organisation_code_check(&code[8..16]).expect("organisation code body");
        code[17] = credit_code_check(&code[..17]).expect("credit code alphabet");
        code
    }

    /// The published landline `0354-xxxxxxx`, or none.
    pub fn landline(&self) -> Option<[u8; 12]> {
        let region: u64 = self.region.parse().unwrap_or(0);
        let kind = u64::from(self.kind[0]) << 8 | u64::from(self.kind[1]);
        let h = mix(mix(region << 16 | kind) ^ u64::from(self.number));
        if h % 3 < NO_LANDLINE_IN_THREE {
            return None;
        }
        let mut phone = *b"0354-0000000";
        phone[5] = b"2345678"[((h >> 8) % 7) as usize];
        put_digits(&mut phone[6..], (h >> 16) % 1_000_000);
        Some(phone)
    }
}

/// `code` with its last character replaced by another character of the alphabet (`shift`
/// in 0..: which one), so only the overall check is wrong.
pub fn wrong_credit_check(mut code: [u8; 18], shift: u8) -> [u8; 18] {
    let at = CREDIT_ALPHABET
        .iter()
        .position(|&c| c == code[17])
        .unwrap_or(0);
    code[17] = CREDIT_ALPHABET[(at + 1 + usize::from(shift) % 30) % 31];
    code
}

/// Write `value` as zero-padded decimal digits filling `slot` (its most significant
/// digits are dropped if it does not fit).
fn put_digits(slot: &mut [u8], mut value: u64) {
    for b in slot.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// ASCII bytes built here as text.
pub fn ascii(bytes: &[u8]) -> &str {
    // Every identifier and phone here is built from ASCII digits, letters and '-'.
    std::str::from_utf8(bytes).unwrap_or("")
}

#[cfg(test)]
mod tests {
    //! The identifiers against the simulator's own check characters and the standards'
    //! layout; `tests/simulator_contract.rs` reads the same ones with the daemon's parsers.
    use super::*;
    use crate::check::{credit_code_is_valid, resident_id_is_valid};

    fn is_mobile(phone: &[u8]) -> bool {
        phone.len() == 11
            && phone[0] == b'1'
            && (b'3'..=b'9').contains(&phone[1])
            && phone.iter().all(u8::is_ascii_digit)
    }

    #[test]
    fn collective_codes_are_valid_and_unique_per_village() {
        let geo = Geography::jinzhong();
        let mut seen = std::collections::HashSet::new();
        for (i, v) in geo.villages.iter().enumerate() {
            let org = Organisation::collective(geo, i);
            let code = org.credit_code();
            assert!(credit_code_is_valid(&code), "{}", ascii(&code));
            assert_eq!(&code[..2], b"N2");
            assert_eq!(ascii(&code[2..8]), &v.code[..6]);
            assert!(seen.insert(code), "{}", ascii(&code));
        }
    }

    #[test]
    fn wrong_checks_are_wrong_in_the_last_character_only() {
        let geo = Geography::jinzhong();
        let org = Organisation::company(geo, 3, 2);
        let code = org.credit_code();
        assert!(credit_code_is_valid(&code));
        for shift in 0..=255 {
            let wrong = wrong_credit_check(code, shift);
            assert_eq!(wrong[..17], code[..17]);
            assert!(CREDIT_ALPHABET.contains(&wrong[17]));
            assert!(!credit_code_is_valid(&wrong), "{}", ascii(&wrong));
        }
        let id = PersonId::of(12345, 0, geo).number();
        assert!(resident_id_is_valid(&id));
        for shift in 0..=255 {
            let wrong = wrong_id_check(id, shift);
            assert_eq!(wrong[..17], id[..17]);
            assert!(ID_CHECKS.contains(&wrong[17]));
            assert!(!resident_id_is_valid(&wrong), "{}", ascii(&wrong));
        }
    }

    #[test]
    fn person_ids_are_valid_in_both_forms_and_phones_are_mobiles() {
        let geo = Geography::jinzhong();
        for key in (0..100_000u32).step_by(97) {
            let person = PersonId::of(key, 4, geo);
            let id = person.number();
            assert!(resident_id_is_valid(&id), "{}", ascii(&id));
            assert_eq!(ascii(&id[6..14]), person.birth.format("%Y%m%d").to_string());
            assert!((1950..2000).contains(&person.birth.year()));
            assert!(geo.counties.iter().any(|c| c.code == ascii(&id[..6])));
            // The old form drops the century (always 19 here) and the check character.
            let old = person.old_number();
            assert_eq!(&id[6..8], b"19");
            assert_eq!((&old[..6], &old[6..]), (&id[..6], &id[8..17]));
            assert!(is_mobile(&mobile(key)), "{}", ascii(&mobile(key)));
        }
    }

    #[test]
    fn landlines_are_jinzhong_numbers_or_none() {
        let geo = Geography::jinzhong();
        let mut none = 0;
        for i in 0..geo.villages.len() {
            match Organisation::collective(geo, i).landline() {
                Some(phone) => {
                    let (area, number) = ascii(&phone).split_at(5);
                    assert_eq!(area, "0354-");
                    assert!(number.len() == 7 && number.bytes().all(|b| b.is_ascii_digit()));
                    assert!(!number.starts_with(['0', '1']), "{number}");
                }
                None => none += 1,
            }
        }
        let share = none as f64 / geo.villages.len() as f64;
        assert!((0.25..0.42).contains(&share), "{share}");
    }
}
