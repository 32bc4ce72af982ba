//! Check characters of the identifiers the simulator publishes, written from the standards
//! (see `/work/shared/DOMAIN.md`, "Identifiers"):
//!
//! - GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters of a
//!   31-character alphabet; the 18th checks the first 17.
//! - GB 11714 organisation code (组织机构代码), characters 9–17 of a credit code: eight
//!   characters and a check character.
//! - GB 11643-1999 resident ID number (公民身份号码): 17 digits and a check character.
//!
//! This is deliberately not the daemon's code: the simulator is the independent oracle the
//! daemon's parsers are tested against (`tests/simulator_contract.rs`), so a mistake in
//! one of them shows up as a disagreement instead of being shared by both.

/// The GB 32100 alphabet in value order: digits, then the capitals without I, O, S, V, Z.
pub const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 weights of positions 1–17: 3^(i−1) mod 31.
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights of the organisation code's eight characters.
const ORGANISATION_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// GB 11643 weights of the 17 digits: 2^(18−i) mod 11.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character (position 18) of a credit code's first 17 characters; `None` when
/// there are not 17 or one is outside [`CREDIT_ALPHABET`].
pub fn credit_code_check(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&c, weight) in first17.iter().zip(CREDIT_WEIGHTS) {
        let value = CREDIT_ALPHABET.iter().position(|&a| a == c)? as u32;
        sum += value * weight;
    }
    // (31 − sum mod 31) mod 31: without the outer mod a remainder of 0 would ask for
    // value 31, which the alphabet does not have; it is 0.
    Some(CREDIT_ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// The check character (the ninth) of an organisation code's eight characters: digits
/// are worth themselves and capitals A–Z 10–35; the check is 11 − (sum mod 11), written
/// `X` for 10 and `0` for 11. `None` for any other length or character.
pub fn organisation_code_check(body: &[u8]) -> Option<u8> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (&c, weight) in body.iter().zip(ORGANISATION_WEIGHTS) {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += value * weight;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        // 1..=9
        digit => b'0' + digit as u8,
    })
}

/// The check character of a resident ID number's 17 digits: the value c with
/// sum + c ≡ 1 (mod 11), i.e. (12 − sum mod 11) mod 11, written `X` for 10. `None` when
/// there are not 17 ASCII digits.
pub fn resident_id_check(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(&c, weight)| u32::from(c - b'0') * weight)
        .sum();
    Some(match (12 - sum % 11) % 11 {
        10 => b'X',
        // 0..=9
        digit => b'0' + digit as u8,
    })
}

/// Whether an 18-character credit code's organisation code and overall check characters
/// are both right.
pub fn credit_code_is_valid(code: &[u8]) -> bool {
    code.len() == 18
        && organisation_code_check(&code[8..16]) == Some(code[16])
        && credit_code_check(&code[..17]) == Some(code[17])
}

/// Whether an 18-character resident ID number's check character is right.
pub fn resident_id_is_valid(number: &[u8]) -> bool {
    number.len() == 18 && resident_id_check(&number[..17]) == Some(number[17])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_the_standards_powers() {
        for (i, &w) in CREDIT_WEIGHTS.iter().enumerate() {
            assert_eq!(w, 3u32.pow(i as u32) % 31, "credit weight {}", i + 1);
        }
        for (i, &w) in ID_WEIGHTS.iter().enumerate() {
            assert_eq!(w, 2u32.pow(17 - i as u32) % 11, "ID weight {}", i + 1);
        }
    }

    #[test]
    fn the_domain_test_vectors_check() {
        let code = b"91350100M000100Y43";
        assert_eq!(organisation_code_check(&code[8..16]), Some(b'4'));
        assert_eq!(credit_code_check(&code[..17]), Some(b'3'));
        assert!(credit_code_is_valid(code));
        let id = b"11010519491231002X";
        assert_eq!(resident_id_check(&id[..17]), Some(b'X'));
        assert!(resident_id_is_valid(id));
    }

    #[test]
    fn a_changed_character_fails_the_check() {
        assert!(!credit_code_is_valid(b"91350100M000100Y44"));
        assert!(!credit_code_is_valid(b"91350100M000101Y43"));
        assert!(!resident_id_is_valid(b"110105194912310021"));
        assert!(!resident_id_is_valid(b"11010519491231003X"));
    }

    #[test]
    fn characters_outside_the_alphabets_have_no_check() {
        // I, O, S, V and Z are not in the GB 32100 alphabet; lower case is not either.
        for bad in [b'I', b'O', b'S', b'V', b'Z', b'a', b'-'] {
            let mut body = *b"91350100M000100Y4";
            body[10] = bad;
            assert_eq!(credit_code_check(&body), None, "{}", bad as char);
        }
        assert_eq!(credit_code_check(b"91350100M000100Y"), None);
        assert_eq!(organisation_code_check(b"M000100y"), None);
        assert_eq!(organisation_code_check(b"M000100"), None);
        assert_eq!(resident_id_check(b"1101051949123100X"), None);
        assert_eq!(resident_id_check(b"110105194912310"), None);
    }

    #[test]
    fn a_remainder_of_zero_gives_check_zero() {
        // 17 zeros sum to 0: (31 − 0) mod 31 = 0, the character '0', not an index of 31.
        assert_eq!(credit_code_check(&[b'0'; 17]), Some(b'0'));
        // Organisation code: 11 − 0 = 11 is written 0.
        assert_eq!(organisation_code_check(b"00000000"), Some(b'0'));
        // ID: (12 − 0) mod 11 = 1.
        assert_eq!(resident_id_check(&[b'0'; 17]), Some(b'1'));
    }
}
