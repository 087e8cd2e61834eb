//! The crate's error: what went wrong starting the transport, sending, or talking to a peer.

use parliament_engine::NodeId;

/// Errors of the peer transport.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot work; the message says which value and why.
    #[error("invalid transport configuration: {0}")]
    Config(String),
    /// A send named a member that is not in the roster (or named this member itself).
    #[error(
        "member {peer} is not a peer in the roster; messages can only go to other roster members"
    )]
    UnknownPeer {
        /// The member named.
        peer: NodeId,
    },
    /// An envelope was larger than `max_message_bytes` and was not queued. The engine
    /// should send smaller appends (`Config::max_append_bytes`), snapshot chunks or
    /// session batches.
    #[error(
        "{envelope} {kind} message to {peer} is {size} bytes encoded, over the {limit}-byte limit; it was dropped"
    )]
    MessageTooLarge {
        /// The recipient.
        peer: NodeId,
        /// The envelope kind: `district`, `commons` or `session`.
        envelope: &'static str,
        /// The message kind inside: `MessageBody::kind` for district and Commons
        /// envelopes, `submit`, `batch` or `refused` for session ones.
        kind: &'static str,
        /// Its encoded size.
        size: usize,
        /// `TransportConfig::max_message_bytes`.
        limit: usize,
    },
    /// The listener could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A peer's hello was refused: the reason is sent back to the peer as the status
    /// message, and logged here.
    #[error("refused peer handshake: {0}")]
    Refused(String),
    /// Connecting to or talking to a peer failed at the transport level.
    #[error("transport to {peer} at {address}: {source}")]
    Transport {
        /// The peer.
        peer: NodeId,
        /// Its address.
        address: String,
        /// Why.
        #[source]
        source: tonic::transport::Error,
    },
    /// A peer ended or failed a stream with a gRPC status.
    #[error("stream with {peer}: {status}")]
    Stream {
        /// The peer.
        peer: NodeId,
        /// What it said.
        status: Box<tonic::Status>,
    },
    /// A peer did not complete the handshake in time.
    #[error("{peer} did not complete the handshake within {millis} ms")]
    HandshakeTimeout {
        /// The peer.
        peer: NodeId,
        /// The timeout.
        millis: u128,
    },
    /// TLS material could not be read or used.
    #[error("tls: {0}")]
    Tls(String),
    /// Reading a certificate or key file failed.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The listener's local address could not be read.
    #[error("listener address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// The transport was shut down.
    #[error("the transport is shut down")]
    Shutdown,
}

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
