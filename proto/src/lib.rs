//! Parliament's wire protocols: the generated peer and client gRPC types, and the
//! conversions between the peer protocol and what members send each other, the
//! Westminster [`Envelope`](parliament_engine::westminster::Envelope) (district, Commons
//! and session messages) with the engine [`Message`](parliament_engine::engine::Message)s
//! inside.
//!
//! The `.proto` files live beside this crate (`parliament/peer/v1/peer.proto`,
//! `parliament/client/v1/client.proto`) and are compiled at build time with protox, so no
//! system `protoc` is needed. The engine never sees prost types: the shell converts at the
//! edge with [`convert`], and inbound conversion is fallible because the bytes came from
//! the network.

pub mod convert;
mod error;

pub use error::{Error, Result};

/// Generated code: the peer protocol (`parliament.peer.v1`).
pub mod peer {
    #![allow(
        missing_docs,
        clippy::all,
        clippy::pedantic,
        missing_debug_implementations
    )]
    tonic::include_proto!("parliament.peer.v1");
}

/// Generated code: the client API (`parliament.client.v1`).
pub mod client {
    #![allow(
        missing_docs,
        clippy::all,
        clippy::pedantic,
        missing_debug_implementations
    )]
    tonic::include_proto!("parliament.client.v1");
}

/// The peer protocol version this build speaks (`Hello.protocol_version`). A peer that
/// speaks another is refused at the handshake.
///
/// Version 2 carries envelopes (district, Commons and session messages); version 1
/// carried bare engine messages.
pub const PEER_PROTOCOL_VERSION: u32 = 2;

/// Most entries an inbound `Append` may carry; more is malformed.
///
/// 128 times the engine's default `Config::max_append_entries` (512): a leader never
/// sends more than its configured `max_append_entries`, so this refuses only what no
/// correctly configured peer sends, while one message cannot hand the engine (which
/// persists and indexes every entry) a frame's worth of tiny entries: a 6-byte entry on
/// the wire is a 56-byte `Entry` in memory.
pub const MAX_APPEND_ENTRIES: usize = 65_536;

/// Most writes an inbound session batch may carry; more is malformed.
///
/// 64 times the default `SessionConfig::max_batch_per_district` (64) and 4 times the
/// default `max_queue` (1,024): a representative sends at most `max_batch_per_district`
/// writes per batch. Bounded because the Prime Minister answers every write of a batch
/// that does not fit its queue with a refusal to the write's origin, so an unbounded batch
/// would let one peer make it send an unbounded number of messages.
pub const MAX_SESSION_BATCH_ENTRIES: usize = 4_096;
