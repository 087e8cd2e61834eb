//! The sidecar's error: what stops a member from starting or running.

use std::path::PathBuf;

/// Errors of the sidecar.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The roster cannot be used; the message names the member or district at fault.
    #[error("invalid roster: {0}")]
    Roster(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A configuration value is wrong; the message says which and how to fix it.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The Parliament spec is invalid.
    #[error("invalid Parliament spec:\n{0}")]
    Spec(String),
    /// The core refused to start (persisted state it cannot use, a member not in the
    /// roster).
    #[error("cannot start the member: {0}")]
    Member(#[from] parliament_engine::westminster::MemberError),
    /// The ledger failed; the member stops rather than acknowledge what is not durable.
    #[error("ledger: {0}")]
    Ledger(#[from] parliament_store::Error),
    /// The peer transport failed to start.
    #[error("peer transport: {0}")]
    Transport(#[from] parliament_net::Error),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A server failed while running.
    #[error("{what} server: {message}")]
    Serve {
        /// Which server.
        what: &'static str,
        /// Why.
        message: String,
    },
}

/// The sidecar's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
