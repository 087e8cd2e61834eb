//! `spec.storage`: how each member keeps its ledger small.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default applied district entries between two snapshots of a member.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 10_000;

/// Every member snapshots its state (district store, seat record, global store) and
/// drops the log it covers; a member that fell behind a compaction catches up from its
/// leader's snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    /// Applied district entries between two snapshots of a member; 0 never snapshots (the
    /// log then grows without bound, and a restart replays all of it).
    #[serde(default = "default_snapshot_every")]
    #[schemars(range(max = 100_000_000))]
    pub snapshot_every: u64,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
        }
    }
}

fn default_snapshot_every() -> u64 {
    DEFAULT_SNAPSHOT_EVERY
}
