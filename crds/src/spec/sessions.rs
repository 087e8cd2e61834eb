//! `spec.sessions`: how the Prime Minister batches global writes from the districts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default time between Parliament sessions.
pub const DEFAULT_SESSION_INTERVAL_MS: u32 = 10;
/// Default most entries taken from one district's queue per session.
pub const DEFAULT_MAX_BATCH_PER_DISTRICT: u32 = 128;
/// Default most payload bytes taken from one district's queue per session (256 KiB: four
/// full districts fill one engine append of 1 MiB).
pub const DEFAULT_MAX_BATCH_BYTES: u32 = 256 * 1024;

/// Global writes queue at their district's representative; the Prime Minister runs sessions
/// that take a bounded batch from each district in round-robin order, so that no district
/// starves another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sessions {
    /// Time between the starts of two sessions, in milliseconds. Shorter means lower write
    /// latency and smaller batches.
    #[serde(default = "default_interval_ms")]
    #[schemars(range(min = 1, max = 10_000))]
    pub interval_ms: u32,
    /// Most queued writes taken from one district in one session.
    #[serde(default = "default_max_batch_per_district")]
    #[schemars(range(min = 1, max = 100_000))]
    pub max_batch_per_district: u32,
    /// Most payload bytes taken from one district in one session. A single write larger than
    /// this is still taken, alone.
    #[serde(default = "default_max_batch_bytes")]
    #[schemars(range(min = 1024, max = 16_777_216))]
    pub max_batch_bytes: u32,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            interval_ms: DEFAULT_SESSION_INTERVAL_MS,
            max_batch_per_district: DEFAULT_MAX_BATCH_PER_DISTRICT,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
        }
    }
}

fn default_interval_ms() -> u32 {
    DEFAULT_SESSION_INTERVAL_MS
}

fn default_max_batch_per_district() -> u32 {
    DEFAULT_MAX_BATCH_PER_DISTRICT
}

fn default_max_batch_bytes() -> u32 {
    DEFAULT_MAX_BATCH_BYTES
}
