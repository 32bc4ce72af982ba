//! CSV text decoding, streamed. Excel on Chinese Windows saves "CSV" as GBK (code page
//! 936); "CSV UTF-8" adds a BOM; tools on Linux write plain UTF-8. GB18030 is a superset
//! of GBK, so GBK files decode as GB18030 (`encoding_rs` uses one decoder for both
//! labels). Nothing is decoded with replacement characters: a byte that is not valid in
//! the encoding refuses the file, naming its offset and line.
//!
//! The encoding is chosen before the text is read ([`Sniff`], fed while the file is
//! hashed): a BOM, or bytes that are valid UTF-8 all through, mean UTF-8; anything else
//! GB18030. Then [`TextReader`] decodes the file chunk by chunk, so memory holds one
//! chunk, never the file. A character cut off by the end of the file is reported as
//! [`RefusalKind::Incomplete`](super::refusal::RefusalKind): the file may still be being
//! written.

use std::io::Read;

use encoding_rs::{Decoder, DecoderResult, GB18030, UTF_8};

use super::config::Encoding;
use super::refusal::Refusal;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Raw bytes decoded per read.
pub(crate) const CHUNK: usize = 64 << 10;

/// What the bytes of a file say about its encoding, gathered while they stream past.
#[derive(Debug, Default)]
pub(crate) struct Sniff {
    /// The first bytes, for byte order marks.
    head: Vec<u8>,
    /// The end of the last chunk when it stops inside a UTF-8 sequence.
    carry: Vec<u8>,
    not_utf8: bool,
}

/// The encoding a CSV file is read in, and why (for the error naming a bad byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choice {
    pub label: &'static str,
    utf8: bool,
    bom: bool,
    why: &'static str,
}

impl Sniff {
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < 3 {
            let take = (3 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.not_utf8 {
            return;
        }
        let joined;
        let data = if self.carry.is_empty() {
            chunk
        } else {
            joined = [self.carry.as_slice(), chunk].concat();
            &joined
        };
        match std::str::from_utf8(data) {
            Ok(_) => self.carry.clear(),
            // Stopped inside a sequence: the next chunk may complete it.
            Err(e) if e.error_len().is_none() => self.carry = data[e.valid_up_to()..].to_vec(),
            Err(_) => self.not_utf8 = true,
        }
    }

    /// The encoding to read the file in, under the configured `encoding`.
    ///
    /// # Errors
    /// A UTF-16 file (Excel's "Unicode text") under `auto`.
    pub(crate) fn choose(&self, encoding: Encoding) -> Result<Choice, Refusal> {
        let bom = self.head.starts_with(UTF8_BOM);
        let utf8 = |why| Choice {
            label: "UTF-8",
            utf8: true,
            bom,
            why,
        };
        let gb = |why| Choice {
            label: "GB18030",
            utf8: false,
            bom: false,
            why,
        };
        Ok(match encoding {
            Encoding::Utf8 => utf8("encoding = \"utf-8\""),
            Encoding::Gb18030 => gb("encoding = \"gbk\""),
            Encoding::Auto if bom => utf8("it starts with a UTF-8 byte order mark"),
            Encoding::Auto
                if self.head.starts_with(b"\xFF\xFE") || self.head.starts_with(b"\xFE\xFF") =>
            {
                return Err(Refusal::malformed("starts with a UTF-16 byte order mark (Excel's \"Unicode text\"); save it as \"CSV\" (GBK) or \"CSV UTF-8\""));
            }
            // A UTF-8 character cut off at the end is still UTF-8: reading it says the
            // file looks cut short, which GB18030 would not.
            Encoding::Auto if !self.not_utf8 => utf8("it is valid UTF-8 (encoding = \"auto\")"),
            Encoding::Auto => gb("it is not valid UTF-8 (encoding = \"auto\")"),
        })
    }
}

/// A file's bytes decoded to text chunk by chunk.
pub(crate) struct TextReader<R> {
    input: R,
    choice: Choice,
    decoder: Decoder,
    chunk: Vec<u8>,
    /// Raw bytes decoded so far (the file's offset of `chunk`'s start).
    offset: u64,
    /// Line breaks in the raw bytes before `chunk`.
    newlines: u64,
    /// The last raw bytes before `chunk`, to show a sequence that began there.
    tail: Vec<u8>,
    started: bool,
    done: bool,
}

impl<R: Read> TextReader<R> {
    pub(crate) fn new(input: R, choice: Choice) -> TextReader<R> {
        let encoding = if choice.utf8 { UTF_8 } else { GB18030 };
        TextReader {
            input,
            choice,
            decoder: encoding.new_decoder_without_bom_handling(),
            chunk: vec![0; CHUNK],
            offset: 0,
            newlines: 0,
            tail: Vec::new(),
            started: false,
            done: false,
        }
    }

