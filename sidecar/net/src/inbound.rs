//! What the transport hands the engine task: an envelope and the peer it came from.

use parliament_engine::NodeId;
use parliament_engine::westminster::Envelope;

/// An envelope received from an authenticated peer, ready for
/// [`Member::step(now, peer, envelope)`](parliament_engine::westminster::Member::step).
///
/// `peer` is the member that completed the handshake on the stream (with mTLS, the one
/// its certificate names). It may differ from the `from` of the engine message inside,
/// which names the sender in its group (a seat, in the Commons), and from a session
/// ticket's origin; the engine task decides what to trust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// The member whose stream carried the envelope.
    pub peer: NodeId,
    /// The envelope, converted and checked (`parliament_proto::convert`).
    pub envelope: Envelope,
}
