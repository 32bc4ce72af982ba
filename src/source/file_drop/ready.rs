//! Whether a dropped file is complete, or may still be being written.
//!
//! A file is read once nothing about it has changed for `min_age_secs` ("quiet"). How
//! long a file has been quiet is the longer of two measures:
//!
//! - **by its clocks**: since the later of its modification time and its change time
//!   (ctime). Copiers that keep the source's dates (`cp -p`, rsync, Windows over SMB)
//!   set an old modification time, often before the data is all there; but every write
//!   and every date set moves the change time to the present, and nobody can set it
//!   back. So a half-copied file with a date from last year is seen as just changed.
//!   A time in the future says nothing (a writer's clock is ahead): a modification time
//!   in the future is ignored, and a change time in the future leaves only the polls.
//! - **by the polls**: since the poll that first saw the file with its present size,
//!   dates and inode, if every poll since saw the same. This covers file systems whose
//!   clocks cannot be trusted (a file server's clock ahead), in `ruralsync run`; the
//!   first sighting of such a file only records it.
//!
//! So the first sighting of a file reads it only if its own clocks say it has been
//! quiet long enough; otherwise it is read at a later poll once it is. Where writers
//! pause longer than `min_age_secs` mid-file, or the file system keeps no change times,
//! a ready marker (`ready_marker`) is the reliable way: the writer says when it is done.
//!
//! The sightings live in memory: a restarted daemon starts with the clocks alone.

use std::collections::HashMap;
use std::fs::Metadata;
use std::time::{Duration, Instant, SystemTime};

/// How far in the future a time must be to count as "in the future": file systems
/// and clocks of other machines differ by a little.
const FUTURE_SLACK: Duration = Duration::from_secs(2);

/// What a write to a file, or a date set on it, changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Signature {
    pub len: u64,
    pub modified: SystemTime,
    /// The change time (ctime); `None` where the platform keeps none.
    pub changed: Option<SystemTime>,
    pub inode: u64,
}

impl Signature {
    pub(crate) fn of(meta: &Metadata) -> Signature {
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            let ctime = u64::try_from(meta.ctime()).ok().map(|s| {
                SystemTime::UNIX_EPOCH
                    + Duration::new(s, u32::try_from(meta.ctime_nsec()).unwrap_or(0))
            });
            (ctime, meta.ino())
        };
        #[cfg(not(unix))]
        let (changed, inode) = (None, 0);
        Signature {
            len: meta.len(),
            modified,
            changed,
            inode,
        }
    }

    /// Whether the modification time is in the future of `now`.
    pub(crate) fn modified_in_future(&self, now: SystemTime) -> bool {
        self.modified > now + FUTURE_SLACK
    }

    /// Whether the change time is in the future too: only the polls can tell.
    pub(crate) fn changed_in_future(&self, now: SystemTime) -> bool {
        self.changed.is_some_and(|c| c > now + FUTURE_SLACK)
    }
}

/// The last change the file's clocks tell of, if they can be trusted (see the module).
fn last_change(sig: &Signature, now: SystemTime) -> Option<SystemTime> {
    let modified = (!sig.modified_in_future(now)).then_some(sig.modified);
    match sig.changed {
        Some(_) if sig.changed_in_future(now) => None,
        Some(changed) => Some(modified.map_or(changed, |m| m.max(changed))),
        None => modified,
    }
}

/// How long nothing about the file changed: the longer of its clocks' word and the
/// polls' (`seen`: the signature of the previous poll and since when it was seen).
pub(crate) fn quiet_for(
    sig: &Signature,
    seen: Option<(&Signature, Instant)>,
    now: SystemTime,
    mono: Instant,
) -> Duration {
    let by_clock = last_change(sig, now)
        .and_then(|t| now.duration_since(t).ok())
        .unwrap_or_default();
    let by_polls = seen
        .filter(|(previous, _)| *previous == sig)
        .map(|(_, since)| mono.saturating_duration_since(since))
        .unwrap_or_default();
    by_clock.max(by_polls)
}

/// A file as earlier polls saw it.
#[derive(Debug)]
struct Sighting {
    signature: Signature,
    /// When the present signature was first seen.
    since: Instant,
    /// The WARN lines already logged for this signature.
    warned_future: bool,
    warned_incomplete: bool,
}

/// The drop directory's files as earlier polls saw them, by name.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    seen: HashMap<String, Sighting>,
}

/// What a poll learns of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    pub quiet: Duration,
    /// Its modification time is in the future and this is the first poll to see it so.
    pub warn_future: bool,
}

