//! Parliament's peer transport: the sidecar shell's `net` layer (DESIGN §3).
//!
//! Each pair of members that talks keeps one bidirectional gRPC stream, opened on the
//! first envelope either sends the other and closed once idle ([`Connect::OnDemand`],
//! the default), or opened at start for every pair by the lower id ([`Connect::Eager`]). Outbound envelopes (the Westminster
//! [`Envelope`](parliament_engine::westminster::Envelope): district, Commons and session
//! messages) go into a bounded per-peer queue and leave in batched frames; inbound ones
//! are converted, checked and delivered to one [`tokio::sync::mpsc`] channel for the task
//! that owns the engine. Streams redial with
//! exponential backoff and jitter; frame and message sizes are limited on both ends; a
//! hello from a member outside the roster is refused; with mTLS, a peer's certificate
//! must name its roster identity. See `docs/transport.md`.
//!
//! The transport makes no protocol decision: it moves envelopes and counts what it drops.

mod backoff;
mod ca;
mod config;
mod connection;
mod dialer;
mod error;
mod handshake;
mod inbound;
mod kind;
mod link;
mod queue;
mod roster;
mod service;
mod shared;
mod stats;
mod tls;
mod transport;

pub use ca::ThrowawayCa;
pub use config::{Connect, FRAME_OVERHEAD, TransportConfig};
pub use error::{Error, Result};
pub use inbound::Inbound;
pub use roster::{Member, Roster};
pub use stats::{PeerStats, TransportStats};
pub use tls::TlsConfig;
pub use transport::Transport;
