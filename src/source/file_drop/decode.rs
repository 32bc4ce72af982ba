//! CSV text decoding. Excel on Chinese Windows saves "CSV" as GBK (code page 936);
//! "CSV UTF-8" adds a BOM; tools on Linux write plain UTF-8. GB18030 is a superset of
//! GBK, so GBK files decode as GB18030 (`encoding_rs` uses one decoder for both labels).
//! Nothing is decoded with replacement characters: a byte that is not valid in the
//! encoding refuses the file, naming its offset.

use encoding_rs::{DecoderResult, GB18030};

use super::config::Encoding;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's text and the encoding it was read in (for the log).
pub(crate) fn decode(bytes: &[u8], encoding: Encoding) -> Result<(String, &'static str), String> {
    match encoding {
        Encoding::Utf8 => utf8(
            bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes),
            bytes,
            "encoding = \"utf-8\"",
        )
        .map(|t| (t, "UTF-8")),
        Encoding::Gb18030 => gb18030(bytes, "encoding = \"gbk\"").map(|t| (t, "GB18030")),
        Encoding::Auto => {
            if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
                return utf8(rest, bytes, "it starts with a UTF-8 byte order mark")
                    .map(|t| (t, "UTF-8"));
            }
            if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
                return Err("starts with a UTF-16 byte order mark (Excel's \"Unicode text\"); save it as \"CSV\" (GBK) or \"CSV UTF-8\"".into());
            }
            match std::str::from_utf8(bytes) {
                Ok(text) => Ok((text.to_owned(), "UTF-8")),
                Err(_) => gb18030(bytes, "it is not valid UTF-8 (encoding = \"auto\")")
                    .map(|t| (t, "GB18030")),
            }
        }
    }
}

/// `text` is `whole` without its BOM, if any.
fn utf8(text: &[u8], whole: &[u8], why: &str) -> Result<String, String> {
    match std::str::from_utf8(text) {
        Ok(t) => Ok(t.to_owned()),
        Err(e) => {
            let offset = whole.len() - text.len() + e.valid_up_to();
            let len = e.error_len().unwrap_or(whole.len() - offset).min(4);
            Err(format!(
                "byte {offset} (line {}): {} is not valid UTF-8, the encoding it was read in because {why}; save the file as UTF-8, or set encoding = \"gbk\" for a GBK export",
                line_of(whole, offset),
                hex_bytes(&whole[offset..offset + len])
            ))
        }
    }
}

fn gb18030(bytes: &[u8], why: &str) -> Result<String, String> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len() * 2),
    );
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], &mut out, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(bytes.len() - read_total + 16),
            DecoderResult::Malformed(bad, extra) => {
                let end = read_total - usize::from(extra);
                let start = end - usize::from(bad);
                return Err(format!(
                    "byte {start} (line {}): {} is not valid GBK/GB18030, the encoding it was read in because {why}; save the file as \"CSV\" (GBK) or \"CSV UTF-8\" from Excel",
                    line_of(bytes, start),
                    hex_bytes(&bytes[start..end.max(start + 1).min(bytes.len())])
                ));
            }
        }
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

fn hex_bytes(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("byte sequence {}", hex.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        bytes.into_owned()
    }

    #[test]
    fn auto_sniffs_bom_utf8_and_gbk() {
        let text = "资产编码,资产名称\r\nZC-1,村委会办公楼\r\n";
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(
            decode(&bom, Encoding::Auto).unwrap(),
            (text.to_owned(), "UTF-8")
        );
        assert_eq!(
            decode(text.as_bytes(), Encoding::Auto).unwrap(),
            (text.to_owned(), "UTF-8")
        );
        assert_eq!(
            decode(&gbk(text), Encoding::Auto).unwrap(),
            (text.to_owned(), "GB18030")
        );
        // GB18030-only characters (four-byte forms) decode too.
        let (rare, _, _) = encoding_rs::GB18030.encode("𠀀村");
        assert_eq!(decode(&rare, Encoding::Auto).unwrap().0, "𠀀村");
        assert!(decode(b"\xFF\xFEa\0", Encoding::Auto)
            .unwrap_err()
            .contains("UTF-16"));
    }

    #[test]
    fn undecodable_bytes_are_named_by_offset_and_line() {
        let mut bytes = gbk("资产编码\r\n村委会");
        let err = decode(&bytes, Encoding::Utf8).unwrap_err();
        assert!(
            err.starts_with("byte 0 (line 1): byte sequence D7"),
            "{err}"
        );
        assert!(err.contains("encoding = \"gbk\""), "{err}");
        bytes.extend_from_slice(b"\r\n\x81\x20");
        let err = decode(&bytes, Encoding::Gb18030).unwrap_err();
        assert!(
            err.starts_with(&format!("byte {} (line 3)", bytes.len() - 2)),
            "{err}"
        );
        let err = decode(&bytes, Encoding::Auto).unwrap_err();
        assert!(err.contains("GBK/GB18030"), "{err}");
        let err = decode(b"ok\n\xEF\xBB", Encoding::Utf8).unwrap_err();
        assert!(err.starts_with("byte 3 (line 2)"), "{err}");
    }
}
