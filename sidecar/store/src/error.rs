//! The crate's one error type.

use std::io;
use std::path::PathBuf;

use parliament_engine::LogIndex;

/// What to tell an operator who finds a ledger corrupt.
const CORRUPT_ADVICE: &str = "this data was durable, so it is not a torn write: do not delete it \
     by hand; restore the member's directory from a backup, or remove the member from its group \
     and add it back with an empty directory so that it catches up from its peers";

/// Everything that can go wrong in the ledger.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused an operation.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// What the ledger was doing (`"open"`, `"fsync"`, ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Durable data failed its checksum or does not make sense. The ledger refuses to
    /// start rather than silently drop acknowledged entries.
    #[error("corrupt ledger file {path} at byte offset {offset}: {reason}; {CORRUPT_ADVICE}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Where in it the damage starts.
        offset: u64,
        /// What was found there.
        reason: String,
    },
    /// Another process holds the directory.
    #[error(
        "ledger directory {path} is in use by another process; stop it or pick another directory"
    )]
    Locked {
        /// The ledger directory.
        path: PathBuf,
    },
    /// An earlier write or fsync failed, so what is on disk is unknown (after a failed
    /// fsync the kernel may have dropped the dirty pages). The ledger takes no more
    /// writes; reopen it to recover from what is really on disk.
    #[error("ledger {path} refused a write after an earlier write failure; reopen it")]
    Poisoned {
        /// The ledger directory.
        path: PathBuf,
    },
    /// Entries handed to [`Ledger::persist`](crate::Ledger::persist) do not have
    /// consecutive indexes.
    #[error(
        "entries to persist are not consecutive: expected index {}, found {}",
        .expected.get(),
        .found.get()
    )]
    NotConsecutive {
        /// The index that should have come next.
        expected: LogIndex,
        /// The index that came.
        found: LogIndex,
    },
    /// Appending would leave a hole after the last entry.
    #[error(
        "cannot append at index {}: the log ends at index {}, so it would leave a gap",
        .first.get(),
        .last.get()
    )]
    Gap {
        /// The first index of the append.
        first: LogIndex,
        /// The last index in the ledger.
        last: LogIndex,
    },
    /// Appending would overwrite entries that a snapshot already covers (and that are
    /// therefore committed).
    #[error(
        "cannot append at index {}: the snapshot already covers up to index {}",
        .first.get(),
        .snapshot.get()
    )]
    BelowSnapshot {
        /// The first index of the append.
        first: LogIndex,
        /// The snapshot's last included index.
        snapshot: LogIndex,
    },
    /// Compaction may only drop entries that a snapshot covers.
    #[error(
        "cannot compact the log up to index {}: the snapshot only covers up to index {}; install a newer snapshot first",
        .upto.get(),
        .snapshot.get()
    )]
    CompactBeyondSnapshot {
        /// The requested compaction point.
        upto: LogIndex,
        /// The snapshot's last included index.
        snapshot: LogIndex,
    },
    /// One write is larger than the format can frame.
    #[error("a single write of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The encoded size.
        len: usize,
        /// The largest allowed.
        limit: usize,
    },
}

impl Error {
    /// An [`Error::Io`] for `op` on `path`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Corrupt`] at `offset` of `path`.
    pub(crate) fn corrupt(
        path: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Self {
        Error::Corrupt {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
