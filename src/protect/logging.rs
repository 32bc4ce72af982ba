//! The log's last step before stderr: every formatted event passes the redactor and has
//! its control characters escaped, whatever field or message the text came from.
//!
//! - **Redaction without a key.** Log lines are written from the first moment, before
//!   the pseudonym key is loaded (and when it cannot be), so they use
//!   [`mask_personal`]: `[id]` and `[phone]`. A log line need not link a person across
//!   records; it must not name one.
//! - **No forged lines.** An upstream error body, a file name or a cell may hold
//!   newlines, carriage returns or terminal escape codes. Inside an event they are written
//!   as `\n`, `\r`, `\u{1b}` …; only the event's own final newline ends a line, so one
//!   event is always one line and a text cannot paint or fake another event. JSON events
//!   are escaped by the formatter already and pass unchanged apart from the masking.
//!   Colours are therefore off: the formatter's own escape codes would be escaped too.
//!
//! Install it around the writer of a `tracing_subscriber::fmt` subscriber:
//! `.with_writer(ProtectedWriter::new(std::io::stderr)).with_ansi(false)`.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use super::mask_personal;

/// A [`MakeWriter`] whose writers hold each event whole, then write it protected.
#[derive(Debug, Clone)]
pub struct ProtectedWriter<M> {
    inner: M,
}

impl<M> ProtectedWriter<M> {
    /// Protect what `inner` writes (e.g. `std::io::stderr`).
    pub fn new(inner: M) -> ProtectedWriter<M> {
        ProtectedWriter { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for ProtectedWriter<M> {
    type Writer = EventWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter::new(self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        EventWriter::new(self.inner.make_writer_for(meta))
    }
}

/// Collects one event's bytes and writes them protected when dropped (the formatter
/// makes one writer per event), so a number split across two writes is still found.
pub struct EventWriter<W: Write> {
    event: Vec<u8>,
    inner: W,
}

impl<W: Write> EventWriter<W> {
    fn new(inner: W) -> EventWriter<W> {
        EventWriter {
            event: Vec::new(),
            inner,
        }
    }
}

impl<W: Write> Write for EventWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.event.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    /// The event is written when it is complete (on drop), not part by part.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for EventWriter<W> {
    fn drop(&mut self) {
        if self.event.is_empty() {
            return;
        }
        let line = protect_event(&String::from_utf8_lossy(&self.event));
        // A log write that fails has nowhere to be reported.
        let _ = self.inner.write_all(line.as_bytes());
        let _ = self.inner.flush();
    }
}

/// One formatted event as it may be written: personal numbers masked, control
/// characters escaped, ending in the event's own newline (if it had one).
pub fn protect_event(event: &str) -> String {
    let masked = mask_personal(event);
    let (body, end) = match masked.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (masked.as_str(), ""),
    };
    let mut out = String::with_capacity(body.len() + end.len());
    for c in body.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if forges(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push_str(end);
    out
}

/// Characters that can end a line, move the cursor or reorder what a terminal shows:
/// controls (C0, DEL, C1, escape codes start with one), Unicode line and paragraph
/// separators and the bidirectional overrides.
fn forges(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn an_event_is_one_line_without_numbers_or_escape_codes() {
        let event = "2024-01-02T03:04:05.678Z  WARN ruralsync: cannot read error=400 \
            bad\n2024-01-02T03:04:05Z ERROR forged 11010519491231002X\r\u{1b}[2J电话13800138000\u{202e}\n";
        let line = protect_event(event);
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(line.ends_with('\n'));
        assert!(
            line.contains(
                "bad\\n2024-01-02T03:04:05Z ERROR forged [id]\\r\\u{1b}[2J电话[phone]\\u{202e}"
            ),
            "{line}"
        );
        assert!(!line.contains('\u{1b}') && !line.contains('\r'), "{line}");
        // Ordinary lines pass as they are.
        let plain = "2024-01-02T03:04:05.678Z  INFO ruralsync: sync finished source=jz pages=3 region=140702100200\n";
        assert_eq!(protect_event(plain), plain);
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_writer_protects_what_a_subscriber_formats() {
        let sink = Sink::default();
        let out = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(ProtectedWriter::new(move || sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                body = "a\nb 110105 19491231 002X",
                "upstream said\n{}",
                "１３８００１３８０００"
            );
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("upstream said\\n[phone]"), "{text}");
        assert!(text.contains("[id]") && !text.contains("002X"), "{text}");
    }
}
