//! The pipeline's one hook for whoever watches it (the daemon's telemetry): plain data
//! about what each page and each transaction attempt did. The pipeline knows nothing of
//! metrics or HTTP.

use super::PageCounts;
use crate::sink::kafka::Recovery;

/// Told what the pipeline did, as it happens. Implementations must be quick and must
/// not block: they run on the source's task between Kafka calls.
pub trait Observer: Send + Sync {
    /// A page is done: its transaction committed, or it needed none (nothing changed).
    fn page_committed(&self, source: &str, counts: &PageCounts);
    /// One attempt at a page's transaction ended: committed (`failure` is `None`), or
    /// failed (aborted or in doubt) with what the pipeline does about it.
    fn transaction(&self, source: &str, failure: Option<Recovery>);
}
