//! Failpoints: make the ledger's next frame write fail, tear or skip its fsync, so
//! that crash tests and the simulator can reproduce what a dying disk or process does.
//!
//! Compiled only with the `failpoints` feature (and in this crate's unit tests).
//! After a failpoint fires, the ledger is poisoned like after any real write failure:
//! the test then drops it and reopens the directory, as a restarted process would.

/// What the next frame write does instead of succeeding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failpoint {
    /// Write nothing and fail, as a full disk or an I/O error would.
    FailWrite,
    /// Write only the first `keep` bytes of the frame, make them durable, and fail:
    /// the process died in the middle of the write and the disk kept a prefix.
    TornWrite {
        /// How many bytes of the frame reach the disk.
        keep: usize,
    },
    /// Write the whole frame but fail before fsync: the bytes may or may not survive.
    FailSync,
}

impl Failpoint {
    /// The error a fired failpoint returns.
    pub(crate) fn error(self) -> std::io::Error {
        std::io::Error::other(format!("failpoint {self:?} fired"))
    }
}
