//! Why a dropped file is not ingested, and what becomes of it: refused into `error_dir`
//! (malformed, or over a cap), retried while it may still be being written (it looks
//! cut short), or left for the next poll (it cannot be read right now).

use std::fmt;

use super::config::Limits;

/// What a refusal means for the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Not a table that can be ingested: refused into `error_dir` (`file_rejected`).
    Malformed,
    /// Over one of the caps: refused into `error_dir` (`file_too_large`) as soon as the
    /// cap is passed, without reading further.
    TooLarge,
    /// Ends where it cannot end (a workbook that is not a complete archive, a quote or a
    /// character left open at the end): perhaps still being written. Retried until it
    /// has been unchanged for `incomplete_retry_secs`, then refused as malformed.
    Incomplete,
    /// The file could not be read (an I/O error): left for the next poll.
    Unreadable,
}

/// A file refused, with the sentence for the person reading the dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

impl Refusal {
    pub(crate) fn malformed(message: impl Into<String>) -> Refusal {
        Refusal {
            kind: RefusalKind::Malformed,
            message: message.into(),
        }
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Refusal {
        Refusal {
            kind: RefusalKind::Incomplete,
            message: message.into(),
        }
    }

    pub(crate) fn unreadable(error: &std::io::Error) -> Refusal {
        Refusal {
            kind: RefusalKind::Unreadable,
            message: format!("cannot be read ({error})"),
        }
    }

    /// `what` passes the cap `name` of `limits`, whose value is `cap`.
    pub(crate) fn over(limits: &Limits, what: String, name: &str, cap: u64) -> Refusal {
        let unit = if name.ends_with("_bytes") {
            format!(" ({})", human_bytes(cap))
        } else {
            String::new()
        };
        Refusal {
            kind: RefusalKind::TooLarge,
            message: format!(
                "{what}: over the cap {}.{name} = {cap}{unit}; nothing of the file is read further. Raise the cap to ingest it, or split the file",
                limits.key
            ),
        }
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal::malformed(message)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `1536` → `1.5 KiB`, for people reading a cap.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} bytes"),
        _ if value.fract() == 0.0 => format!("{value:.0} {}", UNITS[unit]),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_refusal_names_the_cap_and_the_key_to_raise() {
        let limits = Limits {
            max_file_bytes: 512 << 20,
            max_unpacked_bytes: 1,
            max_rows: 1,
            max_columns: 1,
            max_cell_bytes: 1,
            max_row_bytes: 1,
            key: "sources.ledger.file".into(),
        };
        let r = Refusal::over(&limits, "is 1 GiB".into(), "max_file_bytes", 512 << 20);
        assert_eq!(r.kind, RefusalKind::TooLarge);
        assert_eq!(
            r.message,
            "is 1 GiB: over the cap sources.ledger.file.max_file_bytes = 536870912 (512 MiB); nothing of the file is read further. Raise the cap to ingest it, or split the file"
        );
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(17), "17 bytes");
    }
}
