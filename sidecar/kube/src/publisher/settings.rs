//! `PublisherSettings`: the publisher's timings.

use std::time::Duration;

/// How often the publisher re-checks what it published, and how it backs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublisherSettings {
    /// Re-read the pod and, for a leader, the Parliament, and repair what differs, this
    /// often even when no role changed (default 5 minutes). Also the longest time
    /// progress fields (reputation, session, committed revision) wait to be published.
    pub resync: Duration,
    /// First delay after a failed write (default 1 s); it doubles per failure.
    pub backoff_min: Duration,
    /// Longest delay between retries (default 2 minutes).
    pub backoff_max: Duration,
    /// Read-compare-write rounds of one status write before it counts as failed
    /// (default 8): each round lost to another writer costs one GET and one PATCH.
    pub conflict_attempts: u32,
}

impl Default for PublisherSettings {
    fn default() -> Self {
        PublisherSettings {
            resync: Duration::from_secs(300),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(120),
            conflict_attempts: 8,
        }
    }
}
