//! Tuning knobs of a ledger.

/// How a [`Ledger`](crate::Ledger) lays out its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerOptions {
    /// A segment takes no more frames once it holds this many bytes (one frame larger
    /// than this still gets a segment of its own). Compaction frees whole segments.
    pub segment_bytes: u64,
    /// Segment files grow by this many zero bytes ahead of the frames, so that most
    /// appends overwrite allocated blocks and `fdatasync` flushes no metadata.
    pub prealloc_bytes: u64,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            segment_bytes: 64 << 20,
            prealloc_bytes: 1 << 20,
        }
    }
}
