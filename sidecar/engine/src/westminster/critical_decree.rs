//! What a critical decree decides: a write of scope `critical`, or an amendment. It waits
//! in the Commons log until a majority of the seated Lords voted aye
//! (docs/protocol.md#113-the-house-of-lords).

use bytes::Bytes;

use crate::westminster::Amendment;

/// The content of a pending critical decree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CriticalDecree {
    /// An encoded `state::Command` of scope `critical`, applied to the global store where
    /// the Lords' majority is reached.
    Write(Bytes),
    /// A configuration change.
    Amend(Amendment),
}