    /// Append the next chunk's text to `out`; `false` once the file is read.
    ///
    /// # Errors
    /// A byte invalid in the encoding (incomplete when it is cut off by the end of the
    /// file), or an I/O error (unreadable).
    pub(crate) fn read_into(&mut self, out: &mut String) -> Result<bool, Refusal> {
        if self.done {
            return Ok(false);
        }
        let n = read_full(&mut self.input, &mut self.chunk).map_err(|e| Refusal::unreadable(&e))?;
        let last = n == 0;
        let mut from = 0;
        if !self.started {
            self.started = true;
            if self.choice.bom && self.chunk[..n].starts_with(UTF8_BOM) {
                from = UTF8_BOM.len();
            }
        }
        let src = &self.chunk[from..n];
        out.reserve(
            self.decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16),
        );
        let (result, read) = self
            .decoder
            .decode_to_string_without_replacement(src, out, last);
        if let DecoderResult::Malformed(bad, extra) = result {
            return Err(self.malformed(from + read, bad, extra, n, last));
        }
        debug_assert_eq!(read, src.len(), "capacity was reserved");
        self.newlines += self.chunk[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.tail = self.chunk[n.saturating_sub(4)..n].to_vec();
        self.offset += n as u64;
        self.done = last;
        Ok(!last)
    }

    /// The refusal for a malformed sequence ending `extra` bytes before `read` (an
    /// offset in `chunk`); it may have begun in the chunk before.
    fn malformed(&self, read: usize, bad: u8, extra: u8, n: usize, last: bool) -> Refusal {
        let end = read - usize::from(extra);
        let bad = usize::from(bad);
        let shown: Vec<u8> = if bad <= end {
            self.chunk[end - bad..end.max(end - bad + 1).min(n)].to_vec()
        } else {
            let before = (bad - end).min(self.tail.len());
            [&self.tail[self.tail.len() - before..], &self.chunk[..end]].concat()
        };
        let start = (self.offset + end as u64).saturating_sub(bad as u64);
        let line_breaks = match end.checked_sub(bad) {
            Some(at) => self.chunk[..at].iter().filter(|b| **b == b'\n').count() as u64,
            None => 0,
        };
        let line = self.newlines + line_breaks + 1;
        let shown = &shown[..shown.len().min(4)];
        let (what, advice) = if self.choice.utf8 {
            (
                "UTF-8",
                "save the file as UTF-8, or set encoding = \"gbk\" for a GBK export",
            )
        } else {
            (
                "GBK/GB18030",
                "save the file as \"CSV\" (GBK) or \"CSV UTF-8\" from Excel",
            )
        };
        let message = format!(
            "byte {start} (line {line}): {} is not valid {what}, the encoding it was read in because {}; {advice}",
            hex_bytes(shown),
            self.choice.why
        );
        if last && extra == 0 {
            Refusal::incomplete(format!(
                "{message} (it is cut off by the end of the file: still being written?)"
            ))
        } else {
            Refusal::malformed(message)
        }
    }
}

/// Fill `buf` unless the input ends first; the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn hex_bytes(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("byte sequence {}", hex.join(" "))
}

#[cfg(test)]
pub(crate) fn decode(bytes: &[u8], encoding: Encoding) -> Result<(String, &'static str), Refusal> {
    let mut sniff = Sniff::default();
    for chunk in bytes.chunks(7) {
        sniff.feed(chunk);
    }
    let choice = sniff.choose(encoding)?;
    let mut reader = TextReader::new(bytes, choice);
    let mut text = String::new();
    while reader.read_into(&mut text)? {}
    Ok((text, choice.label))
}

#[cfg(test)]
mod tests {
    use super::super::refusal::RefusalKind;
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
            .message
            .contains("UTF-16"));
    }

    #[test]
    fn text_longer_than_a_chunk_decodes_across_chunk_boundaries() {
        let text = "资产编码,资产名称\r\n".repeat(CHUNK / 10);
        for bytes in [text.as_bytes().to_vec(), gbk(&text)] {
            assert_eq!(decode(&bytes, Encoding::Auto).unwrap().0, text);
        }
    }

    #[test]
    fn undecodable_bytes_are_named_by_offset_and_line() {
        let mut bytes = gbk("资产编码\r\n村委会");
        let err = decode(&bytes, Encoding::Utf8).unwrap_err().message;
        assert!(
            err.starts_with("byte 0 (line 1): byte sequence D7"),
            "{err}"
        );
        assert!(err.contains("encoding = \"gbk\""), "{err}");
        bytes.extend_from_slice(b"\r\n\x81\x20");
        let err = decode(&bytes, Encoding::Gb18030).unwrap_err().message;
        assert!(
            err.starts_with(&format!("byte {} (line 3)", bytes.len() - 2)),
            "{err}"
        );
        let err = decode(&bytes, Encoding::Auto).unwrap_err().message;
        assert!(err.contains("GBK/GB18030"), "{err}");
        // Past the first chunk, offsets and lines count from the file's start.
        let mut long = "a,b\n".repeat(CHUNK).into_bytes();
        long.extend_from_slice(b"x\xFFy\n");
        let err = decode(&long, Encoding::Utf8).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Malformed);
        assert!(
            err.message.starts_with(&format!(
                "byte {} (line {}): byte sequence FF",
                CHUNK * 4 + 1,
                CHUNK + 1
            )),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_character_cut_off_by_the_end_of_the_file_is_incomplete() {
        let err = decode(b"ok\n\xEF\xBB", Encoding::Utf8).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Incomplete);
        assert!(
            err.message.starts_with("byte 3 (line 2)"),
            "{}",
            err.message
        );
        // Auto-sniffed: still UTF-8, still incomplete.
        let text = "资产编码,资产名称\r\n".as_bytes();
        let err = decode(&text[..text.len() - 4], Encoding::Auto).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Incomplete, "{}", err.message);
        let g = gbk("资产编码,资产名称");
        let err = decode(&g[..g.len() - 1], Encoding::Gb18030).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Incomplete, "{}", err.message);
    }
}