impl Watch {
    /// Note the file `name` as this poll sees it.
    pub(crate) fn look(
        &mut self,
        name: &str,
        sig: Signature,
        now: SystemTime,
        mono: Instant,
    ) -> Look {
        let seen = self.seen.get(name);
        let quiet = quiet_for(&sig, seen.map(|s| (&s.signature, s.since)), now, mono);
        let same = seen.is_some_and(|s| s.signature == sig);
        let sighting = self.seen.entry(name.to_owned()).or_insert(Sighting {
            signature: sig,
            since: mono,
            warned_future: false,
            warned_incomplete: false,
        });
        if !same {
            *sighting = Sighting {
                signature: sig,
                since: mono,
                warned_future: false,
                warned_incomplete: false,
            };
        }
        let warn_future = sig.modified_in_future(now) && !sighting.warned_future;
        sighting.warned_future |= warn_future;
        Look { quiet, warn_future }
    }

    /// Forget the files a poll no longer lists.
    pub(crate) fn keep_only(&mut self, names: &[&str]) {
        self.seen.retain(|name, _| names.contains(&name.as_str()));
    }

    /// Whether this is the first time the file, as it is now, looks cut short (for a
    /// WARN once per content rather than once per poll).
    pub(crate) fn first_incomplete(&mut self, name: &str) -> bool {
        match self.seen.get_mut(name) {
            Some(s) if s.warned_incomplete => false,
            Some(s) => {
                s.warned_incomplete = true;
                true
            }
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::from_secs(1_700_000_000);

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            SystemTime::UNIX_EPOCH + T0 + Duration::from_secs(secs as u64)
        } else {
            SystemTime::UNIX_EPOCH + T0 - Duration::from_secs(secs.unsigned_abs())
        }
    }

    fn sig(len: u64, modified: i64, changed: Option<i64>) -> Signature {
        Signature {
            len,
            modified: at(modified),
            changed: changed.map(at),
            inode: 7,
        }
    }

    #[test]
    fn a_file_copied_with_an_old_date_is_quiet_only_since_its_change_time() {
        let now = at(0);
        let mono = Instant::now();
        // Modified "a year ago" (a copied date), but written to 1 s ago.
        let copying = sig(4096, -31_536_000, Some(-1));
        assert_eq!(quiet_for(&copying, None, now, mono), Duration::from_secs(1));
        // Untouched for an hour by both clocks.
        let old = sig(4096, -7200, Some(-3600));
        assert_eq!(quiet_for(&old, None, now, mono), Duration::from_secs(3600));
        // No change time (another platform): the modification time alone.
        assert_eq!(
            quiet_for(&sig(1, -60, None), None, now, mono),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn times_in_the_future_are_ignored_and_the_polls_decide() {
        let now = at(0);
        let mono = Instant::now();
        // Modified "tomorrow", changed 30 s ago: the change time decides.
        let ahead = sig(10, 86_400, Some(-30));
        assert!(ahead.modified_in_future(now) && !ahead.changed_in_future(now));
        assert_eq!(quiet_for(&ahead, None, now, mono), Duration::from_secs(30));
        // Both clocks ahead (a file server's): nothing on first sight; then the polls.
        let server = sig(10, 600, Some(600));
        assert_eq!(quiet_for(&server, None, now, mono), Duration::ZERO);
        let later = mono + Duration::from_secs(8);
        assert_eq!(
            quiet_for(&server, Some((&server, mono)), now, later),
            Duration::from_secs(8)
        );
        // A poll that saw another size or date counts for nothing.
        let grown = sig(20, 600, Some(600));
        assert_eq!(
            quiet_for(&grown, Some((&server, mono)), now, later),
            Duration::ZERO
        );
    }

    #[test]
    fn the_watch_keeps_since_when_a_file_is_unchanged_and_warns_once() {
        let mut watch = Watch::default();
        let mono = Instant::now();
        let now = at(0);
        let s = sig(10, 600, Some(600));
        let first = watch.look("a.csv", s, now, mono);
        assert_eq!(
            first,
            Look {
                quiet: Duration::ZERO,
                warn_future: true
            }
        );
        let second = watch.look("a.csv", s, now, mono + Duration::from_secs(5));
        assert_eq!(
            second,
            Look {
                quiet: Duration::from_secs(5),
                warn_future: false
            }
        );
        // It grows: the count starts again, and so does the warning.
        let grown = sig(11, 601, Some(601));
        let third = watch.look("a.csv", grown, now, mono + Duration::from_secs(6));
        assert_eq!(
            third,
            Look {
                quiet: Duration::ZERO,
                warn_future: true
            }
        );
        assert!(watch.first_incomplete("a.csv"));
        assert!(!watch.first_incomplete("a.csv"));
        watch.keep_only(&[]);
        assert!(watch.seen.is_empty());
    }
}
