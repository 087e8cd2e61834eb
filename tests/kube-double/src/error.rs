//! The crate's error type.

/// Why the double could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding 127.0.0.1 failed.
    #[error("cannot listen on 127.0.0.1: {source}")]
    Bind {
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
