//! What comes back from an upstream, read with bounds: a response body is read as a
//! stream and abandoned as soon as it passes its limit (counted after decompression, so
//! a small gzip body expanding to gigabytes stops at the limit too), and upstream text
//! quoted in an error or a log line is escaped and shortened, so a hostile body cannot
//! forge log lines or send terminal escape codes.

use std::fmt::Write;

use reqwest::Response;

/// How much of an error response's body is read: enough for the excerpt quoted.
pub(crate) const ERROR_BODY_MAX: u64 = 16 * 1024;

/// Characters of upstream text quoted in a message.
pub(crate) const QUOTE_MAX_CHARS: usize = 300;

/// Why a body could not be read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// More than `limit` bytes (after decompression): reading stopped there.
    TooLarge { limit: u64 },
    /// The connection failed or the body was cut short.
    Read(reqwest::Error),
}

/// Read `response`'s body, at most `limit` bytes after decompression. Memory stays
/// bounded by the limit: chunks are taken one at a time and the response is dropped
/// (closing the connection) as soon as the limit is passed.
pub(crate) async fn read_limited(mut response: Response, limit: u64) -> Result<Vec<u8>, BodyError> {
    // A declared length over the limit fails before any byte is read. (With gzip the
    // length is not known until the end: reqwest reports none.)
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let hint = response.content_length().unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of an error response's body, for the message quoting it: at most
/// [`ERROR_BODY_MAX`] bytes are read, a read failure gives what came before it.
pub(crate) async fn error_excerpt(mut response: Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() as u64 >= ERROR_BODY_MAX {
            break;
        }
    }
    excerpt(&body)
}

/// The start of a body, for error messages: enough to recognise it, never a flood, with
/// control characters escaped.
pub(crate) fn excerpt(body: &[u8]) -> String {
    quote(&String::from_utf8_lossy(body))
}

/// Upstream text made safe to quote in one log line or error message: trimmed, at most
/// [`QUOTE_MAX_CHARS`] characters (then `…`), and every character that could end a line,
/// move the cursor, recolour a terminal or reorder text (C0 and C1 controls, DEL, line
/// and paragraph separators, bidirectional overrides) written as a `\u{…}` escape
/// (`\n`, `\r`, `\t` for the usual three).
pub(crate) fn quote(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len().min(QUOTE_MAX_CHARS * 4));
    for (i, c) in text.chars().enumerate() {
        if i == QUOTE_MAX_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_in_a_line(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

fn unsafe_in_a_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_upstream_text_stays_on_one_line_without_escape_codes() {
        let hostile = "bad request\n2026-01-01T00:00:00Z ERROR forged\r\x1b[2J\x1b[31mred\u{9b}\u{2028}\u{202e}txt\tend";
        let q = quote(hostile);
        assert_eq!(
            q,
            "bad request\\n2026-01-01T00:00:00Z ERROR forged\\r\\u{1b}[2J\\u{1b}[31mred\\u{9b}\\u{2028}\\u{202e}txt\\tend"
        );
        assert!(!q.chars().any(char::is_control));
    }

    #[test]
    fn quoted_upstream_text_is_bounded() {
        let long = "错".repeat(1000);
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTE_MAX_CHARS + 1);
        assert!(q.ends_with('…'));
        assert_eq!(quote("  短  "), "短");
        assert_eq!(excerpt(b"\xff{}"), "\u{fffd}{}");
    }
}
