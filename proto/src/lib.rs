//! Parliament's wire protocols: the generated peer and client gRPC types, and the
//! conversions between peer messages and the engine's [`Message`](parliament_engine::engine::Message).
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

/// The peer protocol version this build speaks (`Hello.protocol_version`).
pub const PEER_PROTOCOL_VERSION: u32 = 1;
